"""The served product: API routes first, the workshop embed at `/embed`, the Gradio chat at `/` last.

Also what it takes to serve it safely: Gradio's upload route guarded by the admin key, the UI's
temporary files swept on a schedule, and uvicorn with timeouts and a connection limit, so slow
or idle connections cannot pile up (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from advisor.auth import admin_key_problem
from advisor.components import Advisor, build_advisor
from advisor.http.app import create_api
from advisor.http.limits import Limiter, header, send_json_error, send_rate_limited
from advisor.settings import ConfigError, Settings
from advisor.storage.database import database_url, open_database
from advisor.storage.feedback import FeedbackStore

log = logging.getLogger(__name__)
GRADIO_UPLOAD = "/gradio_api/upload"
EMBED_PREFIX = "/embed"


class UploadGuard:
    """Gradio's file upload route takes files only from an admin, and never under the embed.

    The chat page sends the key its "Your documents" panel holds (a fetch hook in
    ui/static/advisor.js); anyone else, who used to be able to store 19 MB files with no key and learn
    absolute server paths from the answer, gets the API's 401/403/429 JSON."""

    def __init__(self, app: ASGIApp, advisor: Advisor, limiter: Limiter) -> None:
        self.app = app
        self.advisor = advisor
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "").rstrip("/") if scope["type"] == "http" else ""
        if not path.endswith(GRADIO_UPLOAD) or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        if path != GRADIO_UPLOAD:  # the embed has no upload panel, so no reason to take files
            await send_json_error(send, 403, "uploads_disabled", "this page does not take uploads")
            return
        client = self.limiter.scope_client(scope)
        wait = self.limiter.key_blocked(client)
        if wait > 0:
            await send_rate_limited(send, "too many wrong keys from this client", wait)
            return
        problem = admin_key_problem(self.advisor.settings.admin_key, header(scope, b"x-admin-key"))
        if problem is not None:
            code, message = problem
            if code == "forbidden":
                self.limiter.key_failed(client)
            await send_json_error(send, 401 if code == "unauthorized" else 403, code, message)
            return
        await self.app(scope, receive, send)


def sweep_old_files(folder: Path, max_age_s: float) -> int:
    """Delete files under `folder` older than `max_age_s` (and the folders they leave empty)."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - max_age_s
    removed = 0
    for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        except OSError:  # another request is using it, or it is already gone
            continue
    return removed


def temp_sweeper(folder: Path, every_s: float, max_age_s: float) -> Any:
    """A lifespan that sweeps `folder` every `every_s` seconds while the server runs."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                await asyncio.sleep(every_s)
                removed = await asyncio.to_thread(sweep_old_files, folder, max_age_s)
                if removed:
                    log.info("removed %d old UI temporary files", removed)

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()

    return lifespan


def create_app(advisor: Advisor) -> FastAPI:
    from ui.documents import ui_temp_dir

    settings = advisor.settings
    temp = ui_temp_dir(settings)
    temp.mkdir(parents=True, exist_ok=True)
    # Gradio keeps uploads and its cache here (read on every upload), not in the shared /tmp/gradio.
    os.environ.setdefault("GRADIO_TEMP_DIR", str(temp))
    import gradio as gr

    from ui.chat import build_chat
    from ui.embed import create_embed_router
    from ui.page import install_page, theme
    from ui.plan import PLAN_CSS, PLAN_HEAD

    app = create_api(advisor)  # opens the one database: a damaged file stops us here, in one line
    feedback = FeedbackStore(open_database(database_url(settings)))  # the database workshops use too
    shared = {"feedback": feedback, "workshop_store": app.state.workshops, "limiter": app.state.limiter}
    app.router.lifespan_context = temp_sweeper(temp, settings.ui_temp_sweep_s, settings.ui_temp_max_age_s)
    app.add_middleware(UploadGuard, advisor=advisor, limiter=app.state.limiter)
    app.include_router(create_embed_router())
    install_page(app)  # ui/page.py: CSS, script and meta tags of the UI pages; gzip
    page = {"theme": theme(), "footer_links": []}
    # Mounted before "/" so that "/" does not swallow "/embed/...". The UI's file uploads obey
    # the same size limit as the API's.
    gr.mount_gradio_app(
        app,
        build_chat(advisor, compact=True, **shared),
        path=EMBED_PREFIX,
        **page,
        max_file_size=settings.max_upload_bytes,
    )
    return gr.mount_gradio_app(
        app,
        build_chat(advisor, **shared),
        path="/",
        **page,
        css=PLAN_CSS,  # the Plan tab's own rules, scoped by Gradio to the page
        head=PLAN_HEAD,
        max_file_size=settings.max_upload_bytes,
    )


def guarded_protocol(header_timeout_s: float) -> type:
    """uvicorn's HTTP protocol with a deadline for each request head.

    uvicorn closes idle keep-alive connections, but not a connection that never finishes its
    headers (3,000 slow-header connections were held for 40 s). The deadline starts when the
    connection opens and again after each response, and is lifted once a head is complete; slow
    bodies are BodySizeLimit's (408)."""
    try:  # httptools calls on_headers_complete; h11 parses in handle_events (both defined below)
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    except ImportError:  # no httptools: the pure-Python parser
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base  # type: ignore[assignment]

    class HeadDeadline(Base):  # type: ignore[misc, valid-type]
        _head_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = self.loop.call_later(header_timeout_s, self._head_timeout)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_timeout(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def handle_events(self) -> None:  # h11: the head is complete once the client left IDLE
            super().handle_events()
            import h11

            if self.conn.their_state is not h11.IDLE:
                self._disarm()

    return HeadDeadline


def serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    problem = settings.serving_problem()
    if problem:
        raise ConfigError(problem)
    advisor = build_advisor(settings)
    report = advisor.ensure_index()
    if report is not None:
        print(f"index built: {report.summary()}", flush=True)
    swept = advisor.sweep_orphans()
    if swept:
        print(f"swept {swept} chunks left by an interrupted write", flush=True)
    advisor.warm()
    app = create_app(advisor)  # before the ready line: a broken feedback database is reported, not crashed on
    print(f"Digital Strategy Advisor on http://{host}:{port}  (API docs: /docs, embed: /embed.js)", flush=True)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=guarded_protocol(settings.header_timeout_s),
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_timeout_s,  # type: ignore[arg-type]
        timeout_graceful_shutdown=settings.shutdown_timeout_s,  # type: ignore[arg-type]
    )
