"""Wires the components together: settings, stores, retriever, sentence vectors, answer backend.

Built once per process (CLI command or server) and handed to whoever needs it. It also owns the
one write path: every document write (shipped knowledge, CLI paths, uploads) takes the write
lock, sweeps orphans of crashed writes, refreshes the lexical indexes and stores the vectors of
the new sentences, so no write path can skip a step.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from advisor.answer.events import AnswerStream, ChatRequest
from advisor.answer.pipeline import AnswerPipeline
from advisor.answer.quotable import quotable_sentences
from advisor.indexing.documents import AddedDocument, Upload, commit_all, prepare_files, prepare_server_paths
from advisor.indexing.ingest import IngestReport, ProgressFn, ingest_paths
from advisor.models import Answer
from advisor.offline import install_tiktoken_encodings, quiet_environment
from advisor.plan.rules import attribution
from advisor.query.audience_model import AudienceGuess, audience_guesser, load_probe
from advisor.query.followup import Turn
from advisor.query.understand import Query, understand
from advisor.retrieval.evidence import EvidenceGatherer
from advisor.retrieval.retriever import Retriever
from advisor.settings import ConfigError, Settings
from advisor.storage.answer_cache import AnswerCache
from advisor.storage.embeddings import LocalEmbeddings, get_encoder
from advisor.storage.locking import WriteLock
from advisor.storage.multilingual import MODEL_NAME as MULTILINGUAL_MODEL
from advisor.storage.multilingual import MultilingualEncoder
from advisor.storage.sentence_vectors import SentenceVectors, SharedSentenceVectors
from advisor.storage.vectorstore import DiskGuard, DocumentRecord, Store, StoreError, make_client
from advisor.taxonomy import Taxonomy, configured_taxonomy

if TYPE_CHECKING:  # the LLM stack (openai, langchain-openai) is imported only when configured
    from advisor.answer.llm.backend import LLMBackend

log = logging.getLogger(__name__)
T = TypeVar("T")
History = Sequence[Turn] | Sequence[dict[str, Any]]


@dataclass
class Advisor:
    settings: Settings
    taxonomy: Taxonomy
    embeddings: LocalEmbeddings
    retriever: Retriever
    sentences: SentenceVectors
    started_at: float = field(default_factory=time.time)
    answer_backend: LLMBackend | None = None  # None: the grounded composer answers (default)
    # Serialises document writes (threads, and processes sharing the data folder): two concurrent
    # replacements of one document could otherwise sweep each other's freshly written chunks.
    write_lock: AbstractContextManager = field(default_factory=threading.Lock)
    answers: AnswerCache = field(default_factory=lambda: AnswerCache(0))  # composer answers only
    guess_audience: AudienceGuess | None = None  # the audience model; None: the lexicon alone decides

    def __post_init__(self) -> None:
        self.evidence = EvidenceGatherer(self.retriever)
        # A question asked without a conversation reads the same every time (the reading is deterministic):
        # workshops repeat their starter questions, and a cached answer then costs no second reading.
        self._understood = lru_cache(maxsize=self.settings.understand_memo)(self._understand)

    @property
    def pipeline(self) -> AnswerPipeline:
        return AnswerPipeline(
            self.retriever, self.evidence, self.sentences, self.taxonomy, self.settings, self.answers, self.corpus_key,
            self.answer_backend, attribution(self.settings.knowledge_dir, self.taxonomy),
        )

    # ---- stores ---------------------------------------------------------------------------
    @property
    def stores(self) -> dict[str, Store]:
        return self.retriever.stores

    @property
    def strategy(self) -> Store:
        return self.stores[self.settings.collection]

    @property
    def workspace(self) -> Store:
        return self.stores[self.settings.workspace_collection]

    def store(self, collection: str | None = None) -> Store:
        """The named collection (default: the strategy); an unknown name is a ValueError."""
        name = collection or self.settings.collection
        if name not in self.stores:
            raise ValueError(f"unknown collection '{name}'; known collections: {', '.join(sorted(self.stores))}")
        return self.stores[name]

    def corpus_key(self, collections: list[str] | None = None) -> tuple:
        """What answers depend on besides the question: the committed documents of each store."""
        names = collections or list(self.stores)
        return tuple(
            (name, tuple(sorted((r.doc_id, r.version) for r in self.stores[name].documents().values())))
            for name in names
        )

    # ---- the one write path ---------------------------------------------------------------
    def _write(self, store: Store, write: Callable[[int], T]) -> T:
        """Run `write(orphans_swept)` under the write lock, then refresh what depends on the store."""
        with self.write_lock:
            store.check_space()  # a (nearly) full disk refuses the write before Chroma is touched
            swept = store.sweep_orphans()  # leftovers of a write that was killed half-way
            result = write(swept)
        self.retriever.invalidate()
        self.warm_sentences(store)
        # Multilingual vectors of new sentences, into the cache; a store too large for that index
        # is left alone here (building its BM25 index only to find out took a 20,000-page PDF's
        # ingest from ~470 to ~640 MB), and is indexed on its first question instead.
        if sum(r.chunks for r in store.documents().values()) <= self.settings.multilingual_max_chunks:
            self.retriever.sentence_index(store.name)
        return result

    def ingest(
        self, paths: list[Path] | None = None, collection: str | None = None, progress: ProgressFn | None = None
    ) -> IngestReport:
        """Ingest files or folders into `collection` (default: the strategy, from the knowledge folder)."""
        store = self.store(collection)
        paths = paths or [self.settings.knowledge_dir]

        def run(swept: int) -> IngestReport:
            report = ingest_paths(paths, store, self.taxonomy, self.settings, progress=progress)
            report.orphans_swept = swept
            return report

        return self._write(store, run)

    def add_files(self, files: list[Upload], collection: str | None = None) -> list[AddedDocument]:
        """Add uploaded files (name, content or spooled file), all checked before any is written
        (default: the workspace)."""
        store = self.store(collection or self.settings.workspace_collection)
        prepared = prepare_files(files, store, self.taxonomy, self.settings)
        return self._write(store, lambda _: commit_all(store, prepared))

    def add_server_paths(self, paths: list[str], collection: str | None = None) -> list[AddedDocument]:
        """Add files already on the server, only under ADVISOR_ALLOWED_ROOTS (default: the workspace)."""
        store = self.store(collection or self.settings.workspace_collection)
        prepared = prepare_server_paths(paths, store, self.taxonomy, self.settings)
        return self._write(store, lambda _: commit_all(store, prepared))

    def delete_document(self, doc_id: str, collection: str | None = None) -> DocumentRecord | None:
        """Remove a document (default collection: the workspace); None when there is no such document."""
        store = self.store(collection or self.settings.workspace_collection)

        def delete(_: int) -> DocumentRecord | None:
            record = store.documents().get(doc_id)
            if record is not None:
                store.delete_document(doc_id)
            return record

        return self._write(store, delete)

    def documents(self, collection: str | None = None) -> list[DocumentRecord]:
        """Committed documents of one collection, or of all of them."""
        names = [self.store(collection).name] if collection else list(self.stores)
        return [r for name in names for r in sorted(self.stores[name].documents().values(), key=lambda r: r.doc_id)]

    def sweep_orphans(self) -> int:
        """Remove what interrupted writes left in every store (a kill -9, a full disk); at start-up.

        Best effort: a store that cannot be written now (full disk, server down) is left for the
        next write, which sweeps before it writes anyway; reads never depend on it."""
        swept = 0
        for store in self.stores.values():
            try:
                with self.write_lock:
                    swept += store.sweep_orphans()
            except StoreError as exc:
                log.warning("orphan sweep of %s skipped: %s", store.name, exc)
        if swept:
            self.retriever.invalidate()
        return swept

    def ensure_index(self) -> IngestReport | None:
        """Ingest the shipped knowledge base when the store has none of it yet."""
        return None if self.strategy.documents() else self.ingest()

    # ---- caches ---------------------------------------------------------------------------
    def warm_sentences(self, store: Store | None = None) -> int:
        """Store a vector for every quotable sentence, so that cold processes need not encode."""
        if not isinstance(self.sentences, SharedSentenceVectors):
            return 0
        minimum = self.settings.min_quotable_chars
        return sum(
            self.sentences.warm([s for chunk in each.chunks() for _, _, s in quotable_sentences(chunk, minimum)])
            for each in ([store] if store else self.stores.values())
            if sum(r.chunks for r in each.documents().values()) <= self.settings.max_warm_chunks
        )

    def warm(self) -> None:
        """Pay the first-request costs at start-up: lexical indexes and sentence vectors."""
        for name in self.stores:
            self.retriever.lexical(name)
            self.retriever.sentence_index(name)
        self.warm_sentences()

    # ---- answers --------------------------------------------------------------------------
    def understand(self, question: str | None, audience: str | None = None, history: History | None = None) -> Query:
        """The question understood once (follow-up rewritten, audience, intent...); ValueError on bad input."""
        if not history and isinstance(question, str) and (audience is None or isinstance(audience, str)):
            return self._understood(question, audience)  # a Query is frozen: one reading can serve many
        return self._understand(question, audience, history)

    def _understand(self, question: str | None, audience: str | None, history: History | None = None) -> Query:
        condenser = self.answer_backend.standalone if self.answer_backend is not None else None
        return understand(
            question, audience, history, max_chars=self.settings.max_question_chars, condenser=condenser,
            max_parts=self.settings.max_question_parts, guess_audience=self.guess_audience,
        )

    def stream(
        self,
        question: str | None,
        audience: str | None = None,
        collections: list[str] | None = None,
        doc_ids: list[str] | None = None,
        history: History | None = None,
    ) -> AnswerStream:
        """The answer as a stream of events; iterate it, or call `.answer()`. Bad input raises
        ValueError here, before the first event, so servers can still answer 4xx. `history` is the
        earlier chat messages ({"role", "content"} or Turn) used to rewrite a follow-up."""
        self.check_scope(collections, doc_ids)
        query = self.understand(question, audience, history)
        return self.pipeline.stream(query, collections, doc_ids)

    def check_scope(self, collections: list[str] | None, doc_ids: list[str] | None) -> None:
        """ValueError for a narrowing that names nothing real: an empty or unknown collection, an empty
        `doc_ids` list (it used to declare every question out of scope) or an unknown document."""
        if collections is not None and not collections:
            raise ValueError("collections: name at least one collection, or leave collections out to search all")
        for name in collections or []:
            if name not in self.stores:
                known = ", ".join(sorted(self.stores))
                raise ValueError(f"unknown collection '{name}'; known collections: {known}")
        if doc_ids is None:
            return
        if not doc_ids:
            raise ValueError("doc_ids: name at least one document, or leave doc_ids out to search all")
        committed = {doc for name in collections or self.stores for doc in self.stores[name].documents()}
        unknown = [d for d in doc_ids if d not in committed]
        if unknown:
            raise ValueError(f"unknown document id(s): {', '.join(unknown)} (see GET /api/documents)")

    def ask(self, question: str | None, **options: Any) -> Answer:
        """The finished answer: the stream (same options), drained."""
        return self.stream(question, **options).answer()

    def chat(self, request: ChatRequest) -> AnswerStream:
        """The stream for a chat surface's request (the UI, /api/chat, /v1/chat/completions)."""
        return self.stream(request.message, request.audience, history=request.history or None)


def build_advisor(settings: Settings) -> Advisor:
    """Everything an advisor needs, from settings alone; nothing touches the network."""
    quiet_environment()
    install_tiktoken_encodings(settings.data_dir / "tiktoken")
    encoder = get_encoder(settings.embed_max_length, settings.embed_batch_size)
    embeddings = LocalEmbeddings(encoder)
    client = make_client(settings.data_dir, settings.chroma_url, settings.chroma_database)
    guard = DiskGuard(None if settings.chroma_url else settings.data_dir, settings.min_free_disk_mb)
    stores = {
        name: Store(
            client,
            name,
            embeddings,
            manifest_ttl=settings.manifest_cache_seconds,
            overfetch=settings.dense_overfetch,
            write_batch=settings.write_batch_size,
            guard=guard,
        )
        for name in dict.fromkeys([settings.collection, settings.workspace_collection])
    }
    taxonomy = configured_taxonomy(settings.taxonomy_file)
    multilingual = (
        MultilingualEncoder(settings.embedding_cache_file, settings.multilingual_threads, settings.multilingual_query_memo)
        if settings.multilingual
        else None
    )
    guess = None
    if multilingual is not None and settings.audience_model:
        try:
            probe = load_probe(settings.audience_model_file, MULTILINGUAL_MODEL)
        except ValueError as exc:  # a setting pointing at no probe: one line for the CLI and server, not a traceback
            raise ConfigError(f"ADVISOR_AUDIENCE_MODEL_FILE: {exc}") from exc
        guess = audience_guesser(
            probe, multilingual.query, settings.audience_model_min_probability,
            settings.audience_model_min_probability_topic, settings.audience_model_min_words,
        )
    backend = None
    if settings.llm != "none":
        from advisor.answer.llm.backend import build_answer_backend

        backend = build_answer_backend(settings, taxonomy, multilingual)
    return Advisor(
        settings=settings,
        taxonomy=taxonomy,
        embeddings=embeddings,
        retriever=Retriever(stores, embeddings, settings, multilingual),
        sentences=SharedSentenceVectors(encoder, stores[settings.collection]),
        answer_backend=backend,
        write_lock=WriteLock(settings.data_dir / "write.lock"),
        answers=AnswerCache(settings.answer_cache_size),
        guess_audience=guess,
    )
