"""The answer pipeline: understood query → passages → one scope decision → composer or LLM → events.

Written once for both backends, so the steps and their timings cannot drift apart; the
composer's finished answers are cached (they are deterministic), a model's never are. It is also
the one door every answer leaves by, so this is where uploaded documents' sentences are labelled
as theirs (`render.label_user_sources`) and document text is made Markdown-safe
(`render.safe_answer` for the Answer, `render.markdown_safe` for streamed text): every surface
(CLI, /api/ask, SSE, /v1, UI, exports) gets them without having to remember to.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.documents import Document

from advisor.answer.composer import BACKEND, Section, Space, compose_answer
from advisor.answer.events import (
    AnswerEvent,
    AnswerStream,
    DeltaEvent,
    StreamEvent,
    citations_event,
    finished_events,
)
from advisor.answer.quotable import quotable_sentences
from advisor.answer.render import label_user_sources, markdown_safe, safe_answer
from advisor.models import Answer
from advisor.query.scope import in_scope
from advisor.query.understand import Query
from advisor.retrieval.evidence import EvidenceGatherer
from advisor.retrieval.passage import Passage, SearchResult
from advisor.retrieval.retriever import Retriever
from advisor.settings import Settings
from advisor.storage.answer_cache import AnswerCache
from advisor.storage.sentence_vectors import SentenceVectors
from advisor.taxonomy import Taxonomy

if TYPE_CHECKING:  # the LLM stack (openai, langchain-openai) is imported only when configured
    from advisor.answer.llm.backend import LLMBackend


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


@dataclass
class AnswerPipeline:
    retriever: Retriever
    evidence: EvidenceGatherer
    sentences: SentenceVectors
    taxonomy: Taxonomy
    settings: Settings
    cache: AnswerCache
    corpus_key: Callable[[list[str] | None], tuple]  # what answers depend on besides the question
    backend: LLMBackend | None = None  # None: the grounded composer answers (default)
    attribution: str = ""  # the knowledge base's source line ("Summary by …"): what "who wrote this?" is told
    _centre: tuple[tuple, np.ndarray, float, float] | None = field(default=None, repr=False)

    def generality(self) -> Callable[[list[str]], np.ndarray]:
        """How generic sentences are: their similarity to the centre of all the strategy's sentences,
        in standard deviations. A sentence close to everything ("seize this opportunity…", "ensure your
        country has a clear digital strategy") fits every question a little, so it would recur as
        filler; the composer discounts it. Computed once per indexed corpus."""
        key = self.corpus_key(None)
        if self._centre is None or self._centre[0] != key:
            texts = [t for chunk in self.library() for _, _, t in quotable_sentences(chunk, self.settings.min_quotable_chars)]
            if not texts:
                return lambda batch: np.zeros(len(batch))
            vectors = self.sentences.get(texts)
            centre = vectors.mean(axis=0)
            centre /= np.linalg.norm(centre) or 1.0
            closeness = vectors @ centre
            self._centre = (key, centre, float(closeness.mean()), float(closeness.std()) or 1.0)
        _, centre, mean, spread = self._centre
        return lambda batch: (self.sentences.get(batch) @ centre - mean) / spread

    def space(self, query: Query, result: SearchResult) -> Space:
        """How sentence relevance is measured. English: MiniLM and multilingual-e5 together, each
        scaled by its own spread (e5's similarities are compressed), since either alone misranks
        some sentences; other languages: e5 alone (MiniLM only reads English)."""
        settings = self.settings
        encoder = self.retriever.multilingual
        generic = self.generality()
        minilm = np.asarray(result.query_vector, dtype=np.float32)
        multi = result.multilingual_vector
        if encoder is None or multi is None:
            return Space(
                lambda texts: (self.sentences.get(texts) @ minilm) / settings.action_similarity_window,
                lambda p: p.similarity,
                settings.min_passage_similarity,
                1.0,
                settings.action_min_similarity / settings.action_similarity_window,
                generic,
            )
        english_floor = settings.action_min_similarity / settings.action_similarity_window
        multilingual_floor = settings.multilingual_action_min / settings.multilingual_window
        if query.language != "en":
            return Space(
                lambda texts: (encoder.passages(texts) @ multi) / settings.multilingual_window,
                lambda p: p.multilingual,
                settings.multilingual_min_passage,
                settings.multilingual_window,
                multilingual_floor,
                generic,
            )

        def both(texts: list[str]) -> np.ndarray:
            english = (self.sentences.get(texts) @ minilm) / settings.action_similarity_window
            multilingual = (encoder.passages(texts) @ multi) / settings.multilingual_window
            return (english + multilingual) / 2

        return Space(
            both, lambda p: p.similarity, settings.min_passage_similarity, 1.0, (english_floor + multilingual_floor) / 2,
            generic,
        )

    def search(
        self, query: Query, collections: list[str] | None, doc_ids: list[str] | None, k: int | None = None
    ) -> SearchResult:
        """The k best passages for the question (default ADVISOR_TOP_K); a multi-part question also
        searches each part and interleaves the parts' best passages, so the second question is not
        crowded out by the first."""
        k = k or self.settings.top_k
        result = self.retriever.search(query, collections, doc_ids, k=k)
        if not query.parts:
            return result
        rankings = [
            self.retriever.search(query.narrowed(part), collections, doc_ids, k=k).passages
            for part in query.parts
        ]
        merged: dict[str, Passage] = {}
        for rank in range(k):
            for passages in [result.passages, *rankings]:
                if rank < len(passages):
                    merged.setdefault(passages[rank].chunk_id, passages[rank])
        result.passages = list(merged.values())[: k + len(query.parts)]
        return result

    def sections(self, query: Query, collections: list[str] | None, doc_ids: list[str] | None) -> list[Section]:
        """Each part of a multi-part question searched on its own, with its own relevance space, so
        the composer can answer every part (the retrieval ranking of the whole question is unchanged)."""
        out = []
        for part in query.sections:
            narrowed = query.section(part)
            found = self.retriever.search(narrowed, collections, doc_ids, k=self.settings.top_k)
            out.append(Section(part, narrowed, found.passages, self.space(narrowed, found)))
        return out

    def model_passages(
        self, query: Query, collections: list[str] | None, doc_ids: list[str] | None, composed: Answer | None
    ) -> list[Passage]:
        """What a model is shown, best first (packed within its token budget later): the passages
        the composer cites, then the best ADVISOR_LLM_TOP_K of retrieval. A model weighs more than
        the composer quotes, so it can cite the section that answers even when it ranks sixth, and
        an overview's items (every objective, focus area or recommendation, from the taxonomy) are
        all in its prompt. The rest of the strategy follows while the token budget lasts (it is one
        short document: a served model sees all of it, best first). The validator still holds each
        sentence to the passage it cites."""
        ranked = self.search(query, collections, doc_ids, k=self.settings.llm_top_k).passages
        known = {p.chunk_id: p for p in ranked}
        library = {d.metadata.get("chunk_id"): d for d in self.library()} if composed and composed.citations else {}
        first = []
        for citation in composed.citations if composed else []:
            if citation.id in known:
                first.append(known[citation.id])
            elif citation.id in library:
                first.append(Passage(library[citation.id], 0.0, 0.0))
        return list({p.chunk_id: p for p in [*first, *ranked]}.values())

    def library(self) -> list[Document]:
        """The strategy's chunks, which overview answers list in full."""
        return self.retriever.lexical(self.settings.collection).documents

    def stream(self, query: Query, collections: list[str] | None = None, doc_ids: list[str] | None = None) -> AnswerStream:
        return AnswerStream(self._events(query, collections, doc_ids))

    def _events(self, query: Query, collections: list[str] | None, doc_ids: list[str] | None) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        key = None
        if self.backend is None:
            key = (query.asked, query.text, query.audience, tuple(collections or ()),
                   tuple(doc_ids) if doc_ids is not None else None, self.corpus_key(collections))
            cached = self.cache.get(key)
            if cached is not None:
                cached.timings_ms = {"cache": _ms(time.perf_counter() - started)}
                cached.timings_ms["total"] = cached.timings_ms["cache"]
                yield from finished_events(cached, self.settings.stream_words_per_chunk)
                return
        result = self.search(query, collections, doc_ids)
        covered = in_scope(self.evidence.gather(query, result, collections), self.settings)
        searched = {k: round(v, 2) for k, v in result.timings_ms.items()}

        def compose() -> Answer:
            return compose_answer(
                query, result.passages, self.space(query, result), self.taxonomy, self.settings, covered, self.library(),
                self.sections(query, collections, doc_ids) if covered else None, self.attribution,
            )

        def finish(answer: Answer, extra: dict[str, float]) -> Answer:
            answer.question = query.asked
            answer.standalone_question = query.standalone
            answer.notes += query.notes
            answer.timings_ms = {**searched, **extra, "total": _ms(time.perf_counter() - started)}
            return safe_answer(label_user_sources(answer, self.settings.collection))

        if self.backend is None:
            t_compose = time.perf_counter()
            answer = compose()
            finish(answer, {"compose": _ms(time.perf_counter() - t_compose)})
            if answer.backend == BACKEND:
                self.cache.put(key, answer)
            yield from finished_events(answer, self.settings.stream_words_per_chunk)
            return
        composed: list[Answer] = []

        def compose_once() -> Answer:
            if not composed:
                composed.append(compose())
            return composed[0]

        shown = self.model_passages(query, collections, doc_ids, compose_once() if covered else None)
        seen = {p.chunk_id for p in shown}
        rest = [Passage(d, 0.0, 0.0) for d in self.library() if d.metadata.get("chunk_id") not in seen]
        for event in self.backend.stream(query, shown, compose_once, covered, rest):
            if isinstance(event, AnswerEvent):
                # a model's citations are final only once validated: they come last, with the answer
                yield citations_event(finish(event.answer, dict(event.answer.timings_ms)))
            elif isinstance(event, DeltaEvent):  # validated text, one whole sentence or more at a time
                event = DeltaEvent(markdown_safe(event.text))
            yield event
