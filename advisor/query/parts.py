"""Split a question that asks several things into its parts, so the answer covers every part.

Readers asked "What should companies do about X, and what should governments do?" and got the
companies' half only. A part is one question of a multi-part question (several question marks,
"…, and what should …", "First, … Second, …"), or one audience of a question asked for two ("for
businesses and for governments", "a startup versus a ministry"). Each part keeps the words the user
wrote (its label) and gets a text to search with: a part that names no topic of its own ("What should
companies do") or refers back ("take part in them") borrows the topic words of the rest of the
question. The phrasings are data (knowledge/parts.yaml); audience words are those of
knowledge/audiences.yaml, so a new audience word splits pairs too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from advisor.query.audience import detect_audience, lexicon
from advisor.query.glossary import english_terms, strip_accents
from advisor.query.scope import GENERIC_TERMS, NAME_TERMS, expand, topic_terms
from advisor.settings import PROJECT_ROOT
from advisor.taxonomy import load_taxonomy
from advisor.text import terms
from advisor.yamlfile import load_yaml

PARTS_FILE = PROJECT_ROOT / "knowledge" / "parts.yaml"
TAXONOMY_FILE = PROJECT_ROOT / "knowledge" / "taxonomy.yaml"
# A sentence ends inside a segment ("We're a 5G vendor. Should we …"): it holds a question after its context.
_SENTENCE_END = re.compile(r"[.!]\s+\S")
_AUDIENCES = ("business", "government")


@dataclass(frozen=True)
class QuestionPart:
    """One part of a multi-part question."""

    label: str  # the part as the user wrote it (shown above its block)
    text: str  # what is searched and ranked for it (the label, plus borrowed topic words if it has none)
    audience: str | None = None  # the audience the part names, if any


@dataclass(frozen=True)
class PartRules:
    breaks: re.Pattern[str]
    lead: re.Pattern[str]
    refers_back: re.Pattern[str]
    both: re.Pattern[str]
    empty_lead: re.Pattern[str]
    openers: re.Pattern[str]
    context: re.Pattern[str]
    topic_join: re.Pattern[str]
    compares: re.Pattern[str]
    area_word_share: int
    form_only: re.Pattern[str]


@lru_cache(maxsize=4)
def part_rules(path: Path = PARTS_FILE) -> PartRules:
    raw = load_yaml(path)
    return PartRules(
        re.compile("|".join(f"(?:{p})" for p in raw["breaks"]), re.I),
        re.compile(raw["lead"], re.I),
        re.compile(raw["refers_back"], re.I),
        re.compile(raw["both"], re.I),
        re.compile(raw["empty_lead"], re.I),
        re.compile(raw["openers"], re.I),
        re.compile(raw["context"], re.I),
        re.compile(raw["topic_join"], re.I),
        re.compile(raw["compares"], re.I),
        int(raw["area_word_share"]),
        re.compile(raw["form_only"], re.I),
    )


def own_topic(text: str, language: str) -> set[str]:
    """The topic words a part names itself: not audience words, not the strategy's name.
    Another language's part is read through its glossary terms (its own words are not topic words)."""
    if language != "en":
        return set(terms(" ".join(english_terms(text, language))))
    plain = strip_accents(text)
    for audience in _AUDIENCES:
        plain = lexicon().mentions[audience].sub(" ", plain)
    return set(topic_terms(plain)) - NAME_TERMS


@lru_cache(maxsize=4)
def _pair_patterns(path: Path = PARTS_FILE) -> tuple[re.Pattern[str], ...]:
    """The `pairs` templates with both audiences' words put in, each order. Compiled on first need:
    they hold the whole audience lexicon four times, a tenth of a second of a cold start."""
    words = lexicon()
    return tuple(
        re.compile(template.replace("{a}", words.mentions[a].pattern).replace("{b}", words.mentions[b].pattern), re.I)
        for template in load_yaml(path)["pairs"]
        for a in _AUDIENCES
        for b in _AUDIENCES
        if a != b
    )


def _split_pairs(segment: str) -> list[str]:
    """A segment asked for two audiences, as one segment per audience (the rest of its words kept).
    A pair needs a word of each audience, so a segment without both is not searched for one."""
    plain = strip_accents(segment)
    mentions = lexicon().mentions
    if not all(mentions[a].search(plain) for a in _AUDIENCES):
        return [segment]
    for pattern in _pair_patterns():
        match = pattern.search(plain)
        if match:
            first = segment[: match.start("join")] + segment[match.end("second") :]
            second = segment[: match.start("first")] + segment[match.start("second") :]
            return [part_rules().both.sub("", first), part_rules().both.sub("", second)]
    return [segment]


@lru_cache(maxsize=4)
def area_words(path: Path = TAXONOMY_FILE) -> dict[str, frozenset[str]]:
    """Each objective's and focus area's own title words (stemmed), less the words that several
    titles share ("digital"): what tells one area from another when a question names two topics."""
    titles = {area.id: set(topic_terms(area.title)) - NAME_TERMS for area in load_taxonomy(path).areas}
    counts: dict[str, int] = {}
    for words in titles.values():
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    share = part_rules().area_word_share
    return {area: frozenset(w for w in words if counts[w] < share) for area, words in titles.items()}


def areas_named(phrase: str) -> set[str]:
    """The objectives and focus areas a short phrase names, through the thesaurus ("digital ID")."""
    words = set(topic_terms(expand(phrase)))
    return {area for area, own in area_words().items() if words & own}


def _phrase_word(word: str) -> bool:
    """A word that can belong to a topic's name: a content word, not a question or filler word."""
    found = terms(word)
    return bool(found) and not set(found) <= GENERIC_TERMS


def _split_topics(segment: str) -> list[str]:
    """A segment asking about two topics ("Tell me about cybersecurity and digital ID"), as one
    segment per topic, when the two name different objectives or focus areas. Joined words that name
    one area ("secure and trusted infrastructure", "AI and quantum") stay one topic."""
    for join in part_rules().topic_join.finditer(segment):
        before = re.findall(r"[\w’'/-]+|[^\w\s]", segment[: join.start()])
        after = re.findall(r"[\w’'/-]+|[^\w\s]", segment[join.end() :])
        left: list[str] = []
        for token in reversed(before):
            if not _phrase_word(token):
                break
            left.insert(0, token)
        right: list[str] = []
        for token in after:
            if not _phrase_word(token):
                break
            right.append(token)
        if not left or not right:
            continue
        first, second = areas_named(" ".join(left)), areas_named(" ".join(right))
        if not first or not second or first & second:
            continue
        # Each topic keeps the rest of the segment: the words before the pair and after it, and the
        # head noun the two share ("the infrastructure and online-platforms focus areas").
        head: list[str] = []
        while len(right) > 1 and not areas_named(right[-1]):
            head.insert(0, right.pop())
        start = segment.rfind(left[0], 0, join.start())
        end = segment.find((head or right)[-1], join.end()) + len((head or right)[-1])
        shared = " " + " ".join(head) if head else ""
        return [segment[: join.start()] + shared + segment[end:], segment[:start] + segment[join.end() :]]
    return [segment]


# The asker's numbering after a sentence of context ("We're in Albania. 1) which laws…"): openers strip it first.
_LIST_MARKER = re.compile(r"(?<=[.!?:;]\s)\(?\d{1,2}[).](?=\s)\s*")


def _tidy(part: str) -> str:
    part = _LIST_MARKER.sub("", part_rules().openers.sub("", part.strip(" ,.;:-–—"))).strip()
    return part[:1].upper() + part[1:] if part else part


def question_parts(text: str, language: str = "en", max_parts: int = 3) -> tuple[QuestionPart, ...]:
    """The parts of a question that asks several things; () when it asks one.

    A part must name a topic of its own or an audience of its own: "Is Global Gateway mentioned?"
    is a part, "Thanks!" or "Two things:" are not. At most `max_parts` (the rest join the last)."""
    rules = part_rules()
    body, lead = text.strip(), ""
    opening = rules.lead.match(body)
    if opening and rules.empty_lead.match(opening.group("lead")):
        body = body[opening.end() :]
    elif opening and own_topic(opening.group("lead"), language):
        lead, body = opening.group("lead").strip(), body[opening.end() :]
    # A statement before the questions ("Preparing a briefing for our minister.") is context, not a part.
    # So is one in which the asker says who they are or what they do ("Our regulator is drafting rules; …").
    segments = [
        s for s in rules.breaks.split(body)
        if s and s.strip() and not s.strip().endswith(".") and not rules.form_only.match(s)
        and (s.strip().endswith(("?", "؟")) or not rules.context.match(s) or _SENTENCE_END.search(s.strip()))
    ]
    by_topic = _split_topics if not rules.compares.search(body) else (lambda segment: [segment])
    pieces = [_tidy(p) for s in segments for pair in _split_pairs(s) for p in by_topic(pair)]
    pieces = [p for p in pieces if p]
    audiences = [detect_audience(p) for p in pieces]
    kept = [
        (p, a) for p, a in zip(pieces, audiences)
        if own_topic(p, language) or (a != "general" and len(set(audiences) - {"general"}) > 1)
    ]
    # A part that refers back ("what does that mean") needs more than one word of its own to count.
    topical = sum(1 for p, _ in kept if len(own_topic(p, language)) > (1 if rules.refers_back.search(p) else 0))
    # "Why X, and what does that mean for companies?" asks one thing from one angle: only two topics
    # of their own, or two audiences, make parts worth answering apart.
    if len(kept) < 2 or (topical < 2 and len({a for _, a in kept} - {"general"}) < 2):
        return ()
    if len(kept) > max_parts:
        kept = kept[: max_parts - 1] + [(" ".join(p for p, _ in kept[max_parts - 1 :]), kept[-1][1])]
    out = []
    for i, (piece, audience) in enumerate(kept):
        topic = own_topic(piece, language)
        search = f"{lead}: {piece}" if lead else piece
        if not lead and (not topic or rules.refers_back.search(piece)):
            # Borrow the topic words of the rest of the question, as the user wrote them. A lead
            # ("On online platforms: …") already names the shared topic: borrowing the other part's
            # words then only pulls its audience's topic in ("partner countries").
            others = " ".join(p for j, (p, _) in enumerate(kept) if j != i)
            borrowed = [w for w in re.findall(r"[\w’'-]+", others) if own_topic(w, language) - topic]
            search = " ".join([search, *dict.fromkeys(borrowed)])
        out.append(QuestionPart(label=piece, text=search, audience=None if audience == "general" else audience))
    return tuple(out)


_PIECES = re.compile(r"(?<=[?.!\n])\s+")


def without_form_requests(text: str) -> str:
    """The text less its sentences or lines that only say how the answer should look ("- in bullet points
    please"), which ask for the same thing in a form: what is asked is read from the rest."""
    pieces = _PIECES.split(text.strip())
    kept = [p for p in pieces if not part_rules().form_only.match(p)]
    return " ".join(kept) if kept and len(kept) < len(pieces) else text
