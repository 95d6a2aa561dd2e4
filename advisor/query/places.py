"""Places a question names (knowledge/places.yaml), and whether one lies outside the EU."""

from __future__ import annotations

import re
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


# Where a place may start: a letter or digit that does not continue a word ("male" in "female").
_WORD_START = re.compile(r"(?<![\w-])(?=[^\W_])")


@lru_cache(maxsize=2)
def _by_prefix(path: Path = PLACES_FILE) -> tuple[int, dict[str, tuple[tuple[int, frozenset[str]], ...]]]:
    """Every place in lower case, by its first letters (as many as the shortest place has), then by length,
    longest first. A lookup per word replaces one regular expression of ~950 alternatives, whose compilation
    alone was a tenth of a second of every cold `advisor ask`; most words start no place and cost one miss."""
    names = [str(place).lower() for place in _places(path)["places"]]
    prefix = min(map(len, names), default=1)
    grouped: dict[str, dict[int, set[str]]] = {}
    for name in names:
        grouped.setdefault(name[:prefix], {}).setdefault(len(name), set()).add(name)
    return prefix, {
        start: tuple((length, frozenset(group)) for length, group in sorted(lengths.items(), reverse=True))
        for start, lengths in grouped.items()
    }


def place_names(text: str) -> list[str]:
    """Places the text names, capitalised or not ("a startup in kenya", "West Africa"), as written, left to
    right; where names overlap, the longest one starting first ("West Africa", not "Africa")."""
    lower = text.lower()
    if len(lower) != len(text):  # "İ" lowers to two characters; its simple lower case is "i", as for re.I
        lower = "".join(c.lower()[0] for c in text)
    prefix, table = _by_prefix()
    found: list[str] = []
    taken = 0  # the end of the last place found: a place starts after it
    for start in _WORD_START.finditer(lower):
        i = start.start()
        groups = table.get(lower[i : i + prefix]) if i >= taken else None
        for length, names in groups or ():
            end = i + length
            if lower[i:end] in names and not (end < len(text) and _continues_word(text[end])):
                found.append(text[i:end])
                taken = end
                break
    return found


def _continues_word(char: str) -> bool:
    """A letter, digit, "_" or "-" after a name: it was part of a longer word ("Guinea-Bissau", "Malemba")."""
    return char.isalnum() or char in "_-"


@lru_cache(maxsize=4)
def eu_places(path: Path = PLACES_FILE) -> frozenset[str]:
    return frozenset(_places(path).get("eu", []))


def outside_eu(places: list[str]) -> list[str]:
    """The places (as `place_names` gives them) that lie outside the EU: partner countries and regions."""
    inside = eu_places()
    return [p for p in places if p.lower() not in inside]


def in_partner_country(places: list[str]) -> bool:
    """The asker names a place outside the EU ("a consultancy in Colombia"): they are in a partner country."""
    return bool(outside_eu(places))


@lru_cache(maxsize=4)
def partner_countries(path: Path = PLACES_FILE) -> frozenset[str]:
    return frozenset(_places(path).get("countries", []))


# A message that opens by naming who writes, then "here" ("Vietnam here.", "uganda here -", "Hi, Kenya here").
_SIGN_IN = re.compile(r"^\W*(?:(?:hi|hello|hey|greetings),?\s+)?(?:the\s+)?([^\W\d_][\w .'-]{1,40}?)\s+here\b", re.I)


def signs_in_as_country(text: str) -> bool:
    """The message opens with a country outside the EU signing in ("Vietnam here. How can we join…"): the
    asker speaks for that country, as a ministry signing in by its name does."""
    match = _SIGN_IN.match(text)
    return bool(match) and " ".join(match.group(1).lower().split()) in partner_countries()


def _one_place(name: str) -> bool:
    """The words are one place and nothing else ("Rabat", "Accra"; not "Rabat team" or "oblast")."""
    return place_names(name) == [name]


def _one_place_outside_eu(name: str) -> bool:
    """The words are one place outside the EU and nothing else: a partner country or city that can speak as a state."""
    return _one_place(name) and bool(outside_eu([name]))


# A sentence that opens with a place as the one who wants something ("Rabat would like to be early in the queue",
# "Medellín wants a shared cloud for city services"): the place's government speaks through its name.
_PLACE_ACTS = re.compile(
    r"(?:^|(?<=[.!?;:]\s))\W*(?:the\s+)?([^\W\d_][\w.'-]*(?:\s+[^\W\d_][\w.'-]*){0,3}?)\s+"
    r"(?:wants|would (?:like|love|prefer)|is (?:keen|eager|hoping|planning|considering|looking|aiming|determined|interested)|"
    r"hopes|plans|intends|has (?:asked|decided|chosen|applied))\b",
    re.I,
)


def speaks_as_place(text: str) -> bool:
    """A sentence opens with a place outside the EU as the one who wants, plans or asks: a state or a city
    speaking through its name, as a ministry signing in by its name does."""
    for match in _PLACE_ACTS.finditer(text):
        name = match.group(1)
        if _one_place_outside_eu(name):
            return True
    return False


# A message that opens with a country as the subject of a fact about it ("Vietnam has a big electronics assembly
# workforce. Could we team up with Europe on chipmaking?"), then says "we": the asker counts themselves in the country.
_COUNTRY_OPENS = re.compile(
    r"^\W*(?:the\s+)?([^\W\d_][\w.'-]*(?:\s+[^\W\d_][\w.'-]*){0,2}?)\s+(?:has|have|is|are|was|already|still|just|now|"
    r"recently|passed|adopted|launched|signed|needs|lacks|relies|depends|exports|imports|produces|built|spends|gets)\b",
    re.I,
)
_WE = re.compile(r"\b(?:we|our|us)\b", re.I)


def opens_as_country(text: str) -> bool:
    """The message opens with a country outside the EU as the subject of a fact, and the asker then speaks as "we".
    Weaker than a self-description (a firm there could say it too), so it counts as a mention of a government:
    on every non-blind tuning set, the 9 questions that open so are all a civil servant's."""
    match = _COUNTRY_OPENS.match(text)
    if not match or not _WE.search(text, match.end()):
        return False
    return _one_place_outside_eu(match.group(1))


# A firm's branch named by its city ("Our Bogotá office keeps asking", "our Accra office needs to know"); a public
# body's office is named by what it does or covers ("our oblast office", "our disaster office").
_BRANCH_OFFICE = re.compile(r"\b(?:our|my)\s+([^\W\d_][\w'-]*(?:\s+[^\W\d_][\w'-]*)?)\s+(?:office|branch|hub)\b", re.I)


def branch_offices(text: str) -> list[tuple[int, int]]:
    """Where the text names the asker's office by a place ("our Nairobi office"): a firm's branch."""
    return [m.span() for m in _BRANCH_OFFICE.finditer(text) if _one_place(m.group(1))]
