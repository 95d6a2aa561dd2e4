"""HTTP API. The advisor is injected per request (FastAPI dependency); errors are JSON bodies
with a code and a message, never a stack trace."""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from advisor import __version__
from advisor.api_chat import create_chat_router
from advisor.limits import BodySizeLimit, RateLimit
from advisor.models import Answer
from advisor.service import Advisor
from advisor.store import StoreUnavailable

log = logging.getLogger(__name__)


class AskRequest(BaseModel):
    question: str = Field(description="The question, 1 to ADVISOR_MAX_QUESTION_CHARS characters.")
    audience: Literal["business", "government", "general", "auto"] | None = Field(
        None, description="Whose recommendations to rank first; detected from the question when omitted."
    )
    collections: list[str] | None = Field(
        None, description="Search only these collections (e.g. 'workspace' or 'strategy'); default: all."
    )
    doc_ids: list[str] | None = Field(None, description="Search only these documents (ids from GET /api/documents).")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}})


def get_advisor(request: Request) -> Advisor:
    return request.app.state.advisor


AdvisorDep = Annotated[Advisor, Depends(get_advisor)]
ERRORS = {422: {"model": ErrorResponse}, 503: {"model": ErrorResponse}}


def create_api(advisor: Advisor) -> FastAPI:
    app = FastAPI(
        title="Digital Strategy Advisor",
        version=__version__,
        description="Cited, grounded answers about the EU International Digital Strategy.",
    )
    app.state.advisor = advisor
    install_error_handlers(app)
    from advisor.api_documents import include_documents  # imports this module: must come late

    include_documents(app)
    install_limits(app, advisor)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.post(
        "/api/ask",
        response_model=Answer,
        responses={**ERRORS, 413: {"model": ErrorResponse}, 429: {"model": ErrorResponse}},
        tags=["answers"],
    )
    def ask(body: AskRequest, advisor: AdvisorDep) -> Answer:
        audience = None if body.audience in (None, "auto") else body.audience
        return advisor.ask(body.question, audience=audience, collections=body.collections, doc_ids=body.doc_ids)

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
    """Body size and per-client answer rate limits (advisor/limits.py), from the settings."""
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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else first.get("msg", "invalid request")
        return error_response(422, "invalid_request", message)

    @app.exception_handler(ValueError)
    async def _bad_value(_: Request, exc: ValueError) -> JSONResponse:
        return error_response(422, "invalid_request", str(exc))

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        return error_response(503, "store_unavailable", str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; see the server log")
