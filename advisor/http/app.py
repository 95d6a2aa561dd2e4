"""The FastAPI app: error handlers, limits, CORS and the routers; no UI (see advisor.http.server).

The app state holds what the UI shares with the API: the advisor, the workshop store (in the
one database, see advisor.storage.database) and the rate limiter."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from advisor import __version__
from advisor.components import Advisor
from advisor.http.chat import create_chat_router
from advisor.http.docs import install_offline_docs
from advisor.http.documents import router as documents_router
from advisor.http.errors import RoutingErrorShape, install_error_handlers
from advisor.http.headers import SecurityHeaders
from advisor.http.limits import MULTIPART_SLACK_BYTES, BodySizeLimit, Limiter, RateLimit
from advisor.http.plan import router as plan_router
from advisor.http.workshops import WORKSHOP_PATHS, create_workshop_router, room_of
from advisor.storage.database import database_url, open_database
from advisor.storage.workshops import WorkshopStore


def create_api(advisor: Advisor) -> FastAPI:
    app = FastAPI(
        title="Digital Strategy Advisor",
        version=__version__,
        description="Cited, grounded answers about the EU International Digital Strategy.",
        docs_url=None,  # served with local assets by install_offline_docs: the CDN ones are blank offline
        redoc_url=None,
        # FastAPI's own OpenTelemetry spans and metrics, only when asked for: with them on, asking
        # OpenTelemetry whether a provider is configured, on every request and stream, was a seventh
        # of the UI's CPU with a room of users asking at once.
        telemetry={kind: advisor.settings.opentelemetry for kind in ("tracing", "metrics", "logs")},
    )
    install_offline_docs(app)
    app.state.advisor = advisor
    app.state.workshops = workshop_store(advisor)
    app.state.limiter = Limiter.from_settings(advisor.settings)
    install_error_handlers(app)
    app.include_router(documents_router)
    install_limits(app, advisor)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(create_chat_router(int(advisor.started_at)))
    app.include_router(create_workshop_router())
    app.include_router(plan_router)
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
            expose_headers=["Retry-After", "X-Workshop-Entry"],
        )


def workshop_store(advisor: Advisor) -> WorkshopStore:
    """The workshop store on the one database (SQLite in the data directory, or ADVISOR_DATABASE_URL)."""
    settings = advisor.settings
    return WorkshopStore(
        open_database(database_url(settings)),
        retention_days=settings.workshop_retention_days,
        cache_seconds=settings.workshop_cache_seconds,
        purge_interval_seconds=settings.workshop_purge_interval_seconds,
    )


def install_limits(app: FastAPI, advisor: Advisor) -> None:
    """Body size and answer rate limits (advisor/http/limits.py), from the settings: per client
    address, or per participant and workshop for requests made inside an active workshop. The
    admin and trainer checks and the UI count against the same limiter (`app.state.limiter`)."""
    settings = advisor.settings
    app.add_middleware(
        RateLimit,
        limiter=app.state.limiter,
        paths=settings.rate_limited_paths,
        room_paths=WORKSHOP_PATHS,
        room_of=room_of(app.state.workshops),
    )
    # Added last, so outermost: an oversized body is refused before it costs the client a token.
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes + MULTIPART_SLACK_BYTES,
        body_timeout=settings.body_timeout_s,
    )
