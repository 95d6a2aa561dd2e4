"""Who is asking: businesses, governments, or anyone. Decides which recommendations rank first."""

from __future__ import annotations

import re

AUDIENCES = ("business", "government", "general")

_BUSINESS = re.compile(
    r"\b(sme|smes|start-?ups?|scale-?ups?|compan(y|ies)|firms?|business(es)?|enterprises?|"
    r"vendors?|suppliers?|operators?|providers?|manufacturers?|our (product|service|platform|customers?)|"
    r"my (company|firm|business|startup|product)|we (sell|build|develop|make|operate|provide)|"
    r"industry|private sector|consorti(a|um)|bid(ding)?|fintech|civic-?tech|investors?)\b",
    re.IGNORECASE,
)
_GOVERNMENT = re.compile(
    r"\b(governments?|ministr(y|ies)|minister|civil servants?|public (administration|sector|servants?|authorit(y|ies))|"
    r"our country|my country|national|partner countr(y|ies)|legislat(ion|ure|ive)|laws?|regulators?|"
    r"agenc(y|ies)|parliament|policy ?makers?|state|municipal(ity)?|we as a country|authorit(y|ies)|"
    r"cert|csirt|police|statutes?)\b",
    re.IGNORECASE,
)


def detect_audience(question: str) -> str:
    """The audience a question speaks for; ties and no signal mean 'general'."""
    business = len(_BUSINESS.findall(question))
    government = len(_GOVERNMENT.findall(question))
    if business > government:
        return "business"
    if government > business:
        return "government"
    return "general"


def resolve_audience(question: str, requested: str | None) -> str:
    if requested and requested != "auto":
        if requested not in AUDIENCES:
            raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}")
        return requested
    return detect_audience(question)
