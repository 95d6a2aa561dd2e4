"""Answers as a stream of events: the citations first, then the text in pieces, then the answer.

Every streaming surface (SSE on /api/chat, OpenAI chunks on /v1/chat/completions, the chat UI)
consumes the same event stream, so a backend only has to produce it once. The grounded composer
knows its whole answer at once, so its stream gives the citations first and then cuts the finished
text into pieces; an LLM backend (Advisor.ask_stream) yields validated text as it is generated.
The stream is wrapped as a LangChain `RunnableGenerator`, so `.stream()` / `.astream()` work as
for any other runnable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import RunnableGenerator

from advisor.conversation import Turn
from advisor.models import Answer, Citation
from advisor.service import Advisor


@dataclass
class ChatRequest:
    """What any surface asks: the latest message, the turns before it, and filters."""

    message: str
    history: list[Turn] = field(default_factory=list)
    audience: str | None = None


@dataclass
class CitationsEvent:
    citations: list[Citation]
    audience: str
    standalone_question: str | None


@dataclass
class DeltaEvent:
    text: str


@dataclass
class AnswerEvent:
    answer: Answer


StreamEvent = CitationsEvent | DeltaEvent | AnswerEvent
EventSource = Callable[[ChatRequest], Iterator[StreamEvent]]

_PIECE = re.compile(r"\S+\s*|\s+")


def text_pieces(text: str, words_per_piece: int) -> Iterator[str]:
    """The text in pieces of a few words; joined, they give the text back exactly."""
    words = _PIECE.findall(text)
    for i in range(0, len(words), max(1, words_per_piece)):
        yield "".join(words[i : i + words_per_piece])


def composer_events(advisor: Advisor) -> EventSource:
    """The default backend's stream: answer fully, then hand out citations, pieces, answer."""

    def events(request: ChatRequest) -> Iterator[StreamEvent]:
        answer = advisor.ask(request.message, audience=request.audience, history=request.history or None)
        yield CitationsEvent(answer.citations, answer.audience, answer.standalone_question)
        for piece in text_pieces(answer.answer, advisor.settings.stream_words_per_chunk):
            yield DeltaEvent(piece)
        yield AnswerEvent(answer)

    return events


def backend_events(advisor: Advisor) -> EventSource:
    """An LLM backend's stream (Advisor.ask_stream): validated text deltas as they are generated,
    then the Answer. Its citations are only final once the validator has renumbered them, so
    here the citations event comes after the text, just before the answer."""

    def events(request: ChatRequest) -> Iterator[StreamEvent]:
        stream = advisor.ask_stream(request.message, request.audience, history=request.history or None)
        for item in stream:
            if isinstance(item, Answer):
                yield CitationsEvent(item.citations, item.audience, item.standalone_question)
                yield AnswerEvent(item)
            else:
                yield DeltaEvent(item)

    return events


def event_source(advisor: Advisor) -> EventSource:
    """The LLM backend's stream when one is configured, else the composer's."""
    return composer_events(advisor) if advisor.answer_backend is None else backend_events(advisor)


def as_runnable(source: EventSource) -> RunnableGenerator:
    """The event source as a LangChain runnable: `.stream(ChatRequest)` yields the events."""

    def transform(requests: Iterator[ChatRequest]) -> Iterator[StreamEvent]:
        for request in requests:
            yield from source(request)

    return RunnableGenerator(transform, name="advisor_answer_stream")


def event_json(event: StreamEvent) -> tuple[str, dict[str, Any]]:
    """SSE event name and JSON payload of an event."""
    if isinstance(event, CitationsEvent):
        return "citations", {
            "citations": [c.model_dump() for c in event.citations],
            "audience": event.audience,
            "standalone_question": event.standalone_question,
        }
    if isinstance(event, DeltaEvent):
        return "delta", {"text": event.text}
    return "answer", event.answer.model_dump()
