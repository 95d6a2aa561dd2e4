"""Places a question names (knowledge/places.yaml), and whether one lies outside the EU."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from advisor.settings import PROJECT_ROOT
from advisor.yamlfile import load_yaml

PLACES_FILE = PROJECT_ROOT / "knowledge" / "places.yaml"


@lru_cache(maxsize=2)
def _places(path: Path = PLACES_FILE) -> dict[str, Any]:
    """knowledge/places.yaml as read, once: every place, and those in the EU."""
    return load_yaml(path)


@lru_cache(maxsize=2)
def _by_length(path: Path = PLACES_FILE) -> tuple[tuple[int, frozenset[str]], ...]:
    """Every place in lower case, grouped by length, longest first. A set lookup per word start and length
    replaces one regular expression of ~950 alternatives, whose compilation alone was a tenth of a second
    of every cold `advisor ask`."""
    names: dict[int, set[str]] = {}
    for place in _places(path)["places"]:
        names.setdefault(len(place), set()).add(str(place).lower())
    return tuple((length, frozenset(group)) for length, group in sorted(names.items(), reverse=True))


def _joins_word(char: str) -> bool:
    """A character that continues a word: a place must not start or end inside one ("male" in "female")."""
    return char.isalnum() or char in "_-"


def place_names(text: str) -> list[str]:
    """Places the text names, capitalised or not ("a startup in kenya", "West Africa"), as written, left to
    right; where names overlap, the longest one starting first ("West Africa", not "Africa")."""
    lower = text.lower()
    if len(lower) != len(text):  # "İ" lowers to two characters; its simple lower case is "i", as for re.I
        lower = "".join(c.lower()[0] for c in text)
    groups = _by_length()
    found: list[str] = []
    i = 0
    while i < len(text):
        if i and _joins_word(text[i - 1]) or not _joins_word(text[i]):
            i += 1
            continue
        for length, names in groups:
            end = i + length
            if end <= len(text) and lower[i:end] in names and (end == len(text) or not _joins_word(text[end])):
                found.append(text[i:end])
                i = end
                break
        else:
            i += 1
    return found


@lru_cache(maxsize=4)
def eu_places(path: Path = PLACES_FILE) -> frozenset[str]:
    return frozenset(_places(path).get("eu", []))


def in_partner_country(places: list[str]) -> bool:
    """The asker names a place outside the EU ("a consultancy in Colombia"): they are in a partner country."""
    return any(p.lower() not in eu_places() for p in places)
