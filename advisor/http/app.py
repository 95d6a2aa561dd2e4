"""The FastAPI app: error handlers, limits, CORS and the routers; no UI (see advisor.http.server)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from advisor import __version__
from advisor.components import Advisor
from advisor.http.chat import create_chat_router
from advisor.http.docs import install_offline_docs
from advisor.http.documents import router as documents_router
from advisor.http.errors import install_error_handlers
from advisor.http.limits import BodySizeLimit, RateLimit


def create_api(advisor: Advisor) -> FastAPI:
    app = FastAPI(
        title="Digital Strategy Advisor",
        version=__version__,
        description="Cited, grounded answers about the EU International Digital Strategy.",
        docs_url=None,  # served with local assets by install_offline_docs: the CDN ones are blank offline
        redoc_url=None,
    )
    install_offline_docs(app)
    app.state.advisor = advisor
    install_error_handlers(app)
    app.include_router(documents_router)
    install_limits(app, advisor)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(create_chat_router(int(advisor.started_at)))
    install_cors(app, advisor.settings.cors_origin_list())
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
    """Body size and per-client answer rate limits (advisor/http/limits.py), from the settings."""
    settings = advisor.settings
    app.add_middleware(
        RateLimit,
        per_minute=settings.rate_limit_per_minute,
        burst=settings.rate_limit_burst,
        paths=settings.rate_limited_paths,
        trust_forwarded_for=settings.trust_forwarded_for,
    )
    # Added last, so outermost: an oversized body is refused before it costs the client a token.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
