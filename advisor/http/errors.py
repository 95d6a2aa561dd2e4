"""The one error model: every refusal is `{"error": {"code", "message"}}` with its status code."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from advisor.indexing.loaders import DocumentError
from advisor.storage.vectorstore import StoreError, StoreFull, StoreUnavailable

log = logging.getLogger(__name__)

# Document refusals (DocumentError.code) that have their own status; the rest are 422.
STATUS_BY_CODE = {
    "unsupported_type": 415,
    "too_large": 413,
    "paths_disabled": 403,
    "not_found": 404,
}


# Routing misses keep their own codes, whichever app (ours or a mounted Gradio) answered them.
HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}
ROUTING_MISSES = ("Not Found", "Method Not Allowed")  # Starlette's words for "no such route"


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    """A refusal with its status, machine-readable code, message and optional headers."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.headers = status, code, headers or {}


def error_body(code: str, message: str) -> dict[str, Any]:
    # A message may quote the request (an unknown collection name); a lone surrogate in it would
    # make the error itself unencodable, so such characters are replaced.
    return {"error": {"code": code, "message": message.encode("utf-8", "replace").decode("utf-8")}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content=error_body(code, message), headers=headers)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses."""
    return {status: {"model": ErrorResponse} for status in statuses}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, str(exc), exc.headers)

    @app.exception_handler(DocumentError)
    async def _document(_: Request, exc: DocumentError) -> JSONResponse:
        return error_response(STATUS_BY_CODE.get(exc.code, 422), exc.code, str(exc))

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

    @app.exception_handler(StoreFull)
    async def _full(_: Request, exc: StoreFull) -> JSONResponse:
        return error_response(507, "insufficient_storage", str(exc))

    @app.exception_handler(StoreError)
    async def _store(_: Request, exc: StoreError) -> JSONResponse:
        log.error("vector store error: %s", exc)
        return error_response(500, "store_error", "the vector store refused the operation; see the server log")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail))

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; see the server log")


class RoutingErrorShape:
    """Routing misses answered by a mounted app (Gradio's `{"detail": "Not Found"}` under `/`) get
    the one error shape too. Only those bodies are buffered and rewritten; every other response
    streams through untouched, and Gradio's own API errors keep the shape its client reads."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def reshape(message: dict[str, Any]) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                if message["status"] in HTTP_CODES and headers.get(b"content-type", b"").startswith(b"application/json"):
                    held = message
                    return
                await send(message)
                return
            if held is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            try:
                detail = json.loads(body).get("detail")
            except (ValueError, AttributeError):
                detail = None
            if detail in ROUTING_MISSES:
                body = json.dumps(error_body(HTTP_CODES[held["status"]], detail)).encode()
            headers = [(k, v) for k, v in held.get("headers", []) if k.lower() != b"content-length"]
            await send({**held, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, reshape)
