"""Text helpers shared by every stage: terms, the light stemmer, and the one sentence splitter."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“(]?[A-Z0-9])")
# Abbreviations whose full stop does not end a sentence, in the languages answers are written in;
# the splitter here and the streaming validator both go through `inner_stops`.
ABBREVIATIONS = (
    "e.g.", "i.e.", "etc.", "vs.", "Dr.", "Mr.", "Ms.", "No.", "approx.", "U.S.", "U.K.", "Art.", "Inc.",
    "z. B.", "z.B.", "d. h.", "d.h.", "u. a.", "bzw.", "ggf.", "usw.", "vgl.", "Nr.", "ca.", "cf.", "p. ex.",
    "p.ex.", "p. ej.", "p.ej.", "Sr.", "Sra.", "Dra.", "ex.",
)
# Longest stretch after a full stop that decides whether it ends a sentence ("z. B.", "5. Juni").
STOP_LOOKAHEAD = 12

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves also may might must shall us eu
    strategy""".split()
)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


def content_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


_STEMMER = snowballstemmer.stemmer("english")


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem: 'exploration' and 'explore' meet, 'business' stays itself."""
    return _STEMMER.stemWord(word)


def terms(text: str) -> list[str]:
    """Content terms of a text, lower-cased and stemmed, stopwords removed."""
    return [stem(w) for w in _words(text) if w not in STOPWORDS and len(w) > 1]


def word_stems(text: str) -> list[str]:
    """Every word of a text stemmed, stopwords and one-letter words kept: what a phrase such as "have a say"
    or "e-government" needs to be told from its lone content word."""
    return [stem(w) for w in _words(text)]


def _words(text: str) -> list[str]:
    return _WORD.findall(re.sub(r"'s\b", "", text.lower().replace("’", "'")))


@lru_cache(maxsize=1)
def _inner_stop() -> re.Pattern[str]:
    from advisor.query.language import languages  # the month names live with the languages

    abbreviations = "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True))
    months = "|".join(re.escape(m) for lang in languages().values() for m in lang.months)
    # "am 5. Juni 2025": a German ordinal day before a month name is not a sentence end
    return re.compile(rf"(?<![\w.])(?:{abbreviations})|(?<![\w.])\d{{1,2}}\.(?=\s+(?i:{months})(?!\w))")


def inner_stops(text: str) -> set[int]:
    """Positions of full stops in `text` that do not end a sentence (abbreviations, ordinals)."""
    return {m.start() + i for m in _inner_stop().finditer(text) for i, ch in enumerate(m.group(0)) if ch == "."}


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of `text`; spans keep the exact characters of the source."""
    stops = inner_stops(text)
    protected = "".join("\x01" if i in stops else ch for i, ch in enumerate(text)) if stops else text
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(protected):
        end = match.start() + len(match.group(0).rstrip())
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans
