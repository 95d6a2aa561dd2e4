"""The golden set: realistic questions with the sections that answer them.

Each case names expected sections by the `section_id` chunk metadata (taxonomy ids), the focus
areas the answer should name, and whether the assistant must decline (out-of-scope questions
and traps that ask for a figure or date the documents do not give).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CATEGORIES = (
    "recommendation", "objective", "focus-area", "overview", "out-of-scope", "trap", "follow-up", "injection",
    # the blind set's categories (evals/blind.jsonl, written by someone who never saw the code)
    "paraphrase", "typo", "persona", "multi-part", "partial", "false-premise", "multilingual", "off-topic",
)
PERSONAS = ("sme", "civil-servant", "trainer", "other")  # other: a journalist, a student, a curious reader


class GoldenError(ValueError):
    """A malformed golden file; the message names the line."""


@dataclass(frozen=True)
class GoldenCase:
    id: str
    persona: str
    category: str
    question: str
    expected_sections: list[str]
    expected_focus_areas: list[str]
    must_decline: bool
    audience: str | None = None
    history: list[str] = field(default_factory=list)
    fixture: bool = False  # asked against the index that also holds evals/fixtures/
    canary: str | None = None
    language: str = "en"
    missing_detail: str | None = None  # a specific the question asks for or asserts that the text lacks
    expected_audience: str | None = None  # who a careful reader infers is asking (blind-style sets)
    # What independent readers, given the question alone, said of the asker's side (evals/persona-clarity.md).
    audience_readers: tuple[str, ...] = ()

    @property
    def retrieval_judged(self) -> bool:
        """Retrieval metrics apply to cases whose answer lives in the knowledge base."""
        return bool(self.expected_sections) and not self.fixture

    @property
    def persona_clear(self) -> bool | None:
        """Whether the asker's side is clear from the question alone: every reader named the labelled side.
        The sets label every firm's and official's question with their side, even one that gives no sign of
        it; audience detection is held to its target only where the side can be read. None: not read."""
        if not self.expected_audience or not self.audience_readers:
            return None
        return all(side == self.expected_audience for side in self.audience_readers)


def load_readers(path: Path, set_name: str) -> dict[str, tuple[str, ...]]:
    """The readers' sides for one set's cases, by case id ({} when the file has none for the set)."""
    if not path.exists():
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if raw["set"] == set_name:
                out[raw["id"]] = tuple(str(side) for side in raw["readers"])
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise GoldenError(f"{path}:{number}: {exc}") from exc
    return out


def load_golden(path: Path, readers: Mapping[str, Sequence[str]] | None = None) -> list[GoldenCase]:
    """The cases of a golden file; `readers` (from `load_readers`) adds what readers said of each asker."""
    readers = readers or {}
    cases: list[GoldenCase] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            case = GoldenCase(
                id=raw["id"],
                persona=raw["persona"],
                category=raw["category"],
                question=raw["question"],
                expected_sections=list(raw.get("expected_sections", [])),
                expected_focus_areas=list(raw.get("expected_focus_areas", [])),
                must_decline=bool(raw["must_decline"]),
                # Blind-style sets (with "language") give the audience a reader infers, to be
                # detected; the golden set's "audience" is what the UI switch sends.
                audience=None if "language" in raw else raw.get("audience"),
                expected_audience=raw.get("audience") if "language" in raw else None,
                history=list(raw.get("history", [])),
                fixture=bool(raw.get("fixture", False)),
                canary=raw.get("canary"),
                language=raw.get("language") or "en",
                missing_detail=raw.get("missing_detail"),
                audience_readers=tuple(readers.get(raw["id"], ())),
            )
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise GoldenError(f"{path}:{number}: {exc}") from exc
        if case.category not in CATEGORIES or case.persona not in PERSONAS:
            raise GoldenError(f"{path}:{number}: unknown category or persona in case {case.id}")
        if case.id in seen:
            raise GoldenError(f"{path}:{number}: duplicate id {case.id}")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise GoldenError(f"{path}: no cases")
    return cases
