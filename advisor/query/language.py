"""Which language a question is in, and the strings that frame an answer in that language.

Detection is deliberately simple and offline: Arabic script decides Arabic; otherwise the language
whose common function words (knowledge/languages.yaml) the question uses most, English on a tie.
Questions are short, but they always carry such words ("comment", "qué", "unsere"), and a wrong
guess only changes the headings, never what is quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from advisor.settings import PROJECT_ROOT
from advisor.yamlfile import load_yaml

LANGUAGES_FILE = PROJECT_ROOT / "knowledge" / "languages.yaml"
DEFAULT = "en"
_ARABIC = re.compile(r"[\u0600-\u06FF]")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
# Share of letters in Arabic script above which a question is Arabic (names and acronyms are Latin).
ARABIC_SHARE = 0.3


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    direction: str
    stopwords: frozenset[str]
    strings: dict[str, str]
    audiences: dict[str, str]
    details: dict[str, str]
    absence: tuple[str, ...] = ()  # openers of a sentence that says what the documents do not give
    contrast: tuple[str, ...] = ()  # words opening a contrasting clause ("…, but …")
    months: tuple[str, ...] = ()  # January..December as the language writes them
    months_capitalised: bool = False  # a month name counts only capitalised (English "may" is a verb)
    asker: tuple[str, ...] = ()  # words with which an asker speaks of themselves ("we", "nous", "wir")

    def text(self, key: str, **values: str | int) -> str:
        return self.strings[key].format(**values).strip()


@lru_cache(maxsize=4)
def languages(path: Path = LANGUAGES_FILE) -> dict[str, Language]:
    raw = load_yaml(path)
    english = raw[DEFAULT]
    out = {}
    for code, entry in raw.items():
        missing = set(english["strings"]) - set(entry["strings"])
        if missing:
            raise ValueError(f"{path}: language {code} lacks strings {sorted(missing)}")
        out[code] = Language(
            code,
            entry["name"],
            entry.get("direction", "ltr"),
            frozenset(str(w).lower() for w in entry["stopwords"]),
            {k: str(v or "") for k, v in entry["strings"].items()},
            dict(entry["audiences"]),
            dict(entry["details"]),
            tuple(entry.get("absence", [])),
            tuple(str(w) for w in entry.get("contrast", [])),
            tuple(str(m) for m in entry.get("months", [])),
            bool(entry.get("months_capitalised", False)),
            tuple(str(w).lower() for w in entry.get("asker", [])),
        )
    return out


@lru_cache(maxsize=1)
def _weights() -> dict[tuple[str, str], float]:
    """How much a function word says for each language that has it: a word of several lists ("la", "que",
    "en", "in") is shared among them, so Spanish "en la" does not read as French, nor German "in" as English."""
    table = languages()
    holders: dict[str, list[str]] = {}
    for code, lang in table.items():
        for word in lang.stopwords:
            holders.setdefault(word, []).append(code)
    return {(code, word): 1 / len(codes) for word, codes in holders.items() for code in codes}


def language(code: str) -> Language:
    """The language's strings; unknown codes fall back to English."""
    table = languages()
    return table.get(code, table[DEFAULT])


@lru_cache(maxsize=8)
def _asker_pattern(code: str) -> re.Pattern[str] | None:
    words = language(code).asker
    if not words:
        return None
    alternation = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.I)


def speaks_for_self(text: str, code: str) -> bool:
    """Whether the asker speaks of themselves ("we", "notre ministère", "wir"): such a question asks
    what they should do, in any language."""
    pattern = _asker_pattern(code)
    return bool(pattern and pattern.search(text.replace("’", "'")))


def detect_language(text: str) -> str:
    """The code of the language the text is written in (one of knowledge/languages.yaml)."""
    letters = _LETTERS.findall(text)
    if letters and sum(1 for ch in letters if _ARABIC.match(ch)) / len(letters) >= ARABIC_SHARE:
        return "ar"
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    scores = {code: sum(_weights().get((code, w), 0.0) for w in words) for code in languages() if code != "ar"}
    best = max(scores.values(), default=0)
    if best == 0 or scores.get(DEFAULT, 0) == best:
        return DEFAULT
    return max(scores, key=lambda code: scores[code])
