"""Abuse limits in front of the API and the UI: request bodies, slow bodies, and per-client rates.

Plain ASGI middleware, so every route is covered, including the ones other modules add later
(chat, OpenAI-compatible completions) and Gradio's own routes under `/` and `/embed`:

- `BodySizeLimit`: every body is counted as it arrives, on every route. Multipart bodies are
  accepted only where files are uploaded (POST /api/documents and Gradio's upload route), with
  the upload limit; anywhere else they get 415 before a byte is read (a "multipart" body used to
  skip the limit everywhere: four 500 MB bodies took a server from 432 MB to 2.3 GB). A body
  whose next piece does not arrive within ADVISOR_BODY_TIMEOUT_S gets 408.
- `AbuseLimits`: per-client limits on a well-kept library (`limits`) with shared storage:
  `memory://` per worker by default, `redis://...` (ADVISOR_RATE_LIMIT_STORAGE) to hold them
  across workers and hosts. Answers (API and UI alike, one budget per client), and failed
  admin-key attempts. The client is the peer address, or with ADVISOR_TRUST_FORWARDED_FOR the
  X-Forwarded-For hop the outermost of ADVISOR_TRUSTED_PROXIES proxies saw: hops further left
  are whatever the client wrote, so they are never trusted.
- `RateLimit`: 429 JSON with Retry-After on the answering endpoints.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from advisor.http.errors import error_body
from advisor.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Multipart framing around uploaded files (boundaries, part headers) is small; an upload request
# may carry this much on top of ADVISOR_MAX_UPLOAD_MB.
MULTIPART_SLACK_BYTES = 64 * 1024
# Where files are uploaded: our documents endpoint, and Gradio's upload route of each mounted UI.
UPLOAD_PATHS = ("/api/documents", "/gradio_api/upload", "/embed/gradio_api/upload")
MULTIPART = "multipart/form-data"


async def send_json_error(
    send: Send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class _Refused(Exception):
    """Raised out of the app's `receive` when the body breaks a limit; carries the answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class BodySizeLimit:
    """413 for a body over its route's limit (declared or streamed), 415 for multipart where no
    file is uploaded, 408 for a body that stalls. The limit of `upload_paths` is `upload_bytes`."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        upload_bytes: int,
        body_timeout: float,
        upload_paths: Iterable[str] = UPLOAD_PATHS,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_bytes = upload_bytes
        self.body_timeout = body_timeout
        self.upload_paths = frozenset(upload_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope.get("path", "").rstrip("/") in self.upload_paths
        limit = self.upload_bytes if upload else self.max_bytes
        content_type = (header(scope, b"content-type") or "").lower()
        if content_type.startswith(MULTIPART) and not upload:
            await send_json_error(
                send, 415, "unsupported_media_type", "multipart bodies are accepted only by POST /api/documents"
            )
            return
        # Uploads keep the documents API's code for an oversized file (docs/documents.md).
        if upload:
            code, message = "too_large", f"the upload is over {limit} bytes (ADVISOR_MAX_UPLOAD_MB, per request)"
        else:
            code, message = "payload_too_large", f"the request body is larger than {limit} bytes (ADVISOR_MAX_BODY_BYTES)"
        declared = header(scope, b"content-length")
        if limit > 0 and declared is not None and declared.isdigit() and int(declared) > limit:
            await send_json_error(send, 413, code, message)
            return
        received = 0
        body_done = scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE") and declared in (None, "0")
        refused: _Refused | None = None
        started = False

        async def limited_receive() -> Message:
            nonlocal received, body_done, refused
            if body_done:  # e.g. a streaming response listening for the disconnect: no deadline
                return await receive()
            try:
                msg = await asyncio.wait_for(receive(), self.body_timeout)
            except TimeoutError:
                refused = _Refused(408, "request_timeout", f"the request body stalled for {self.body_timeout:g} s")
                raise refused from None
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if limit > 0 and received > limit:
                    refused = _Refused(413, code, message)
                    raise refused
                body_done = not msg.get("more_body", False)
            else:
                body_done = True
            return msg

        async def tracking_send(msg: Message) -> None:
            # Once the body broke a limit, whatever the app answers (its 400 or 500 for the aborted
            # read) is replaced by the refusal the client deserves.
            nonlocal started
            if refused is not None:
                if msg["type"] == "http.response.start" and not started:
                    started = True
                    await send_json_error(send, refused.status, refused.code, refused.message)
                return
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception:
            if refused is None:
                raise
        if refused is not None and not started:  # the app wrapped our exception in its own
            await send_json_error(send, refused.status, refused.code, refused.message)


def client_key(peer: str | None, forwarded_for: str | None, trust_forwarded_for: bool, trusted_proxies: int) -> str:
    """Who is asking: the peer, or (behind `trusted_proxies` proxies) the hop the outermost proxy saw.

    Each proxy appends the address it received the request from, so the right-most
    `trusted_proxies` hops were written by our proxies and the one the outermost of them wrote is
    the client; anything left of it was sent by the client and can be anything."""
    if trust_forwarded_for and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if hops:
            return hops[-min(trusted_proxies, len(hops))]
    return peer or "unknown"


class AbuseLimits:
    """The per-client limits of the API and the UI, on one `limits` storage (memory or Redis)."""

    def __init__(self, settings: Settings) -> None:
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.limiter = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        self.trust_forwarded_for = settings.trust_forwarded_for
        self.trusted_proxies = settings.trusted_proxies
        self.answers = []
        if settings.rate_limit_per_minute > 0:
            # A burst of ADVISOR_RATE_LIMIT_BURST answers at once, then the per-minute rate: in a moving
            # window as long as the rate takes to earn a whole burst back, at most a burst.
            burst = max(1, settings.rate_limit_burst)
            seconds = 60 * burst / settings.rate_limit_per_minute
            self.answers = [
                parse(f"{burst} per {math.ceil(seconds)} seconds")
                if seconds >= 1
                else parse(f"{settings.rate_limit_per_minute} per minute")
            ]
        self.admin_failures = (
            parse(f"{settings.admin_failures_per_minute} per minute") if settings.admin_failures_per_minute > 0 else None
        )

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        return client_key(peer, forwarded_for, self.trust_forwarded_for, self.trusted_proxies)

    def scope_client(self, scope: Scope) -> str:
        """The client of an ASGI request."""
        peer = scope.get("client")
        return self.client(peer[0] if peer else None, header(scope, b"x-forwarded-for"))

    def _wait(self, item: Any, *keys: str) -> float:
        reset, _ = self.limiter.get_window_stats(item, *keys)
        return max(0.0, reset - time.time())

    def take_answer(self, client: str) -> float:
        """0.0 when this client may have another answer (and counts it); else seconds to wait."""
        for item in self.answers:
            if not self.limiter.test(item, "answers", client):
                return max(1.0, self._wait(item, "answers", client))
        for item in self.answers:
            self.limiter.hit(item, "answers", client)
        return 0.0

    def admin_blocked(self, client: str) -> float:
        """Seconds this client must wait before its next admin-key attempt (0.0: it may try)."""
        if self.admin_failures is None or self.limiter.test(self.admin_failures, "admin-failures", client):
            return 0.0
        return max(1.0, self._wait(self.admin_failures, "admin-failures", client))

    def admin_failed(self, client: str) -> None:
        if self.admin_failures is not None:
            self.limiter.hit(self.admin_failures, "admin-failures", client)


def retry_message(what: str, wait: float) -> tuple[str, int]:
    retry = max(1, math.ceil(wait))
    return f"{what}; retry in {retry} s", retry


async def send_rate_limited(send: Send, what: str, wait: float) -> None:
    """429 JSON saying what was too much, with Retry-After in whole seconds."""
    message, retry = retry_message(what, wait)
    await send_json_error(send, 429, "rate_limited", message, [(b"retry-after", str(retry).encode())])


class RateLimit:
    """429 JSON with Retry-After when a client asks answering endpoints faster than allowed."""

    def __init__(self, app: ASGIApp, limits: AbuseLimits, paths: list[str]) -> None:
        self.app = app
        self.limits = limits
        self.paths = tuple(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.limits.answers
            and scope["type"] == "http"
            and scope.get("method") == "POST"
            and scope.get("path", "").rstrip("/") in self.paths
        ):
            wait = self.limits.take_answer(self.limits.scope_client(scope))
            if wait > 0:
                await send_rate_limited(send, "too many questions from this client", wait)
                return
        await self.app(scope, receive, send)
