"""The served product: API routes first, the Gradio chat mounted at `/` last."""

from __future__ import annotations

from fastapi import FastAPI

from advisor.api import create_api
from advisor.service import Advisor, build_advisor
from advisor.settings import Settings


def create_app(advisor: Advisor) -> FastAPI:
    import gradio as gr

    from ui.chat import build_chat

    app = create_api(advisor)
    return gr.mount_gradio_app(app, build_chat(advisor), path="/")


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    advisor = build_advisor(settings)
    report = advisor.ensure_index()
    if report is not None:
        print(f"index built: {report.summary()}", flush=True)
    advisor.warm()
    print(f"Digital Strategy Advisor on http://{host}:{port}  (API docs: /docs)", flush=True)
    uvicorn.run(create_app(advisor), host=host, port=port, log_level="warning")
