"""The one answer protocol: a stream of events (citations, text deltas, the final `Answer`).

Every surface (CLI, /api/ask, /api/chat SSE, /v1/chat/completions, the chat UI) consumes an
`AnswerStream`: iterate it to stream, or call `.answer()` to drain it and get the `Answer`
(simonw/llm's response object). The grounded composer knows its whole answer at once, so its
stream gives the citations first and then the finished text in pieces; an LLM backend streams
validated text as it is generated and gives its citations once the validator has numbered them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.models import Answer, Citation
from advisor.query.followup import Turn

if TYPE_CHECKING:
    from langchain_core.runnables import RunnableGenerator


@dataclass
class ChatRequest:
    """What any chat surface asks: the latest message, the turns before it, and the audience."""

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

_PIECE = re.compile(r"\S+\s*|\s+")


class AnswerStream:
    """An answer being produced: iterate for its events; `answer()` drains it and returns the Answer."""

    def __init__(self, events: Iterator[StreamEvent]) -> None:
        self._events = events
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[StreamEvent]:
        for event in self._events:
            if isinstance(event, AnswerEvent):
                self._answer = event.answer
            yield event

    def answer(self) -> Answer:
        """Drain what is left of the stream and return the final Answer."""
        for _ in self:
            pass
        if self._answer is None:  # every stream ends with its Answer; this guards against regressions
            raise RuntimeError("answer stream ended without an Answer")
        return self._answer


def text_pieces(text: str, words_per_piece: int) -> Iterator[str]:
    """The text in pieces of a few words; joined, they give the text back exactly."""
    words = _PIECE.findall(text)
    for i in range(0, len(words), max(1, words_per_piece)):
        yield "".join(words[i : i + words_per_piece])


def citations_event(answer: Answer) -> CitationsEvent:
    return CitationsEvent(answer.citations, answer.audience, answer.standalone_question)


def finished_events(answer: Answer, words_per_piece: int) -> Iterator[StreamEvent]:
    """A finished answer as a stream: citations, the text in pieces, the answer."""
    yield citations_event(answer)
    for piece in text_pieces(answer.answer, words_per_piece):
        yield DeltaEvent(piece)
    yield AnswerEvent(answer)


def as_runnable(source: Callable[[ChatRequest], AnswerStream]) -> RunnableGenerator:
    """An answer source as a LangChain runnable: `.stream(ChatRequest)` yields the events.
    (langchain_core.runnables is imported here, not at module level: it costs the CLI ~1.5 s.)"""
    from langchain_core.runnables import RunnableGenerator

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
