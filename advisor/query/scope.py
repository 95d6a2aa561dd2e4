"""Is a question about the knowledge base at all? One decision, from retrieval evidence.

A single unfamiliar word must not make a question look off-topic ("submarine cables", "teen
users", a typo): the decision weighs evidence instead.
- The multilingual margin: how much closer (multilingual-e5) the question sits to the best
  sentence of the indexed documents than to the nearest neighbouring topic the strategy does not
  cover (knowledge/out_of_scope.yaml: other EU policies, chit-chat, coding...). It works in every
  language and carries most of the decision.
- In the grey zone between the margins, English questions also count their topic words the
  documents use — after the field's thesaurus (knowledge/synonyms.yaml) and spelling tolerance —
  and MiniLM's similarity; other languages need a slightly larger margin instead.
- Questions about the document itself (list, summarise, structure, who presented it) are in scope;
  manipulation attempts never are (advisor/query/guard.py).
Thresholds live in settings and were calibrated on the golden, holdout, dev and tuning sets, never on the
blind set.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from advisor.query.places import outside_eu
from advisor.query.spelling import chat_words, correction, whole_words
from advisor.settings import PROJECT_ROOT, Settings
from advisor.text import stem, terms, word_stems
from advisor.yamlfile import load_yaml

SYNONYMS_FILE = PROJECT_ROOT / "knowledge" / "synonyms.yaml"
OUT_OF_SCOPE_FILE = PROJECT_ROOT / "knowledge" / "out_of_scope.yaml"
NAMES_FILE = PROJECT_ROOT / "knowledge" / "names.yaml"

# Question words that say how someone asks, not what about; stemmed like `terms` does.
GENERIC_TERMS = frozenset(
    terms(
        """get got gett want wants wanted need needs say says said tell told explain explains mention
        mentions mentioned recommend recommends suggest suggests advise advice ask asks talk talks
        see seen put run runs running set setting way ways kind kinds thing things something much
        many lot lots main first second third next instead specifically exactly still really just
        sure make makes made take takes give gives go going know knows like please help helps
        bother care according depend depends prepare teach teaching course courses workshop
        coach train trainer training learn learners expect expects we're i'm it's let whether
        outside inside small big good best right new old current currently today nutshell overview
        brief briefly short summary detail details more less deadline deadlines date dates timeline
        budget budgets percentage percent amount amounts total number numbers cost costs per euro euros
        application applications exact precise plan plans planned planning
        doc docs document documents paper text texts report promise promises promised respectively
        hope hopes hoped hoping wish wishes wished keen eager willing cutoff cutoffs ceo cto cfo coo boss
        realistic realistically ballpark rough roughly approximately fine biggest largest smallest day days these"""
    )
) | frozenset(terms(" ".join(chat_words())))  # chat shorthand and fillers (knowledge/chat.yaml)
_SELF_REFERENCE = re.compile(
    r"\b(the|this|eu'?s?|international digital|digital) strateg(y|ies)\b|\b(the|this) (document|doc|summary|paper|text)\b(?!\s+(list|lists|checklist|requirements?|templates?|forms?|packs?|uploads?))|\bthis plan\b|\b(europe|brussels|the eu)(.?s|.) ([\w-]+ ){0,3}plan\b(?!\s+to\b)|\bthe (new |european |eu.?s? |whole )?plan\b(?!\s+(to|we|i|our|for (our|my|the ministry))\b)|\banything in here\b|\bthis whole thing\b"
    r"|\b(writ\w*|wrote|put(ting)? out|publish\w*|draft\w*|releas\w*|issu\w*|produc\w*) (this|it)( (document|strategy|thing))?\b|\bput (this|it) out\b"
    # ...and in the other languages ("essa estratégia", "cette stratégie", "in der Strategie", "هذه الاستراتيجية").
    r"|\b(la|esta|esa|essa|nesta|nessa|desta|dessa|cette|ette|diese[rnm]?|der|die) (nueva |nouvelle |nova |neuen? )?"
    r"(estrat[ée]gia|strat[ée]gie|strategie)\b|الاستراتيجية", re.I
)
# Words of the strategy's own name: they say which document, not which part of it.
NAME_TERMS = frozenset(terms("eu european union international digital strategy strategies"))


@lru_cache(maxsize=4)
def synonyms(path: Path = SYNONYMS_FILE) -> dict[str, str]:
    """The thesaurus, flattened and stemmed: user term (or phrase) -> the documents' words. Hyphens part words
    as they do in questions. A phrase with a single content word, the rest stopwords or one letter ("have a
    say", "take down", "e-government", "our country"), is keyed by the stems of all its words, so it matches only
    as written, never as that lone word ("say", "take", "govern", "country"); a phrase of two content words or
    more ("seat at the table") is specific enough by them ("a seat at that table")."""
    raw = load_yaml(path) or {}
    table: dict[str, str] = {}
    for group in raw.values():
        for asked, documented in group.items():
            phrase = str(asked).replace("-", " ")
            content, every = terms(phrase), word_stems(phrase)
            table[" ".join(every if len(content) == 1 < len(every) else content)] = str(documented)
    return table


@lru_cache(maxsize=4)
def _out_of_scope(path: Path = OUT_OF_SCOPE_FILE) -> dict[str, Any]:
    """knowledge/out_of_scope.yaml as read, once (its neighbouring topics and its errands)."""
    return load_yaml(path) or {}


@lru_cache(maxsize=4)
def out_of_scope_topics(path: Path = OUT_OF_SCOPE_FILE) -> tuple[str, ...]:
    return tuple(str(t) for t in _out_of_scope(path).get("topics", []))


@lru_cache(maxsize=4)
def _chores(path: Path = OUT_OF_SCOPE_FILE) -> re.Pattern[str] | None:
    patterns = [str(p) for p in _out_of_scope(path).get("chores", [])]
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I) if patterns else None


def asks_for_chore(question: str) -> bool:
    """Asks for a product, a price or a piece of writing for the asker's own business ("the best CRM for our
    startup", "price our SaaS per seat", "write me a pitch deck"), for paperwork (a visa, a trademark), customs
    duties or an icebreaker: knowledge/out_of_scope.yaml `chores`."""
    pattern = _chores()
    return bool(pattern and pattern.search(question))


def thesaurus_hits(question: str) -> list[tuple[str, str]]:
    """(stemmed user phrase, the documents' words) for every thesaurus entry the question uses."""
    text = question.replace("-", " ")
    readings = (terms(text), word_stems(text))  # content words, and every word for the phrases
    table = synonyms()
    longest = _longest_synonym()
    hits = []
    for n in range(longest, 0, -1):  # phrases first
        for stems in readings:
            for i in range(len(stems) - n + 1):
                key = " ".join(stems[i : i + n])
                if key in table:
                    hits.append((key, table[key]))
    return list(dict.fromkeys(hits))


@lru_cache(maxsize=1)
def _longest_synonym() -> int:
    """How many words the thesaurus's longest key has: the longest phrase `thesaurus_hits` looks for."""
    return max((key.count(" ") + 1 for key in synonyms()), default=0)


def documented_words(question: str) -> list[str]:
    """The documents' words for what the question asks, from the thesaurus (phrases first)."""
    return list(dict.fromkeys(words for _, words in thesaurus_hits(question)))


def expand(question: str) -> str:
    """The question plus the documents' words for what it asks (for lexical matching only)."""
    return " ".join([question, *documented_words(question)])


@dataclass(frozen=True)
class ScopeSignal:
    topic_terms: list[str] = field(default_factory=list)
    unknown_terms: list[str] = field(default_factory=list)

    @property
    def known_terms(self) -> list[str]:
        return [t for t in self.topic_terms if t not in self.unknown_terms]


def topic_terms(question: str) -> list[str]:
    """Content terms of the question minus generic question words; hyphenated words split."""
    out = [t for t in terms(question.replace("-", " ")) if t not in GENERIC_TERMS and not t.isdigit()]
    return list(dict.fromkeys(out))


def known(term: str, vocabulary: set[str]) -> bool:
    """In the vocabulary, or one or two typing slips away from a word that is."""
    if term in vocabulary:
        return True
    return correction(term, vocabulary) is not None


# A text the asker wants translated or edited ("translate to English this text for our tourism website: « … »") is
# theirs, not the strategy's.
_OWN_TEXT = re.compile(
    r"\b(translate|proofread|rewrite|polish|correct|shorten|paraphrase|edit)\b[^.?!:]{0,25}\b(this|the following) "
    r"(text|paragraph|passage)\b", re.I,
)


def names_strategy(question: str) -> bool:
    """The question names the strategy or the document itself."""
    return bool(_SELF_REFERENCE.search(_OWN_TEXT.sub(" ", question)))


def about_whole(self_reference: bool, topic: list[str]) -> bool:
    """Names the strategy and asks about it as a whole (when, who, what is it about)."""
    return self_reference and len([t for t in topic if t not in NAME_TERMS]) <= 1


def covered_by_thesaurus(
    hits: tuple[tuple[str, str], ...] | list[tuple[str, str]], vocabulary: set[str] | frozenset[str],
    unless: frozenset[str] = frozenset(),
) -> set[str]:
    """The user's words that a thesaurus entry (from `thesaurus_hits`) maps to words of `vocabulary` ("submarine" ->
    undersea): they count as those words. An entry whose words include one of `unless` is left out."""
    return {word for key, documented in hits
            if (mapped := set(terms(documented))) & vocabulary and not mapped & unless for word in key.split()}


def scope_signal(
    topic: tuple[str, ...] | list[str],
    vocabulary: set[str],
    thesaurus: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    names: tuple[str, ...] | list[str] = (),
) -> ScopeSignal:
    """Which of the question's topic terms the indexed documents never use. A word spelt a little
    wrong, or one the thesaurus maps to words the documents use ("submarine" -> undersea), is known."""
    covered = covered_by_thesaurus(thesaurus, vocabulary)
    # A name the documents do not use says where the asker is ("a company in Nairobi"), not what about.
    wanted = [t for t in topic if t not in names or t in vocabulary]
    unknown = [t for t in wanted if t not in covered and not known(t, vocabulary)]
    return ScopeSignal(wanted, unknown)


# Programme and instrument names the documents use ("Global Gateway", "5G Toolbox"): a question
# naming one is about the documents whatever else it asks (a deadline, an amount). Which words make a
# name an institution or a law, not a programme, is data (knowledge/names.yaml, `programmes`).
TITLE_RUN = re.compile(r"\b[A-Z][\w-]*(?:\s+(?:(?:of|for|and|on|the)\s+)?[A-Z0-9][\w/-]*)+|\b[A-Z][A-Za-z]*[A-Z]{2,}[a-z]*\b")
_OPENING = re.compile(r"(?:^|[.!?:;\n(•*-]\s*|\s[-–]\s)$")


@lru_cache(maxsize=4)
def names_table(path: Path = NAMES_FILE) -> dict[str, Any]:
    """knowledge/names.yaml as read, once (its programme words, foreign programmes and equivalents)."""
    return load_yaml(path) or {}


@lru_cache(maxsize=4)
def _equivalents(path: Path = NAMES_FILE) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(rf"(?<!\w)(?:{k})(?!\w)"), str(v)) for k, v in (names_table(path).get("equivalents") or {}).items())


def canonical_names(text: str) -> str:
    """The text with names written as the strategy writes them (knowledge/names.yaml `equivalents`): the
    validator holds a French answer's "le RGPD" to a passage's "GDPR", and a question naming "le réseau de
    partenariats numériques" names the documents' programme as surely as one in English."""
    for pattern, name in _equivalents():
        text = pattern.sub(name, text)
    return text


@lru_cache(maxsize=4)
def _acronyms(path: Path = NAMES_FILE) -> Callable[[str], str]:
    return whole_words({str(k): str(v) for k, v in (names_table(path).get("acronyms") or {}).items()})


def spell_out_acronyms(text: str) -> str:
    """The text with the shorthand askers type for the documents' names spelt out ("a GG project" -> "a
    Global Gateway project"), from knowledge/names.yaml `acronyms`. Whole words, case-sensitive, in any
    language: a name is written the same way in a French or Portuguese question."""
    return _acronyms()(text)


@lru_cache(maxsize=4)
def name_words(path: Path = NAMES_FILE) -> tuple[frozenset[str], frozenset[str]]:
    """(institution words, legal words) of knowledge/names.yaml: a name made only of the first is an
    institution other policies share ("European Commission"); one with a second is a law or standard."""
    raw = names_table(path)["programmes"]
    return frozenset(raw["institution_words"]), frozenset(raw["legal_words"])


def programme_names(texts: list[str]) -> frozenset[str]:
    """Names of the documents' programmes and instruments, lower case: acronyms of three letters or
    more and multiword capitalised names, seen at least once inside a sentence (a capitalised
    sentence or heading opening, "Joining the EU", is no name), and not made only of institution or
    heading words. Laws and standards the documents cite (an Act, a Regulation, ISO...) are left
    out, with their acronyms: a question about a law's fines is about the law, not the strategy."""
    institution_words, legal_words = name_words()
    names, legal = set(), set()
    for text in texts:
        for match in TITLE_RUN.finditer(text):
            name = match.group(0)
            words = name.lower().split()
            if legal_words & set(words):
                legal.add("".join(w[0] for w in name.split() if w[:1].isupper()).lower())
                continue
            if (len(words) == 1 and len(name) < 3) or all(w in institution_words for w in words):
                continue
            if _OPENING.search(text[: match.start()]):
                continue
            names.add(" ".join(words))
    return frozenset(n for n in names if n not in legal and not (legal_words & set(n.split())))


def names_programme(question: str, names: frozenset[str]) -> int:
    """How many of the documents' programme names the question uses (case and spacing ignored). A name of
    several words is compared stem by stem, so its plural or a misspelt ending still names it ("the AI
    factorys", "Digital Partnerships"); a one-word name must be as written ("STEM" is not "stems from")."""
    words = re.findall(r"[\w/-]+", question.lower())
    text, stems = f" {' '.join(words)} ", f" {' '.join(map(stem, words))} "
    return sum(1 for name in names if (f" {name} " in text if " " not in name else f" {_stems(name)} " in stems))


@lru_cache(maxsize=512)
def _stems(name: str) -> str:
    """A programme name's words, stemmed: the names are the same for every question, so stemmed once."""
    return " ".join(map(stem, name.split()))


# Words that end a name ("Latin American officials on this strategy"): a name runs on without them.
_LINKS = r"(?:on|of|for|about|in|to|at|by|with|and|or|this|the|that|these|those|a|an|is|are|was|were)"


@dataclass(frozen=True)
class _ForeignWords:
    """knowledge/names.yaml's words for other powers' programmes, compiled once."""

    owners: frozenset[str]  # how non-EU jurisdictions are written ("US", "Chinese")
    owner_before: re.Pattern[str]  # one of them ending a text, before a capitalised name
    kinds: frozenset[str]  # what makes a name a law or programme
    instruments: str  # the kinds a place owns in lower case too (a donor's facility or fund), as an alternation
    eu: re.Pattern[str]  # the EU's names
    agencies: re.Pattern[str]  # other countries' agencies and well-known programmes, in any case
    owned_lower: re.Pattern[str]  # a jurisdiction, then a lower-case name of a kind ("US chips act grants")


def _either(words: object) -> str:
    """One regex alternation of some literal words, longest first; one that never matches when there are none
    (an escaped "(?!)" would match that text itself)."""
    return "|".join(sorted(map(re.escape, map(str, words or [])), key=len, reverse=True)) or "(?!)"


@lru_cache(maxsize=4)
def _foreign_programme_words(path: Path = NAMES_FILE) -> _ForeignWords:
    """knowledge/names.yaml's `foreign_programmes`, compiled."""
    raw = names_table(path)["foreign_programmes"]
    owners = frozenset(str(o) for o in raw["owners"])
    owner = _either(owners)
    kinds = frozenset(str(k).lower() for k in raw["kinds"])
    return _ForeignWords(
        owners=owners,
        owner_before=re.compile(rf"(?<![\w.])(?:{owner})(?:['’]s)?\s+$"),
        kinds=kinds,
        instruments=_either(str(k).lower() for k in raw.get("instruments") or []),
        eu=re.compile(rf"(?<!\w)(?:{_either(raw['eu_words'])})(?!\w)", re.I),
        agencies=re.compile(
            rf"(?i:(?<![\w-])(?:{_either(raw.get('agencies'))}|{_either(raw.get('programmes'))})(?![\w-]))"
        ),
        owned_lower=re.compile(
            rf"(?<![\w.])(?<!Latin )(?<!South )(?<!Central )(?:{owner})(?:['’]s)?\s+(?:(?!{_LINKS}\s)[a-z][\w-]*\s+){{0,4}}?"
            rf"(?:{_either(kinds)})(?![\w-])"
        ),
    )


def names_foreign_programme(question: str, places: list[str]) -> bool:
    """Asks about a law, programme or agency of a country outside the EU ("India's Digital India programme", "the US
    CHIPS and Science Act", "USAID grants") and names neither the EU nor Europe: that country's policy, not the strategy.
    `places`: the places the question names (advisor/query/places.py); one outside the EU followed by 's owns
    the name after it, as do the jurisdictions of knowledge/names.yaml ("US", "Chinese"); in lower case, a
    jurisdiction owns any name of a kind ("US chips act"), a place only a donor's instrument ("australia's
    pacific infrastructure financing facility"), never its laws, which its own civil servants ask about."""
    words = _foreign_programme_words()
    if words.eu.search(question):
        return False
    if words.agencies.search(question):  # another country's agency or programme ("USAID and JICA grants", "Belt and Road")
        return True
    if words.owned_lower.search(question):
        return True
    outside = outside_eu(places)
    outside_words = {place.lower() for place in outside}
    place = "|".join(map(re.escape, outside))
    possessive = re.compile(rf"(?<![\w-])(?:{place})['’]s\s+$", re.I) if outside else None
    if outside and _DONOR.search(question) and re.search(
        rf"\b(?:does|do|did)\s+(?:the\s+)?(?:{place})\s+(?:fund|financ|lend|subsidi[sz]|support)", question, re.I
    ):
        return True  # how another power funds projects abroad ("how does Japan fund ID projects in partner countries")
    if outside and re.search(
        rf"(?<![\w-])(?:{place})['’]s\s+(?:(?!{_LINKS}\s)[\w-]+\s+){{0,4}}?(?:{words.instruments})(?![\w-])", question, re.I
    ):
        return True
    for match in TITLE_RUN.finditer(question):
        run = match.group(0).split()
        # "India's Digital India programme", "the India Semiconductor Mission": owned by a jurisdiction or a place.
        owned = (run[0] in words.owners or run[0].lower() in outside_words) and len(run) > 1
        before = question[max(0, match.start() - 30) : match.start()]
        if not owned and not words.owner_before.search(before):
            if possessive is None or not possessive.search(before):
                continue
        following = question[match.end() :].split()[:1]
        named = {w.lower() for w in run} | {w.lower().strip(".,;:!?)") for w in following}
        if words.kinds & named:
            return True
    return False


# Where a donor funds: in other countries ("ID-system projects in partner countries", "abroad").
_DONOR = re.compile(r"\b(?:in|for|to)\s+(?:partner|other|developing|third|foreign|poorer|african|asian)\s+countries\b"
                    r"|\babroad\b|\boverseas\b", re.I)


# A phrase in quotes ("the 'tailor-made packages'", “Tech Team Europe”): opened and closed by a quote mark
# that no letter touches, so "What's" and "partners'" open nothing.
_QUOTED = re.compile(r"(?<!\w)[\"'‘“«]([^\"'‘’“”«»\n]{3,80}?)[\"'’”»](?!\w)")
_DASHES = re.compile(r"[‐-―-]+")
_PUNCTUATION = re.compile(r"[^\w\s-]")


def plain_text(text: str) -> str:
    """Lower case, one kind of dash, no other punctuation, single spaces: how quoted phrases and the
    documents are compared (the documents quote names too: “Tech Team Europe”)."""
    return " " + " ".join(_PUNCTUATION.sub(" ", _DASHES.sub("-", text.lower())).split()) + " "


def quotes_documents(question: str, documents: str, common: set[str]) -> int:
    """How many phrases the question quotes word for word from the documents (`documents` as `plain_text`
    gives it): an asker who quotes the text asks about it. A phrase of only common words ("digital
    transformation") or a single word quotes nothing specific."""
    found = 0
    for phrase in _QUOTED.findall(question):
        spaced = phrase.replace("-", " ")
        if len(spaced.split()) < 2 or all(w in common for w in terms(spaced)):
            continue
        found += plain_text(phrase) in documents
    return found


@dataclass(frozen=True)
class ScopeEvidence:
    """What the scope decision weighs, kept on the answer's timings for inspection."""

    margin: float  # best document sentence minus nearest out-of-scope topic (multilingual)
    dense: float  # MiniLM best passage similarity (meaningful for English only)
    known_terms: int  # specific topic words the documents use (thesaurus and spelling tolerance applied)
    unknown_terms: int  # topic words the documents never use
    english: bool
    about_document: bool  # a list / summary / structure / who-and-when question, or what it all means for the asker
    manipulation: bool
    # How much closer the question's most off-topic unknown word is to a neighbouring topic than to
    # the documents (English; NaN when every word is known or there is no multilingual encoder).
    term_margin: float = float("nan")
    # Programme or instrument names of the documents the question uses, and phrases it quotes from them.
    programmes: int = 0
    # The question names the strategy or the document ("under this strategy", "does the paper…"):
    # the asker says what they are asking about, so a stray everyday word weighs less.
    names_document: bool = False
    # ...and asks for (or asserts) a specific of it (an article, an amount, a date): a question about what
    # the document says, which the answer can settle by saying plainly that the document does not give it.
    asks_detail: bool = False
    # The question says who asks or whom it is about ("we sell encryption to banks", "our ministry"):
    # near the documents, a word leaning elsewhere is then the asker's sector or customers, not the topic.
    names_audience: bool = False
    # The question is about another country's own law or programme ("the US CHIPS Act"), naming neither the
    # EU nor Europe (names_foreign_programme).
    foreign_programme: bool = False
    # ...or asks for a product, a price or a piece of writing for the asker's own business (asks_for_chore).
    chore: bool = False


def in_scope(evidence: ScopeEvidence, settings: Settings) -> bool:
    """The one scope decision; both backends decline exactly what this declines."""
    if evidence.manipulation:
        return False
    if (evidence.foreign_programme or evidence.chore) and not (evidence.names_document or evidence.programmes):
        # Another country's policy, however close its topic (chips, digital ID) sits to ours; or an errand for
        # the asker's own firm (a CRM, a price, a pitch deck), however many of the documents' words it uses.
        return False
    if math.isnan(evidence.margin):  # no multilingual encoder: English evidence alone
        return english_evidence(evidence, settings)
    if evidence.about_document or evidence.margin >= settings.scope_margin_accept:
        return evidence.margin >= settings.scope_margin_floor
    if evidence.english and evidence.unknown_terms == 0 and evidence.known_terms >= settings.scope_min_known_terms:
        # Every topic word is one the documents use (after thesaurus and spelling): that is evidence
        # enough, unless the multilingual model finds it far closer to a neighbouring topic.
        return evidence.margin >= settings.scope_margin_floor
    if evidence.margin < settings.scope_margin_decline:
        return False
    if evidence.names_document and evidence.asks_detail:
        return True
    if not evidence.english:
        # Its glossary terms (the documents' words for what it asks) count as evidence too; many of
        # them suffice anywhere above the decline margin, as several known words do for English.
        # An asker who says who they are ("خدام فوزارة العدل", "somos un operador"), or a question that
        # names the document it asks about ("in dem Papier"), needs fewer of them; naming the document, as few
        # as a question near the documents needs ("Sind Satelliten überhaupt ein Thema in der Strategie?").
        return (
            evidence.margin >= settings.scope_margin_foreign
            or (evidence.known_terms >= settings.scope_foreign_known_terms
                and (evidence.margin >= settings.scope_margin_foreign_known or evidence.names_document))
            or evidence.known_terms >= settings.scope_foreign_many_known_terms
            or ((evidence.names_audience or evidence.names_document)
                and evidence.known_terms >= settings.scope_grey_known_terms)
            or evidence.programmes > 0
        )
    if evidence.margin >= settings.scope_margin_weak:
        # Close enough to the documents: decline only when a word points to a neighbouring topic,
        # unless the question uses several of the documents' own specific words besides it.
        return (
            math.isnan(evidence.term_margin)
            or evidence.term_margin < settings.scope_term_margin
            or evidence.known_terms >= settings.scope_min_known_terms
            or evidence.programmes > 0
            or evidence.names_document
            or evidence.names_audience
        )
    if evidence.known_terms >= settings.scope_grey_known_terms and (
        math.isnan(evidence.term_margin) or evidence.term_margin <= settings.scope_grey_term_margin
    ):
        # Below the weak margin: several of the documents' own words, and not one word of the
        # question closer to a neighbouring topic than to the documents ("our penal code has nothing
        # on hacking", "a country like ours … AI rules"); no unknown word at all (NaN) satisfies it.
        return True
    return english_evidence(evidence, settings)


def english_evidence(evidence: ScopeEvidence, settings: Settings) -> bool:
    """Enough of the question's own topic words are the documents' words, or MiniLM finds it close."""
    # Every topic word is the documents' own: that suffices near the documents, and anywhere above
    # the decline margin when the question also names the document it asks about, or asks for a specific of
    # what it names ("What's the biggest grant a startup could get out of it? Ballpark is fine."): the answer
    # then says plainly whether the documents give it.
    needed = (
        settings.scope_margin_decline if evidence.names_document or evidence.asks_detail
        else settings.scope_margin_known_words
    )
    every_word_known = (
        evidence.unknown_terms == 0 and evidence.known_terms >= 1
        and (math.isnan(evidence.margin) or evidence.margin >= needed)
    )
    return (
        every_word_known
        or evidence.known_terms >= settings.scope_min_known_terms
        or evidence.programmes > 0
        or evidence.dense >= settings.scope_dense_accept
    )
