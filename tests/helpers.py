"""Small helpers the tests share: search as the product does, and collect a stream."""

from __future__ import annotations

from advisor.answer.events import AnswerEvent, AnswerStream, DeltaEvent
from advisor.components import Advisor
from advisor.models import Answer
from advisor.query.understand import understand
from advisor.retrieval.passage import SearchResult


def search(advisor: Advisor, question: str, audience: str | None = None, **kwargs) -> SearchResult:
    """Rank passages for a question the way the answer pipeline does."""
    query = understand(question, audience, max_chars=advisor.settings.max_question_chars)
    return advisor.retriever.search(query, **kwargs)


def collect(stream: AnswerStream) -> tuple[list[str], Answer]:
    """The text deltas of a stream and its final answer."""
    deltas, answer = [], None
    for event in stream:
        if isinstance(event, DeltaEvent):
            deltas.append(event.text)
        elif isinstance(event, AnswerEvent):
            answer = event.answer
    assert answer is not None
    return deltas, answer
