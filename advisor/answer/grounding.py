"""Figures, dates and names must come from cited passages: the check every backend's answer passes.

Strict by design: a generated sentence may state only the figures, dates and names its passages
state. It is also language-aware, since a faithful answer in the asker's language writes "5 de
junio de 2025", "le RGPD" or "٢٠٢٥" for the passage's "5 June 2025", "GDPR" or "2025".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from advisor.query.language import languages
from advisor.query.scope import canonical_names
from advisor.text import STOPWORDS

# Tokens that state a figure: digits (with separators), currency amounts, percentages.
_NUMBER = re.compile(r"(?<![\w\[])(?:[€$£]\s?)?\d[\d.,]*(?:\s?%|\s?(?:million|billion|bn|m)\b)?", re.IGNORECASE)
_CITATION = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)


def strip_citations(text: str) -> str:
    """Text without [n] markers and Markdown list numbers, which are layout, not figures."""
    return _LIST_MARKER.sub("", _CITATION.sub("", text))


def ascii_digits(text: str) -> str:
    """Arabic-Indic and other decimal digits as 0-9, so "٢٠٢٥" is the passage's 2025."""
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in text)


def numbers_in(text: str) -> set[str]:
    """Normalised figures stated in a text (citation markers excluded)."""
    found = set()
    for match in _NUMBER.finditer(strip_citations(ascii_digits(text))):
        token = re.sub(r"[\s,]", "", match.group(0).lower()).rstrip(".")
        if token:
            found.add(token)
    return found


@lru_cache(maxsize=1)
def _month_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    """(pattern, English month) for every language's month names (knowledge/languages.yaml)."""
    table = languages()
    english = [m.lower() for m in table["en"].months]
    out = []
    for lang in table.values():
        flags = 0 if lang.months_capitalised else re.IGNORECASE
        for i, name in enumerate(lang.months):
            out.append((re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", flags), english[i]))
    return tuple(out)


def months_in(text: str) -> set[str]:
    """Months a text names, in any supported language, as lower-case English names."""
    plain = strip_citations(text)
    return {english for pattern, english in _month_patterns() if pattern.search(plain)}


# A word carrying a figure, less the punctuation after it ("27001," keeps its comma).
_FIGURE_WORD = re.compile(r"[^\s,;:?!]*\d[^\s,;:?!]*")


def without_figures(text: str) -> str:
    """The text with every word that states a figure or names a month as "…": how the user's own words are
    shown beside the documents' ("the auditor comes in March", "the outage of January 2022") without reading
    as if the documents gave that date or number."""
    out = _FIGURE_WORD.sub("…", ascii_digits(text))
    for pattern, _ in _month_patterns():
        out = pattern.sub("…", out)
    return re.sub(r"…(?:\s*…)+", "…", out)


def unsupported_figures(text: str, sources: list[str]) -> list[str]:
    """Figures or month names in `text` that none of `sources` contains."""
    pool = " ".join(sources)
    known_numbers = numbers_in(pool)
    known_digits = {re.sub(r"\D", "", n) for n in known_numbers}
    missing = [n for n in numbers_in(text) if n not in known_numbers and re.sub(r"\D", "", n) not in known_digits]
    missing += [m for m in months_in(text) if m not in months_in(pool)]
    return sorted(set(missing))


# Programme, standard, institution and person names: acronyms (GDPR, eIDAS, ISO) and capitalised
# multiword names. A generated sentence may name only what its passage names.
_NAME = re.compile(r"\b(?:[A-Z]{2,}[A-Za-z0-9-]*|[A-Za-z]*[A-Z][a-z]+[A-Z][A-Za-z]*|"
                   r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[\"“(*]*$")
_COMMON_NAMES = frozenset({"EU", "The", "This", "These", "Union", "European Union"})
_ACRONYM = re.compile(r"^[A-Z][A-Za-z]*[A-Z][A-Za-z0-9]*$|^[A-Z]{2,}$")
# Capitalised words of a multiword name in a passage, with the small words names carry inside.
_COMPOUND = re.compile(r"\b[^\W\d_]+(?:-[^\W\d_]+)+\s+[^\W\d_]+")
_TITLE_RUN = re.compile(r"[A-Z][\w-]*(?:\s+(?:(?:of|for|and|on|the|de|du|des|la|le)\s+)?[A-Z][\w-]*)+")


def _initialisms(pool: str) -> set[str]:
    """Acronyms a passage spells out: a capitalised name ("General Data Protection Regulation",
    "Memoranda of Understanding" give GDPR, MOU) or a hyphenated compound and its noun
    ("public-private partnership" gives PPP). Any run of lower-case words would match invented
    acronyms by chance ("pilot projects perhaps")."""
    out = set()
    for run in _TITLE_RUN.findall(pool):
        words = run.split()
        out.add("".join(w[0] for w in words if w[:1].isupper()).upper())
        out.add("".join(w[0] for w in words).upper())  # "MoU": the "of" counts
    for compound in _COMPOUND.findall(pool):
        out.add("".join(w[0] for w in re.split(r"[-\s]+", compound)).upper())
    return out


def _candidates(text: str) -> set[str]:
    """Name candidates; at a sentence's start the first word is capitalised anyway, so "In Kenya"
    or "The Global Gateway" is checked without its opening function word, and a single ordinary
    word left over is no name ("Governments", "Marta Kovalenko" stays two words)."""
    out = set()
    for match in _NAME.finditer(text):
        name = match.group(0)
        if _SENTENCE_START.search(text[: match.start()]) and " " in name:
            first, rest = name.split(" ", 1)
            if first.casefold() in _function_words():
                name = rest
                if " " not in name and not _ACRONYM.match(name):
                    continue
        out.add(name)
    return out


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    return STOPWORDS | frozenset(w for lang in languages().values() for w in lang.stopwords)


def _named(name: str, pool: str, initialisms: set[str]) -> bool:
    """The name, or a form of it that is the same name, occurs in the pool as whole words."""
    forms = {name}
    if "-" in name and _ACRONYM.match(name.split("-", 1)[0]):
        forms.add(name.split("-", 1)[0])  # "EU-backed", "EU-organised": the name is EU
    if re.fullmatch(r"[A-Z][A-Za-z]*[A-Z]s", name):
        forms.add(name[:-1])  # "IDs", "CERTs", "MoUs"
    for form in forms:
        if form in _COMMON_NAMES or form.upper() in initialisms:
            return True
        if re.search(rf"(?<!\w){re.escape(form)}(?:s|es)?(?!\w)", pool, re.IGNORECASE):
            return True
        if form.endswith("s") and re.search(rf"(?<!\w){re.escape(form[:-1])}(?!\w)", pool, re.IGNORECASE):
            return True
    return False


def unsupported_names(text: str, sources: list[str]) -> list[str]:
    """Names of programmes, standards or bodies in `text` that none of `sources` contains."""
    pool = " ".join(sources)
    initialisms = _initialisms(pool)
    names = _candidates(canonical_names(strip_citations(text))) - _COMMON_NAMES
    return sorted(n for n in names if not _named(n, pool, initialisms))
