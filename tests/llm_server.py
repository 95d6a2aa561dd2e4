"""A real OpenAI-compatible HTTP server for tests, scripted per test.

It speaks the two endpoints clients need (GET /v1/models, POST /v1/chat/completions as JSON or
as `stream: true` server-sent events) and runs under uvicorn on 127.0.0.1 in a thread. A test
sets `server.script` to a function from the request body to a `Reply`; the server records every
request so tests can check what the advisor actually sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    delay_first: float = 0.0  # seconds before any byte of the response
    chunk_delay: float = 0.0  # seconds between streamed chunks
    chunk_chars: int = 12


Script = Callable[[dict[str, Any]], Reply]


@dataclass
class LLMServer:
    url: str = ""
    script: Script = field(default=lambda body: Reply("No script set."))
    requests: list[dict[str, Any]] = field(default_factory=list)
    stream_finished_at: list[float] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.url + "/v1"


def passages_in(body: dict[str, Any]) -> dict[int, str]:
    """The numbered passages the advisor put in the prompt: {n: text}."""
    user = next(m["content"] for m in body["messages"] if m["role"] in ("user", "human"))
    blocks = re.findall(r"^\[(\d+)\][^\n]*\n(.+?)(?=\n\n\[\d+\]|\n\nQuestion:)", user, re.S | re.M)
    return {int(n): text.strip() for n, text in blocks}


def is_condense(body: dict[str, Any]) -> bool:
    return any("Standalone question:" in m["content"] for m in body["messages"])


def create_app(server: LLMServer) -> FastAPI:
    app = FastAPI()

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": "scripted-model", "object": "model", "owned_by": "tests"}]}

    @app.post("/v1/chat/completions")
    async def chat(request: Request):  # noqa: ANN202 - JSON or a stream
        body = await request.json()
        server.requests.append(body)
        reply = server.script(body)
        if reply.delay_first:
            await asyncio.sleep(reply.delay_first)
        if reply.status != 200:
            kind = "rate_limit_exceeded" if reply.status == 429 else "server_error"
            return JSONResponse(
                status_code=reply.status,
                content={"error": {"message": f"scripted {reply.status}", "type": kind, "code": kind}},
                headers={"retry-after-ms": "50"},
            )
        model = body.get("model", "scripted-model")
        if not body.get("stream"):
            return {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": reply.text}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }

        async def events():  # noqa: ANN202
            def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
                payload = {
                    "id": "chatcmpl-test",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                return f"data: {json.dumps(payload)}\n\n"

            yield chunk({"role": "assistant", "content": ""})
            for i in range(0, len(reply.text), reply.chunk_chars):
                if reply.chunk_delay:
                    await asyncio.sleep(reply.chunk_delay)
                yield chunk({"content": reply.text[i : i + reply.chunk_chars]})
            yield chunk({}, "stop")
            yield "data: [DONE]\n\n"
            server.stream_finished_at.append(time.monotonic())

        return StreamingResponse(events(), media_type="text/event-stream")

    return app


class RunningServer:
    """uvicorn in a daemon thread; `stop()` asks it to exit and waits."""

    def __init__(self) -> None:
        self.state = LLMServer()
        port = free_port()
        self.state.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(create_app(self.state), host="127.0.0.1", port=port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("scripted LLM server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
