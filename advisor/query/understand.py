"""Understand a question once: the `Query` every later stage reads instead of the raw text.

Follow-up condensing, language, audience (and who decided it), intent, requested detail and
terms are all worked out here, so retrieval and answering never parse the question again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from advisor.models import check_question
from advisor.query.audience import asks_for_advice, lexicon, read_audience, resolve_audience
from advisor.query.audience_model import AudienceGuess
from advisor.query.detail import RequestedDetail, asks_about_origin, requested_details
from advisor.query.followup import NO_SUCH_ITEM, Turn, as_turns, condense
from advisor.query.glossary import english_terms, strip_harakat
from advisor.query.glossary import entries as glossary_entries
from advisor.query.guard import is_manipulation
from advisor.query.language import detect_language, speaks_for_self
from advisor.query.parts import QuestionPart, question_parts, without_form_requests
from advisor.query.places import in_partner_country, place_names
from advisor.query.scope import (
    GENERIC_TERMS,
    NAME_TERMS,
    TITLE_RUN,
    about_whole,
    asks_for_chore,
    covered_by_thesaurus,
    expand,
    names_foreign_programme,
    names_strategy,
    spell_out_acronyms,
    thesaurus_hits,
    topic_terms,
)
from advisor.query.spelling import respell, unabbreviate, words_of
from advisor.settings import PROJECT_ROOT, Settings
from advisor.text import terms
from advisor.yamlfile import load_yaml

# Answer blocks for a multi-part question when the caller does not say: the setting's own default.
DEFAULT_MAX_PARTS: int = Settings.model_fields["max_question_parts"].default
# "inferred": no word names an audience, but the audience model reads one with confidence.
AudienceSource = Literal["ui", "question", "conversation", "inferred", "default"]
Intent = Literal["advice", "overview", "fact", "explain", "describe"]
# An LLM backend's condenser: (question, history messages) -> (standalone question, note or None).
Condenser = Callable[[str, list[dict[str, str]]], tuple[str, str | None]]

INTENTS_FILE = PROJECT_ROOT / "knowledge" / "intents.yaml"
Overview = Literal[
    "objectives_and_focus_areas", "objectives", "focus_areas", "recommendations", "structure", "conclusion", "benefits",
    "summary", "who_when", "background", "source",
]
# A capitalised word that does not open a sentence: a place or an organisation ("Nairobi").
_NAME = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-z]+\b")
_FACT = re.compile(r"^\s*(when|who|which (year|date|institution))\b", re.I)
# A "summary" phrasing about one narrow topic ("key points on cybersecurity") is a topic question.
_SUMMARY_MAX_TOPIC_TERMS = 1


@lru_cache(maxsize=4)
def _intents(path: Path = INTENTS_FILE) -> dict[str, Any]:
    """knowledge/intents.yaml as read, once; the readers below compile their own parts of it."""
    return load_yaml(path)


@lru_cache(maxsize=4)
def overview_patterns(path: Path = INTENTS_FILE) -> dict[str, re.Pattern[str]]:
    raw = _intents(path)["overview"]
    return {kind: re.compile("|".join(f"(?:{p})" for p in patterns), re.I) for kind, patterns in raw.items()}


@lru_cache(maxsize=4)
def explain_patterns(path: Path = INTENTS_FILE) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """What asks for an explanation, and what marks a question that also asks what to do."""
    raw = _intents(path)
    return tuple(re.compile("|".join(f"(?:{p})" for p in raw[key]), re.I) for key in ("explain", "explain_not"))  # type: ignore[return-value]


@lru_cache(maxsize=4)
def impact_pattern(path: Path = INTENTS_FILE) -> re.Pattern[str]:
    """What the whole strategy means for the asker ("does this strategy change anything for us?")."""
    return re.compile("|".join(f"(?:{p})" for p in _intents(path)["impact"]), re.I)


@lru_cache(maxsize=4)
def background_pattern(path: Path = INTENTS_FILE) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in _intents(path)["background"]), re.I)


def asks_about_background(text: str) -> bool:
    """Why the strategy exists: the situation or motivation behind it (the caller checks it is named),
    not the reasons for one of its topics ("the reasons for cyber drills")."""
    match = background_pattern().search(text)
    if match is None:
        return False
    rest = set(topic_terms(text[: match.start()] + " " + text[match.end() :]))
    return not rest - _background_ignored()


@lru_cache(maxsize=1)
def _background_ignored() -> frozenset[str]:
    """Words a question about why the strategy exists may use besides naming it (knowledge/intents.yaml)."""
    return NAME_TERMS | GENERIC_TERMS | format_words() | frozenset(terms(" ".join(_intents()["background_words"])))


def asks_to_explain(text: str) -> bool:
    """Why / what is / what does it mean: the asker wants understanding first, not a to-do list."""
    explain, to_do = explain_patterns()
    return bool(explain.search(text)) and not to_do.search(text)


@lru_cache(maxsize=4)
def titles_pattern(path: Path = INTENTS_FILE) -> re.Pattern[str]:
    raw = _intents(path)
    return re.compile("|".join(f"(?:{p})" for p in raw["titles_only"]), re.I)


def asks_for_titles(text: str) -> bool:
    """"Just the headlines", "what are they called": a list of names, not of quotes."""
    return bool(titles_pattern().search(text))


# Overviews that a narrow topic turns into a topic question ("key points on cybersecurity").
# "When is the launch event of the Digital Partnership Network?" asks about a programme, not the strategy.
_NARROWABLE = ("objectives", "recommendations", "summary", "benefits", "who_when")
# Of those, the ones whose pattern spans the question's subject ("when … the strategy … presented").
_SPANNING = ("who_when",)
_AUDIENCE_WORDS = frozenset(terms(
    "governments government businesses business companies smes partner countries owners entrepreneurs founders"
))


@lru_cache(maxsize=1)
def _asker_words() -> frozenset[str]:
    """What askers call themselves in so many words ("I work for a national government", "our agency"), without
    the audience lexicon's trades: in a statement that sets the scene, "online platforms" may be the topic."""
    return _AUDIENCE_WORDS | frozenset(terms(" ".join(_intents()["self_words"])))


@lru_cache(maxsize=1)
def _self_words() -> frozenset[str]:
    """What askers call themselves ("I work for a national government", "our agency"): who asks, not
    what about, so it never narrows an overview into a topic question."""
    return _asker_words() | frozenset(terms(" ".join(lexicon().spellings)))


@lru_cache(maxsize=4)
def leading_sections(path: Path = INTENTS_FILE) -> dict[str, tuple[str, ...]]:
    """Overview kind (or "origin") -> the section ids that answer it by themselves."""
    raw = _intents(path)["leading_sections"]
    return {kind: tuple(str(s) for s in ids) for kind, ids in raw.items()}


@lru_cache(maxsize=4)
def format_words(path: Path = INTENTS_FILE) -> frozenset[str]:
    """How the answer should look ("a bullet list", "five sentences for a newsletter"): no topic."""
    raw = _intents(path)
    return frozenset(terms(" ".join(raw["format_words"])))


@lru_cache(maxsize=16)
def _pattern_words(kind: str) -> frozenset[str]:
    """The words an overview's own patterns spell out ("when", "launch", "presented")."""
    return frozenset(terms(" ".join(re.findall(r"[a-z]+", overview_patterns()[kind].pattern.lower()))))


def _without_self_descriptions(text: str) -> str:
    """The text less the asker's descriptions of themselves: the audience lexicon's `self` patterns, the
    capitalised titles and bodies they name ("Director of International Cooperation at the Ministry of Public
    Works and Communications"), the examples they give of their kind ("a country like Bolivia") and where
    they are ("a company outside Europe"), whose words say who asks, not what about."""
    heads = _title_heads()
    text = _TITLED.sub(lambda m: " " if heads & set(m.group(1).lower().split()) else m.group(0), text)
    text = _intent_pattern("kind_like").sub(" ", text)
    text = _intent_pattern("asker_place").sub(" ", text)
    for pattern in lexicon().selves.values():
        text = pattern.sub(" ", text)
    return text


# A capitalised name and the place it is in ("the Ministry of Public Works and Communications in Guyana").
_TITLED = re.compile(rf"((?:{TITLE_RUN.pattern}))(?:,?\s+(?:in|of|from)\s+[A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)?")


@lru_cache(maxsize=1)
def _title_heads() -> frozenset[str]:
    return frozenset(str(word).lower() for word in _intents()["title_heads"])


@lru_cache(maxsize=8)
def _intent_pattern(key: str) -> re.Pattern[str]:
    """One regular expression of knowledge/intents.yaml (kind_like, asker_place, room_statement, picks_from_list),
    compiled once."""
    return re.compile(_intents()[key])


def overview_kind(text: str, language: str = "en") -> Overview | None:
    """Which overview of the whole document the question asks for, if any (first match wins).
    A narrow topic is looked for around the match, and for who/when also inside it: that pattern spans
    from "when" to "launch", so its subject sits within ("When will the Digital Partnership Network
    launch?" asks about a programme, not the strategy). In another language, the topic is read through
    the glossary ("un resumen: ¿qué pasos recomienda en protección de datos e interoperabilidad?").
    A request about the answer's form ("Headings only.") is no part of what is asked, so it is set aside first,
    for a whole question and for each of its parts alike."""
    text = without_form_requests(text)
    return next((kind for kind in overview_patterns() if _asks_overview(kind, text, language)), None)  # type: ignore[return-value]


def _asks_overview(kind: str, text: str, language: str, around: bool = True) -> bool:
    """Whether the text asks for this kind of overview: its phrase, and no narrow topic around it. `around=False` reads
    only the phrase itself, for an overview asked beside a list, whose sentence holds the list's words too."""
    match = overview_patterns()[kind].search(text)
    if match is None:
        return False
    if kind in _NARROWABLE and language != "en" and around:
        return len(_glossed_topic_around(text, match, language)) <= _SUMMARY_MAX_TOPIC_TERMS
    if kind in _NARROWABLE:
        inside = _narrowing(match.group(0)) - _pattern_words(kind) if kind in _SPANNING else set()
        # The words of an overview asked beside this one ("…, and what do they get in return?") narrow it no more than the
        # list's own phrase does: they are blanked, in place, before its topic is read.
        beside = text
        for also, lists in _ALSO.items():
            if kind in lists and (found := overview_patterns()[also].search(text)):
                beside = beside[: found.start()] + " " * (found.end() - found.start()) + beside[found.end() :]
        specific = (_topic_around(beside, match) if around else set()) | inside - _self_words()
        if len(specific - NAME_TERMS - GENERIC_TERMS - format_words()) > _SUMMARY_MAX_TOPIC_TERMS:
            return False
        # Launched is something else than the strategy ("When is that partner network launching?").
        return not inside - NAME_TERMS - GENERIC_TERMS - format_words()
    return True


# Overviews a list may be asked together with, and the lists they go with: who presented the strategy and when ("Quiz
# prep: when was it presented, who presented it, and what are its three objectives?"), how it concludes ("…, and how does
# the document wrap up?"), and what the asker gains ("What does the plan expect from countries like Botswana, and what
# do we get in return?").
_ALSO = {"who_when": ("objectives", "focus_areas"), "conclusion": ("objectives", "focus_areas"), "benefits": ("recommendations",)}


def also_asked(overview: Overview | None, text: str, language: str) -> tuple[str, ...]:
    """The other overviews asked beside a list, each answered in its own block of the list's answer. The list's phrase
    comes first in `overview_kind`, so the question is read for each of them apart."""
    text = without_form_requests(text)
    return tuple(
        kind for kind, lists in _ALSO.items() if overview in lists and _asks_overview(kind, text, language, around=False)
    )


def _glossed_topic_around(text: str, match: re.Match[str], language: str) -> set[str]:
    """The strategy's topics that the glossary finds in the asked sentence of a question in another language, less
    the overview phrase itself and what the asker says they are ("desde el despacho de la viceministra"). One glossary
    entry is one topic, however many words its English has ("jeunes": children young users)."""
    _, _, asked = _asked_around(text, match, language)
    return _glossed_topics(asked, language)


def _glossed_topics(text: str, language: str) -> set[str]:
    """The strategy's topics the glossary finds in text in another language, each as its English."""
    return {english for english in english_terms(text, language) if set(terms(english)) & _topic_vocabulary()}


def _asked_around(text: str, match: re.Match[str], language: str = "en") -> tuple[int, int, str]:
    """Where the sentence an overview phrase sits in starts and ends, and the rest of it, less what the asker says
    they are. A pattern may stop inside a word ("list of main recommend|ations"): the rest of that word is no topic."""
    start, end = _asked_sentence(text, match, language)
    after = match.end() + len(_WORD_TAIL.match(text, match.end()).group(0))
    return start, end, _without_self_descriptions(text[start : match.start()] + " " + text[after:end])


def _topic_around(text: str, match: re.Match[str]) -> set[str]:
    """The topic words around an overview phrase, which may make it a topic question ("key points on cybersecurity").
    What the asker says they are ("As a software company outside Europe, …") is who asks, not a topic. Another
    question narrows as the asked one does ("Why would Europe care whether our computers get broken into? What's in
    it for them?"); a statement only by a topic of the strategy ("next week is the EU approach to online platforms.
    main points?"): its other words set the scene, the asker's trade ("I run a drone mapping firm, mostly for gold
    concessions."), desk or room ("before a cabinet sub-committee"), nor one that says who is in the room."""
    start, end, asked = _asked_around(text, match)
    clauses = _clauses(_without_self_descriptions(text[:start] + " " + text[end:]))
    questions = set().union(*(_narrowing(said) for said in clauses if _QUESTION.search(said)))
    scene = set().union(*(
        _narrowing(said) & _strategy_terms(said) for said in clauses
        if not _QUESTION.search(said) and not _intent_pattern("room_statement").search(said)
    ))
    # In another question, a word that often says who asks still narrows when it is a topic of the strategy
    # ("(2) which one matters most for a country that wants investment in connectivity?").
    questions -= _self_words() - _topic_vocabulary()
    # Where the asker or their room is, said in a sentence of its own ("We're in Port Louis.", "a workshop in Jakarta
    # asked: …"), is no topic of the strategy; in the asked sentence it may be ("5G in Kenya").
    places = {term for place in place_names(text[:start] + " " + text[end:]) for term in terms(place)}
    return (_narrowing(asked) - _self_words() | (questions | scene) - _asker_words()) - places


# Where a sentence or a colon-led clause ends in chat text, which may go on in lower case ("… europe. prepping a
# note …"); advisor.text.split_sentences wants a capital after the stop. An enumerated part starts one too ("(1) what
# are the objectives, and (2) which one matters most …").
_CLAUSE_END = re.compile(
    r"[.?!:;]+(?:\s+|$)|,?\s+(?:and\s+)?(?=\(\d\)\s)"
    # A message typed or dictated without stops asks where a question opens mid-line ("… my son says this eu thing
    # matters i'm sceptical what's the big picture").
    r"|(?<=\w)\s+(?=(?:what'?s|what (?:is|are|does|do)|why (?:should|would)|how (?:does|do|can)|is there|are there|give me)\b)",
    re.I,
)


_SPACED_DASH = re.compile(r"\s+[—–-]\s+")


# A clause that asks something: it ends in a question mark, or opens as English questions do.
_QUESTION = re.compile(r"\?\s*$|^\W*(who|what|when|where|which|why|how|is|are|does|do|did|can|could|would|will|should)\b", re.I)


def _clauses(text: str) -> list[str]:
    """The sentences and colon-led clauses of some text, each with its closing mark."""
    cuts = [0, *(end.end() for end in _CLAUSE_END.finditer(text)), len(text)]
    return [text[a:b] for a, b in zip(cuts, cuts[1:]) if text[a:b].strip()]


def _sets_a_scene(text: str, language: str) -> bool:
    """Words before a dash that only set a scene: no question, no overview of their own ("whats the bottom line at the
    end - …" asks one), and no topic of the strategy."""
    if _QUESTION.search(text) or any(pattern.search(text) for pattern in overview_patterns().values()):
        return False
    return not (_strategy_terms(text) if language == "en" else _glossed_topics(text, language))


def _asked_sentence(text: str, match: re.Match[str], language: str = "en") -> tuple[int, int]:
    """Where the sentence (or colon-led clause) the match sits in starts and ends."""
    start = max((end.end() for end in _CLAUSE_END.finditer(text, 0, match.start())), default=0)
    # A spaced dash sets a scene apart as a stop would ("class handout at USP Emalus campus — main goals of …?"); a topic
    # before it is what is asked ("menores, transparência do algoritmo — resumo rápido").
    dashes = list(_SPACED_DASH.finditer(text, start, match.start()))
    if dashes and _sets_a_scene(text[start : dashes[-1].start()], language):
        start = dashes[-1].end()
    # A match may end on its sentence's own stop ("What does the strategy ask governments like ours to do?"): that
    # stop closes it, not the next sentence's.
    closing = match.end() - 1 if match.end() > match.start() and text[match.end() - 1] in ".?!:;" else match.end()
    following = _CLAUSE_END.search(text, closing)
    if following and following.group(0).strip() == ":":  # "Big picture please: what does Europe expect from …?"
        following = _CLAUSE_END.search(text, following.end())
    return start, following.end() if following else len(text)


@lru_cache(maxsize=1)
def _topic_vocabulary() -> frozenset[str]:
    """The strategy's topics as stemmed words: its field's glossary (knowledge/glossary.yaml, in the English the
    documents use), less the words that name the document, its parts or its audiences ("the strategy",
    "recommendations", "businesses")."""
    words = [str(entry["en"]) for entry in glossary_entries()]
    meta = NAME_TERMS | GENERIC_TERMS | _AUDIENCE_WORDS | frozenset().union(*(_pattern_words(k) for k in overview_patterns()))
    return frozenset(terms(" ".join(words))) - meta


def _strategy_terms(text: str) -> set[str]:
    """The terms of `text` that name a topic of the strategy, in its words or in the words a thesaurus entry
    maps to them ("kids" for children, "submarine cables" for undersea cables)."""
    topics = _topic_vocabulary()
    # "dev shop" (software businesses) names a kind of asker, not a topic.
    mapped = covered_by_thesaurus(thesaurus_hits(text), topics, unless=_AUDIENCE_WORDS)
    return {term for term in terms(text.replace("-", " ")) if term in topics or term in mapped}


_WORD_TAIL = re.compile(r"\w*")
_CONTRACTION = re.compile(r"'(?:ve?|m|ll|d|re?|t)$")  # a stemmed "I've", "who'd", "they're", "aren't"


def _narrowing(text: str) -> set[str]:
    """The topic terms of some text that may name a topic: not the pronoun contractions ("I've", "who've")."""
    return {term for term in topic_terms(text) if not _CONTRACTION.search(term)}


@dataclass(frozen=True)
class Query:
    """One understood question; later stages read these fields, never the raw text."""

    asked: str  # as the user typed it, stripped
    text: str  # the standalone question (the follow-up rewritten with its context)
    audience: str  # business | government | general
    audience_source: AudienceSource
    intent: Intent
    overview: Overview | None = None  # which overview of the whole document, for intent "overview"
    language: str = "en"
    named_audience: bool = False  # the question itself says whom it is about or who asks
    manipulation: bool = False  # tries to change the assistant's rules (advisor/query/guard.py)
    thesaurus: tuple[tuple[str, str], ...] = ()  # (user phrase, the documents' words)
    names: tuple[str, ...] = ()  # stemmed proper names (places, organisations): context, not topic
    abroad: bool = False  # names a place outside the EU: the asker is in a partner country
    foreign_programme: bool = False  # asks about another country's own law or programme (advisor/query/scope.py)
    # An errand (a product, price or text for the asker's firm, a visa, a trademark) or another EU programme's own
    # rules (scope.py).
    chore: bool = False
    requested_audience: str | None = None  # what the UI's switch asked for, if anything
    missing_reference: bool = False  # a follow-up named an item ("the second action") that was not there
    parts: tuple[str, ...] = ()  # a question asking two things, one per part (each retrieved on its own)
    # The same question's parts as the answer covers them, each in its own block (advisor/query/parts.py).
    sections: tuple[QuestionPart, ...] = ()
    details: tuple[RequestedDetail, ...] = ()  # specifics asked for or asserted (amount, date, person...)
    terms: tuple[str, ...] = ()
    topic_terms: tuple[str, ...] = ()
    lexical_text: str = ""  # the text plus the documents' words for what it asks (BM25 only)
    # The text with its spelling slips corrected ("securty" -> security; English only): what the
    # rankers and the scope check read, so a typo neither hides a passage nor looks off-topic.
    spelled: str = ""
    # Another language: the documents' English words for its domain terms (knowledge/glossary.yaml).
    english_terms: tuple[str, ...] = ()
    descriptive: bool = False  # asks what the strategy does, not what the asker should do
    self_reference: bool = False  # names the strategy itself
    about_whole: bool = False  # ...and asks about it as a whole (when, who, what about)
    # ...or asks what the whole of it means for the asker ("does this strategy change anything for us?"):
    # about the strategy, however much the asker says about themselves; answered as advice.
    asks_impact: bool = False
    about_origin: bool = False  # ...and asks or asserts how it came about (who adopted it, when)
    also: tuple[str, ...] = ()  # overviews asked beside a list: who presented it and when, how it concludes, what one gains
    leads: tuple[str, ...] = ()  # section ids that answer this question by themselves (ranked first)
    notes: list[str] = field(default_factory=list)

    @property
    def detail(self) -> RequestedDetail | None:
        return self.details[0] if self.details else None

    def narrowed(self, part: str) -> Query:
        """This query with one part of a multi-part question as its text (retrieved on its own)."""
        glossed = tuple(english_terms(part, self.language))
        return dataclasses.replace(
            self, text=part, spelled=part, lexical_text=expand(" ".join([part, *glossed])), english_terms=glossed, parts=(),
            sections=(),
        )

    def section(self, part: QuestionPart) -> Query:
        """This query as one answer part: its own text, audience, intent and requested specifics."""
        narrowed = self.narrowed(part.text)
        audience = part.audience or self.audience
        details = tuple(requested_details(part.label))
        advice = asks_for_advice(part.label, self.language) or speaks_for_self(part.label, self.language)
        # A part may ask for an overview the whole question does not ("What are the three objectives, and which focus
        # area covers digital IDs?"): that part lists them, as the question asked alone would.
        overview = overview_kind(part.label, self.language)
        return dataclasses.replace(
            narrowed, audience=audience, details=details, terms=tuple(terms(part.text)),
            topic_terms=tuple(topic_terms(part.text)), intent=intent_of(part.label, details[0] if details else None,
            advice or audience != "general", overview), thesaurus=tuple(thesaurus_hits(part.text)),
            overview=overview, leads=leading_sections().get(overview or "", ()),
        )

    @property
    def standalone(self) -> str | None:
        """The rewritten question when it differs from what was asked."""
        return self.text if self.text != self.asked else None


# An overview kind that is one list of the taxonomy's areas -> the kind of area it lists.
AREA_LISTS = {"objectives": "objective", "focus_areas": "focus_area"}


def answered_in_parts(overview: Overview | None, split: Sequence[QuestionPart], language: str) -> bool:
    """A list of the areas asked, then a pick from it ("What are the focus areas, and which one covers digital IDs? Does
    it also mention payment systems?"): each part gets its block, the list one of them, rather than the list alone.
    A note on the list's form or use ("3 main goals? for a slide, one line each") picks nothing, so the list stays
    whole; so does a question that splits the list itself ("Which focus areas are about protecting people, and which
    are about networks?"), which the list answers better than blocks would."""
    if overview not in AREA_LISTS or len(split) < 2:
        return False
    kinds = [overview_kind(part.label, language) for part in split]
    return any(kind in AREA_LISTS for kind in kinds) and any(
        kind is None and _intent_pattern("picks_from_list").search(part.label) for kind, part in zip(kinds, split)
    )


def intent_of(text: str, detail: RequestedDetail | None, advice: bool, overview: Overview | None) -> Intent:
    if overview is not None:
        return "overview"
    if detail is not None or _FACT.match(text):
        return "fact"
    if asks_to_explain(text):
        return "explain"
    return "advice" if advice else "describe"


# What a misspelt English word may be corrected to: the strategy's own words, the field's thesaurus
# and intents, and the audience lexicon (advisor/query/spelling.py never respells an English word).
SPELLING_SOURCES = ("eu-international-digital-strategy.md", "synonyms.yaml", "intents.yaml")


@lru_cache(maxsize=1)
def domain_vocabulary() -> frozenset[str]:
    """The words a slip may be corrected to. The YAML files count by their keys and values, never their
    comments, so explaining a rule in a comment cannot change how a question is respelt."""
    knowledge = PROJECT_ROOT / "knowledge"
    strategy, *tables = SPELLING_SOURCES
    texts = [(knowledge / strategy).read_text(encoding="utf-8")]
    texts += [text for name in tables for text in _strings(load_yaml(knowledge / name))]
    return words_of(texts) | lexicon().spellings


def _strings(data: Any) -> list[str]:
    """Every string in a parsed YAML document, keys and values alike."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [text for key, value in data.items() for text in _strings(key) + _strings(value)]
    if isinstance(data, list):
        return [text for item in data for text in _strings(item)]
    return []


def understand(
    question: str | None,
    audience: str | None = None,
    history: Sequence[Turn] | Sequence[dict[str, Any]] | None = None,
    *,
    max_chars: int,
    condenser: Condenser | None = None,
    max_parts: int = DEFAULT_MAX_PARTS,
    guess_audience: AudienceGuess | None = None,
) -> Query:
    """Check the question, rewrite a follow-up, and read everything later stages need from it.
    `max_parts`: how many parts of a multi-part question get an answer block each (ADVISOR_MAX_QUESTION_PARTS).
    `guess_audience`: the audience model (advisor/query/audience_model.py), asked only when no word, switch
    or earlier turn says who asks.
    Bad input raises ValueError with a message fit for the user."""
    asked = check_question(question, max_chars)
    requested = None if audience in (None, "auto") else audience
    text, source, notes = asked, ("ui" if requested else "default"), []
    turns = as_turns(history or [])
    if turns and condenser is not None:
        messages = [{"role": t.role, "content": t.content} for t in turns if t.role in ("user", "assistant")]
        text, note = condenser(asked, messages) if messages else (asked, None)
        notes += [note] if note else []
    missing_reference = False
    if turns and condenser is None:
        condensed = condense(asked, turns)
        missing_reference = condensed.reason == NO_SUCH_ITEM
        if condensed.follow_up:
            text = condensed.question
        if requested is None and condensed.audience:
            requested, source = condensed.audience, "conversation"
    language = detect_language(asked)
    # `text` stays what the user (or the rewrite) said; the readings of topic and scope work on `said`, the same
    # with the documents' names spelt out ("a GG project"), and respelt. Who asks is read from the words as typed:
    # a name spelt out says nothing of the asker, but lengthens the phrase around it.
    said = spell_out_acronyms(text)
    spelled = respell(unabbreviate(said), domain_vocabulary()) if language == "en" else strip_harakat(said)
    about_self = speaks_for_self(spelled, language)  # "we", "notre", "wir": the asker speaks of themselves
    reading = read_audience(text)  # respelt towards the audience lexicon's own words; read once
    stated = reading.audience
    if stated != "general" and source != "conversation":
        # A question that plainly says whom it is about wins over the UI's switch.
        resolved, source = stated, "question"
    else:
        resolved = resolve_audience(stated, requested)
        if resolved == "general" and requested is None and guess_audience is not None and reading.unsaid(about_self):
            # No word names an audience; the asker's situation ("our proposal's deadline") may still say it.
            # A question with only a topic ("What is the Digital Partnership Network?") needs a surer reading.
            guessed = guess_audience(spelled, about_self)
            if guessed is not None:
                resolved, source = guessed, "inferred"
    # Whoever the question, the switch or the conversation speaks for (a ministry, a startup) is asking
    # what they should do. An audience the model only inferred says whom the answer is for, not that
    # advice was asked: "What is the Digital Partnership Network?" stays a question about what it is.
    said_for = resolved != "general" and source != "inferred"
    details = tuple(requested_details(spelled))
    detail = details[0] if details else None
    advice = asks_for_advice(spelled, language) or about_self
    topic = topic_terms(spelled)
    impact = bool(impact_pattern().search(spelled))
    # What the whole strategy means for the asker ("main takeaways for us as a mobile operator") is advice for
    # their situation, however an overview phrasing ("takeaways") reads.
    overview = None if impact else overview_kind(spelled, language)
    glossed = tuple(english_terms(said, language))
    # Another language is read for the strategy's name and its topic through its glossary terms.
    english_view = spelled if language == "en" else " ".join(glossed)
    named = names_strategy(spelled) or names_strategy(english_view)
    origin = named and asks_about_origin(text)
    if named and overview is None and not origin and asks_about_background(english_view):
        # Why the strategy exists is said where it frames itself: answered like an overview, from there.
        overview = "background"
    leads = leading_sections().get("origin" if origin else overview or "", ())
    also = also_asked(overview, spelled, language)
    leads = tuple(dict.fromkeys([*leads, *(section for kind in also for section in leading_sections()[kind])]))
    # One split serves both: retrieval searches each part, the composer gives each its own block.
    split = question_parts(spelled, language, max_parts)
    places, shape = place_names(said), format_words()
    return Query(
        asked=asked,
        text=text,
        audience=resolved,
        audience_source=source,
        intent=intent_of(spelled, detail, advice or said_for, overview),
        overview=overview,
        language=language,
        named_audience=stated != "general",
        manipulation=is_manipulation(asked) or is_manipulation(text),
        thesaurus=tuple(thesaurus_hits(spelled)),
        names=tuple(dict.fromkeys(t for name in [*_NAME.findall(said), *places] for t in terms(name))),
        abroad=in_partner_country(places),
        foreign_programme=names_foreign_programme(said, places),
        chore=asks_for_chore(spelled),
        requested_audience=None if audience in (None, "auto") else audience,
        missing_reference=missing_reference,
        parts=tuple(part.text for part in split),
        sections=split if overview is None or answered_in_parts(overview, split, language) else (),
        details=details,
        terms=tuple(terms(spelled)),
        topic_terms=tuple(topic),
        lexical_text=expand(" ".join([spelled, *glossed])),
        spelled=spelled,
        english_terms=glossed,
        descriptive=not said_for and not advice,
        self_reference=named,
        # How the answer should look or whom it is for ("in three sentences", "to a 15 year old") is no topic.
        about_whole=about_whole(named, [t for t in (topic if language == "en" else topic_terms(english_view))
                                        if t not in shape]),
        asks_impact=impact,
        about_origin=origin,
        also=also,
        leads=leads,
        notes=notes,
    )


