"""The grounded answer composer: the default backend, no language model involved.

Every sentence it shows is copied from a cited passage (at most trimmed of a leading connective),
so it cannot state a figure, date or programme that its sources do not. It names the areas the
answer draws on, lists actions in the passages' own words with [n] markers, and declines plainly
when the documents do not cover the question.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from advisor.embeddings import MiniLMEncoder
from advisor.grounding import is_injection, unsupported_figures
from advisor.models import Action, Answer, Citation, KeyPoint
from advisor.retrieval import Passage
from advisor.scope import ScopeSignal
from advisor.settings import Settings
from advisor.taxonomy import Taxonomy
from advisor.textutil import split_sentences, terms

# Passages and their sentences come from a bounded corpus and are scored again for every
# question, so their text-only features are computed once (profiled: these regexes were about
# a sixth of an uncached answer).
SENTENCE_CACHE_SIZE = 20_000

BACKEND = "grounded-composer"

AUDIENCE_LABEL = {
    "business": "businesses and SMEs",
    "government": "governments and public administrations",
    "general": "businesses, governments and trainers alike",
}

_IMPERATIVE = frozenset(
    """adopt align anticipate build collaborate communicate consider contribute cooperate create
    demonstrate design embrace engage ensure establish explore focus forge identify implement
    initiate intensify invest invite join leverage meet modernize monitor negotiate offer partner
    participate prioritize proactively protect require review seek seize share strengthen take
    uphold use work develop enhance protect update follow engage actively""".split()
)
_SHOULD = re.compile(
    r"\b(should|consider|it[’']s (also )?wise|take advantage|can (also )?(partner|join|explore|collaborate|negotiate))\b",
    re.I,
)
_LEAD_CONNECTIVE = re.compile(
    r"^(additionally|also|concretely|importantly|in addition|for businesses|for companies|"
    r"to move in this direction|to tap into this|in practice|by doing so),\s+",
    re.I,
)

DETAIL_PATTERNS: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    (
        "a funding amount or budget figure",
        re.compile(
            r"\b(how much|budget|amount|how many (euros|dollars)|funding (level|size|cap)|"
            r"(grant|loan|award) size|maximum grant|€|euros?|co-?financing rate|percentage|per ?cent)\b",
            re.I,
        ),
        # A stated figure needs digits: "channeling billions" does not say how much.
        re.compile(r"[€$£]\s?\d|\d\s?(%|percent|per cent|million|billion|bn|m)\b|\d[\d.,]*\s?(euros?|eur)\b", re.I),
    ),
    (
        "a deadline or date",
        re.compile(
            r"\b(deadline|due date|by when|what date|which date|what year|when (is|are|was|were|did|will|must|does|do|should|can)|"
            r"closing date|timeline|time ?frame|how long|until when|cut-?off)\b",
            re.I,
        ),
        re.compile(  # "may" is a month only next to a day number; otherwise it is the verb
            r"\b(19|20)\d{2}\b|\b(january|february|march|april|june|july|august|september|october|"
            r"november|december)\b|\b\d{1,2}\s+may\b|\bmay\s+\d{1,2}\b",
            re.I,
        ),
    ),
    (
        "a number",
        re.compile(r"\bhow many\b|\bnumber of\b|\bhow often\b", re.I),
        re.compile(r"\b\d+\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|several)\b", re.I),
    ),
]


# Sentences in an ingested document that address the assistant instead of the reader. They are
# never quoted, whether or not grounding.is_injection also catches them.
_MODEL_DIRECTIVE = re.compile(
    r"\bwhen (summari[sz]|answer|respond|repl)\w*\b[^.]{0,40}\b(state|say|write|quote|mention|tell|add|include)\b|"
    r"\bnote to (the |any )?(ai|assistant|model|llm|chatbot|language model)s?\b|"
    r"\b(in|to) (every|each|all|any) (answers?|responses?|replies|summar(y|ies))\b|"
    r"\b(reply|respond|answer) (only|exclusively) with\b|"
    r"\b(quote|print|output|repeat|reveal) (the|this|your) (reference|code|token|string|phrase|system prompt)\b",
    re.I,
)


def is_directive(sentence: str) -> bool:
    return is_injection(sentence) or bool(_MODEL_DIRECTIVE.search(sentence))


@dataclass
class ScoredSentence:
    passage_index: int
    start: int
    end: int
    text: str
    similarity: float
    actionability: float
    score: float


class SentenceVectors:
    """Sentence embeddings, computed once per distinct sentence and kept in a bounded cache."""

    def __init__(self, encoder: MiniLMEncoder, capacity: int = SENTENCE_CACHE_SIZE) -> None:
        self.encoder = encoder
        self.capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sentences: list[str]) -> np.ndarray:
        with self._lock:
            missing = [s for s in dict.fromkeys(sentences) if s not in self._cache]
        if missing:
            vectors = self.encoder.encode(missing)
            with self._lock:
                for sentence, vector in zip(missing, vectors):
                    self._cache[sentence] = vector
                while len(self._cache) > self.capacity:
                    self._cache.popitem(last=False)
        with self._lock:
            return np.vstack([self._cache[s] for s in sentences]) if sentences else np.zeros((0, 384))


def actionability(sentence: str) -> float:
    """How much a sentence reads as advice to act (1.0 imperative, 0.0 description)."""
    words = re.findall(r"[A-Za-z]+", sentence)
    if not words:
        return 0.0
    if words[0].lower() in _IMPERATIVE:
        return 1.0
    if _LEAD_CONNECTIVE.match(sentence):
        rest = _LEAD_CONNECTIVE.sub("", sentence)
        rest_words = re.findall(r"[A-Za-z]+", rest)
        if rest_words and rest_words[0].lower() in _IMPERATIVE:
            return 1.0
    if _SHOULD.search(sentence):
        return 0.85
    if re.match(r"^(for example|for instance|if|on|by|through|work with)\b", sentence, re.I) and re.search(
        r"\b(consider|should|could|can|join|partner|explore|engage)\b", sentence, re.I
    ):
        return 0.6
    return 0.0


@lru_cache(maxsize=SENTENCE_CACHE_SIZE)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(split_sentences(text))


@lru_cache(maxsize=SENTENCE_CACHE_SIZE)
def sentence_features(sentence: str) -> tuple[bool, float, frozenset[str]]:
    """(is a directive to the model, actionability, content terms) of one sentence."""
    return is_directive(sentence), actionability(sentence), frozenset(terms(sentence))


def tidy(sentence: str) -> str:
    """Drop a leading connective and capitalise; the result stays a substring of the source
    apart from the first letter's case."""
    text = _LEAD_CONNECTIVE.sub("", sentence.strip())
    return text[:1].upper() + text[1:]


def requested_detail(question: str) -> tuple[str, re.Pattern[str]] | None:
    for label, ask, evidence in DETAIL_PATTERNS:
        if ask.search(question):
            return label, evidence
    return None


def compose_answer(
    question: str,
    audience: str,
    passages: list[Passage],
    query_vector: list[float],
    sentences: SentenceVectors,
    taxonomy: Taxonomy,
    settings: Settings,
    scope: ScopeSignal | None = None,
) -> Answer:
    """Build the answer from the passages alone. `scope` (from retrieval) lets it decline
    questions whose topic the documents never mention even when some passage looks similar."""
    if not passages or not in_scope(max(p.similarity for p in passages), scope, settings):
        return decline(question, audience)

    usable = [p for i, p in enumerate(passages) if i == 0 or p.similarity >= settings.min_passage_similarity]
    scored = score_sentences(question, usable, query_vector, sentences)

    detail = requested_detail(question)
    if detail is not None:
        label, evidence = detail
        # The figure must sit in a passage that answers the question, not in any passage retrieved.
        with_detail = [
            s for s in scored if s.passage_index < settings.detail_evidence_passages and evidence.search(s.text)
        ]
        if not with_detail:
            return missing_detail(question, audience, label, usable, scored, taxonomy, settings)
        key = sorted(with_detail, key=lambda s: -s.score)[:2]
        return build_answer(question, audience, usable, key, pick_actions(scored, settings, exclude=key), taxonomy)

    actions = pick_actions(scored, settings)
    key_points = pick_key_points(scored, usable, exclude=actions)
    return build_answer(question, audience, usable, key_points, actions, taxonomy)


def in_scope(best_similarity: float, scope: ScopeSignal | None, settings: Settings) -> bool:
    """Similar enough to some passage, and not about a topic the documents never name."""
    threshold = settings.min_scope_similarity
    if scope is not None and scope.self_reference:
        threshold = settings.min_scope_similarity_self_reference
    elif scope is not None and scope.topic_terms and not scope.unknown_terms:
        threshold = settings.min_scope_similarity_known_topic
    if best_similarity < threshold:
        return False
    if scope is None or best_similarity >= settings.strong_scope_similarity:
        return True
    return scope.unknown_fraction < settings.max_unknown_topic_fraction


def score_sentences(
    question: str, passages: list[Passage], query_vector: list[float], sentences: SentenceVectors
) -> list[ScoredSentence]:
    candidates: list[tuple[int, int, int, str]] = []
    for index, passage in enumerate(passages):
        text = passage.document.page_content
        body_start = len(passage.metadata.get("title", "")) + 2 if passage.metadata.get("title") else 0
        if not text.startswith(passage.metadata.get("title", "") + ": "):
            body_start = 0
        for start, end in sentence_spans(text[body_start:]):
            sentence = text[body_start + start : body_start + end]
            if len(sentence) < 25 or sentence_features(sentence)[0]:
                continue
            candidates.append((index, body_start + start, body_start + end, sentence))
    if not candidates:
        return []
    vectors = sentences.get([c[3] for c in candidates])
    sims = vectors @ np.asarray(query_vector, dtype=np.float32)
    q_terms = set(terms(question))
    out = []
    for (index, start, end, sentence), sim in zip(candidates, sims):
        _, sentence_act, sentence_terms = sentence_features(sentence)
        overlap = len(q_terms & sentence_terms) / (len(q_terms) or 1)
        act = sentence_act * (0.5 if passages[index].metadata.get("kind") in ("overview", "section") else 1.0)
        score = (
            float(sim)
            + 0.15 * overlap
            - 0.04 * index
            + 0.12 * act
            + 0.08 * passages[index].score / max(passages[0].score, 1e-9)
        )
        out.append(ScoredSentence(index, start, end, sentence, float(sim), act, score))
    return out


def pick_actions(
    scored: list[ScoredSentence], settings: Settings, exclude: list[ScoredSentence] | None = None
) -> list[ScoredSentence]:
    """Best actionable sentences, a few per passage, and one from the top passage if it has any."""
    taken = {(s.passage_index, s.start) for s in exclude or []}
    best = max((s.similarity for s in scored), default=0.0)
    floor = max(settings.min_passage_similarity, best - settings.action_similarity_window)
    pool = sorted(
        (
            s
            for s in scored
            if s.actionability > 0
            and (s.passage_index, s.start) not in taken
            and (s.passage_index == 0 or s.similarity >= floor)
        ),
        key=lambda s: -s.score,
    )
    chosen: list[ScoredSentence] = []
    per_passage: dict[int, int] = {}
    first = next((s for s in pool if s.passage_index == 0), None)
    if first is not None:
        chosen.append(first)
        per_passage[0] = 1
    for sentence in pool:
        if len(chosen) >= settings.max_actions:
            break
        if sentence in chosen or per_passage.get(sentence.passage_index, 0) >= settings.max_actions_per_passage:
            continue
        chosen.append(sentence)
        per_passage[sentence.passage_index] = per_passage.get(sentence.passage_index, 0) + 1
    return sorted(chosen, key=lambda s: (s.passage_index, s.start))


def pick_key_points(
    scored: list[ScoredSentence], passages: list[Passage], exclude: list[ScoredSentence], limit: int = 2
) -> list[ScoredSentence]:
    """Descriptive sentences that say what the strategy itself intends, best first."""
    taken = {(s.passage_index, s.start) for s in exclude}
    pool = sorted(
        (s for s in scored if s.actionability == 0 and (s.passage_index, s.start) not in taken),
        key=lambda s: -s.score,
    )
    chosen: list[ScoredSentence] = []
    for sentence in pool:
        if len(chosen) >= limit:
            break
        if any(c.passage_index == sentence.passage_index for c in chosen):
            continue
        chosen.append(sentence)
    return sorted(chosen, key=lambda s: (s.passage_index, s.start))


def build_answer(
    question: str,
    audience: str,
    passages: list[Passage],
    key_points: list[ScoredSentence],
    actions: list[ScoredSentence],
    taxonomy: Taxonomy,
) -> Answer:
    used = sorted({s.passage_index for s in (*key_points, *actions)})
    number = {index: n for n, index in enumerate(used, start=1)}
    citations = [passages[i].citation(number[i]) for i in used]
    action_models = [Action(text=tidy(s.text), citations=[number[s.passage_index]]) for s in actions]
    point_models = [KeyPoint(text=tidy(s.text), citations=[number[s.passage_index]]) for s in key_points]
    areas = focus_area_titles([passages[i] for i in used], taxonomy)
    lines = [lead_line(audience, citations)]
    if point_models:
        lines += ["", "**What the strategy says**"]
        lines += [f"- {p.text} {marks(p.citations)}" for p in point_models]
    if action_models:
        lines += ["", "**Actions to take**"]
        lines += [f"{i}. {a.text} {marks(a.citations)}" for i, a in enumerate(action_models, start=1)]
    notes = []
    # Focus-area titles come from the taxonomy, not a passage, so they are checked apart.
    flagged = unsupported_figures("\n".join(lines), [c.text for c in citations])
    if areas:
        lines += ["", "**Focus areas:** " + " · ".join(areas)]
    text = "\n".join(lines)
    if flagged:  # cannot happen with copied sentences; kept as a tripwire for regressions
        notes.append(f"unsupported figures: {', '.join(flagged)}")
    return Answer(
        question=question,
        audience=audience,
        in_scope=True,
        answer=text,
        focus_areas=areas,
        actions=action_models,
        citations=citations,
        backend=BACKEND,
        key_points=point_models,
        notes=notes,
    )


def missing_detail(
    question: str,
    audience: str,
    label: str,
    passages: list[Passage],
    scored: list[ScoredSentence],
    taxonomy: Taxonomy,
    settings: Settings,
) -> Answer:
    """A covered topic, but the documents do not give the figure or date asked for."""
    related = pick_key_points(scored, passages, exclude=[], limit=2) or sorted(scored, key=lambda s: -s.score)[:1]
    answer = build_answer(question, audience, passages, related, [], taxonomy)
    intro = (
        f"The documents do not give {label} for this question, so I cannot state one. What they do say on the topic:"
    )
    body = "\n".join(f"- {p.text} {marks(p.citations)}" for p in answer.key_points)
    answer.answer = f"{intro}\n\n{body}"
    if answer.focus_areas:
        answer.answer += "\n\n**Focus areas:** " + " · ".join(answer.focus_areas)
    answer.in_scope = False
    answer.missing_detail = label
    return answer


def decline(question: str, audience: str) -> Answer:
    return Answer(
        question=question,
        audience=audience,
        in_scope=False,
        answer=(
            "The strategy documents do not cover this question, so I cannot answer it from them. "
            "I can help with the EU International Digital Strategy: its strategic objectives, its "
            "priority focus areas, and its recommendations for businesses and for governments."
        ),
        focus_areas=[],
        actions=[],
        citations=[],
        backend=BACKEND,
    )


def focus_area_titles(passages: list[Passage], taxonomy: Taxonomy) -> list[str]:
    """Areas the cited passages serve: each passage's primary area, plus all of the first's."""
    ids: list[str] = []
    for i, passage in enumerate(passages):
        serves = [a for a in passage.metadata.get("focus_areas", "").split(",") if a]
        ids.extend(serves if i == 0 else serves[:1])
    return taxonomy.titles(list(dict.fromkeys(ids)))


def lead_line(audience: str, citations: list[Citation]) -> str:
    named = [f"*{c.title}* [{c.n}]" for c in citations[:2] if c.title]
    sources = " and ".join(named) if named else "the cited passages"
    return f"For {AUDIENCE_LABEL[audience]}, the strategy's guidance here comes from {sources}."


def marks(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)
