"""Requested details: does the question ask for (or assert) a specific the documents might not give?

Kinds, phrasings and evidence patterns are data (knowledge/details.yaml): an amount, a date, a
person, an email, a form, a country list, a legal article, an institution (actor), a number. A question that asserts a
specific ("I was told the grant is 2 million — confirm?") is checked for the kinds its own words
state, so the answer can say plainly that the documents give no such figure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from advisor.settings import PROJECT_ROOT
from advisor.yamlfile import load_yaml

DETAILS_FILE = PROJECT_ROOT / "knowledge" / "details.yaml"


@dataclass(frozen=True)
class RequestedDetail:
    """A kind of specific the question asks for or asserts, and what a sentence stating it looks like."""

    kind: str
    evidence: re.Pattern[str]
    asserted: bool = False  # the question states it and asks to confirm
    names: bool = False  # the specific is a name (an institution, a person), matched as written

    def named_in(self, question: str) -> set[str]:
        """The names the question itself states ("the European Parliament"): what a sentence must name
        to confirm the claim. Figures are checked by advisor.answer.grounding instead."""
        return {m.group(0).lower() for m in self.evidence.finditer(question)} if self.names else set()

    def confirmed_by(self, question: str, sentence: str) -> bool:
        """Whether the sentence names every name the question asserts (always, for a figure kind)."""
        lowered = sentence.lower()
        return all(name in lowered for name in self.named_in(question))


@dataclass(frozen=True)
class DetailKinds:
    ask: dict[str, re.Pattern[str]]
    evidence: dict[str, re.Pattern[str]]
    assertion: re.Pattern[str]
    names: frozenset[str]  # kinds whose specifics are names
    origin: re.Pattern[str]  # asks how the strategy itself came about (adopted, presented, signed…)
    origin_kinds: frozenset[str]  # the specifics a sentence about the strategy's origin states


@lru_cache(maxsize=4)
def detail_kinds(path: Path = DETAILS_FILE) -> DetailKinds:
    raw = load_yaml(path)
    ask = {k: re.compile("|".join(f"(?:{p})" for p in v["ask"]), re.I) for k, v in raw["kinds"].items()}
    # Names ("Dr Smith", "UN") are matched with their capitals: lower-case they are ordinary words.
    evidence = {k: re.compile(v["evidence"], 0 if v.get("case_sensitive") else re.I) for k, v in raw["kinds"].items()}
    names = frozenset(k for k, v in raw["kinds"].items() if v.get("case_sensitive"))
    return DetailKinds(
        ask, evidence, re.compile("|".join(f"(?:{p})" for p in raw["assertion"]), re.I), names,
        re.compile("|".join(f"(?:{p})" for p in raw["origin"]["ask"]), re.I), frozenset(raw["origin"]["states"]),
    )


def requested_details(question: str) -> list[RequestedDetail]:
    """Every kind of specific the question asks for, or asserts and asks to confirm."""
    kinds = detail_kinds()
    # A specific the question itself states ("by 2027", "50%") and asks to confirm is a claim, however
    # it is phrased: the answer then says the documents do not confirm it.
    confirming = bool(kinds.assertion.search(question))
    found = [
        RequestedDetail(kind, kinds.evidence[kind], asserted=confirming and bool(kinds.evidence[kind].search(question)),
                        names=kind in kinds.names)
        for kind, ask in kinds.ask.items() if ask.search(question)
    ]
    if confirming:
        asked = {d.kind for d in found}
        found += [
            RequestedDetail(kind, pattern, asserted=True, names=kind in kinds.names)
            for kind, pattern in kinds.evidence.items()
            if kind not in asked and kind != "number" and pattern.search(question)
        ]
    if any(d.kind != "number" for d in found):  # "how many euros": the amount, not a count
        found = [d for d in found if d.kind != "number"]
    return found


def asks_about_origin(question: str) -> bool:
    """Asks (or asserts) how the strategy itself came about: who adopted, presented or signed it, when.
    Whether the question names the strategy is checked by the caller (advisor.query.scope)."""
    return bool(detail_kinds().origin.search(question))


def states_origin(sentence: str) -> bool:
    """A sentence that states a specific of the strategy's origin (its date, its institutions)."""
    kinds = detail_kinds()
    return any(kinds.evidence[kind].search(sentence) for kind in kinds.origin_kinds)


def requested_detail(question: str) -> RequestedDetail | None:
    """The first kind of detail the question asks for, or None."""
    details = requested_details(question)
    return details[0] if details else None
