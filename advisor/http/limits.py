"""Abuse limits in front of the API: request body size and a per-client answer rate.

Both are plain ASGI middleware so that they also cover endpoints other modules add later
(chat, OpenAI-compatible completions) without those having to remember them. Answers cost CPU
(~10-50 ms each on two cores), so one client looping on `/api/ask` could starve everybody else:
a token bucket per client keeps a burst available for real use and then a steady rate.

Inside a workshop (a room of participants often behind one address) the rate is per participant
and per workshop instead of per address; see `Limiter`. The chat UI asks the same `Limiter`.

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
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from advisor.http.errors import error_body
from advisor.settings import Settings

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

    def _tokens(self, key: str, now: float) -> float:
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - last) * self.rate)

    def wait(self, key: str) -> float:
        """Seconds until `key` has a token (0.0: it has one now); takes nothing."""
        with self._lock:
            tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def take(self, key: str) -> float:
        """0.0 when allowed; otherwise the seconds to wait for the next token."""
        now = self.clock()
        with self._lock:
            tokens = self._tokens(key, now)
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


@dataclass(frozen=True)
class Room:
    """A request made inside an active workshop by one participant (their random browser id)."""

    workshop: str
    participant: str


class Limiter:
    """Whether one more answer may start, for the API middleware and the chat UI alike.

    Anonymous traffic is limited per client address. Inside a workshop a room of participants often
    shares one address (the venue's network), so there the limits are per participant and per
    workshop instead: each person gets their own rate, and the workshop as a whole a ceiling, so a
    participant who makes up new ids to get around their own limit still stops at the workshop's.
    """

    def __init__(
        self,
        anonymous: TokenBuckets | None,
        participant: TokenBuckets | None = None,
        workshop: TokenBuckets | None = None,
    ) -> None:
        self.anonymous, self.participant, self.workshop = anonymous, participant, workshop
        self._lock = threading.Lock()  # a room request takes from two buckets, or from neither

    @classmethod
    def from_settings(cls, settings: Settings) -> Limiter:
        def buckets(per_minute: int, burst: int) -> TokenBuckets | None:
            return TokenBuckets(per_minute, burst) if per_minute > 0 else None

        return cls(
            buckets(settings.rate_limit_per_minute, settings.rate_limit_burst),
            buckets(settings.workshop_participant_per_minute, settings.workshop_participant_burst),
            buckets(settings.workshop_per_minute, settings.workshop_burst),
        )

    def wait(self, client: str, room: Room | None = None) -> float:
        """0.0 when the answer may start (a token is spent); else the seconds to wait."""
        if room is None:
            return self.anonymous.take(client) if self.anonymous is not None else 0.0
        claims = [
            (buckets, key)
            for buckets, key in ((self.participant, f"{room.workshop}/{room.participant}"), (self.workshop, room.workshop))
            if buckets is not None
        ]
        with self._lock:
            wait = max((buckets.wait(key) for buckets, key in claims), default=0.0)
            if wait == 0.0:
                for buckets, key in claims:
                    buckets.take(key)
        return wait


def client_address(scope: Scope, trust_forwarded_for: bool) -> str:
    """The client's address: the first X-Forwarded-For hop when trusted (behind a proxy), else the peer."""
    if trust_forwarded_for:
        forwarded = _header(scope, b"x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    client = scope.get("client")
    return client[0] if client else "unknown"


def retry_seconds(wait: float) -> int:
    """Retry-After is whole seconds, at least one."""
    return max(1, math.ceil(wait))


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
        trust_forwarded_for: bool = False,
        room_paths: tuple[str, ...] = (),
        room_of: RoomOf | None = None,
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.paths = tuple(paths)
        self.trust_forwarded_for = trust_forwarded_for
        self.room_paths = room_paths if room_of is not None else ()
        self.room_of = room_of

    def client_key(self, scope: Scope) -> str:
        return client_address(scope, self.trust_forwarded_for)

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
        wait = self.limiter.wait(self.client_key(scope), room)
        if wait > 0:
            retry = retry_seconds(wait)
            who = "this participant or workshop" if room else "this client"
            await send_json_error(
                send,
                429,
                "rate_limited",
                f"too many questions from {who}; retry in {retry} s",
                [(b"retry-after", str(retry).encode())],
            )
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
