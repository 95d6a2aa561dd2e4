"""The grounded composer: the default backend, no language model involved.

Every sentence it quotes is copied from a cited passage (at most trimmed of a leading connective),
so it cannot state a figure, date or programme that its sources do not; the words around the quotes
(lead line, headings, notes) come from knowledge/languages.yaml in the asker's language. It opens
by saying which requested specifics the documents do not give, gives two or three sentences of what
the strategy says, then the actions: sentences that instruct the asker's audience (the one sentence
rule of advisor/answer/actions.py), ranked by relevance to the question, sentence by sentence, never
padded to a count: readers judged answers with two or three off-topic actions worse than answers with
one good one. Why / what-is / factual questions lead with the explanation instead, and add an action
only when it is about the same thing. Overview questions are answered from the taxonomy
(advisor/answer/overview.py); questions out of scope are declined plainly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from langchain_core.documents import Document

from advisor.answer.actions import Role, condition, needs_previous, sentence_role, vocabulary
from advisor.answer.framing import focus_line, heading, lead_line, marks, preamble, quotes_note
from advisor.answer.grounding import unsupported_figures, without_figures
from advisor.answer.overview import area_items, overview_answer
from advisor.answer.quotable import CACHE_SIZE, quotable_sentences, tidy
from advisor.models import Action, Answer, Citation, KeyPoint
from advisor.query.detail import states_origin
from advisor.query.language import Language, language
from advisor.query.parts import QuestionPart
from advisor.query.scope import GENERIC_TERMS, NAME_TERMS, names_strategy
from advisor.query.understand import AREA_LISTS, Query
from advisor.retrieval.passage import Passage
from advisor.settings import Settings
from advisor.taxonomy import Taxonomy
from advisor.text import terms

BACKEND = "grounded-composer"

# Named programmes, standards and instruments: capitalised names and acronyms after the first word.
_NAMED = re.compile(r"(?<!^)\b(?:[A-Z]{2,}[\w-]*|[A-Z][a-z]+(?:\s+(?:[A-Z][a-z]+|of|for|and))*\s+[A-Z][a-z]+|\d{4,5})\b")


@dataclass(frozen=True)
class Space:
    """How relevance is measured for this question: MiniLM for English, multilingual-e5 otherwise."""

    # Question-to-sentence relevance in window units: an action may be at most 1.0 below the best sentence.
    relevance: Callable[[list[str]], np.ndarray]
    passage_similarity: Callable[[Passage], float]
    min_passage: float
    passage_window: float  # a passage may be at most this much less similar than the best one
    floor: float = float("-inf")  # relevance (same units) below which a sentence is never an action
    # How generic each sentence is (standard deviations of closeness to the whole strategy).
    generality: Callable[[list[str]], np.ndarray] | None = None


@dataclass
class ScoredSentence:
    passage_index: int
    start: int
    end: int
    text: str
    similarity: float
    role: Role
    score: float
    base: float = 0.0  # the score without the bonus for reading as advice: what explanations rank by
    fits: bool = True  # False: an action for a situation ("If you develop AI, …") the question is not about
    origin: bool = False  # states the strategy's own date or institutions (for a question about them)
    framing: bool = False  # from a section about the whole strategy (its conclusion, "why businesses should act")


# An asker who names a place outside the EU is in the situation "if your company operates in a partner country".
_PARTNER = frozenset(terms("partner country countries"))


@lru_cache(maxsize=CACHE_SIZE)
def sentence_terms(sentence: str) -> frozenset[str]:
    return frozenset(terms(sentence))


@lru_cache(maxsize=CACHE_SIZE)
def specificity(sentence: str) -> float:
    """How many named programmes, standards or instruments the sentence names (0 to 1)."""
    return min(1.0, len(_NAMED.findall(sentence)) / 3)


@lru_cache(maxsize=CACHE_SIZE)
def condition_terms(sentence: str) -> frozenset[str]:
    """What an action's opening condition is about: its topic words, less verbs of doing and names."""
    found = condition(sentence)
    if found is None:
        return frozenset()
    doing = frozenset(terms(" ".join(vocabulary().imperatives)))
    return frozenset(terms(found)) - GENERIC_TERMS - NAME_TERMS - doing


def compose_answer(
    query: Query,
    passages: list[Passage],
    space: Space,
    taxonomy: Taxonomy,
    settings: Settings,
    in_scope: bool,
    library: list[Document],
    sections: list[Section] | None = None,
    attribution: str = "",
) -> Answer:
    """Build the answer from the passages alone. `in_scope` is the one scope decision
    (advisor.query.scope.in_scope), taken before any backend answers; `library` is the strategy's
    chunks, which overview answers list in full; `sections` are the parts of a multi-part question,
    each with its own passages, answered each in its own block."""
    lang = language(query.language)
    if not in_scope or not passages:
        return decline(query, lang)
    if sections and query.overview in AREA_LISTS:
        # The list asked beside questions of its own: each part in its block, the list one of them.
        answer = compose_sections(query, lang, sections, taxonomy, settings, library)
        if answer is not None:
            return answer
    if query.intent == "overview" and query.overview is not None:
        answer = overview_answer(
            query, library, taxonomy, lang, settings.min_quotable_chars, settings.overview_item_max_words,
            settings.answer_max_words, attribution, settings.strategy_url,
        )
        if answer is not None:
            return answer

    if sections and not query.about_origin:
        answer = compose_sections(query, lang, sections, taxonomy, settings, library)
        if answer is not None:
            return answer
    usable = usable_passages(passages, space)
    scored = mark_framing(score_sentences(query, usable, space, settings), usable, taxonomy)
    if not scored:
        return decline(query, lang)

    if query.about_origin and query.details:
        usable, scored = with_origin(usable, scored, library, settings)
    gaps = weigh_details(query, scored, settings)
    points, actions = choose(query, scored, space, settings, gaps)
    answer = build_answer(query, lang, usable, points, actions, taxonomy, gaps)
    # Readable in twenty seconds: drop the weakest action, then the weakest point, until short enough.
    while len(answer.answer.split()) > settings.answer_max_words:
        chosen = [s for picked in actions.values() for s in picked]
        if len(chosen) > 1:
            weakest = min(chosen, key=lambda s: s.score)
            actions = {a: [s for s in picked if s is not weakest] for a, picked in actions.items()}
        elif len(points) > 1:
            weakest = min(points, key=lambda s: s.score)
            points = [s for s in points if s is not weakest]
        else:
            break
        answer = build_answer(query, lang, usable, points, actions, taxonomy, gaps)
    return answer


def choose(
    query: Query, scored: list[ScoredSentence], space: Space, settings: Settings, gaps: Gaps
) -> tuple[list[ScoredSentence], dict[str, list[ScoredSentence]]]:
    """The sentences that say what the strategy says, and the actions per audience, for one question
    (or one part of one: the limits in `settings` are then the part's)."""
    # What the documents do give leads: the asked-for specific, or for a question on the strategy's
    # origin the sentences on its date and institutions (a Commissioner's name is not there, they are).
    with_detail = gaps.stated or [s for s in scored if s.origin and (s.passage_index, s.start) not in gaps.against]
    stated_points = sorted(with_detail, key=lambda s: -s.score)[: settings.max_key_points]
    if query.about_origin and (with_detail or gaps.contradicting):
        # Who adopted it and when is one sentence of the introduction: the rest of what retrieval
        # found ("adopting the GDPR" for "adopted in 2024") answers another question.
        points, actions = stated_points, {}
    elif query.intent in ("explain", "describe", "fact"):
        # Why / what is / what does the strategy do / a specific: what the strategy says leads, and an
        # action follows only when it is about the same thing. A why / what-is / fact answer may quote
        # an instruction as its explanation ("Countries should consider adopting … GDPR"); a question
        # about what the strategy does keeps instructions as actions.
        points = stated_points or pick_explanation(scored, settings, instructions=query.intent != "describe")
        margin = settings.describe_action_margin if query.intent == "describe" else settings.explain_action_margin
        actions = {
            query.audience: pick_actions(scored, query.audience, settings, space.floor, points, explain=True, margin=margin)
        }
    else:
        parts = [query.audience] if query.audience != "general" or query.intent != "advice" else ["business", "government"]
        actions = {audience: pick_actions(scored, audience, settings, space.floor, with_detail) for audience in parts}
        if len(parts) > 1 and not all(actions.values()):
            actions = {query.audience: pick_actions(scored, query.audience, settings, space.floor, with_detail)}
        taken = [s for chosen in actions.values() for s in chosen]
        # Advice is framed by its own passages; a question about what the strategy does (or one whose
        # asker is not recognisable, as in other languages) by the sentences closest to it.
        frame = taken if query.intent == "advice" else []
        points = stated_points or pick_key_points(
            scored, taken, settings.max_key_points, settings.key_point_margin, frame, framing=query.about_whole
        )
    return points, actions


@dataclass
class Gaps:
    """What the question asks for or asserts, weighed against what the passages state."""

    missing: list[str]  # kinds no answering sentence states (or states as the asker claims)
    stated: list[ScoredSentence]  # sentences that give what was asked, or confirm the claim
    contradicting: list[ScoredSentence]  # sentences that state another date / institution than claimed
    contradicted: list[str]  # the missing kinds for which the documents state something else
    asserted: bool  # the question states a specific and asks to confirm it

    @property
    def against(self) -> set[tuple[int, int]]:
        return {(s.passage_index, s.start) for s in self.contradicting}


def weigh_details(query: Query, scored: list[ScoredSentence], settings: Settings) -> Gaps:
    """For each specific asked for or asserted: is it stated, stated otherwise, or not at all?

    The specific must sit in a sentence that answers the question, not anywhere retrieved (or in a
    sentence on the strategy's own origin, for a question about that). A claim ("I was told it was
    adopted in March 2024") is confirmed only by a sentence that states its figures and names; a
    sentence that gives another date or institution contradicts it and is quoted with the plain
    sentence that opens the answer. Either way the claimed specific is missing from the documents."""
    missing: list[str] = []
    stated: list[ScoredSentence] = []
    contradicting: list[ScoredSentence] = []
    contradicted: list[str] = []
    relevant = max(s.score for s in scored) - settings.action_score_window
    # A date or figure answers only when its sentence is about what the question names: the
    # strategy's own launch date does not date "the launch event of the Digital Partnership Network".
    topic = set(query.topic_terms) - NAME_TERMS - GENERIC_TERMS
    for detail in query.details:
        found = [
            s for s in scored
            if (s.origin or (s.passage_index < settings.detail_evidence_passages and s.score >= relevant
                             and (not topic or topic & sentence_terms(s.text))))
            and detail.evidence.search(s.text)
        ]
        confirming = [
            s for s in found
            if not detail.asserted
            or (not unsupported_figures(query.text, [s.text]) and detail.confirmed_by(query.text, s.text))
        ]
        if confirming:
            stated += [s for s in confirming if s not in stated]
            continue
        missing.append(detail.kind)
        if detail.asserted and found:
            contradicted.append(detail.kind)
            contradicting += [s for s in found if s not in contradicting]
    return Gaps(missing, stated, contradicting, contradicted, any(d.asserted for d in query.details))


def with_origin(
    passages: list[Passage], scored: list[ScoredSentence], library: list[Document], settings: Settings
) -> tuple[list[Passage], list[ScoredSentence]]:
    """Add the sentences that state the strategy's own date or institutions (found in the whole
    document, not only where retrieval looked): a question on who adopted it or when is answered by
    them, however its other words lead the search ("the European Parliament adopted it in 2024")."""
    passages, scored = list(passages), list(scored)
    top = max(scored, key=lambda s: s.score)
    index_of = {p.chunk_id: i for i, p in enumerate(passages)}
    for chunk in library:
        for start, end, sentence in quotable_sentences(chunk, settings.min_quotable_chars):
            if not (names_strategy(sentence) and states_origin(sentence)):
                continue
            chunk_id = chunk.metadata.get("chunk_id", chunk.id or "")
            if chunk_id not in index_of:
                index_of[chunk_id] = len(passages)
                passages.append(Passage(chunk, 0.0, 0.0))
            index = index_of[chunk_id]
            known = [s for s in scored if s.passage_index == index and s.start == start]
            for s in known:
                s.origin = True
            if not known:
                role = sentence_role(chunk, start, sentence)
                scored.append(ScoredSentence(index, start, end, sentence, top.similarity, role, top.score, top.base, origin=True))
    return passages, scored


def usable_passages(passages: list[Passage], space: Space) -> list[Passage]:
    """The best passage, and those close enough to it to quote from."""
    best = max(space.passage_similarity(p) for p in passages)
    return [
        p for i, p in enumerate(passages)
        if i == 0
        or (space.passage_similarity(p) >= space.min_passage and space.passage_similarity(p) >= best - space.passage_window)
    ]


def mark_framing(scored: list[ScoredSentence], passages: list[Passage], taxonomy: Taxonomy) -> list[ScoredSentence]:
    """Mark the sentences of the document's framing sections (knowledge/taxonomy.yaml `framing`)."""
    for s in scored:
        s.framing = str(passages[s.passage_index].metadata.get("section_id", "")) in taxonomy.framing
    return scored


@dataclass(frozen=True)
class Section:
    """One part of a multi-part question, with what was retrieved and how relevance is measured for it."""

    part: QuestionPart
    query: Query  # the question narrowed to this part (its text, audience, intent, specifics)
    passages: list[Passage]
    space: Space


@dataclass
class Block:
    part: QuestionPart
    passages: list[Passage]
    points: list[ScoredSentence]
    actions: list[ScoredSentence]
    gaps: Gaps
    titles: list[str] = field(default_factory=list)  # a part that lists the strategy's areas: each point's area


def compose_sections(
    query: Query, lang: Language, sections: list[Section], taxonomy: Taxonomy, settings: Settings,
    library: list[Document] | None = None,
) -> Answer | None:
    """One short block per part of a multi-part question, each with its own cited sentence and actions,
    chosen by the same rules as a whole answer but with a part's smaller limits, so that every part is
    answered within the word budget. A sentence already given for an earlier part is not repeated, and
    an earlier part leaves a later part's best action to it when it has another one of its own (the
    later part otherwise lost its one fitting action to a part that had alternatives).
    A part that asks for the objectives or the focus areas lists them all, as that question asked alone would
    ("What are the three objectives, and which focus area covers digital IDs?"); a list announced is a list given,
    so the word budget never cuts it.
    None when fewer than two parts find anything to quote (the question is then answered whole)."""
    limits = settings.model_copy(update={
        "max_key_points": settings.part_key_points,
        "explain_key_points": settings.part_key_points,
        "max_actions": settings.part_max_actions,
        "explain_max_actions": min(settings.explain_max_actions, settings.part_max_actions),
    })
    blocks: list[Block] = []
    used: set[tuple[str, int]] = set()
    prepared = []
    for section in sections:
        if not section.passages:
            continue
        usable = usable_passages(section.passages, section.space)
        scored = mark_framing(score_sentences(section.query, usable, section.space, limits), usable, taxonomy)
        prepared.append((section, usable, scored, best_action(section, usable, scored, limits)))
    for i, (section, usable, all_scored, own_best) in enumerate(prepared):
        listed = listed_block(section, library or [], taxonomy, limits)
        if listed is not None:
            used |= {(listed.passages[s.passage_index].chunk_id, s.start) for s in listed.points}
            blocks.append(listed)
            continue
        scored = [s for s in all_scored if (usable[s.passage_index].chunk_id, s.start) not in used]
        if not scored:
            continue
        later_best = {best for _, _, _, best in prepared[i + 1 :] if best is not None} - {own_best}
        gaps = weigh_details(section.query, scored, limits)
        points, actions = choose(section.query, scored, section.space, limits, gaps)
        chosen = [s for picked in actions.values() for s in picked]
        if later_best & {(usable[s.passage_index].chunk_id, s.start) for s in chosen}:
            spared = [s for s in scored if (usable[s.passage_index].chunk_id, s.start) not in later_best]
            other_points, other = choose(section.query, spared, section.space, limits, gaps) if spared else ([], {})
            if any(other.values()):
                points, actions = other_points, other
                chosen = [s for picked in actions.values() for s in picked]
        used |= {(usable[s.passage_index].chunk_id, s.start) for s in [*points, *chosen]}
        blocks.append(Block(section.part, usable, points, chosen, gaps))
    if sum(1 for b in blocks if b.points or b.actions) < 2:
        return None
    answer = build_sections_answer(query, lang, blocks, taxonomy)
    # Readable in twenty seconds: drop the weakest action, then the weakest point, of a block that
    # keeps something, until short enough.
    while len(answer.answer.split()) > settings.answer_max_words:
        spare = [
            (b, s) for b in blocks if not b.titles and len(b.points) + len(b.actions) > 1 for s in [*b.actions, *b.points]
        ]
        actions_first = [(b, s) for b, s in spare if s in b.actions] or spare
        if not actions_first:
            break
        block, weakest = min(actions_first, key=lambda pair: pair[1].score)
        block.actions = [s for s in block.actions if s is not weakest]
        block.points = [s for s in block.points if s is not weakest]
        answer = build_sections_answer(query, lang, blocks, taxonomy)
    return answer


def listed_block(section: Section, library: list[Document], taxonomy: Taxonomy, settings: Settings) -> Block | None:
    """A part asking for the objectives or the focus areas, answered by listing every one (advisor.answer.overview),
    each with its own chunk's first sentence; None for any other part, or when the index lacks the areas."""
    kind = section.query.overview if section.query.intent == "overview" else None
    if kind not in AREA_LISTS:
        return None
    items = [item for item in area_items(kind, library, taxonomy, settings.min_quotable_chars) if item.sentence]
    if not items:
        return None
    passages = [Passage(item.chunk, score=1.0, similarity=1.0) for item in items]
    points = []
    for index, item in enumerate(items):
        # The item's sentence is its chunk's first quotable one (overview.first_sentence): quoted from where it stands.
        start, end, text = quotable_sentences(item.chunk, settings.min_quotable_chars)[0]
        points.append(ScoredSentence(index, start, end, text, 1.0, sentence_role(item.chunk, start, text), 1.0, 1.0))
    return Block(section.part, passages, points, [], weigh_details(section.query, points, settings), [i.title for i in items])


def best_action(
    section: Section, usable: list[Passage], scored: list[ScoredSentence], settings: Settings
) -> tuple[str, int] | None:
    """A part's best action as it would be chosen alone (chunk id, start), if it has one."""
    if not scored:
        return None
    _, actions = choose(section.query, scored, section.space, settings, weigh_details(section.query, scored, settings))
    chosen = [s for picked in actions.values() for s in picked]
    if not chosen:
        return None
    best = max(chosen, key=lambda s: s.score)
    return usable[best.passage_index].chunk_id, best.start


def build_sections_answer(query: Query, lang: Language, blocks: list[Block], taxonomy: Taxonomy) -> Answer:
    """Write a multi-part answer: the preamble once, then per part its label (the user's words), what
    the strategy says and the actions, each cited; passages numbered once across the parts."""
    number: dict[str, int] = {}
    citations = []
    for block in blocks:
        for s in [*block.points, *block.actions]:
            passage = block.passages[s.passage_index]
            if passage.chunk_id not in number:
                number[passage.chunk_id] = len(number) + 1
                citations.append(passage.citation(number[passage.chunk_id]))
    cited = [c.text for c in citations]
    missing = list(dict.fromkeys(k for b in blocks for k in b.gaps.missing if k not in b.gaps.contradicted))
    contradicting = [
        f"“{tidy(s.text)}” {marks([number[b.passages[s.passage_index].chunk_id]])}"
        for b in blocks for s in b.gaps.contradicting if b.passages[s.passage_index].chunk_id in number
    ]
    lines = preamble(
        lang, understood_as=query.standalone, answered_for=None, missing=missing,
        missing_reference=query.missing_reference, asserted=any(b.gaps.asserted for b in blocks) and not contradicting,
        contradicted=list(dict.fromkeys(contradicting)),
    )
    lines += [lang.text("parts_lead")] + quotes_note(lang)
    point_models: list[KeyPoint] = []
    action_models: list[Action] = []
    for block in blocks:
        label = block.part.label.rstrip(" ?؟.") + ("؟" if lang.code == "ar" else "?")
        if unsupported_figures(label, cited):  # the user's figure is not repeated as if the documents gave it
            label = without_figures(label)
        lines += ["", heading(label)]
        for n, s in enumerate(block.points):
            point = KeyPoint(text=tidy(s.text), citations=[number[block.passages[s.passage_index].chunk_id]])
            point_models.append(point)
            if block.titles:  # the areas listed, numbered and named, as an overview lists them
                lines.append(f"{n + 1}. **{block.titles[n]}** — {point.text} {marks(point.citations)}")
            else:
                lines.append(f"- {point.text} {marks(point.citations)}")
        if block.actions:
            lines.append(f"*{lang.strings['actions']}*")
        for i, s in enumerate(block.actions, start=1):
            action = Action(text=tidy(s.text), citations=[number[block.passages[s.passage_index].chunk_id]])
            action_models.append(action)
            lines.append(f"{i}. {action.text} {marks(action.citations)}")
        if not block.points and not block.actions:
            lines.append(lang.text("part_not_covered"))
    areas = list(dict.fromkeys(
        a for b in blocks for s in [*b.points, *b.actions]
        for a in taxonomy.areas_served([b.passages[s.passage_index].metadata])[:1]
    ))
    if areas:
        lines += ["", focus_line(lang, areas)]
    gaps = [k for b in blocks for k in b.gaps.missing]
    return composed(query, lang, lines, areas, action_models, citations, point_models, gaps, [])


def composed(
    query: Query,
    lang: Language,
    lines: list[str],
    areas: list[str],
    actions: list[Action],
    citations: list[Citation],
    points: list[KeyPoint],
    missing: list[str],
    notes: list[str],
) -> Answer:
    """The in-scope answer a composition produced, whole or in parts; `missing` are the kinds of
    detail the documents do not give, named once each in the asker's language."""
    return Answer(
        question=query.asked,
        audience=query.audience,
        in_scope=True,
        answer="\n".join(lines),
        focus_areas=areas,
        actions=actions,
        citations=citations,
        backend=BACKEND,
        key_points=points,
        missing_detail=", ".join(lang.details.get(k, k) for k in dict.fromkeys(missing)) or None,
        notes=notes,
        language=lang.code,
    )


def score_sentences(query: Query, passages: list[Passage], space: Space, settings: Settings) -> list[ScoredSentence]:
    """Every quotable sentence of the passages, scored for this question (weights in settings)."""
    candidates = [
        (index, start, end, sentence, sentence_role(passage.document, start, sentence))
        for index, passage in enumerate(passages)
        for start, end, sentence in quotable_sentences(passage.document, settings.min_quotable_chars)
    ]
    candidates = [c for c in candidates if c[4].kind != "glue"]
    if not candidates:
        return []
    sims = space.relevance([c[3] for c in candidates])
    generic = space.generality([c[3] for c in candidates]) if space.generality else np.zeros(len(candidates))
    q_terms = set(query.terms) | set(terms(" ".join(words for _, words in query.thesaurus)))
    top_score = max(passages[0].score, 1e-9)
    english = query.language == "en"  # a condition's words can only be matched against English
    out = []
    for (index, start, end, sentence, role), sim, general in zip(candidates, sims, generic):
        overlap = len(q_terms & sentence_terms(sentence)) / (len(q_terms) or 1)
        act = 1.0 if role.kind == "action" else 0.0
        base = (
            settings.score_relevance_weight * float(sim)
            + settings.score_overlap_weight * overlap
            - settings.score_rank_penalty * index
            + settings.score_passage_weight * passages[index].score / top_score
            + settings.score_specific_weight * specificity(sentence)
            - settings.score_generic_weight * float(general)
        )
        score = base + settings.score_action_weight * act
        wanted = condition_terms(sentence)
        fits = not english or not wanted or bool(wanted & (q_terms | (_PARTNER if query.abroad else frozenset())))
        out.append(ScoredSentence(index, start, end, sentence, float(sim), role, score, base, fits))
    return out


def previous(sentence: ScoredSentence, scored: list[ScoredSentence]) -> ScoredSentence | None:
    """The sentence just before this one in its passage, if it was scored."""
    before = [s for s in scored if s.passage_index == sentence.passage_index and s.start < sentence.start]
    return max(before, key=lambda s: s.start) if before else None


def follows(sentence: ScoredSentence, chosen: list[ScoredSentence], scored: list[ScoredSentence]) -> bool:
    """Whether the sentence just before this one in its passage is among those chosen."""
    before = previous(sentence, scored)
    return before is not None and any((c.passage_index, c.start) == (before.passage_index, before.start) for c in chosen)


def pick_actions(
    scored: list[ScoredSentence],
    audience: str,
    settings: Settings,
    floor: float,
    exclude: list[ScoredSentence] | None = None,
    explain: bool = False,
    margin: float | None = None,
) -> list[ScoredSentence]:
    """The actions for this audience that answer this question; never padded to a count.

    Relevance is judged sentence by sentence: an action must be nearly as relevant to the question
    as the most relevant action (an explanation's: within `margin` of its best sentence), score
    nearly as well overall, and clear an absolute floor. A sentence that leans on the one before it
    is only used right after that sentence."""
    taken = {(s.passage_index, s.start) for s in exclude or []}
    candidates = [
        s for s in scored
        if s.role.is_action_for(audience) and s.fits and (s.passage_index, s.start) not in taken
        and s.similarity >= floor
    ]
    if not candidates:
        return []
    if explain:
        top = max(s.similarity for s in scored)
        margin, limit = settings.explain_action_margin if margin is None else margin, settings.explain_max_actions
    else:
        top = max(s.similarity for s in candidates)
        margin, limit = settings.action_relevance_margin, settings.max_actions
    best = max(s.score for s in candidates)
    pool = sorted(
        (s for s in candidates if s.similarity >= top - margin and s.score >= best - settings.action_score_margin),
        key=lambda s: -s.score,
    )
    chosen: list[ScoredSentence] = []
    per_passage: dict[int, int] = {}
    for sentence in pool:
        if len(chosen) >= limit:
            break
        if per_passage.get(sentence.passage_index, 0) >= settings.max_actions_per_passage:
            continue
        group = [sentence]
        if needs_previous(sentence.text) and not follows(sentence, chosen, scored):
            # "This could mean adopting the 5G Toolbox" is worth giving with the action it explains.
            before = previous(sentence, scored)
            if before is None or before in chosen or not before.role.is_action_for(audience) or not before.fits:
                continue
            group = [before, sentence]
        if len(chosen) + len(group) > limit:
            continue
        chosen += [s for s in group if s not in chosen]
        per_passage[sentence.passage_index] = per_passage.get(sentence.passage_index, 0) + 1
    if not explain and chosen and len(chosen) < min(limit, settings.thin_answer_actions):
        # One action from a recommendation that gives several reads thin: its next steps on the same
        # topic (the same passage, for this audience, read alone) come with it, best first.
        home = max(chosen, key=lambda s: s.score).passage_index
        siblings = sorted(
            (s for s in candidates if s.passage_index == home and s not in chosen and not needs_previous(s.text)
             and s.similarity >= top - margin),
            key=lambda s: -s.similarity,
        )
        chosen += siblings[: min(limit, settings.thin_answer_actions) - len(chosen)]
    return sorted(chosen, key=lambda s: (s.passage_index, s.start))


def pick_key_points(
    scored: list[ScoredSentence],
    exclude: list[ScoredSentence],
    limit: int,
    margin: float,
    frame: list[ScoredSentence] | None = None,
    framing: bool = False,
) -> list[ScoredSentence]:
    """Sentences that say what the strategy itself intends or what acting brings, best first, each
    close to the question (not merely from a cited passage): generic lines are what readers skip.
    With actions to frame, points come from the passages that give them when those have any, so
    they frame the advice instead of a neighbouring topic, unless another sentence is clearly
    closer to the question. Sentences of the document's framing sections ("Embracing this strategy's
    opportunities will enable companies…") fit every question a little and told a cloud host nothing:
    they are points only when `framing` (the question is about the strategy as a whole) or when no
    sentence on the topic is left."""
    taken = {(s.passage_index, s.start) for s in exclude}
    top = max(s.similarity for s in scored)
    sources = {s.passage_index for s in frame or []}
    candidates = [
        s for s in scored
        if s.role.kind in ("description", "outcome") and (s.passage_index, s.start) not in taken
        and not needs_previous(s.text)
    ]
    if not framing:
        candidates = [s for s in candidates if not s.framing] or candidates
    framing = [s for s in candidates if s.passage_index in sources]
    if framing:
        # A passage that gives no instruction may still be what the question is about (a user's
        # document, a description): its sentences clearly closer to the question than any framing
        # one are points too.
        frame_best = max(s.similarity for s in framing)
        framing += [s for s in candidates if s.passage_index not in sources and s.similarity >= frame_best + margin]
    pool = sorted(framing or [s for s in candidates if s.similarity >= top - margin], key=lambda s: -s.score)
    chosen: list[ScoredSentence] = []
    for sentence in pool:
        if len(chosen) >= limit:
            break
        if any(c.passage_index == sentence.passage_index for c in chosen):
            continue
        chosen.append(sentence)
    return sorted(chosen, key=lambda s: (s.passage_index, s.start))


def pick_explanation(
    scored: list[ScoredSentence], settings: Settings, instructions: bool = True
) -> list[ScoredSentence]:
    """For why / what-is questions: the sentences that explain, in reading order, ranked without the
    advice bonus. Sentences that describe or motivate lead; an instruction is quoted as the
    explanation only when none is close enough (and `instructions` allows it): readers asking "why
    does the EU care" got a government's to-do instead of the reason. The passage that explains best
    (the definition, the motivation) gives its sentences first, so the answer reads as one argument;
    other passages fill what it leaves, at most two sentences each."""
    top = max(s.similarity for s in scored)
    near = [s for s in scored if s.similarity >= top - settings.explain_margin]
    explaining = [s for s in near if s.role.kind != "action"] or (near if instructions else [])
    if not explaining:
        return []
    lead = max(explaining, key=lambda s: s.base).passage_index
    pool = sorted(explaining, key=lambda s: (s.passage_index != lead, -s.base))
    chosen: list[ScoredSentence] = []
    for sentence in pool:
        if len(chosen) >= settings.explain_key_points:
            break
        if sentence.passage_index != lead and sum(c.passage_index == sentence.passage_index for c in chosen) >= 2:
            continue
        if needs_previous(sentence.text) and not follows(sentence, chosen, scored):
            continue
        chosen.append(sentence)
    return sorted(chosen, key=lambda s: (s.passage_index, s.start))


def build_answer(
    query: Query,
    lang: Language,
    passages: list[Passage],
    key_points: list[ScoredSentence],
    actions: dict[str, list[ScoredSentence]],
    taxonomy: Taxonomy,
    gaps: Gaps,
) -> Answer:
    """Number the passages in order of use, then write: preamble, lead, what it says, actions, areas.
    A sentence that contradicts the asker's claim is quoted in the opening line, not repeated below."""
    key_points = [s for s in key_points if (s.passage_index, s.start) not in gaps.against]
    order = [s.passage_index for s in gaps.contradicting] + [s.passage_index for s in key_points]
    order += [s.passage_index for chosen in actions.values() for s in chosen]
    used = list(dict.fromkeys(order))
    number = {index: n for n, index in enumerate(used, start=1)}
    citations = [passages[i].citation(number[i]) for i in used]
    point_models = [KeyPoint(text=tidy(s.text), citations=[number[s.passage_index]]) for s in key_points]
    overruled = query.requested_audience not in (None, "general", query.audience)
    answered_for = query.audience if query.audience_source == "question" and overruled else None
    contradicted = [f"“{tidy(s.text)}” {marks([number[s.passage_index]])}" for s in gaps.contradicting]
    # A kind the documents state otherwise is said by quoting them, not as "not given".
    not_given = [kind for kind in gaps.missing if kind not in gaps.contradicted]
    inferred_for = query.audience if query.audience_source == "inferred" else None
    lines = preamble(lang, understood_as=query.standalone, answered_for=answered_for, missing=not_given,
        missing_reference=query.missing_reference, asserted=gaps.asserted and not contradicted,
        contradicted=contradicted, inferred_for=inferred_for,
    )
    if point_models or any(actions.values()):  # an answer that is only its opening quote needs no lead
        lines += [lead_line(lang, query.audience, citations)] + quotes_note(lang)
    if point_models:
        lines += ["", heading(lang.strings["says"])]
        lines += [f"- {p.text} {marks(p.citations)}" for p in point_models]
    action_models: list[Action] = []
    for audience, chosen in actions.items():
        if not chosen:
            continue
        title = lang.strings["actions"] + (f" — {lang.audiences[audience]}" if len(actions) > 1 else "")
        lines += ["", heading(title)]
        for s in chosen:
            action = Action(text=tidy(s.text), citations=[number[s.passage_index]])
            action_models.append(action)
            lines.append(f"{len(action_models) if len(actions) == 1 else chosen.index(s) + 1}. {action.text} {marks(action.citations)}")
    notes = []
    # Focus-area titles come from the taxonomy, not a passage, so they are checked apart.
    flagged = unsupported_figures("\n".join(lines), [c.text for c in citations])
    areas = list(dict.fromkeys(a for i in used for a in taxonomy.areas_served([passages[i].metadata])[:1]))
    if areas:
        lines += ["", focus_line(lang, areas)]
    if flagged:  # cannot happen with copied sentences; kept as a tripwire for regressions
        notes.append(f"unsupported figures: {', '.join(flagged)}")
    return composed(query, lang, lines, areas, action_models, citations, point_models, gaps.missing, notes)


def decline(query: Query, lang: Language | None = None) -> Answer:
    lang = lang or language(query.language)
    return Answer(
        question=query.asked,
        audience=query.audience,
        in_scope=False,
        answer=lang.text("decline"),
        focus_areas=[],
        actions=[],
        citations=[],
        backend=BACKEND,
        language=lang.code,
    )
