"""The served product: API routes first, the workshop embed at `/embed`, the Gradio chat at `/` last."""

from __future__ import annotations

from fastapi import FastAPI

from advisor.components import Advisor, build_advisor
from advisor.http.app import create_api
from advisor.settings import Settings
from advisor.storage.feedback import FeedbackStore


def create_app(advisor: Advisor) -> FastAPI:
    import gradio as gr

    from ui.chat import build_chat
    from ui.embed import create_embed_router, install_frame_policy
    from ui.page import install_page, theme

    app = create_api(advisor)
    # The UI's file uploads obey the same size limit as the API's.
    settings = advisor.settings
    feedback = FeedbackStore(settings.data_dir / settings.feedback_db)
    app.include_router(create_embed_router())
    install_frame_policy(app, settings.cors_origin_list())
    install_page(app)  # ui/page.py: CSS, script and meta tags of the UI pages; gzip
    page = {"theme": theme(), "footer_links": []}
    # Mounted before "/" so that "/" does not swallow "/embed/...".
    gr.mount_gradio_app(
        app,
        build_chat(advisor, compact=True, feedback=feedback),
        path="/embed",
        **page,
        max_file_size=settings.max_upload_bytes,
    )
    return gr.mount_gradio_app(
        app,
        build_chat(advisor, feedback=feedback),
        path="/",
        **page,
        max_file_size=settings.max_upload_bytes,
    )


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    advisor = build_advisor(settings)
    report = advisor.ensure_index()
    if report is not None:
        print(f"index built: {report.summary()}", flush=True)
    advisor.warm()
    print(f"Digital Strategy Advisor on http://{host}:{port}  (API docs: /docs, embed: /embed.js)", flush=True)
    uvicorn.run(create_app(advisor), host=host, port=port, log_level="warning")
