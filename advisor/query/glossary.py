"""The documents' English words for what a question in another language asks about.

MiniLM and BM25 only read English, so for a French, Spanish, Portuguese, German or Arabic question
they rank almost at random and the multilingual model alone decides the order: it finds the right
area (hit@5) but often misorders close neighbours (the business and the government recommendation
on one topic, a focus area and its objective). The field's own vocabulary, translated once as data
(knowledge/glossary.yaml), lets those two rankers see the question's topic in the documents' words,
so three rankers vote instead of one. Nothing is translated sentence by sentence: only the domain
terms, which is what the rankers need.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

from advisor.settings import PROJECT_ROOT
from advisor.yamlfile import load_yaml

GLOSSARY_FILE = PROJECT_ROOT / "knowledge" / "glossary.yaml"
# Forms this short must be whole words ("ia", "red", "ki"); longer ones may start a longer word.
_WHOLE_WORD_MAX = 3
# German forms this long are also found inside compounds ("Digitalministerium", "Datenschutzgesetz").
_COMPOUND_MIN = 5
# Letters typed either way in informal Arabic (one for one, so positions in the text are kept).
_ARABIC_VARIANTS = {"ة": "ه", "ى": "ي"}
_ARABIC_LETTERS = str.maketrans(_ARABIC_VARIANTS)
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", **_ARABIC_VARIANTS, "ـ": None})
_ARABIC_MARKS = re.compile(r"[\u064B-\u0652\u0670]")


def fold(text: str, code: str) -> str:
    """Lower case without accents (Latin) or with one spelling of alef, ta marbuta and ya (Arabic),
    so a question typed without accents or diacritics still matches."""
    text = text.lower().replace("’", "'").replace("«", " ").replace("»", " ").replace('"', " ")
    if code == "ar":
        return _ARABIC_MARKS.sub("", text).translate(_ARABIC_FOLD)
    return strip_accents(text)


def strip_accents(text: str) -> str:
    """The text without accents or Arabic short vowels and hamza marks ("ministère" -> "ministere",
    "أ" -> "ا"), and with one spelling of ta marbuta and final ya ("منصه" = "منصة"): askers often
    type without them, so vocabularies are matched on both sides without."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_ARABIC_LETTERS)


_HARAKAT = re.compile("[\u064b-\u065f\u0670\u0640]")


def strip_harakat(text: str) -> str:
    """Arabic without its optional short-vowel marks and tatweel ("لخّص" -> "لخص"); letters with hamza
    are kept, as the vocabularies spell them. Other scripts are unchanged."""
    return _HARAKAT.sub("", text)


def _pattern(form: str, code: str) -> str:
    """Every word of a form may be inflected at its end ("réseau de partenariats" finds "réseaux de
    partenariats"); Arabic words may carry attached particles and the article at their start."""
    words = fold(form, code).split()
    if code == "ar":
        bare = [w[2:] if w.startswith("ال") and len(w) > 4 else w for w in words]
        return r"\w{0,3}?".join(re.escape(w) + r"\w*\s+" for w in bare[:-1]) + (r"\w{0,3}?" if len(bare) > 1 else "") + re.escape(bare[-1])
    if len(form) <= _WHOLE_WORD_MAX:
        return rf"(?<!\w){re.escape(words[0])}(?!\w)"
    body = r"\w*[\s\-']+".join(re.escape(w) for w in words)
    left = "" if code == "de" and len(form) >= _COMPOUND_MIN else r"(?<!\w)"
    return left + body


@lru_cache(maxsize=4)
def entries(path: Path = GLOSSARY_FILE) -> tuple[dict[str, Any], ...]:
    """knowledge/glossary.yaml as read, once."""
    return tuple((load_yaml(path) or {}).get("terms", []))


@lru_cache(maxsize=16)
def patterns(code: str, path: Path = GLOSSARY_FILE) -> tuple[tuple[re.Pattern[str], str], ...]:
    """One language's forms compiled, one pattern per English entry; compiled on first use, so an
    English question (the most common) never pays for it."""
    out = []
    for entry in entries(path):
        forms = entry.get(code)
        if forms:
            out.append((re.compile("|".join(f"(?:{_pattern(str(f), code)})" for f in forms)), str(entry["en"])))
    return tuple(out)


def english_terms(text: str, code: str) -> list[str]:
    """The documents' English words for the domain terms of a question in language `code`, in the
    order the question uses them; empty for English or a language the glossary lacks."""
    if code == "en":
        return []
    folded = fold(text, code)
    found = [(match.start(), english) for pattern, english in patterns(code) if (match := pattern.search(folded))]
    return list(dict.fromkeys(english for _, english in sorted(found)))
