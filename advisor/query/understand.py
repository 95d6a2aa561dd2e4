"""Understand a question once: the `Query` every later stage reads instead of the raw text.

Follow-up condensing, language, audience (and who decided it), intent, requested detail and
terms are all worked out here, so retrieval and answering never parse the question again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.models import check_question
from advisor.query.audience import asks_for_advice, resolve_audience
from advisor.query.detail import RequestedDetail, requested_detail
from advisor.query.followup import Turn, as_turns, condense
from advisor.query.scope import about_whole, expand, names_strategy, topic_terms
from advisor.text import terms

AudienceSource = Literal["ui", "question", "conversation", "default"]
Intent = Literal["advice", "overview", "fact", "describe"]
# An LLM backend's condenser: (question, history messages) -> (standalone question, note or None).
Condenser = Callable[[str, list[dict[str, str]]], tuple[str, str | None]]

_OVERVIEW = re.compile(
    r"\b(list|summar(y|ise|ize)|overview|outline|in a nutshell|structured?|what are the (three|six|main|key)|"
    r"(three|six) (strategic )?(objectives|focus areas|priorit)|all (the )?(objectives|focus areas|recommendations))\b",
    re.I,
)
_FACT = re.compile(r"^\s*(when|who|which (year|date|institution))\b", re.I)


@dataclass(frozen=True)
class Query:
    """One understood question; later stages read these fields, never the raw text."""

    asked: str  # as the user typed it, stripped
    text: str  # the standalone question (the follow-up rewritten with its context)
    audience: str  # business | government | general
    audience_source: AudienceSource
    intent: Intent
    language: str = "en"
    detail: RequestedDetail | None = None
    terms: tuple[str, ...] = ()
    topic_terms: tuple[str, ...] = ()
    lexical_text: str = ""  # the text plus the documents' words for what it asks (BM25 only)
    descriptive: bool = False  # asks what the strategy does, not what the asker should do
    self_reference: bool = False  # names the strategy itself
    about_whole: bool = False  # ...and asks about it as a whole (when, who, what about)
    notes: list[str] = field(default_factory=list)

    @property
    def standalone(self) -> str | None:
        """The rewritten question when it differs from what was asked."""
        return self.text if self.text != self.asked else None


def intent_of(text: str, detail: RequestedDetail | None, advice: bool) -> Intent:
    if _OVERVIEW.search(text):
        return "overview"
    if detail is not None or _FACT.match(text):
        return "fact"
    return "advice" if advice else "describe"


def understand(
    question: str | None,
    audience: str | None = None,
    history: Sequence[Turn] | Sequence[dict[str, Any]] | None = None,
    *,
    max_chars: int,
    condenser: Condenser | None = None,
) -> Query:
    """Check the question, rewrite a follow-up, and read everything later stages need from it.
    Bad input raises ValueError with a message fit for the user."""
    asked = check_question(question, max_chars)
    requested = None if audience in (None, "auto") else audience
    text, source, notes = asked, ("ui" if requested else "default"), []
    turns = as_turns(history or [])
    if turns and condenser is not None:
        messages = [{"role": t.role, "content": t.content} for t in turns if t.role in ("user", "assistant")]
        text, note = condenser(asked, messages) if messages else (asked, None)
        notes += [note] if note else []
    elif turns:
        condensed = condense(asked, turns)
        if condensed.follow_up:
            text = condensed.question
        if requested is None and condensed.audience:
            requested, source = condensed.audience, "conversation"
    resolved = resolve_audience(text, requested)
    if source == "default" and resolved != "general":
        source = "question"
    detail = requested_detail(text)
    advice = asks_for_advice(text)
    topic = topic_terms(text)
    named = names_strategy(text)
    return Query(
        asked=asked,
        text=text,
        audience=resolved,
        audience_source=source,
        intent=intent_of(text, detail, advice),
        detail=detail,
        terms=tuple(terms(text)),
        topic_terms=tuple(topic),
        lexical_text=expand(text),
        descriptive=resolved == "general" and not advice,
        self_reference=named,
        about_whole=about_whole(named, topic),
        notes=notes,
    )


