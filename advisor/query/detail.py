"""Requested details: does the question ask for (or assert) a specific the documents might not give?

Kinds, phrasings and evidence patterns are data (knowledge/details.yaml): an amount, a date, a
person, an email, a form, a country list, a legal article, a number. A question that asserts a
specific ("I was told the grant is 2 million — confirm?") is checked for the kinds its own words
state, so the answer can say plainly that the documents give no such figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from advisor.settings import PROJECT_ROOT

DETAILS_FILE = PROJECT_ROOT / "knowledge" / "details.yaml"


@dataclass(frozen=True)
class RequestedDetail:
    """A kind of specific the question asks for or asserts, and what a sentence stating it looks like."""

    kind: str
    evidence: re.Pattern[str]
    asserted: bool = False  # the question states it and asks to confirm


@dataclass(frozen=True)
class DetailKinds:
    ask: dict[str, re.Pattern[str]]
    evidence: dict[str, re.Pattern[str]]
    assertion: re.Pattern[str]


@lru_cache(maxsize=4)
def detail_kinds(path: Path = DETAILS_FILE) -> DetailKinds:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    ask = {k: re.compile("|".join(f"(?:{p})" for p in v["ask"]), re.I) for k, v in raw["kinds"].items()}
    evidence = {k: re.compile(v["evidence"], re.I if k not in ("person",) else 0) for k, v in raw["kinds"].items()}
    return DetailKinds(ask, evidence, re.compile("|".join(f"(?:{p})" for p in raw["assertion"]), re.I))


def requested_details(question: str) -> list[RequestedDetail]:
    """Every kind of specific the question asks for, or asserts and asks to confirm."""
    kinds = detail_kinds()
    found = [RequestedDetail(kind, kinds.evidence[kind]) for kind, ask in kinds.ask.items() if ask.search(question)]
    if kinds.assertion.search(question):
        asked = {d.kind for d in found}
        found += [
            RequestedDetail(kind, pattern, asserted=True)
            for kind, pattern in kinds.evidence.items()
            if kind not in asked and kind != "number" and pattern.search(question)
        ]
    if any(d.kind != "number" for d in found):  # "how many euros": the amount, not a count
        found = [d for d in found if d.kind != "number"]
    return found


def requested_detail(question: str) -> RequestedDetail | None:
    """The first kind of detail the question asks for, or None."""
    details = requested_details(question)
    return details[0] if details else None
