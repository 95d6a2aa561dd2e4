"""Abuse limits in front of the API: request body size and a per-client answer rate.

Both are plain ASGI middleware so that they also cover endpoints other modules add later
(chat, OpenAI-compatible completions) without those having to remember them. Answers cost CPU
(~10-50 ms each on two cores), so one client looping on `/api/ask` could starve everybody else:
a token bucket per client keeps a burst available for real use and then a steady rate.

The buckets live in the worker's memory. Behind a load balancer with N workers a client gets at
most N times the rate; nothing breaks, it is only looser (documented in README-7).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from advisor.http.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_MAX_CLIENTS = 10000  # buckets remembered; the least recently seen are forgotten first


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


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class BodySizeLimit:
    """413 JSON for a non-multipart body over `max_bytes` (declared or actually streamed).

    multipart/form-data is left alone: document uploads enforce their own, larger limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        if (_header(scope, b"content-type") or "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)
            return
        message = f"the request body is larger than {self.max_bytes} bytes"
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await send_json_error(send, 413, "payload_too_large", message)
            return
        received = 0
        too_large = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise _TooLarge
            return msg

        async def tracking_send(msg: Message) -> None:
            # Once the body overflowed, whatever the app answers (its 400 or 500 for the aborted
            # read) is replaced by the 413 the client deserves.
            nonlocal started
            if too_large:
                if msg["type"] == "http.response.start" and not started:
                    started = True
                    await send_json_error(send, 413, "payload_too_large", message)
                return
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await send_json_error(send, 413, "payload_too_large", message)
        except Exception:
            if too_large and not started:  # the app wrapped our exception in its own
                await send_json_error(send, 413, "payload_too_large", message)
            else:
                raise


class _TooLarge(Exception):
    pass


class TokenBuckets:
    """Per-key token buckets: `burst` tokens, refilled at `per_minute` / 60 tokens a second."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = max(1, burst)
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0.0 when allowed; otherwise the seconds to wait for the next token."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            self._buckets.move_to_end(key)
            while len(self._buckets) > _MAX_CLIENTS:
                self._buckets.popitem(last=False)
        return wait


class RateLimit:
    """429 JSON with Retry-After when a client asks answering endpoints faster than allowed."""

    def __init__(
        self, app: ASGIApp, per_minute: int, burst: int, paths: list[str], trust_forwarded_for: bool = False
    ) -> None:
        self.app = app
        self.enabled = per_minute > 0
        self.buckets = TokenBuckets(max(per_minute, 1), burst)
        self.paths = tuple(paths)
        self.trust_forwarded_for = trust_forwarded_for

    def client_key(self, scope: Scope) -> str:
        if self.trust_forwarded_for:
            forwarded = _header(scope, b"x-forwarded-for")
            if forwarded:
                return forwarded.split(",")[0].strip()
        client = scope.get("client")
        return client[0] if client else "unknown"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.enabled
            and scope["type"] == "http"
            and scope.get("method") == "POST"
            and scope.get("path", "").rstrip("/") in self.paths
        ):
            wait = self.buckets.take(self.client_key(scope))
            if wait > 0:
                retry = max(1, math.ceil(wait))
                await send_json_error(
                    send,
                    429,
                    "rate_limited",
                    f"too many questions from this client; retry in {retry} s",
                    [(b"retry-after", str(retry).encode())],
                )
                return
        await self.app(scope, receive, send)
