"""Answer endpoints: /api/ask, /api/chat (SSE), the OpenAI-compatible /v1 API, taxonomy, readiness.

All answers come from one event stream (advisor.answer.events), so /api/ask, the SSE endpoint,
the OpenAI chunks and the UI show the same citations and text. The first event is pulled before the
response starts: bad input or an unreachable store still gets a normal JSON error with its
status code instead of a broken stream.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from advisor.answer.events import (
    AnswerEvent,
    AnswerStream,
    ChatRequest,
    CitationsEvent,
    DeltaEvent,
    StreamEvent,
    as_runnable,
    event_json,
)
from advisor.answer.render import references_markdown
from advisor.http.deps import AdvisorDep
from advisor.http.errors import ApiError, error_body, responses
from advisor.http.workshops import WorkshopFields, workshop_request
from advisor.models import Answer, check_text
from advisor.query.followup import Turn, turns_from_messages
from advisor.storage.vectorstore import StoreUnavailable

log = logging.getLogger(__name__)
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


AudienceIn = Literal["business", "government", "general", "auto"] | None
ERRORS = responses(404, 413, 422, 429, 503)
# OpenAPI for the streamed form of the answers (the JSON form comes from response_model).
CHAT_STREAM_EXAMPLE = (
    'event: citations\ndata: {"citations": [{"n": 1, "id": "eu-international-digital-strategy::biz-tech-offer", '
    '"title": "Leverage the EU Tech Business Offer and Investment Initiatives", "section": "...", '
    '"source": "eu-international-digital-strategy.md", "text": "...", "score": 0.05}], '
    '"audience": "business", "standalone_question": null}\n\n'
    'event: delta\ndata: {"text": "For businesses and "}\n\n'
    'event: delta\ndata: {"text": "SMEs, the strategy\'s "}\n\n'
    'event: answer\ndata: {"question": "How can SMEs get funding?", "audience": "business", "in_scope": true, '
    '"answer": "...", "focus_areas": ["..."], "actions": [], "citations": [], "backend": "grounded-composer"}\n\n'
)
COMPLETION_STREAM_EXAMPLE = (
    'data: {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "digital-strategy-advisor", '
    '"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}], '
    '"citations": [{"n": 1, "title": "..."}]}\n\n'
    'data: {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [{"index": 0, '
    '"delta": {"content": "For businesses and "}, "finish_reason": null}]}\n\n'
    'data: {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, '
    '"finish_reason": "stop"}], "citations": [], "advisor": {"audience": "business"}}\n\n'
    "data: [DONE]\n\n"
)


def streamed(description: str, example: str) -> dict[int | str, dict[str, Any]]:
    """A 200 response that is `text/event-stream` when the request asks to stream."""
    return {200: {"description": description, "content": {"text/event-stream": {"schema": {"type": "string"}, "example": example}}}}


class AskRequest(WorkshopFields):
    question: str = Field(description="The question, 1 to ADVISOR_MAX_QUESTION_CHARS characters.")
    audience: AudienceIn = Field(
        None, description="Whose recommendations to rank first; detected from the question when omitted."
    )
    collections: list[str] | None = Field(
        None, description="Search only these collections (e.g. 'workspace' or 'strategy'); default: all."
    )
    doc_ids: list[str] | None = Field(None, description="Search only these documents (ids from GET /api/documents).")


class ChatBody(WorkshopFields):
    messages: list[Turn] = Field(
        min_length=1,
        description="The conversation so far, oldest first; the last one is the user's new question. "
        "Assistant turns may carry the `answer` JSON they were given, which makes follow-ups like "
        "'the second action' exact.",
    )
    audience: AudienceIn = Field(None, description="Overrides the audience; else detected from the conversation.")
    stream: bool = Field(True, description="Server-Sent Events when true, one JSON answer when false.")


class CompletionBody(BaseModel):
    """The subset of OpenAI's chat completion request this server honours; other fields are ignored."""

    model_config = ConfigDict(extra="allow")
    model: str | None = None
    messages: list[dict[str, Any]] = Field(min_length=1)
    stream: bool = False
    audience: AudienceIn = Field(None, description="Extension: whose recommendations to rank first.")


def chat_request(turns: list[Turn], audience: str | None, max_turns: int) -> ChatRequest:
    if turns[-1].role != "user":
        raise ValueError("the last message must be the user's question")
    for index, turn in enumerate(turns):
        check_text(turn.content, f"messages[{index}].content")
    history = [t for t in turns[:-1] if t.role != "system"][-max_turns:]
    return ChatRequest(turns[-1].content, history, None if audience in (None, "auto") else audience)


def started(events: Iterator[StreamEvent] | AnswerStream) -> Iterator[StreamEvent]:
    """Pull the first event now (errors raise here, before any byte is sent), then the rest."""
    events = iter(events)
    first = next(events)

    def rest() -> Iterator[StreamEvent]:
        yield first
        yield from events

    return rest()


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def guarded(lines: Iterator[str], error_line: Any) -> Iterator[str]:
    """A stream that ends with an error event rather than a cut connection if the backend fails."""
    try:
        yield from lines
    except Exception:  # the status line is already sent; report in-band, log the trace
        log.exception("stream failed")
        yield error_line(error_body("internal_error", "the answer stream failed; see the server log"))


def advisor_extra(answer: Answer) -> dict[str, Any]:
    return {
        "audience": answer.audience,
        "in_scope": answer.in_scope,
        "focus_areas": answer.focus_areas,
        "standalone_question": answer.standalone_question,
        "backend": answer.backend,
    }


def create_chat_router(model_created: int) -> APIRouter:
    router = APIRouter()

    @router.post("/api/ask", response_model=Answer, responses=ERRORS, tags=["answers"])
    def ask(body: AskRequest, advisor: AdvisorDep, http: Request, response: Response) -> Answer:
        room = workshop_request(http, body)  # 404 for an unknown or ended workshop, before answering
        audience = room.audience(body.audience) if room else body.audience
        answer = advisor.ask(body.question, audience=audience, collections=body.collections, doc_ids=body.doc_ids)
        if room:
            room.log(answer)
            response.headers.update(room.headers)
        return answer

    chat_responses = streamed(
        "With `stream: true` (default) Server-Sent Events: `citations`, `delta`..., `answer` (or `error`); "
        "with `stream: false` the answer JSON.",
        CHAT_STREAM_EXAMPLE,
    )

    @router.post("/api/chat", tags=["answers"], response_model=Answer, responses=ERRORS | chat_responses)
    def chat(body: ChatBody, advisor: AdvisorDep, http: Request, response: Response) -> Any:
        """Answer the last message in the context of the conversation.

        With `stream` (the default) the response is `text/event-stream`: one `citations` event,
        then `delta` events with the answer text, then one `answer` event with the full JSON answer.
        """
        room = workshop_request(http, body)  # 404 for an unknown or ended workshop, before answering
        audience = room.audience(body.audience) if room else body.audience
        request = chat_request(body.messages, audience, advisor.settings.max_history_turns)
        events = started(as_runnable(advisor.chat).stream(request))
        if room:
            events = room.logging(events)
            response.headers.update(room.headers)
        if not body.stream:
            final = next(e for e in events if isinstance(e, AnswerEvent))
            return final.answer

        def lines() -> Iterator[str]:
            for event in events:
                yield sse(*event_json(event))

        return StreamingResponse(
            guarded(lines(), lambda err: sse("error", err)),
            media_type="text/event-stream",
            headers=SSE_HEADERS | (room.headers if room else {}),
        )

    @router.get("/v1/models", tags=["openai"])
    def models(advisor: AdvisorDep) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": advisor.settings.model_id, "object": "model", "created": model_created, "owned_by": "advisor"}
            ],
        }

    completion_responses = streamed(
        "With `stream: true` OpenAI `chat.completion.chunk` events ending `data: [DONE]`; else one `chat.completion`.",
        COMPLETION_STREAM_EXAMPLE,
    )

    @router.post("/v1/chat/completions", tags=["openai"], responses=ERRORS | completion_responses)
    def completions(body: CompletionBody, advisor: AdvisorDep) -> Any:
        """OpenAI-compatible chat: citations as numbered Markdown references in the content and
        as structured `citations` next to the choices (in the first and last chunk when streaming)."""
        turns = turns_from_messages(body.messages)
        if not turns:
            raise ValueError("messages: no user or assistant message")
        request = chat_request(turns, body.audience, advisor.settings.max_history_turns)
        events = started(as_runnable(advisor.chat).stream(request))
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        model = body.model or advisor.settings.model_id
        if not body.stream:
            answer = next(e for e in events if isinstance(e, AnswerEvent)).answer
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.answer + references_markdown(answer.citations)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": [c.model_dump() for c in answer.citations],
                "advisor": advisor_extra(answer),
            }

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            payload = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }
            return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

        def lines() -> Iterator[str]:
            for event in events:
                if isinstance(event, CitationsEvent):
                    cites = [c.model_dump() for c in event.citations]
                    yield chunk({"role": "assistant", "content": ""}, citations=cites)
                elif isinstance(event, DeltaEvent):
                    yield chunk({"content": event.text})
                elif isinstance(event, AnswerEvent):
                    refs = references_markdown(event.answer.citations)
                    if refs:
                        yield chunk({"content": refs})
                    yield chunk(
                        {},
                        "stop",
                        citations=[c.model_dump() for c in event.answer.citations],
                        advisor=advisor_extra(event.answer),
                    )
            yield "data: [DONE]\n\n"

        return StreamingResponse(
            guarded(lines(), lambda err: f"data: {json.dumps(err)}\n\ndata: [DONE]\n\n"),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )

    @router.get("/api/focus-areas", tags=["knowledge"])
    def focus_areas(advisor: AdvisorDep) -> dict[str, Any]:
        """The strategy's objectives, focus areas and recommendations with their stable ids."""
        tax = advisor.taxonomy
        return {
            "objectives": [{"id": a.id, "title": a.title} for a in tax.areas if a.kind == "objective"],
            "focus_areas": [{"id": a.id, "title": a.title} for a in tax.areas if a.kind == "focus_area"],
            "recommendations": [
                {"id": r.id, "title": r.title, "audience": r.audience, "serves": list(r.serves)}
                for r in tax.recommendations
            ],
        }

    @router.get("/readyz", tags=["ops"])
    def readyz(advisor: AdvisorDep) -> JSONResponse:
        """Ready when the store answers and the knowledge base is indexed; 503 with the reason otherwise."""
        try:
            advisor.strategy.ping()
            documents = advisor.strategy.documents()
            chunks = advisor.strategy.count()
        except StoreUnavailable as exc:
            raise ApiError(503, "store_unavailable", str(exc)) from exc
        if not documents or chunks == 0:
            raise ApiError(503, "index_empty", "the index is empty; run `advisor ingest`")
        return JSONResponse({"status": "ready", "documents": len(documents), "chunks": chunks})

    return router
