"""Wires the components together: settings, store, indexes, embeddings and the answer backend.

Built once per process (CLI command or server) and handed to whoever needs it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.answer_cache import AnswerCache
from advisor.audience import resolve_audience
from advisor.compose import SentenceVectors, compose_answer
from advisor.conversation import Turn, as_messages, as_turns, condense
from advisor.embeddings import LocalEmbeddings, get_encoder
from advisor.ingest import IngestReport, ProgressFn, ingest_paths
from advisor.locking import WriteLock
from advisor.models import Answer, check_question
from advisor.offline import install_tiktoken_encodings, quiet_environment
from advisor.retrieval import IndexSet, hybrid_search
from advisor.sentence_store import SharedSentenceVectors
from advisor.settings import Settings
from advisor.store import Store, make_client
from advisor.taxonomy import Taxonomy, load_taxonomy

if TYPE_CHECKING:  # the LLM stack (openai, langchain-openai) is imported only when configured
    from advisor.generate import LLMBackend, StreamEvent


@dataclass
class Advisor:
    settings: Settings
    taxonomy: Taxonomy
    embeddings: LocalEmbeddings
    indexes: IndexSet
    sentences: SentenceVectors
    started_at: float = field(default_factory=time.time)
    answer_backend: LLMBackend | None = None  # None: the grounded composer answers (default)
    # Serialises document writes (threads, and processes sharing the data folder): two concurrent
    # replacements of one document could otherwise sweep each other's freshly written chunks.
    write_lock: AbstractContextManager = field(default_factory=threading.Lock)
    answers: AnswerCache = field(default_factory=lambda: AnswerCache(0))  # composer answers only

    @property
    def strategy(self) -> Store:
        return self.indexes.stores[self.settings.collection]

    @property
    def workspace(self) -> Store:
        return self.indexes.stores[self.settings.workspace_collection]

    def store(self, collection: str | None = None) -> Store:
        """The named collection (default: the strategy); an unknown name is a ValueError."""
        name = collection or self.settings.collection
        if name not in self.indexes.stores:
            known = ", ".join(sorted(self.indexes.stores))
            raise ValueError(f"unknown collection '{name}'; known collections: {known}")
        return self.indexes.stores[name]

    def ingest(
        self,
        paths: list[Path] | None = None,
        collection: str | None = None,
        progress: ProgressFn | None = None,
    ) -> IngestReport:
        """Ingest into `collection` (default: the strategy); one writer at a time per process."""
        store = self.store(collection)
        with self.write_lock:
            report = ingest_paths(
                paths or [self.settings.knowledge_dir], store, self.taxonomy, self.settings, progress=progress
            )
        self.indexes.invalidate()
        self.warm_sentences(store)
        return report

    def warm_sentences(self, store: Store | None = None) -> int:
        """Store a vector for every committed sentence, so that cold processes need not encode."""
        if not isinstance(self.sentences, SharedSentenceVectors):
            return 0
        return sum(self.sentences.warm(s.chunks()) for s in ([store] if store else self.indexes.stores.values()))

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
        history: list[Turn] | list[dict[str, str]] | None = None,
    ) -> Answer:
        """Answer a question; with `history`, a follow-up is first rewritten into a standalone
        question and the conversation's audience carries over (the composer uses the deterministic
        rules of advisor.conversation, an LLM backend its own condenser)."""
        for name in collections or []:
            self.store(name)
        if self.answer_backend is not None:
            from advisor.generate import final_answer

            return final_answer(self.ask_stream(question, audience, collections, doc_ids, history))
        started = time.perf_counter()
        asked = question = check_question(question, self.settings.max_question_chars)
        standalone = None
        if history:
            condensed = condense(question, as_turns(history))
            if condensed.follow_up:
                standalone = question = condensed.question
            if audience in (None, "auto") and condensed.audience:
                audience = condensed.audience
        key = (
            asked,
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
            question, resolved, result.passages, result.query_vector, self.sentences, self.taxonomy, self.settings,
            scope=result.scope,
        )
        answer.question = asked
        answer.standalone_question = standalone
        answer.timings_ms = {
            **{k: round(v, 2) for k, v in result.timings_ms.items()},
            "compose": round((time.perf_counter() - t_compose) * 1000, 2),
            "total": round((time.perf_counter() - started) * 1000, 2),
        }
        if answer.backend == "grounded-composer":  # deterministic, so safe to repeat
            self.answers.put(key, answer)
        return answer

    def ask_stream(
        self,
        question: str,
        audience: str | None = None,
        collections: list[str] | None = None,
        doc_ids: list[str] | None = None,
        history: list[Turn] | list[dict[str, str]] | None = None,
    ) -> Iterator[StreamEvent]:
        """Text deltas (str) then the final Answer. Bad input raises ValueError here, before the
        first delta, so servers can still answer 4xx. `history` is earlier chat messages
        ({"role", "content"} or Turn) used to rewrite a follow-up."""
        question = check_question(question, self.settings.max_question_chars)
        for name in collections or []:
            self.store(name)
        if self.answer_backend is None:
            answer = self.ask(question, audience, collections, doc_ids, history)
            return iter((answer.answer, answer))
        messages = as_messages(as_turns(history or []))
        return self._generate(self.answer_backend, question, audience, collections, doc_ids, messages)

    def _generate(
        self,
        backend: LLMBackend,
        question: str,
        audience: str | None,
        collections: list[str] | None,
        doc_ids: list[str] | None,
        history: list[dict[str, str]],
    ) -> Iterator[StreamEvent]:
        started = time.perf_counter()
        standalone, note = backend.standalone(question, history) if history else (question, None)
        resolved = resolve_audience(standalone, audience)
        result = hybrid_search(standalone, resolved, self.indexes, self.embeddings, self.settings, collections, doc_ids)

        def compose() -> Answer:
            return compose_answer(
                standalone, resolved, result.passages, result.query_vector, self.sentences, self.taxonomy, self.settings,
                scope=result.scope,
            )

        for event in backend.stream(standalone, resolved, result.passages, compose):
            if isinstance(event, Answer):
                event.question = question
                event.standalone_question = standalone if standalone != question else None
                event.notes += [note] if note else []
                event.timings_ms = {
                    **{k: round(v, 2) for k, v in result.timings_ms.items()},
                    **event.timings_ms,
                    "total": round((time.perf_counter() - started) * 1000, 2),
                }
            yield event


def build_advisor(settings: Settings) -> Advisor:
    """Everything an advisor needs, from settings alone; nothing touches the network."""
    quiet_environment()
    install_tiktoken_encodings(settings.data_dir / "tiktoken")
    encoder = get_encoder(settings.embed_max_length, settings.embed_batch_size)
    embeddings = LocalEmbeddings(encoder)
    client = make_client(settings.data_dir, settings.chroma_url, settings.chroma_database)
    stores = {
        name: Store(
            client,
            name,
            embeddings,
            manifest_ttl=settings.manifest_cache_seconds,
            overfetch=settings.dense_overfetch,
        )
        for name in dict.fromkeys([settings.collection, settings.workspace_collection])
    }
    taxonomy = load_taxonomy(settings.taxonomy_file)
    backend = None
    if settings.llm != "none":
        from advisor.generate import build_answer_backend

        backend = build_answer_backend(settings, taxonomy)
    return Advisor(
        settings=settings,
        taxonomy=taxonomy,
        embeddings=embeddings,
        indexes=IndexSet(stores),
        sentences=SharedSentenceVectors(encoder, stores[settings.collection]),
        answer_backend=backend,
        write_lock=WriteLock(settings.data_dir / "write.lock"),
        answers=AnswerCache(settings.answer_cache_size),
    )
