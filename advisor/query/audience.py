"""Who is asking: businesses, governments, or anyone. Decides which recommendations rank first."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from advisor.settings import PROJECT_ROOT

AUDIENCES = ("business", "government", "general")
AUDIENCES_FILE = PROJECT_ROOT / "knowledge" / "audiences.yaml"


@lru_cache(maxsize=4)
def audience_names(path: Path = AUDIENCES_FILE) -> dict[str, dict[str, str]]:
    """How each audience is named (label, prompt, noun, choice): the table in knowledge/audiences.yaml."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    missing = [a for a in AUDIENCES if a not in raw]
    if missing:
        raise ValueError(f"{path}: no entry for audience {', '.join(missing)}")
    return {a: {k: str(v or "") for k, v in raw[a].items()} for a in AUDIENCES}


def audience_name(audience: str, form: str) -> str:
    """One audience's name in one form, e.g. audience_name("business", "label")."""
    return audience_names()[audience][form]

_BUSINESS = re.compile(
    r"\b(sme|smes|start-?ups?|scale-?ups?|compan(y|ies)|firms?|business(es)?|enterprises?|"
    r"vendors?|suppliers?|operators?|providers?|manufacturers?|our (product|service|platform|customers?)|"
    r"my (company|firm|business|startup|product)|we (sell|build|develop|make|operate|provide)|"
    r"industry|private sector|consorti(a|um)|bid(ding)?|fintech|civic-?tech|investors?)\b",
    re.IGNORECASE,
)
_GOVERNMENT = re.compile(
    r"\b(governments?|ministr(y|ies)|minister|civil servants?|public (administration|sector|servants?|authorit(y|ies))|"
    r"our country|my country|national|legislat(ion|ure|ive)|laws?|regulators?|"
    r"agenc(y|ies)|parliament|policy ?makers?|state|municipal(ity)?|we as a country|authorit(y|ies)|"
    r"cert|csirt|police|statutes?)\b",
    re.IGNORECASE,
)


# Names that contain an audience word without saying who asks ("Tech Business Offer").
_NAMES = re.compile(r"\b(tech )?business offer\b|\bstate-sponsored\b|\bmember states?\b|\bstate of the art\b", re.I)
# The asker naming what they are ("our ministry", "we are a telecom operator") outweighs the
# organisations they merely mention ("...train local government staff").
_SELF = r"\b(?:our|my|we(?:'re| are)(?: an?)?|i(?:'m| am)(?: an?)?(?: \w+)? (?:at|in|for) (?:an?|the|our))\s+(?:[\w-]+\s+){0,2}?"
_SELF_BUSINESS = re.compile(
    _SELF + r"(sme|start-?up|scale-?up|company|firm|business|enterprise|operator|provider|platform|"
    r"fintech|vendor|supplier|manufacturer|product|app|service|team)s?\b|\bwe (sell|build|develop|make|operate|provide|run)\b",
    re.I,
)
_SELF_GOVERNMENT = re.compile(
    _SELF + r"(ministry|ministries|government|agency|country|parliament|regulator|administration|"
    r"municipality|cert|csirt|authority|department|national)\b",
    re.I,
)
SELF_WEIGHT = 3  # one self-description counts as much as three mentions


def asks_for_advice(question: str) -> bool:
    """Whether the asker wants to know what *they* should do (recommendations answer that),
    rather than what the strategy or the EU does (objectives and focus areas answer that)."""
    return bool(
        re.search(r"\b(we|our|us|my|i|i'm|we're)\b", question, re.I)
        or re.search(r"\b(should|can|could|must|how do) (companies|firms|businesses|governments|countries|startups|smes)\b",
                     question, re.I)
    )


def detect_audience(question: str) -> str:
    """The audience a question speaks for; ties and no signal mean 'general'."""
    question = _NAMES.sub(" ", question)
    business = len(_BUSINESS.findall(question)) + SELF_WEIGHT * len(_SELF_BUSINESS.findall(question))
    government = len(_GOVERNMENT.findall(question)) + SELF_WEIGHT * len(_SELF_GOVERNMENT.findall(question))
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
