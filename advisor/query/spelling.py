"""Spelling tolerance: which misspelt word a user most likely meant, from a given vocabulary.

One rule for the whole query side: the scope check (is a topic word one the documents use?), the
audience lexicon (is "our minstry" a ministry?) and the rankers (respelt question text) all call
`correction`. A word is corrected only when it is not itself an English word: the dictionary is
pyspellchecker's English word-frequency list, with the British spellings of its words
(knowledge/chat.yaml `british`), so
"agenda" never becomes "agency", "diplomas" never "diplomat". Among equally close candidates the
more frequent English word wins ("regulater" -> regulator, not the French régulateur).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from functools import lru_cache
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

from advisor.settings import PROJECT_ROOT
from advisor.yamlfile import load_yaml

# How people type in a chat box: fillers that carry no topic, and shorthand for function words.
CHAT_FILE = PROJECT_ROOT / "knowledge" / "chat.yaml"

# Edits allowed for a word of at least this many letters; shorter words must match exactly.
FUZZY_EDITS = ((9, 2), (5, 1))
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def correction(term: str, vocabulary: Iterable[str]) -> str | None:
    """The vocabulary word a misspelt term most likely means ("goverment" -> "government"), or None.
    Swapped neighbours count as one slip ("platfrom"), as people type them (optimal string alignment);
    among equally close words, one with the same first letter (people rarely slip on the first), then
    the more frequent English word."""
    for length, edits in FUZZY_EDITS:
        if len(term) >= length:
            found = process.extract(term, vocabulary, scorer=OSA.distance, score_cutoff=edits, limit=None)
            if not found:
                return None
            counts = dictionary()
            return min(found, key=lambda f: (f[1], f[0][:1] != term[:1], -counts.get(f[0], 0), f[0]))[0]
    return None


def words_of(texts: Iterable[str]) -> frozenset[str]:
    """The Latin words of some texts, in lower case: a vocabulary to correct towards."""
    return frozenset(word.lower() for text in texts for word in _LATIN_WORD.findall(text))


@lru_cache(maxsize=1)
def dictionary() -> dict[str, int]:
    """English words (lower case) and how often they occur, from pyspellchecker's bundled list."""
    from spellchecker import SpellChecker

    return dict(SpellChecker(language="en", distance=1).word_frequency.dictionary)


def respell(text: str, vocabulary: frozenset[str], words: Container[str] | None = None) -> str:
    """The text with each misspelt Latin word replaced by the vocabulary word it most likely means.

    A word stays as written (case kept) when it is in the vocabulary or is an English word (`words`,
    the dictionary by default): only slips the dictionary does not know are corrected, so a correct
    word is never turned into a neighbouring vocabulary word. Corrections come in lower case.
    """
    known = dictionary() if words is None else words

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        if "'" in word or lower in vocabulary or lower in known:  # "we're", "council's" are words
            return word
        # A British spelling the word list lacks ("prioritise", "behaviour", "fibre") is English, never a slip: the
        # documents' own spelling where they have one ("prioritize"), so the ranker's stems meet; else as typed.
        american = _americanised(lower)
        documents_spelling = next((w for w in american if w in vocabulary), None)
        if documents_spelling or any(w in known for w in american):
            return documents_spelling or word
        return correction(lower, vocabulary) or word

    return _LATIN_WORD.sub(fix, text)


def _americanised(word: str) -> list[str]:
    """The word with each British ending of knowledge/chat.yaml `british` rewritten ("prioritise" -> prioritize)."""
    rewritten = (ending.sub(replacement, word) for ending, replacement in _british_endings())
    return [american for american in rewritten if american != word]


@lru_cache(maxsize=1)
def _british_endings() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(ending), replacement) for ending, replacement in _chat().get("british") or ())


@lru_cache(maxsize=1)
def _chat() -> dict[str, Any]:
    return load_yaml(CHAT_FILE) or {}


def chat_words() -> tuple[str, ...]:
    """Chat shorthand and fillers ("cn u", "wat", "lol", "actually"): never topic words."""
    return tuple(str(w) for w in _chat()["chat"])


def whole_words(table: dict[str, str]) -> Callable[[str], str]:
    """A function that writes each of the table's keys, found as a whole word as written (longest first; "R&D"
    or "e-gov" never yield a part), as its value: chat shorthand and the documents' acronyms are both spelt out
    through it."""
    words = "|".join(sorted(map(re.escape, table), key=len, reverse=True)) or "(?!)"
    pattern = re.compile(rf"(?<![\w/&'-])(?:{words})(?![\w/&'-])")
    return lambda text: pattern.sub(lambda m: table[m.group(0)], text)


@lru_cache(maxsize=1)
def _shorthand() -> Callable[[str], str]:
    return whole_words({str(k): str(v) for k, v in (_chat().get("shorthand") or {}).items()})


def unabbreviate(text: str) -> str:
    """The text with chat shorthand for function words spelt out ("does teh strategy" -> "does the
    strategy"), so every later reading sees the words it knows. Whole lower-case words only."""
    return _shorthand()(text)
