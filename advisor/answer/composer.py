"""The grounded answer composer: the default backend, no language model involved.

Every sentence it shows is copied from a cited passage (at most trimmed of a leading connective),
so it cannot state a figure, date or programme that its sources do not. It names the areas the
answer draws on, lists actions in the passages' own words with [n] markers, and declines plainly
when the documents do not cover the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from advisor.answer.grounding import unsupported_figures
from advisor.answer.quotable import CACHE_SIZE, quotable_sentences
from advisor.models import Action, Answer, Citation, KeyPoint
from advisor.query.audience import audience_name
from advisor.query.understand import Query
from advisor.retrieval.passage import Passage
from advisor.settings import Settings
from advisor.storage.sentence_vectors import SentenceVectors
from advisor.taxonomy import Taxonomy
from advisor.text import terms

BACKEND = "grounded-composer"

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

@dataclass
class ScoredSentence:
    passage_index: int
    start: int
    end: int
    text: str
    similarity: float
    actionability: float
    score: float


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


@lru_cache(maxsize=CACHE_SIZE)
def sentence_features(sentence: str) -> tuple[float, frozenset[str]]:
    """(actionability, content terms) of one sentence."""
    return actionability(sentence), frozenset(terms(sentence))


def tidy(sentence: str) -> str:
    """Drop a leading connective and capitalise; the result stays a substring of the source
    apart from the first letter's case."""
    text = _LEAD_CONNECTIVE.sub("", sentence.strip())
    return text[:1].upper() + text[1:]


def compose_answer(
    query: Query,
    passages: list[Passage],
    query_vector: list[float],
    sentences: SentenceVectors,
    taxonomy: Taxonomy,
    settings: Settings,
    in_scope: bool,
) -> Answer:
    """Build the answer from the passages alone. `in_scope` is the one scope decision
    (advisor.query.scope.in_scope), taken before any backend answers."""
    if not passages or not in_scope:
        return decline(query)

    usable = [p for i, p in enumerate(passages) if i == 0 or p.similarity >= settings.min_passage_similarity]
    scored = score_sentences(query, usable, query_vector, sentences, settings)

    if query.detail is not None:
        # The figure must sit in a passage that answers the question, not in any passage retrieved.
        evidence = query.detail.evidence
        with_detail = [s for s in scored if s.passage_index < settings.detail_evidence_passages and evidence.search(s.text)]
        if not with_detail:
            return missing_detail(query, query.detail.label, usable, scored, taxonomy, settings)
        key = sorted(with_detail, key=lambda s: -s.score)[: settings.max_key_points]
        return build_answer(query, usable, key, pick_actions(scored, settings, exclude=key), taxonomy)

    actions = pick_actions(scored, settings)
    key_points = pick_key_points(scored, exclude=actions, limit=settings.max_key_points)
    return build_answer(query, usable, key_points, actions, taxonomy)


def score_sentences(
    query: Query, passages: list[Passage], query_vector: list[float], sentences: SentenceVectors, settings: Settings
) -> list[ScoredSentence]:
    """Every quotable sentence of the passages, scored for this question (weights in settings)."""
    candidates = [
        (index, start, end, sentence)
        for index, passage in enumerate(passages)
        for start, end, sentence in quotable_sentences(passage.document, settings.min_quotable_chars)
    ]
    if not candidates:
        return []
    vectors = sentences.get([c[3] for c in candidates])
    sims = vectors @ np.asarray(query_vector, dtype=np.float32)
    q_terms = set(query.terms)
    out = []
    for (index, start, end, sentence), sim in zip(candidates, sims):
        act, sentence_terms = sentence_features(sentence)
        overlap = len(q_terms & sentence_terms) / (len(q_terms) or 1)
        if passages[index].metadata.get("kind") in ("overview", "section"):
            act *= settings.section_actionability_factor
        score = (
            float(sim)
            + settings.score_overlap_weight * overlap
            - settings.score_rank_penalty * index
            + settings.score_action_weight * act
            + settings.score_passage_weight * passages[index].score / max(passages[0].score, 1e-9)
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


def pick_key_points(scored: list[ScoredSentence], exclude: list[ScoredSentence], limit: int) -> list[ScoredSentence]:
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
    query: Query,
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
    areas = taxonomy.areas_served([passages[i].metadata for i in used])
    lines = [lead_line(query.audience, citations)]
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
        question=query.asked,
        audience=query.audience,
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
    query: Query,
    label: str,
    passages: list[Passage],
    scored: list[ScoredSentence],
    taxonomy: Taxonomy,
    settings: Settings,
) -> Answer:
    """A covered topic, but the documents do not give the figure or date asked for."""
    related = pick_key_points(scored, exclude=[], limit=settings.max_key_points)
    related = related or sorted(scored, key=lambda s: -s.score)[:1]
    answer = build_answer(query, passages, related, [], taxonomy)
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


def decline(query: Query) -> Answer:
    return Answer(
        question=query.asked,
        audience=query.audience,
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


def lead_line(audience: str, citations: list[Citation]) -> str:
    named = [f"*{c.title}* [{c.n}]" for c in citations[:2] if c.title]
    sources = " and ".join(named) if named else "the cited passages"
    return f"For {audience_name(audience, 'label')}, the strategy's guidance here comes from {sources}."


def marks(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)
