"""Hybrid retrieval: dense (Chroma) and lexical (BM25) candidates fused by reciprocal rank,
then re-weighted so the asker's own recommendations come first."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from advisor.audience import asks_for_advice
from advisor.lexical import LexicalIndex
from advisor.models import Citation
from advisor.scope import ScopeSignal, expand, scope_signal
from advisor.settings import Settings
from advisor.store import Store
from advisor.textutil import terms


@dataclass
class Passage:
    """A retrieved chunk with the scores that explain its rank."""

    document: Document
    score: float  # fused score after the audience adjustment
    similarity: float  # cosine similarity to the question
    dense_rank: int | None = None
    lexical_rank: int | None = None

    @property
    def chunk_id(self) -> str:
        return self.document.metadata.get("chunk_id", self.document.id or "")

    @property
    def metadata(self) -> dict[str, Any]:
        return self.document.metadata

    def citation(self, n: int) -> Citation:
        """This passage as citation [n]; every backend cites through here so clients render all alike."""
        meta = self.metadata
        page = meta.get("page")
        return Citation(
            n=n,
            id=self.chunk_id,
            title=meta.get("title", ""),
            section=meta.get("section", ""),
            source=meta.get("source", ""),
            text=self.document.page_content,
            score=round(self.score, 6),
            section_id=meta.get("section_id", ""),
            doc_id=meta.get("doc_id", ""),
            collection=meta.get("collection", ""),
            page=page if isinstance(page, int) and page >= 0 else None,
            start=meta.get("start"),
            end=meta.get("end"),
        )


@dataclass
class SearchResult:
    passages: list[Passage]
    query_vector: list[float]
    timings_ms: dict[str, float] = field(default_factory=dict)
    scope: ScopeSignal = field(default_factory=ScopeSignal)


def reciprocal_rank_fusion(rankings: list[tuple[list[str], float]], k: int) -> dict[str, float]:
    """Weighted RRF: each ranking adds weight / (k + rank) to the ids it holds."""
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, cid in enumerate(ids, start=1):
            fused[cid] = fused.get(cid, 0.0) + weight / (k + rank)
    return fused


class IndexSet:
    """Stores with their lexical indexes, rebuilt when a store's committed documents change."""

    def __init__(self, stores: dict[str, Store]) -> None:
        self.stores = stores
        self._lexical: dict[str, tuple[tuple, LexicalIndex]] = {}
        self._vocabulary: dict[str, tuple[LexicalIndex, set[str]]] = {}
        self._lock = threading.Lock()

    def lexical(self, name: str) -> LexicalIndex:
        store = self.stores[name]
        key = tuple(sorted((r.doc_id, r.version) for r in store.documents().values()))
        with self._lock:
            cached = self._lexical.get(name)
            if cached is None or cached[0] != key:
                cached = (key, LexicalIndex.build(store.chunks()))
                self._lexical[name] = cached
        return cached[1]

    def vocabulary(self, name: str) -> set[str]:
        """Every term the store's committed chunks use (for the scope check)."""
        index = self.lexical(name)
        with self._lock:
            cached = self._vocabulary.get(name)
            if cached is None or cached[0] is not index:
                words: set[str] = set()
                for doc in index.documents:
                    words.update(terms(doc.page_content.replace("-", " ")))
                    words.update(terms(doc.page_content))
                cached = (index, words)
                self._vocabulary[name] = cached
        return cached[1]

    def invalidate(self) -> None:
        with self._lock:
            self._lexical.clear()
            self._vocabulary.clear()


def passage_prior(
    metadata: dict[str, Any], audience: str, settings: Settings, descriptive: bool = False, about_whole: bool = False
) -> float:
    """Multiplier on the fused score: the asker's audience first, section introductions last;
    for questions about what the strategy itself does, its objectives and focus areas first;
    for questions about the strategy as a whole (when, who, what about), its general sections."""
    kind = metadata.get("kind")
    factor = settings.overview_factor if kind == "overview" else 1.0
    if about_whole:
        if kind in ("section", "overview"):
            factor *= 1.0 + settings.descriptive_area_boost
    elif descriptive and kind in ("objective", "focus_area"):
        factor *= 1.0 + settings.descriptive_area_boost
    chunk_audience = metadata.get("audience", "general")
    if audience == "general" or chunk_audience == "general":
        return factor
    if chunk_audience == audience:
        return factor * (1.0 + settings.audience_boost)
    return factor * (1.0 - settings.other_audience_penalty)


def hybrid_search(
    question: str,
    audience: str,
    indexes: IndexSet,
    embeddings: Embeddings,
    settings: Settings,
    collections: list[str] | None = None,
    doc_ids: list[str] | None = None,
    k: int | None = None,
    descriptive: bool | None = None,
) -> SearchResult:
    """Rank passages for a question; `collections` / `doc_ids` narrow where to look.
    `descriptive` (default: detected) says the question asks what the strategy does rather than
    what the asker should do."""
    import time

    k = k or settings.top_k
    if descriptive is None:
        descriptive = audience == "general" and not asks_for_advice(question)
    vocabulary: set[str] = set()
    for name in collections or list(indexes.stores):
        vocabulary |= indexes.vocabulary(name)
    scope = scope_signal(question, vocabulary)
    t0 = time.perf_counter()
    vector = embeddings.embed_query(question)
    t1 = time.perf_counter()
    names = collections or list(indexes.stores)
    rankings: list[tuple[list[str], float]] = []
    docs: dict[str, Document] = {}
    similarity: dict[str, float] = {}
    dense_rank: dict[str, int] = {}
    lexical_rank: dict[str, int] = {}
    dense_all: list[tuple[Document, float]] = []
    for name in names:
        store = indexes.stores[name]
        where = store.committed_filter(doc_ids)
        dense = store.dense_search(vector, settings.dense_k, where)
        dense_all.extend(dense)
        lexical_index = indexes.lexical(name)
        allowed = None
        if doc_ids is not None:
            allowed = {d.metadata["chunk_id"] for d in lexical_index.documents if d.metadata.get("doc_id") in doc_ids}
        lexical = lexical_index.search(expand(question), settings.lexical_k, allowed)
        for rank, (doc, _) in enumerate(lexical, start=1):
            cid = doc.metadata["chunk_id"]
            docs.setdefault(cid, doc)
            lexical_rank.setdefault(cid, rank)
        rankings.append(([d.metadata["chunk_id"] for d, _ in lexical], settings.lexical_weight))
    # Cosine similarities are comparable across collections, so dense hits form one ranking:
    # a weak best hit of one collection must not tie with a strong best hit of another.
    dense_all.sort(key=lambda hit: hit[1], reverse=True)
    for rank, (doc, score) in enumerate(dense_all[: settings.dense_k], start=1):
        cid = doc.metadata["chunk_id"]
        docs[cid] = doc
        similarity[cid] = float(score)
        dense_rank.setdefault(cid, rank)
    rankings.append(([d.metadata["chunk_id"] for d, _ in dense_all[: settings.dense_k]], settings.dense_weight))
    t2 = time.perf_counter()
    fused = reciprocal_rank_fusion(rankings, settings.rrf_k)
    scored = sorted(
        (
            (score * passage_prior(docs[cid].metadata, audience, settings, descriptive, scope.about_whole), cid)
            for cid, score in fused.items()
        ),
        reverse=True,
    )[:k]
    missing = [docs[cid].id for _, cid in scored if cid not in similarity]
    if missing:
        _fill_similarity(missing, docs, similarity, vector, indexes, names)
    passages = [
        Passage(docs[cid], score, similarity.get(cid, 0.0), dense_rank.get(cid), lexical_rank.get(cid))
        for score, cid in scored
    ]
    t3 = time.perf_counter()
    return SearchResult(
        passages,
        vector,
        {"embed": (t1 - t0) * 1000, "search": (t2 - t1) * 1000, "fuse": (t3 - t2) * 1000},
        scope,
    )


def _fill_similarity(
    record_ids: list[str],
    docs: dict[str, Document],
    similarity: dict[str, float],
    vector: list[float],
    indexes: IndexSet,
    names: list[str],
) -> None:
    """Lexical-only hits have no dense score yet: fetch their stored vectors and compute it."""
    query = np.asarray(vector, dtype=np.float32)
    by_record = {doc.id: cid for cid, doc in docs.items()}
    for name in names:
        for record_id, emb in indexes.stores[name].embeddings_for(record_ids).items():
            similarity[by_record[record_id]] = float(np.dot(query, np.asarray(emb, dtype=np.float32)))
