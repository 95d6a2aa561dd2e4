"""Requested details: does the question ask for a figure, a date or a count, and what would state one."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestedDetail:
    """A kind of specific the question asks for, and the pattern a sentence stating it matches."""

    label: str
    evidence: re.Pattern[str]


DETAIL_PATTERNS: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    (
        "a funding amount or budget figure",
        re.compile(
            r"\b(how much|budget|amount|how many (euros|dollars)|funding (level|size|cap)|"
            r"(grant|loan|award) size|maximum grant|€|euros?|co-?financing rate|percentage|per ?cent)\b",
            re.I,
        ),
        # A stated figure needs digits: "channeling billions" does not say how much.
        re.compile(r"[€$£]\s?\d|\d\s?(%|percent|per cent|million|billion|bn|m)\b|\d[\d.,]*\s?(euros?|eur)\b", re.I),
    ),
    (
        "a deadline or date",
        re.compile(
            r"\b(deadline|due date|by when|what date|which date|what year|when (is|are|was|were|did|will|must|does|do|should|can)|"
            r"closing date|timeline|time ?frame|how long|until when|cut-?off)\b",
            re.I,
        ),
        re.compile(  # "may" is a month only next to a day number; otherwise it is the verb
            r"\b(19|20)\d{2}\b|\b(january|february|march|april|june|july|august|september|october|"
            r"november|december)\b|\b\d{1,2}\s+may\b|\bmay\s+\d{1,2}\b",
            re.I,
        ),
    ),
    (
        "a number",
        re.compile(r"\bhow many\b|\bnumber of\b|\bhow often\b", re.I),
        re.compile(r"\b\d+\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|several)\b", re.I),
    ),
]



def requested_detail(question: str) -> RequestedDetail | None:
    """The first kind of detail the question asks for, or None."""
    for label, ask, evidence in DETAIL_PATTERNS:
        if ask.search(question):
            return RequestedDetail(label, evidence)
    return None
