"""Wires the components together: settings, store, indexes, embeddings and the answer backend.

Built once per process (CLI command or server) and handed to whoever needs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from advisor.answer_cache import AnswerCache
from advisor.audience import resolve_audience
from advisor.compose import SentenceVectors, compose_answer
from advisor.embeddings import LocalEmbeddings, get_encoder
from advisor.ingest import IngestReport, ingest_paths
from advisor.models import Answer, check_question
from advisor.offline import install_tiktoken_encodings, quiet_environment
from advisor.retrieval import IndexSet, hybrid_search
from advisor.sentence_store import SharedSentenceVectors
from advisor.settings import Settings
from advisor.store import Store, make_client
from advisor.taxonomy import Taxonomy, load_taxonomy


@dataclass
class Advisor:
    settings: Settings
    taxonomy: Taxonomy
    embeddings: LocalEmbeddings
    indexes: IndexSet
    sentences: SentenceVectors
    started_at: float = field(default_factory=time.time)
    answers: AnswerCache = field(default_factory=lambda: AnswerCache(0))

    @property
    def strategy(self) -> Store:
        return self.indexes.stores[self.settings.collection]

    def ingest(self, paths: list[Path] | None = None, progress: Callable[[Path], None] | None = None) -> IngestReport:
        report = ingest_paths(
            paths or [self.settings.knowledge_dir], self.strategy, self.taxonomy, self.settings, progress=progress
        )
        self.indexes.invalidate()
        self.warm_sentences()
        return report

    def warm_sentences(self) -> int:
        """Store a vector for every committed sentence, so that cold processes need not encode."""
        if not isinstance(self.sentences, SharedSentenceVectors):
            return 0
        return self.sentences.warm(self.strategy.chunks())

    def warm(self) -> None:
        """Pay the first-request costs at start-up: lexical indexes and sentence vectors."""
        for name in self.indexes.stores:
            self.indexes.lexical(name)
        self.warm_sentences()

    def corpus_key(self, collections: list[str] | None = None) -> tuple:
        """What answers depend on besides the question: the committed documents of each store."""
        names = collections or list(self.indexes.stores)
        return tuple(
            (name, tuple(sorted((r.doc_id, r.version) for r in self.indexes.stores[name].documents().values())))
            for name in names
        )

    def ensure_index(self) -> IngestReport | None:
        """Ingest the shipped knowledge base when the store has none of it yet."""
        if self.strategy.documents():
            return None
        return self.ingest()

    def ask(
        self,
        question: str,
        audience: str | None = None,
        collections: list[str] | None = None,
        doc_ids: list[str] | None = None,
    ) -> Answer:
        started = time.perf_counter()
        question = check_question(question, self.settings.max_question_chars)
        key = (
            question,
            audience,
            tuple(collections or ()),
            tuple(doc_ids) if doc_ids is not None else None,
            self.corpus_key(collections),
        )
        cached = self.answers.get(key)
        if cached is not None:
            cached.timings_ms = {"cache": round((time.perf_counter() - started) * 1000, 2)}
            cached.timings_ms["total"] = cached.timings_ms["cache"]
            return cached
        resolved = resolve_audience(question, audience)
        result = hybrid_search(question, resolved, self.indexes, self.embeddings, self.settings, collections, doc_ids)
        t_compose = time.perf_counter()
        answer = compose_answer(
            question, resolved, result.passages, result.query_vector, self.sentences, self.taxonomy, self.settings
        )
        answer.timings_ms = {
            **{k: round(v, 2) for k, v in result.timings_ms.items()},
            "compose": round((time.perf_counter() - t_compose) * 1000, 2),
            "total": round((time.perf_counter() - started) * 1000, 2),
        }
        if answer.backend == "grounded-composer":  # deterministic, so safe to repeat
            self.answers.put(key, answer)
        return answer


def build_advisor(settings: Settings) -> Advisor:
    """Everything an advisor needs, from settings alone; nothing touches the network."""
    quiet_environment()
    install_tiktoken_encodings(settings.data_dir / "tiktoken")
    encoder = get_encoder(settings.embed_max_length, settings.embed_batch_size)
    embeddings = LocalEmbeddings(encoder)
    client = make_client(settings.data_dir, settings.chroma_url, settings.chroma_database)
    strategy = Store(
        client,
        settings.collection,
        embeddings,
        manifest_ttl=settings.manifest_cache_seconds,
        overfetch=settings.dense_overfetch,
    )
    stores = {settings.collection: strategy}
    return Advisor(
        settings=settings,
        taxonomy=load_taxonomy(settings.taxonomy_file),
        embeddings=embeddings,
        indexes=IndexSet(stores),
        sentences=SharedSentenceVectors(encoder, strategy),
        answers=AnswerCache(settings.answer_cache_size),
    )
