"""Build a cited action plan from the documents' own sentences; nothing in a plan is written by us
except its headings.

A step is a sentence that the one action rule (advisor.answer.actions, decided at chunking) calls
an action for the plan's audience; its "why" is an outcome or description sentence of the same
passage, the one closest in meaning (outcomes preferred: they say what acting achieves), and steps
of one passage are given different reasons while it has enough of them. Steps are
grouped under the objective or focus area their passage serves, and ordered by the stages of
knowledge/plan.yaml (foundations first). Every chosen area gets a step before any area gets a
second, so a plan covers what was asked before it goes deeper.

The optional profile (sector, size, institution, region) is only compared with the candidate
sentences: it picks which of them make the plan and in which order. Its words never enter a step;
words the documents never use are reported once, in `not_covered`.

User documents (the workspace) have no taxonomy: a sentence of theirs joins the focus area it is
most similar to, if similar enough, and is marked with its document and page.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as Date
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.documents import Document

from advisor.answer.actions import sentence_role
from advisor.answer.quotable import is_directive, quotable_sentences, sentence_spans, without_directives
from advisor.models import Citation
from advisor.plan.models import Plan, PlanRequest, PlanStep, Profile
from advisor.plan.render import meta_line, plan_markdown
from advisor.plan.rules import Headings, PlanRules, attribution, headings_for, load_rules
from advisor.query.scope import scope_signal, thesaurus_hits, topic_terms
from advisor.retrieval.passage import Passage
from advisor.settings import Settings
from advisor.taxonomy import Taxonomy

if TYPE_CHECKING:  # the plan reads an Advisor's stores; it is not needed to import this module
    from advisor.components import Advisor

REASON_KINDS = ("outcome", "description")
PLACE_FIELDS = ("region",)  # profile fields that name places: each unknown word there is a place not covered
_WORD = re.compile(r"[\w’'-]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _nothing(_: list[float]) -> list[Document]:
    return []


@dataclass(frozen=True)
class PlanCorpus:
    """What a plan is built from: the strategy's committed chunks, the nearest workspace chunks to
    a vector, and ways to compare text."""

    chunks: list[Document]  # every committed chunk of the strategy (a few dozen)
    sentence_vectors: Callable[[list[str]], np.ndarray]  # unit vectors, one row per sentence
    embed: Callable[[str], list[float]]  # a unit vector for a text that is not a stored sentence
    vocabulary: set[str]  # every term the documents use (what "covered" means for a profile word)
    strategy_collection: str
    # The workspace chunks nearest to a focus area: a large workspace costs a few queries, not a scan.
    workspace: Callable[[list[float]], list[Document]] = _nothing

    @classmethod
    def of(cls, advisor: Advisor, include_workspace: bool = True) -> PlanCorpus:
        settings = advisor.settings
        names = [settings.collection]
        nearest = _nothing
        if include_workspace and settings.workspace_collection in advisor.stores:
            store = advisor.workspace
            names.append(store.name)

            def nearest(vector: list[float]) -> list[Document]:
                hits = store.dense_search(vector, settings.plan_workspace_passages, store.committed_filter())
                return [doc for doc, _ in hits]

        names = list(dict.fromkeys(names))
        return cls(
            chunks=advisor.strategy.chunks(),
            sentence_vectors=advisor.sentences.get,
            embed=advisor.embeddings.embed_query,
            vocabulary=advisor.retriever.vocabulary(names),
            strategy_collection=settings.collection,
            workspace=nearest,
        )


@dataclass(frozen=True)
class ProfileSignal:
    """What a step is compared with: the meaning of the profile's covered words, and those words.
    Words the documents never use ("Kenya") are left out: they could only add noise to the order,
    and the plan reports them instead."""

    vector: np.ndarray
    terms: frozenset[str]

    @classmethod
    def of(cls, profile: Profile, corpus: PlanCorpus) -> ProfileSignal | None:
        unknown = {w for words in unknown_profile_words(profile, corpus.vocabulary).values() for w in words}
        text = " ".join(w for w in _WORD.findall(profile.text) if w not in unknown)
        known = frozenset(t for t in topic_terms(text) if t in corpus.vocabulary)
        if not known:
            return None
        return cls(np.asarray(corpus.embed(text), dtype=np.float32), known)

    def relevance(self, sentence: str, vector: np.ndarray) -> float:
        """Similarity in meaning, plus the share of the profile's words the sentence uses: a step
        that names the sector ("fintech") outranks one that is merely close to it."""
        overlap = len(self.terms & set(topic_terms(sentence))) / len(self.terms)
        return float(vector @ self.vector) + overlap


@dataclass
class Candidate:
    """An action sentence that could become a step, with its reason and how well it fits."""

    chunk: Document
    start: int
    text: str
    reasons: tuple[str, ...]  # outcome and description sentences of the same passage
    reason_scores: np.ndarray  # how well each explains this step (similarity, plus the outcome bonus)
    vector: np.ndarray
    areas: tuple[str, ...]  # areas it may be grouped under (its passage serves them)
    fit: dict[str, float]  # similarity to each area's own text
    relevance: float  # similarity to the profile (0 without one)
    workspace: bool
    order: tuple[object, ...]  # where it stands in the documents

    @property
    def key(self) -> str:
        meta = self.chunk.metadata
        return hashlib.sha1(f"{meta.get('doc_id', '')}\x00{self.text}".encode()).hexdigest()[:12]

    def score(self, area: str, profile_weight: float) -> float:
        return self.fit.get(area, 0.0) + profile_weight * self.relevance


@dataclass
class Selection:
    steps: list[tuple[str, Candidate]] = field(default_factory=list)  # (area, candidate)
    padded: bool = False


def build_plan(advisor: Advisor, request: PlanRequest, today: Date | None = None) -> Plan:
    """The plan for this request from the advisor's committed documents; bad input is a ValueError
    raised before the store is read."""
    check_request(request, load_rules(advisor.settings.plan_rules_file, advisor.taxonomy), advisor.settings)
    return plan_from(PlanCorpus.of(advisor, request.include_workspace), request, advisor.taxonomy, advisor.settings, today)


def check_request(request: PlanRequest, rules: PlanRules, settings: Settings) -> tuple[list[str], Headings, Profile]:
    """The area ids, headings and profile of a request; everything refused is refused here, first."""
    areas = rules.resolve(request.focus_areas)
    headings = headings_for(settings.plan_headings_file, request.language)
    profile = request.profile or Profile()
    size = sum(len(v) for v in profile.model_dump().values())
    if size > settings.plan_max_profile_chars:
        raise ValueError(f"the profile is {size} characters long; the limit is {settings.plan_max_profile_chars}")
    if any(_CONTROL.search(v) for v in profile.model_dump().values()):
        raise ValueError("the profile contains control characters")
    return areas, headings, profile


def plan_from(
    corpus: PlanCorpus, request: PlanRequest, taxonomy: Taxonomy, settings: Settings, today: Date | None = None
) -> Plan:
    """The plan for this request from these chunks (see the module docstring for the rules)."""
    rules = load_rules(settings.plan_rules_file, taxonomy)
    chosen_areas, headings, profile = check_request(request, rules, settings)
    signal = ProfileSignal.of(profile, corpus)
    candidates = find_candidates(corpus, request.audience, rules.order, signal, settings)
    selection = select_steps(candidates, chosen_areas, rules, settings, has_profile=signal is not None)
    ordered = order_steps(selection.steps, rules, has_profile=signal is not None)
    whys = assign_reasons([candidate for _, candidate in ordered])

    numbers: dict[str, int] = {}
    passages: dict[str, Passage] = {}
    steps: list[PlanStep] = []
    for n, (area, candidate) in enumerate(ordered, start=1):
        cid = candidate.chunk.metadata.get("chunk_id", candidate.chunk.id or "")
        if cid not in numbers:
            numbers[cid] = len(numbers) + 1
            score = candidate.score(area, settings.plan_profile_weight)
            passages[cid] = Passage(candidate.chunk, score, candidate.fit.get(area, 0.0))
        stage = rules.stage_of(area)
        steps.append(
            PlanStep(
                n=n,
                key=candidate.key,
                stage=stage,
                stage_title=headings.stage(stage),
                focus_area=area,
                focus_area_title=headings.area(area, taxonomy),
                text=candidate.text,
                why=whys[candidate.key],
                citations=[numbers[cid]],
                origin=origin(candidate.chunk) if candidate.workspace else None,
            )
        )
    citations = [shown_citation(passages[cid], numbers[cid]) for cid in numbers]

    covered = {area for area, _ in selection.steps}
    not_covered = [f"{headings.area(a, taxonomy)} ({headings.kind('focus_area')})" for a in chosen_areas if a not in covered]
    not_covered += uncovered_profile_words(profile, corpus.vocabulary, headings)
    notes = [headings["padded"].format(count=min_steps(settings))] if selection.padded else []
    day = (today or Date.today()).isoformat()
    asked = None if chosen_areas == rules.order else [headings.area(a, taxonomy) for a in chosen_areas]
    plan = Plan(
        title=headings["title"].format(audience=headings.audience(request.audience)),
        subtitle=meta_line(day, request.audience, headings, asked),
        audience=request.audience,
        language=headings.language,
        date=day,
        focus_areas=chosen_areas,
        steps=steps,
        citations=citations,
        not_covered=not_covered,
        notes=notes,
        attribution=attribution(settings.knowledge_dir, taxonomy),
        footer=headings["footer"],
        markdown="",
    )
    plan.markdown = plan_markdown(plan, headings)
    return plan


def shown_citation(passage: Passage, n: int) -> Citation:
    """Citation [n]; a passage with planted instructions is quoted without them in the sources."""
    citation = passage.citation(n)
    if any(is_directive(text) for _, _, text in sentence_spans(passage.document)):
        citation.text = without_directives(citation.text)
    return citation


def min_steps(settings: Settings) -> int:
    return min(settings.plan_min_steps, settings.plan_max_steps)


def origin(chunk: Document) -> str:
    """Where a workspace passage is: its document, and page when it has pages."""
    page = chunk.metadata.get("page")
    source = chunk.metadata.get("source", "")
    return f"{source}, page {page}" if isinstance(page, int) and page >= 0 else source


def area_vectors(corpus: PlanCorpus, areas: list[str]) -> dict[str, np.ndarray]:
    """Each area as the vector of its own passage in the strategy (its title when it has none)."""
    own = {
        c.metadata.get("section_id"): c.page_content
        for c in corpus.chunks
        if c.metadata.get("collection", corpus.strategy_collection) == corpus.strategy_collection
    }
    return {a: np.asarray(corpus.embed(own.get(a) or a), dtype=np.float32) for a in areas}


def find_candidates(
    corpus: PlanCorpus, audience: str, areas: list[str], profile: ProfileSignal | None, settings: Settings
) -> list[Candidate]:
    """Every quotable action for `audience` that has a reason in its own passage and an area."""
    vectors_of_areas = area_vectors(corpus, areas)
    nearby = {doc.id: doc for v in vectors_of_areas.values() for doc in corpus.workspace(v.tolist())}
    out: list[Candidate] = []
    for chunk in [*corpus.chunks, *nearby.values()]:
        meta = chunk.metadata
        workspace = meta.get("collection", corpus.strategy_collection) != corpus.strategy_collection
        serves = tuple(a for a in str(meta.get("focus_areas", "")).split(",") if a in vectors_of_areas)
        if not workspace and not serves:
            continue  # introductions and conclusions serve no area: a plan cannot group their advice
        spans = [(start, text, sentence_role(chunk, start, text)) for start, _, text in quotable_sentences(chunk, settings.min_quotable_chars)]
        actions = [(start, text) for start, text, role in spans if role.is_action_for(audience)]
        reasons = [(text, role.kind == "outcome") for _, text, role in spans if role.kind in REASON_KINDS]
        if not actions or not reasons:
            continue
        vectors = corpus.sentence_vectors([text for _, text in actions] + [text for text, _ in reasons])
        action_vectors, reason_vectors = vectors[: len(actions)], vectors[len(actions) :]
        bonus = np.asarray([settings.plan_outcome_bonus if outcome else 0.0 for _, outcome in reasons])
        for (start, text), vector in zip(actions, action_vectors):
            fit = {a: float(vector @ v) for a, v in vectors_of_areas.items()}
            if workspace:
                best = max(fit, key=fit.__getitem__)
                if fit[best] < settings.plan_min_workspace_similarity:
                    continue
                candidate_areas: tuple[str, ...] = (best,)
                order: tuple[object, ...] = (1, meta.get("source", ""), meta.get("page") or 0, meta.get("start") or 0, start)
            else:
                candidate_areas = serves
                order = (0, meta.get("source", ""), meta.get("start") or 0, start)
            relevance = profile.relevance(text, vector) if profile is not None else 0.0
            out.append(
                Candidate(
                    chunk, start, text, tuple(t for t, _ in reasons), reason_vectors @ vector + bonus, vector,
                    candidate_areas, fit, relevance, workspace, order,
                )
            )
    return out


def assign_reasons(steps: list[Candidate]) -> dict[str, str]:
    """Each step's "why" (by step key): per passage, the best-scoring pairs first, and a reason
    already given to another step of that passage only once every reason has been given."""
    whys: dict[str, str] = {}
    by_chunk: dict[int, list[Candidate]] = {}
    for step in steps:
        by_chunk.setdefault(id(step.chunk), []).append(step)
    for group in by_chunk.values():
        reasons = group[0].reasons
        pending = list(group)
        used: set[int] = set()
        while pending:
            if len(used) == len(reasons):
                used.clear()
            free = [r for r in range(len(reasons)) if r not in used]
            step, reason = max(((s, r) for s in pending for r in free), key=lambda p: p[0].reason_scores[p[1]])
            whys[step.key] = reasons[reason]
            used.add(reason)
            pending.remove(step)
    return whys


def select_steps(
    candidates: list[Candidate], chosen: list[str], rules: PlanRules, settings: Settings, has_profile: bool
) -> Selection:
    """Choose at most plan_max_steps steps: one for every chosen area first (the scarcest area
    picks first, so an area whose only steps another area could also take still gets one), then
    round after round in plan order (or the profile's order); below plan_min_steps, areas related
    to the chosen ones (sharing a passage with them), then the rest in plan order, add theirs."""
    weight = settings.plan_profile_weight
    ranked = {
        area: sorted((c for c in candidates if area in c.areas), key=lambda c: -c.score(area, weight))
        for area in rules.order
    }
    selection = Selection()
    taken: set[str] = set()

    def is_repeat(candidate: Candidate) -> bool:
        text = " ".join(candidate.text.split()).casefold()
        for _, other in selection.steps:
            if " ".join(other.text.split()).casefold() == text:
                return True
            if float(candidate.vector @ other.vector) >= settings.plan_duplicate_similarity:
                return True
        return False

    def take(area: str) -> bool:
        workspace_steps = sum(1 for _, c in selection.steps if c.workspace)
        for candidate in ranked[area]:
            if candidate.key in taken or is_repeat(candidate):
                continue
            if candidate.workspace and workspace_steps >= settings.plan_max_workspace_steps:
                continue
            selection.steps.append((area, candidate))
            taken.add(candidate.key)
            return True
        return False

    def rounds(areas: list[str], limit: int) -> None:
        progress = True
        while progress and len(selection.steps) < limit:
            progress = False
            for area in areas:
                if len(selection.steps) >= limit:
                    return
                progress = take(area) or progress

    budget = settings.plan_max_steps
    for area in sorted(chosen, key=lambda a: len(ranked[a])):
        if len(selection.steps) >= budget:
            break
        take(area)
    by_relevance = sorted(chosen, key=lambda a: -max((c.relevance for c in ranked[a]), default=0.0))
    rounds(by_relevance if has_profile else chosen, budget)

    floor = min_steps(settings)
    if len(selection.steps) < floor:
        related = {a for c in candidates if set(c.areas) & set(chosen) for a in c.areas} - set(chosen)
        others = sorted(
            (a for a in rules.order if a not in chosen), key=lambda a: (a not in related, rules.order.index(a))
        )
        before = len(selection.steps)
        rounds(others, floor)
        selection.padded = len(selection.steps) > before
    return selection


def order_steps(steps: list[tuple[str, Candidate]], rules: PlanRules, has_profile: bool) -> list[tuple[str, Candidate]]:
    """Stages in the rule's order; within a stage, areas in the rule's order (or by how well their
    steps match the profile); within an area, document order (or profile relevance)."""
    stage_index = {stage.id: i for i, stage in enumerate(rules.stages)}
    area_index = {area: i for i, area in enumerate(rules.order)}
    area_relevance: dict[str, float] = {}
    for area, candidate in steps:
        area_relevance[area] = max(area_relevance.get(area, -1.0), candidate.relevance)

    def key(item: tuple[str, Candidate]) -> tuple[object, ...]:
        area, candidate = item
        area_rank = -area_relevance[area] if has_profile else 0.0
        within = (-candidate.relevance,) if has_profile else ()
        return (stage_index[rules.stage_of(area)], area_rank, area_index[area], *within, candidate.order)

    return sorted(steps, key=key)


def unknown_profile_words(profile: Profile, vocabulary: set[str]) -> dict[str, list[str]]:
    """Per profile field, its words the documents never use, by the scope rule's notion of "known"
    (the thesaurus and spelling tolerance included: "ministry" is known through "governments")."""
    out: dict[str, list[str]] = {}
    for name, value in profile.items():
        thesaurus = thesaurus_hits(value)
        unknown = [
            word
            for word in _WORD.findall(value)
            if (terms := topic_terms(word)) and scope_signal(terms, vocabulary, thesaurus).unknown_terms
        ]
        if unknown:
            out[name] = unknown
    return out


def uncovered_profile_words(profile: Profile, vocabulary: set[str], headings: Headings) -> list[str]:
    """What the plan says once at the top: every word of a place the documents never use ("Kenya
    (region)"), and a sector, size or institution none of whose words they use ("agriculture
    (sector)"). One unfamiliar word in an otherwise documented value ("ministry of digital affairs")
    is not worth a warning."""
    values = dict(profile.items())
    out = []
    for name, unknown in unknown_profile_words(profile, vocabulary).items():
        if name in PLACE_FIELDS:
            out.append(f"{' '.join(unknown)} ({headings.kind(name)})")
        elif all(word in unknown for word in _WORD.findall(values[name]) if topic_terms(word)):
            out.append(f"{values[name]} ({headings.kind(name)})")
    return out
