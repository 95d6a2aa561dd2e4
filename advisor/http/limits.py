"""Abuse limits in front of the API and the UI: request bodies, slow bodies, and per-client rates.

Plain ASGI middleware, so every route is covered, including the ones other modules add later
(chat, OpenAI-compatible completions) and Gradio's own routes under `/` and `/embed`:

- `BodySizeLimit`: every body is counted as it arrives, on every route. Multipart bodies are
  accepted only where files are uploaded (POST /api/documents and Gradio's upload route), with
  the upload limit; anywhere else they get 415 before a byte is read (a "multipart" body used to
  skip the limit everywhere: four 500 MB bodies took a server from 432 MB to 2.3 GB). A body
  whose next piece does not arrive within ADVISOR_BODY_TIMEOUT_S gets 408.
- `Limiter`: whether one more answer may start, for the API and the chat UI alike, and whether a
  client may try another admin or trainer key. Built on a well-kept library (`limits`) with
  shared storage: `memory://` per worker by default, `redis://...` (ADVISOR_RATE_LIMIT_STORAGE)
  to hold every limit across workers and hosts, the per-workshop ones included. Anonymous traffic
  is limited per client; inside a workshop (a room often behind one address) per participant and
  per workshop. The client is the peer address, or with ADVISOR_TRUST_FORWARDED_FOR the
  X-Forwarded-For hop the outermost of ADVISOR_TRUSTED_PROXIES proxies saw: hops further left
  are whatever the client wrote, so they are never trusted (the first hop used to be).
- `RateLimit`: 429 JSON with Retry-After on the answering endpoints.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from advisor.http.errors import error_body
from advisor.settings import Settings

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


class Windows:
    """One limit per key, "N per W seconds" in a moving window, counted in the `limits` storage.

    A burst and a per-minute rate become one window: at most `burst` within the time the rate takes
    to earn a whole burst back (the old token bucket's long-run rate, with its burst)."""

    def __init__(self, strategy: Any, item: Any, namespace: str) -> None:
        self.strategy, self.item, self.namespace = strategy, item, namespace

    @classmethod
    def burst_and_rate(cls, strategy: Any, per_minute: int, burst: int, namespace: str) -> Windows | None:
        from limits import parse

        if per_minute <= 0:
            return None
        burst = max(1, burst)
        seconds = 60 * burst / per_minute
        item = parse(f"{burst} per {math.ceil(seconds)} seconds") if seconds >= 1 else parse(f"{per_minute} per minute")
        return cls(strategy, item, namespace)

    def wait(self, key: str) -> float:
        """Seconds until `key` may have one more (0.0: now); takes nothing."""
        if self.strategy.test(self.item, self.namespace, key):
            return 0.0
        reset, _ = self.strategy.get_window_stats(self.item, self.namespace, key)
        return max(MIN_WAIT_S, reset - time.time())

    def take(self, key: str) -> float:
        """0.0 when `key` may have one more (and it is counted); else the seconds to wait."""
        return 0.0 if self.strategy.hit(self.item, self.namespace, key) else self.wait(key)


MIN_WAIT_S = 1.0  # a refusal always asks for at least a second (Retry-After is whole seconds)


@dataclass(frozen=True)
class Room:
    """A request made inside an active workshop by one participant (their random browser id)."""

    workshop: str
    participant: str


class Limiter:
    """Whether one more answer may start, for the API middleware and the chat UI alike, and whether
    a client may try another admin or trainer key.

    Anonymous traffic is limited per client address. Inside a workshop a room of participants often
    shares one address (the venue's network), so there the limits are per participant and per
    workshop instead: each person gets their own rate, and the workshop as a whole a ceiling, so a
    participant who makes up new ids to get around their own limit still stops at the workshop's.
    """

    def __init__(
        self,
        anonymous: Windows | None,
        participant: Windows | None = None,
        workshop: Windows | None = None,
        key_failures: Windows | None = None,
        trust_forwarded_for: bool = False,
        trusted_proxies: int = 1,
    ) -> None:
        self.anonymous, self.participant, self.workshop = anonymous, participant, workshop
        self.key_failures = key_failures
        self.trust_forwarded_for, self.trusted_proxies = trust_forwarded_for, trusted_proxies
        self._lock = threading.Lock()  # a room request takes from two windows, or from neither

    @classmethod
    def from_settings(cls, settings: Settings) -> Limiter:
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        strategy = MovingWindowRateLimiter(storage_from_string(settings.rate_limit_storage))
        failures = settings.admin_failures_per_minute
        return cls(
            Windows.burst_and_rate(strategy, settings.rate_limit_per_minute, settings.rate_limit_burst, "answers"),
            Windows.burst_and_rate(
                strategy, settings.workshop_participant_per_minute, settings.workshop_participant_burst, "participant"
            ),
            Windows.burst_and_rate(strategy, settings.workshop_per_minute, settings.workshop_burst, "workshop"),
            Windows(strategy, parse(f"{failures} per minute"), "key-failures") if failures > 0 else None,
            settings.trust_forwarded_for,
            settings.trusted_proxies,
        )

    def wait(self, client: str, room: Room | None = None) -> float:
        """0.0 when the answer may start (it is counted); else the seconds to wait."""
        if room is None:
            return self.anonymous.take(client) if self.anonymous is not None else 0.0
        claims = [
            (windows, key)
            for windows, key in ((self.participant, f"{room.workshop}/{room.participant}"), (self.workshop, room.workshop))
            if windows is not None
        ]
        with self._lock:
            wait = max((windows.wait(key) for windows, key in claims), default=0.0)
            if wait == 0.0:
                for windows, key in claims:
                    windows.take(key)
        return wait

    def client(self, peer: str | None, forwarded_for: str | None) -> str:
        return client_key(peer, forwarded_for, self.trust_forwarded_for, self.trusted_proxies)

    def scope_client(self, scope: Scope) -> str:
        """The client of an ASGI request."""
        peer = scope.get("client")
        return self.client(peer[0] if peer else None, header(scope, b"x-forwarded-for"))

    def key_blocked(self, client: str) -> float:
        """Seconds this client must wait before its next admin or trainer key (0.0: it may try)."""
        return self.key_failures.wait(client) if self.key_failures is not None else 0.0

    def key_failed(self, client: str) -> None:
        """Count a wrong admin or trainer key (ADVISOR_ADMIN_FAILURES_PER_MINUTE per client)."""
        if self.key_failures is not None:
            self.key_failures.take(client)


def retry_seconds(wait: float) -> int:
    """Retry-After is whole seconds, at least one."""
    return max(1, math.ceil(wait))


def retry_message(what: str, wait: float) -> tuple[str, int]:
    retry = retry_seconds(wait)
    return f"{what}; retry in {retry} s", retry


async def send_rate_limited(send: Send, what: str, wait: float) -> None:
    """429 JSON saying what was too much, with Retry-After in whole seconds."""
    message, retry = retry_message(what, wait)
    await send_json_error(send, 429, "rate_limited", message, [(b"retry-after", str(retry).encode())])


# Reads a buffered JSON body and says whether it is a request inside an active workshop.
RoomOf = Callable[[bytes], Room | None]
ROOM_FIELD = b'"workshop"'


class RateLimit:
    """429 JSON with Retry-After when a client asks answering endpoints faster than allowed.

    For `room_paths` (the endpoints that take `workshop` and `participant` fields) the small JSON
    body is read first, so that a request inside an active workshop is limited per participant and
    workshop; the body is then handed on unchanged. Anything else, including a request naming an
    unknown or expired workshop, is limited per client address.
    """

    def __init__(
        self,
        app: ASGIApp,
        limiter: Limiter,
        paths: list[str],
        room_paths: tuple[str, ...] = (),
        room_of: RoomOf | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.paths = tuple(paths)
        self.room_paths = room_paths if room_of is not None else ()
        self.room_of = room_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "").rstrip("/") if scope["type"] == "http" else ""
        if scope["type"] != "http" or scope.get("method") != "POST" or path not in self.paths:
            await self.app(scope, receive, send)
            return
        room = None
        if path in self.room_paths and self.room_of is not None:
            body, receive = await _buffered(receive)
            if ROOM_FIELD in body:  # only a body naming a workshop costs a lookup (in a thread: it may hit the database)
                room = await anyio.to_thread.run_sync(self.room_of, body)
        wait = self.limiter.wait(self.limiter.scope_client(scope), room)
        if wait > 0:
            who = "this participant or workshop" if room else "this client"
            await send_rate_limited(send, f"too many questions from {who}", wait)
            return
        await self.app(scope, receive, send)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body (BodySizeLimit, outside, bounds it) and a `receive` that replays it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: let the app see that
            first: Message | None = message
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            first = None
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return first if first is not None else {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
