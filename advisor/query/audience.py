"""Who is asking: businesses, governments, or anyone. Decides which recommendations rank first."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from advisor.query.glossary import strip_accents
from advisor.query.language import detect_language
from advisor.query.places import branch_offices, opens_as_country, signs_in_as_country, speaks_as_place
from advisor.query.spelling import respell, unabbreviate
from advisor.settings import PROJECT_ROOT
from advisor.yamlfile import load_yaml

AUDIENCES = ("business", "government", "general")
AUDIENCES_FILE = PROJECT_ROOT / "knowledge" / "audiences.yaml"


@lru_cache(maxsize=4)
def _table(path: Path = AUDIENCES_FILE) -> dict[str, Any]:
    """knowledge/audiences.yaml as read, once (the C YAML loader when present)."""
    return load_yaml(path) or {}


@lru_cache(maxsize=4)
def audience_names(path: Path = AUDIENCES_FILE) -> dict[str, dict[str, str]]:
    """How each audience is named (label, prompt, noun, choice): the table in knowledge/audiences.yaml."""
    raw = _table(path)
    missing = [a for a in AUDIENCES if a not in raw]
    if missing:
        raise ValueError(f"{path}: no entry for audience {', '.join(missing)}")
    return {a: {k: str(v or "") for k, v in raw[a].items()} for a in AUDIENCES}


def audience_name(audience: str, form: str) -> str:
    """One audience's name in one form, e.g. audience_name("business", "label")."""
    return audience_names()[audience][form]


@dataclass(frozen=True)
class Lexicon:
    mentions: dict[str, re.Pattern[str]]
    selves: dict[str, re.Pattern[str]]
    not_audience: re.Pattern[str]
    neither: re.Pattern[str]  # an asker who says they are neither (a trainer, a journalist, a student)
    self_weight: int
    # Every word the lexicon's fragments spell out: misspelt words snap to these ("minstry").
    spellings: frozenset[str] = frozenset()
    # Mentions that need a name the view blanks ("how much money is in the Tech Business Offer"), read as typed.
    named: dict[str, re.Pattern[str]] = field(default_factory=dict)


def _words(fragments: list[str]) -> str:
    return "|".join(f"(?:{f})" for f in fragments)


_ARABIC = re.compile(r"[\u0600-\u06FF]")


def _bounded(fragments: list[str]) -> str:
    """Latin words whole; Arabic ones anywhere in a word (Arabic attaches و، ل، ب، ال to words)."""
    latin = [f for f in fragments if not _ARABIC.search(f)]
    arabic = [f for f in fragments if _ARABIC.search(f)]
    parts = [rf"(?<!\w)(?:{_words(latin)})(?!\w)"] if latin else []
    return "|".join(parts + ([f"(?:{_words(arabic)})"] if arabic else []))


@lru_cache(maxsize=4)
def lexicon(path: Path = AUDIENCES_FILE) -> Lexicon:
    """The audience words of knowledge/audiences.yaml, compiled."""
    raw = _table(path)["lexicon"]
    prefixes = raw["self_prefix"]
    prefixes = _plain(prefixes if isinstance(prefixes, list) else [prefixes])
    prefix = "(?:" + "|".join(prefixes) + ")" + raw.get("self_gap", "")
    suffix = raw.get("self_suffix") or "(?!)"
    mentions, selves, named = {}, {}, {}
    for audience in ("business", "government"):
        entry = raw[audience]
        mentions[audience] = re.compile(_bounded(_plain(entry["mentions"])), re.I)
        named[audience] = re.compile(_bounded(_plain(entry.get("named") or ["(?!)"])), re.I)
        verbs = _bounded(_plain(entry["verbs"]))
        own = _words(_plain(entry["self"]))
        selves[audience] = re.compile(rf"\b{prefix}(?:{own})(?!\w)|\b(?:{own}){suffix}|{verbs}", re.I)
    # Misspelt audience words and signs of neither ("workshp") are respelt towards these.
    spelled = [f for a in ("business", "government") for key in ("mentions", "self") for f in raw[a][key]] + raw["neither"]
    return Lexicon(
        mentions,
        selves,
        re.compile(_words(_plain(raw["not_audience"])), re.I),
        re.compile(_bounded(_plain(raw["neither"])), re.I),
        int(raw["self_weight"]),
        frozenset(word for f in _plain(spelled) for word in spellings(f)),
        named,
    )


def spellings(fragment: str) -> set[str]:
    """The Latin words a lexicon fragment spells out, e.g. 'compan(y|ies)' -> {'company', 'companies'}.

    Only plain fragments are expanded: letters, spaces, hyphens, `(a|b)` groups, `[ab]` sets and `?`.
    Anything else (`\\w`, `*`, escapes) yields nothing, as do non-Latin words.
    """
    try:
        expanded, rest = _sequence(fragment.lower())
    except ValueError:
        return set()
    if rest:
        return set()
    return {w for text in expanded for w in text.split() if w.isascii() and w.isalpha()}


def _sequence(pattern: str) -> tuple[set[str], str]:
    """Expand atoms until a `|` or `)` closes the current alternative; returns (strings, what is left)."""
    out = {""}
    while pattern and pattern[0] not in "|)":
        atom, pattern = _atom(pattern)
        if pattern.startswith("?"):
            atom, pattern = atom | {""}, pattern[1:]
        out = {a + b for a in out for b in atom}
    return out, pattern


def _atom(pattern: str) -> tuple[set[str], str]:
    head = pattern[0]
    if head == "(":
        options: set[str] = set()
        rest = pattern[1:]
        while True:
            alternative, rest = _sequence(rest)
            options |= alternative
            if not rest:
                raise ValueError("unclosed group")
            if rest[0] == ")":
                return options, rest[1:]
            rest = rest[1:]
    if head == "[":
        end = pattern.index("]")
        return set(pattern[1:end]), pattern[end + 1 :]
    if head.isalpha() or head in " -'":
        return {head}, pattern[1:]
    raise ValueError(f"not a plain fragment: {pattern!r}")


def _plain(fragments: list[str]) -> list[str]:
    """Fragments without accents: they are matched against the question without its accents."""
    return [strip_accents(str(f)) for f in fragments]


@lru_cache(maxsize=4)
def advice_patterns(path: Path = AUDIENCES_FILE) -> dict[str, re.Pattern[str]]:
    """The `advice` phrasings of knowledge/audiences.yaml, one pattern per language."""
    raw = _table(path)["advice"]
    return {code: re.compile(_words(_plain(fragments)), re.I) for code, fragments in raw.items()}


def asks_for_advice(question: str, language: str = "en") -> bool:
    """Whether the asker wants to know what *they* should do (recommendations answer that),
    rather than what the strategy or the EU does (objectives and focus areas answer that).
    Read in the question's language: "on" or "mis" are first-person words only in French or Spanish."""
    patterns = advice_patterns()
    pattern = patterns.get(language, patterns["en"])
    return bool(pattern.search(strip_accents(question)))


def _lexicon_view(question: str) -> str:
    """The question as the lexicon reads it: accents off, names that merely contain an audience word
    ("Tech Business Offer") blanked, and in English chat shorthand spelt out and misspelt audience words
    respelt. Only in English: the spelling dictionary is English, so in another language every word is
    "unknown" and would be respelt into a near audience word ("connectivité" into "collectivité",
    "firmar" into "firma")."""
    words = lexicon()
    if detect_language(question) != "en":
        return words.not_audience.sub(" ", strip_accents(question))
    return words.not_audience.sub(" ", respell(strip_accents(unabbreviate(question)), words.spellings))


@dataclass(frozen=True)
class AudienceReading:
    """What the lexicon reads in one question, once: how strongly it speaks for each audience (mentions,
    and self-descriptions weighted), whether the asker describes themselves, and whether they say they
    are neither. Who it speaks for and whether a model may guess both derive from it."""

    scores: dict[str, int]
    described: bool  # a self-description of either audience ("our ministry", "we sell…")
    neither: bool  # an asker who is neither (a trainer's workshop, a journalist's article)
    # The side the asker describes themselves as, when they describe themselves as one side only.
    self_side: str | None = None

    @property
    def audience(self) -> str:
        """The audience the question speaks for; ties and no signal mean 'general'. An asker who says which
        side they are on is that side however often they name the other one: "our response to a tender
        from the Ministry of ICT … the ministry hinted …" names the ministry as the bidder's client."""
        if self.self_side:
            return self.self_side
        if self.scores["business"] > self.scores["government"]:
            return "business"
        if self.scores["government"] > self.scores["business"]:
            return "government"
        return "general"

    def unsaid(self, about_self: bool = False) -> bool:
        """Whether nothing says who asks, so that a model may guess from the situation. Nothing does when
        no audience word is there either way, and no sign of an asker who is neither (a trainer, a student).
        When the asker speaks of themselves (`about_self`: "we", "notre") and the question only mentions
        both sides as often ("we want on the ministry's list of trusted suppliers"), the words name the
        counterpart as much as the asker, so the situation decides too. A question about both sides that
        says nothing of its asker ("What should companies do and what should governments do?") is
        answered for both."""
        if self.neither:
            return False
        if not any(self.scores.values()):
            return True
        return about_self and not self.described and self.scores["business"] == self.scores["government"]


def read_audience(question: str) -> AudienceReading:
    """The lexicon's reading of a question (knowledge/audiences.yaml), through `_lexicon_view`."""
    text = _lexicon_view(question)
    words = lexicon()
    typed = strip_accents(question)
    # A firm's branch named by its city ("our Accra office") is the firm's: its "office" names no public body.
    branches = branch_offices(text)
    for start, end in branches:
        text = text[:start] + " " * (end - start) + text[end:]
    selves = {audience: len(words.selves[audience].findall(text)) for audience in ("business", "government")}
    selves["business"] += len(branches)
    selves["government"] += signs_in_as_country(question) or speaks_as_place(typed)
    scores = {
        audience: len(words.mentions[audience].findall(text)) + len(words.named[audience].findall(typed))
        + words.self_weight * selves[audience]
        for audience in ("business", "government")
    }
    # A country as the subject the message opens with, and "we" after it, is one mention of a government.
    scores["government"] += opens_as_country(typed)
    sides = [audience for audience, count in selves.items() if count]
    return AudienceReading(
        scores, bool(sides), bool(words.neither.search(text)), sides[0] if len(sides) == 1 else None
    )


def detect_audience(question: str) -> str:
    """The audience a question speaks for; ties and no signal mean 'general'."""
    return read_audience(question).audience


def resolve_audience(detected: str, requested: str | None) -> str:
    """The audience requested (the UI's switch, an earlier turn), checked; else the one `detect_audience`
    read from the question, passed in so that the lexicon reads each question once."""
    if requested and requested != "auto":
        if requested not in AUDIENCES:
            raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}")
        return requested
    return detected
