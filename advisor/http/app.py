"""The FastAPI app: error handlers, limits, CORS and the routers; no UI (see advisor.http.server)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from advisor import __version__
from advisor.components import Advisor
from advisor.http.chat import create_chat_router
from advisor.http.documents import router as documents_router
from advisor.http.errors import RoutingErrorShape, install_error_handlers
from advisor.http.headers import SecurityHeaders
from advisor.http.limits import MULTIPART_SLACK_BYTES, AbuseLimits, BodySizeLimit, RateLimit


def create_api(advisor: Advisor) -> FastAPI:
    app = FastAPI(
        title="Digital Strategy Advisor",
        version=__version__,
        description="Cited, grounded answers about the EU International Digital Strategy.",
    )
    app.state.advisor = advisor
    install_error_handlers(app)
    app.include_router(documents_router)
    install_limits(app, advisor)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(create_chat_router(int(advisor.started_at)))
    install_cors(app, advisor.settings.cors_origin_list())
    app.add_middleware(RoutingErrorShape)  # Gradio's routing misses in our error shape
    # Outermost: refusals by the limits and CORS answers carry the headers too.
    app.add_middleware(SecurityHeaders, origins=advisor.settings.cors_origin_list())
    return app


def install_cors(app: FastAPI, origins: list[str]) -> None:
    """Browsers on the allowlisted origins may call the API (workshop pages); nobody else."""
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Authorization"],
        )


def install_limits(app: FastAPI, advisor: Advisor) -> None:
    """Body size and per-client limits (advisor/http/limits.py), from the settings. The limits object
    is kept on `app.state.limits`: the admin check and the UI count against the same budgets."""
    settings = advisor.settings
    app.state.limits = AbuseLimits(settings)
    app.add_middleware(RateLimit, limits=app.state.limits, paths=settings.rate_limited_paths)
    # Added last, so outermost: an oversized body is refused before it costs the client a token.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes + MULTIPART_SLACK_BYTES,
        body_timeout=settings.body_timeout_s,
    )
