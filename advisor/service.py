"""Wires the components together: settings, store, indexes, embeddings and the answer backend.

Built once per process (CLI command or server) and handed to whoever needs it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from advisor.audience import resolve_audience
from advisor.compose import SentenceVectors, compose_answer
from advisor.conversation import Turn, condense
from advisor.embeddings import LocalEmbeddings, get_encoder
from advisor.ingest import IngestReport, ingest_paths
from advisor.models import Answer, check_question
from advisor.offline import install_tiktoken_encodings, quiet_environment
from advisor.retrieval import IndexSet, hybrid_search
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

    @property
    def strategy(self) -> Store:
        return self.indexes.stores[self.settings.collection]

    def ingest(self, paths: list[Path] | None = None) -> IngestReport:
        report = ingest_paths(paths or [self.settings.knowledge_dir], self.strategy, self.taxonomy, self.settings)
        self.indexes.invalidate()
        return report

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
        history: list[Turn] | None = None,
    ) -> Answer:
        """Answer a question; with `history`, a follow-up is first rewritten into a standalone
        question (advisor.conversation) and the conversation's audience carries over."""
        started = time.perf_counter()
        asked = question = check_question(question, self.settings.max_question_chars)
        standalone = None
        if history:
            condensed = condense(question, history)
            if condensed.follow_up:
                standalone = question = condensed.question
            if audience in (None, "auto") and condensed.audience:
                audience = condensed.audience
        resolved = resolve_audience(question, audience)
        result = hybrid_search(question, resolved, self.indexes, self.embeddings, self.settings, collections, doc_ids)
        t_compose = time.perf_counter()
        answer = compose_answer(
            question, resolved, result.passages, result.query_vector, self.sentences, self.taxonomy, self.settings
        )
        answer.question = asked
        answer.standalone_question = standalone
        answer.timings_ms = {
            **{k: round(v, 2) for k, v in result.timings_ms.items()},
            "compose": round((time.perf_counter() - t_compose) * 1000, 2),
            "total": round((time.perf_counter() - started) * 1000, 2),
        }
        return answer


def build_advisor(settings: Settings) -> Advisor:
    """Everything an advisor needs, from settings alone; nothing touches the network."""
    quiet_environment()
    install_tiktoken_encodings(settings.data_dir / "tiktoken")
    encoder = get_encoder(settings.embed_max_length, settings.embed_batch_size)
    embeddings = LocalEmbeddings(encoder)
    client = make_client(settings.data_dir, settings.chroma_url)
    stores = {settings.collection: Store(client, settings.collection, embeddings)}
    return Advisor(
        settings=settings,
        taxonomy=load_taxonomy(settings.taxonomy_file),
        embeddings=embeddings,
        indexes=IndexSet(stores),
        sentences=SentenceVectors(encoder),
    )
