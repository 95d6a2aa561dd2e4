"""The served product: API routes first, the workshop embed at `/embed`, the Gradio chat at `/` last."""

from __future__ import annotations

from fastapi import FastAPI

from advisor.components import Advisor, build_advisor
from advisor.http.app import create_api
from advisor.settings import Settings
from advisor.storage.database import database_url, open_database
from advisor.storage.feedback import FeedbackStore


def create_app(advisor: Advisor) -> FastAPI:
    import gradio as gr

    from ui.chat import CHAT_CSS, CHAT_HEAD, build_chat
    from ui.embed import create_embed_router, install_frame_policy
    from ui.plan import PLAN_CSS, PLAN_HEAD

    app = create_api(advisor)
    # The UI's file uploads obey the same size limit as the API's.
    settings = advisor.settings
    feedback = FeedbackStore(open_database(database_url(settings)))  # the database workshops use too
    shared = {"feedback": feedback, "workshop_store": app.state.workshops, "limiter": app.state.limiter}
    app.include_router(create_embed_router())
    install_frame_policy(app, settings.cors_origin_list())
    # Mounted before "/" so that "/" does not swallow "/embed/...".
    gr.mount_gradio_app(
        app,
        build_chat(advisor, compact=True, **shared),
        path="/embed",
        css=CHAT_CSS,
        head=CHAT_HEAD,
        max_file_size=settings.max_upload_bytes,
    )
    return gr.mount_gradio_app(
        app,
        build_chat(advisor, **shared),
        path="/",
        css=CHAT_CSS + PLAN_CSS,
        head=CHAT_HEAD + PLAN_HEAD,
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
