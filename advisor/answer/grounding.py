"""Figures and dates must come from cited passages: the check every backend's answer passes."""

from __future__ import annotations

import re

# Tokens that state a figure: digits (with separators), currency amounts, percentages.
_NUMBER = re.compile(r"(?<![\w\[])(?:[€$£]\s?)?\d[\d.,]*(?:\s?%|\s?(?:million|billion|bn|m)\b)?", re.IGNORECASE)
_CITATION = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")
_LIST_MARKER = re.compile(r"^\s*\d+[.)]\s", re.MULTILINE)
_MONTH = r"january|february|march|april|may|june|july|august|september|october|november|december"
_DATE_WORDS = re.compile(rf"\b(?:{_MONTH})\b", re.IGNORECASE)

def strip_citations(text: str) -> str:
    """Text without [n] markers and Markdown list numbers, which are layout, not figures."""
    return _LIST_MARKER.sub("", _CITATION.sub("", text))


def numbers_in(text: str) -> set[str]:
    """Normalised figures stated in a text (citation markers excluded)."""
    found = set()
    for match in _NUMBER.finditer(strip_citations(text)):
        token = re.sub(r"[\s,]", "", match.group(0).lower()).rstrip(".")
        if token:
            found.add(token)
    return found


def months_in(text: str) -> set[str]:
    return {m.lower() for m in _DATE_WORDS.findall(strip_citations(text))}


def unsupported_figures(text: str, sources: list[str]) -> list[str]:
    """Figures or month names in `text` that none of `sources` contains."""
    pool = " ".join(sources)
    known_numbers = numbers_in(pool)
    known_digits = {re.sub(r"\D", "", n) for n in known_numbers}
    missing = [n for n in numbers_in(text) if n not in known_numbers and re.sub(r"\D", "", n) not in known_digits]
    missing += [m for m in months_in(text) if m not in months_in(pool)]
    return sorted(set(missing))



# Programme, standard and institution names: acronyms (GDPR, eIDAS, ISO) and capitalised multiword
# names after the first word of a sentence. A generated sentence may name only what its passage names.
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b(?:[A-Z]{2,}[A-Za-z0-9-]*|[A-Za-z]*[A-Z][a-z]+[A-Z][A-Za-z]*|"
                   r"[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)\b")
_COMMON_NAMES = frozenset({"EU", "The", "This", "These", "Union", "European Union"})


def unsupported_names(text: str, sources: list[str]) -> list[str]:
    """Names of programmes, standards or bodies in `text` that none of `sources` contains."""
    pool = " ".join(sources).casefold()
    names = {m.group(0) for m in _NAME.finditer(strip_citations(text))} - _COMMON_NAMES
    return sorted(n for n in names if n.casefold() not in pool)
