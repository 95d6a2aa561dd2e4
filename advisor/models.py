"""The answer contract shared by the CLI (--json), the API and the UI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Audience = Literal["business", "government", "general"]

# Note prefixes saying what happened to an LLM backend's answer (advisor eval reads them back).
FALLBACK_NOTE = "fallback to the grounded composer"
NOT_ASKED_NOTE = "the model was not asked"


class Action(BaseModel):
    text: str
    citations: list[int]


class Citation(BaseModel):
    n: int
    id: str = Field(description="Stable chunk id: document::section[::part].")
    title: str
    section: str
    source: str
    text: str
    score: float
    section_id: str = ""
    doc_id: str = ""
    collection: str = ""
    page: int | None = None
    start: int | None = None
    end: int | None = None

    @property
    def origin(self) -> str:
        """The document, with its page when it has pages: what a reader needs to find the passage."""
        return f"{self.source}, page {self.page}" if self.page is not None else self.source


class KeyPoint(BaseModel):
    text: str
    citations: list[int]


class Answer(BaseModel):
    question: str
    audience: Audience
    in_scope: bool
    answer: str
    focus_areas: list[str]
    actions: list[Action]
    citations: list[Citation]
    backend: str
    timings_ms: dict[str, float] = Field(default_factory=dict)
    key_points: list[KeyPoint] = Field(default_factory=list)
    missing_detail: str | None = Field(None, description="What the question asked that the documents do not give.")
    notes: list[str] = Field(default_factory=list, description="Validation flags, fallbacks and other caveats.")
    standalone_question: str | None = Field(None, description="The follow-up rewritten with its context.")
    language: str = Field("en", description="The language the answer is framed in (quotes stay in English).")


def check_question(question: str | None, max_chars: int) -> str:
    """Return the stripped question or raise ValueError with a message fit for the user."""
    if question is None or not question.strip():
        raise ValueError("the question is empty")
    question = question.strip()
    if len(question) > max_chars:
        raise ValueError(f"the question is {len(question)} characters long; the limit is {max_chars}")
    if "\x00" in question:
        raise ValueError("the question contains a NUL character")
    check_text(question, "the question")
    return question


def check_text(text: str, what: str) -> str:
    """`text` unless it holds a lone surrogate (valid JSON, `"\\ud800"`, but not text: the tokenizer
    and every UTF-8 writer fail on it); ValueError naming `what` otherwise."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{what} contains an invalid character (a lone surrogate at position {exc.start})") from None
    return text
