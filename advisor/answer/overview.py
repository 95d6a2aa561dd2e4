"""Overview answers built from the taxonomy: every objective, focus area or recommendation listed,
each with one cited sentence from its own passage; the document's structure; who presented it.

Retrieval ranks passages for a topic; an overview needs all items of a kind, so it reads them
from the taxonomy and the indexed chunks instead. A list announced is a list given.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.documents import Document

from advisor.answer.actions import needs_previous, sentence_role
from advisor.answer.framing import focus_line, marks, preamble, quotes_note
from advisor.answer.quotable import quotable_sentences, tidy
from advisor.models import Action, Answer, Citation, KeyPoint
from advisor.query.language import Language
from advisor.query.understand import AREA_LISTS, Query, asks_for_titles, leading_sections
from advisor.retrieval.passage import Passage
from advisor.retrieval.retriever import list_headings
from advisor.taxonomy import SECTION_SEPARATOR, Taxonomy

BACKEND = "grounded-composer"


@dataclass
class Item:
    title: str
    chunk: Document
    sentence: str  # quoted from the chunk; "" to list the title alone


class Citer:
    """Numbers passages in order of first use."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self._by_chunk: dict[str, int] = {}

    def cite(self, chunk: Document) -> int:
        cid = chunk.metadata.get("chunk_id", chunk.id or "")
        if cid not in self._by_chunk:
            n = len(self.citations) + 1
            self._by_chunk[cid] = n
            self.citations.append(Passage(chunk, score=1.0, similarity=1.0).citation(n))
        return self._by_chunk[cid]


# Sentences quoted from the closing sections, shared among them.
CLOSING_SENTENCES = 4


def list_heading(chunks: list[Document], items: list[Document]) -> tuple[str, Document] | None:
    """The document's own sentence introducing a list ("...centers on three primary objectives:")
    and its chunk: the text after the heading's title, when the list's parent chunk has one."""
    heads = list_headings(chunks, items)
    if not heads:
        return None
    title, _, sentence = heads[0].page_content.partition(": ")
    sentence = " ".join(sentence.split())
    return (sentence, heads[0]) if sentence and title else None


def area_items(kind: str, chunks: list[Document], taxonomy: Taxonomy, min_chars: int) -> list[Item]:
    """Every objective or every focus area (`kind`, a key of AREA_LISTS), in the taxonomy's order, each with the first
    quotable sentence of its own chunk; empty when the index lacks them. Shared by an overview answer and an overview
    asked as one part of a multi-part question, so both list the same items."""
    by_section = {c.metadata.get("section_id"): c for c in chunks}
    return [
        Item(a.title, by_section[a.id], first_sentence(by_section[a.id], min_chars))
        for a in taxonomy.areas if a.kind == AREA_LISTS[kind] and a.id in by_section
    ]


def first_sentence(chunk: Document, min_chars: int, audience: str | None = None, max_words: int = 0) -> str:
    """The passage's first quotable sentence; with an audience, its first action for that audience
    that reads alone ("…align their products with these goals" does not), preferring one of at most
    `max_words` words so that a list of eight stays readable. Leading connectives are dropped."""
    sentences = quotable_sentences(chunk, min_chars)
    if audience is not None:
        actions = [
            text for start, _, text in sentences
            if sentence_role(chunk, start, text).is_action_for(audience) and not needs_previous(text)
        ]
        short = [text for text in actions if not max_words or len(text.split()) <= max_words]
        if short or actions:
            return tidy((short or actions)[0])
    return tidy(sentences[0][2]) if sentences else ""


def overview_answer(
    query: Query,
    chunks: list[Document],
    taxonomy: Taxonomy,
    lang: Language,
    min_chars: int,
    max_words: int = 0,
    budget: int = 0,
    attribution: str = "",
    official_url: str = "",
) -> Answer | None:
    """The overview the query asks for, or None when the index lacks the strategy's chunks.
    `max_words` bounds a listed recommendation's quote; `budget` is the answer length a summary's
    closing sentence may not push it past (the lists themselves are never cut)."""
    by_section = {c.metadata.get("section_id"): c for c in chunks}
    citer = Citer()
    lines: list[str] = []
    key_points: list[KeyPoint] = []
    actions: list[Action] = []
    areas: list[str] = []

    def listing(intro: str, items: list[Item], as_actions: bool = False) -> None:
        lines.extend(["", intro] if lines else [intro])
        for i, item in enumerate(items, start=1):
            n = citer.cite(item.chunk)
            text = f"{i}. **{item.title}**" + (f" — {item.sentence}" if item.sentence else "") + f" {marks([n])}"
            lines.append(text)
            if item.sentence:
                (actions.append(Action(text=item.sentence, citations=[n])) if as_actions
                 else key_points.append(KeyPoint(text=item.sentence, citations=[n])))
            areas.extend(taxonomy.areas_served([item.chunk.metadata])[:1])

    def closing_block(closing_kind: str) -> bool:
        """The closing sections' own sentences; what businesses and governments gain is said in the sections that close
        the recommendations and the document: the sections retrieval ranks first for these overviews (leading_sections
        in knowledge/intents.yaml). False when the index lacks them."""
        sections = list(leading_sections()[closing_kind])
        if closing_kind == "benefits" and query.audience != "business":
            # The conclusion says what each audience gains; the businesses' own closing section only
            # speaks for them, and would crowd the governments' gains out of a shared answer.
            sections = [s for s in sections if by_section.get(s) is None or by_section[s].metadata.get("audience") != "business"]
        closings = [by_section[s] for s in sections if s in by_section]
        if not closings:
            return False
        per_section = CLOSING_SENTENCES // len(closings)
        for closing in closings:
            n = citer.cite(closing)
            for sentence in [tidy(s) for _, _, s in quotable_sentences(closing, min_chars)][:per_section]:
                key_points.append(KeyPoint(text=sentence, citations=[n]))
                lines.append(f"- {sentence} {marks([n])}")
            areas.extend(taxonomy.areas_served([closing.metadata])[:1])
        return True

    def introduction(count: int) -> list[str]:
        """The introduction's first `count` sentences, cited and kept as key points, each with its citation mark, for
        the caller to lay out; [] when the index lacks the introduction. Who and when are both in the first one."""
        intro = by_section.get("introduction")
        if intro is None:
            return []
        n = citer.cite(intro)
        sentences = [s for _, _, s in quotable_sentences(intro, min_chars)][:count]
        key_points.extend(KeyPoint(text=sentence, citations=[n]) for sentence in sentences)
        return [f"{sentence} {marks([n])}" for sentence in sentences]

    kind = query.overview
    if "who_when" in query.also:
        # Asked with the list: who presented the strategy and when, in the introduction's first sentence, which says both.
        lines.extend(introduction(1))
    if kind in ("objectives", "focus_areas", "objectives_and_focus_areas"):
        # A comparison lists both sets, each item with its own first sentence, so the two can be told
        # apart, and each set under the document's own sentence introducing it: what the strategy
        # "centers on" against the "priority domains for action" says what the difference is.
        wanted = {"objectives": ["objectives"], "focus_areas": ["focus_areas"]}.get(kind, ["objectives", "focus_areas"])
        if kind == "objectives_and_focus_areas":
            # Readers asked for the difference and got two lists: say it first, from the two lists'
            # own headings ("centers on three primary objectives", "priority domains for action").
            lines.append(lang.text("overview_difference"))
        for plural in wanted:
            items = area_items(plural, chunks, taxonomy, min_chars)
            if not items:
                return None
            intro = lang.text(f"overview_{plural}")
            heading = list_heading(chunks, [item.chunk for item in items]) if kind == "objectives_and_focus_areas" else None
            if heading is not None:
                sentence, chunk = heading
                intro = f"{sentence} {marks([citer.cite(chunk)])}"
                key_points.append(KeyPoint(text=sentence, citations=[citer.cite(chunk)]))
            listing(intro, items)
    elif kind == "recommendations":
        audiences = [query.audience] if query.audience != "general" else ["business", "government"]
        # Both audiences' sixteen recommendations read as a comparison only as headlines; so does a
        # question that asks for the headlines.
        titles_only = len(audiences) > 1 or asks_for_titles(query.text)
        for audience in audiences:
            items = [
                Item(r.title, by_section[r.id],
                     "" if titles_only else first_sentence(by_section[r.id], min_chars, audience, max_words))
                for r in taxonomy.recommendations if r.audience == audience and r.id in by_section
            ]
            if not items:
                return None
            intro = lang.text("overview_recommendations", audience=lang.audiences[audience])
            listing(intro, items, as_actions=True)
    elif kind in ("conclusion", "benefits"):
        if not closing_block(kind):
            return None
    elif kind == "structure":
        items = structure_items(chunks)
        if not items:
            return None
        listing(lang.text("overview_structure"), items)
    elif kind == "source" and not attribution:
        return None
    else:  # summary, who_when, background: the introduction says who, when, what and why; a summary adds the objectives
        if "introduction" not in by_section:
            return None
        if kind == "source":
            # Who wrote what the answers quote is the knowledge base's own source line, never a guess;
            # the summary's first sentence then says who presented the strategy itself, and when.
            lines.append(lang.text("overview_source", attribution=attribution, url=official_url))
        # Who and when are both in the first sentence; a second one only dilutes the answer.
        lines.extend(f"- {said}" for said in introduction(1 if kind in ("who_when", "source") else 3))
        if kind == "summary":  # the introduction, then the objectives and focus areas by name
            for wanted, intro in (("objective", "overview_objectives"), ("focus_area", "overview_focus_areas")):
                named = [Item(a.title, by_section[a.id], "") for a in taxonomy.areas
                         if a.kind == wanted and a.id in by_section]
                if named:
                    listing(lang.text(intro), named)
            closing = by_section.get("strategy-summary") or by_section.get("conclusion")
            if closing is not None:
                sentence = first_sentence(closing, min_chars)
                so_far = sum(len(line.split()) for line in lines)
                if sentence and (not budget or so_far + len(sentence.split()) <= budget):
                    m = citer.cite(closing)
                    key_points.append(KeyPoint(text=sentence, citations=[m]))
                    lines.extend(["", f"{sentence} {marks([m])}"])
    for also in ("conclusion", "benefits"):
        if also in query.also:
            # Asked with the list: how the strategy concludes, or what the asker gains, under its own heading after it.
            lines.extend(["", lang.text(f"overview_{also}")])
            if not closing_block(also):
                del lines[-2:]
    head = preamble(lang, understood_as=query.standalone, answered_for=None, missing=[],
                    missing_reference=query.missing_reference)
    body = head + ([""] if head else []) + lines + ([""] + quotes_note(lang) if quotes_note(lang) else [])
    areas = list(dict.fromkeys(areas))
    listed = "\n".join(lines)
    if areas and not all(f"**{area}**" in listed for area in areas):  # a list that names them all says it already
        body += ["", focus_line(lang, areas)]
    return Answer(
        question=query.asked,
        audience=query.audience,
        in_scope=True,
        answer="\n".join(body).strip(),
        focus_areas=areas,
        actions=actions,
        citations=citer.citations,
        backend=BACKEND,
        key_points=key_points,
        language=lang.code,
    )


def structure_items(chunks: list[Document]) -> list[Item]:
    """The document's top-level parts in order, each named with the sections under it."""
    ordered = sorted(chunks, key=lambda c: c.metadata.get("start", 0))
    parts: dict[str, list[Document]] = {}
    for chunk in ordered:
        path = str(chunk.metadata.get("section", "")).split(SECTION_SEPARATOR)
        if path and path[0]:
            parts.setdefault(path[0], []).append(chunk)
    items = []
    for title, members in parts.items():
        children = list(dict.fromkeys(
            str(c.metadata.get("section", "")).split(SECTION_SEPARATOR)[1]
            for c in members if len(str(c.metadata.get("section", "")).split(SECTION_SEPARATOR)) > 1
        ))
        detail = f"{'; '.join(children)}" if children else ""
        items.append(Item(title + (f" ({detail})" if detail else ""), members[0], ""))
    return items
