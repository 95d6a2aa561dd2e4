"""The `Retriever`: holds the stores and their lexical indexes, and ranks passages for a `Query`.

Dense (Chroma) and lexical (BM25) candidates are fused by reciprocal rank, then re-weighted so
the asker's own recommendations come first. Lexical indexes are rebuilt when a store's committed
documents change.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from advisor.answer.quotable import quotable_sentences
from advisor.query.understand import Query
from advisor.retrieval.fusion import LIST_OVERVIEWS, OVERVIEW_CHUNK_KINDS, passage_prior, reciprocal_rank_fusion
from advisor.retrieval.lexical import LexicalIndex
from advisor.retrieval.passage import Passage, SearchResult
from advisor.settings import Settings
from advisor.storage.multilingual import MultilingualEncoder
from advisor.storage.vectorstore import Store
from advisor.taxonomy import SECTION_SEPARATOR
from advisor.text import terms


def list_headings(documents: list[Document], items: list[Document]) -> list[Document]:
    """The overview chunks whose section is the parent section of some listed items."""
    parents = {str(d.metadata.get("section", "")).rsplit(SECTION_SEPARATOR, 1)[0] for d in items}
    return [d for d in documents if d.metadata.get("kind") == "overview" and d.metadata.get("section") in parents]


class SentenceIndex:
    """Multilingual vectors of every chunk's title and quotable sentences, for one store."""

    def __init__(self, owners: list[str], texts: list[str], matrix: np.ndarray) -> None:
        self.owners = owners
        self.texts = texts
        self.matrix = matrix
        self._owner_ids = {cid: i for i, cid in enumerate(dict.fromkeys(owners))}
        self._rows = np.array([self._owner_ids[o] for o in owners], dtype=np.int64)

    def best_per_chunk(self, vector: np.ndarray) -> dict[str, float]:
        """Each chunk's best sentence similarity to the question."""
        if not len(self.owners):
            return {}
        sims = self.matrix @ vector
        best = np.full(len(self._owner_ids), -1.0, dtype=np.float32)
        np.maximum.at(best, self._rows, sims)
        return {cid: float(best[i]) for cid, i in self._owner_ids.items()}


class Retriever:
    """Stores with their lexical and multilingual indexes and vocabularies, and the hybrid search over them."""

    def __init__(
        self,
        stores: dict[str, Store],
        embeddings: Embeddings,
        settings: Settings,
        multilingual: MultilingualEncoder | None = None,
    ) -> None:
        self.stores = stores
        self.embeddings = embeddings
        self.settings = settings
        self.multilingual = multilingual
        self._lexical: dict[str, tuple[tuple, LexicalIndex]] = {}
        self._vocabulary: dict[str, tuple[LexicalIndex, set[str]]] = {}
        self._sentences: dict[str, tuple[LexicalIndex, SentenceIndex | None]] = {}
        self._lock = threading.Lock()

    def sentence_index(self, name: str) -> SentenceIndex | None:
        """The store's multilingual sentence index; None without the encoder or for a store too
        large to encode (its English side still answers: MiniLM and BM25)."""
        if self.multilingual is None:
            return None
        index = self.lexical(name)
        with self._lock:
            cached = self._sentences.get(name)
        if cached is not None and cached[0] is index:
            return cached[1]
        built = None
        if len(index.documents) <= self.settings.multilingual_max_chunks:
            owners, texts = [], []
            for doc in index.documents:
                cid = doc.metadata["chunk_id"]
                for text in [doc.metadata.get("title", "")] + [
                    s for _, _, s in quotable_sentences(doc, self.settings.min_quotable_chars)
                ]:
                    if text:
                        owners.append(cid)
                        texts.append(text)
            built = SentenceIndex(owners, texts, self.multilingual.passages(texts))
        with self._lock:
            self._sentences[name] = (index, built)
        return built

    def lexical(self, name: str) -> LexicalIndex:
        store = self.stores[name]
        key = tuple(sorted((r.doc_id, r.version) for r in store.documents().values()))
        with self._lock:
            cached = self._lexical.get(name)
            if cached is None or cached[0] != key:
                cached = (key, LexicalIndex.build(store.chunks()))
                self._lexical[name] = cached
        return cached[1]

    def vocabulary(self, collections: list[str] | None = None) -> set[str]:
        """Every term the committed chunks of these collections (default: all) use."""
        words: set[str] = set()
        for name in collections or list(self.stores):
            words |= self._store_vocabulary(name)
        return words

    def common_terms(self, share: float, collections: list[str] | None = None) -> set[str]:
        """Terms in at least `share` of the chunks: they say little about what a question is about."""
        counts: dict[str, int] = {}
        total = 0
        for name in collections or list(self.stores):
            documents = self.lexical(name).documents
            total += len(documents)
            for doc in documents:
                for term in set(terms(doc.page_content.replace("-", " "))):
                    counts[term] = counts.get(term, 0) + 1
        return {t for t, n in counts.items() if total and n / total >= share}

    def _store_vocabulary(self, name: str) -> set[str]:
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
            self._sentences.clear()

    def search(
        self,
        query: Query,
        collections: list[str] | None = None,
        doc_ids: list[str] | None = None,
        k: int | None = None,
    ) -> SearchResult:
        """Rank passages for a query; `collections` / `doc_ids` narrow where to look."""
        settings = self.settings
        k = k or settings.top_k
        english = query.language == "en"
        # MiniLM reads English only: a foreign question reaches it through its glossary terms.
        glossed = not english and bool(query.english_terms)
        t0 = time.perf_counter()
        text = query.spelled or query.text
        vector = self.embeddings.embed_query(" ".join(query.english_terms) if glossed else text)
        multi_vector = self.multilingual.query(text) if self.multilingual is not None else None
        t1 = time.perf_counter()
        multilingual: dict[str, float] = {}
        names = collections or list(self.stores)
        rankings: list[tuple[list[str], float]] = []
        docs: dict[str, Document] = {}
        similarity: dict[str, float] = {}
        dense_rank: dict[str, int] = {}
        lexical_rank: dict[str, int] = {}
        dense_all: list[tuple[Document, float]] = []
        leaders: set[str] = set()  # chunks that answer the question by themselves (Query.leads, list headings)
        for name in names:
            store = self.stores[name]
            dense_all.extend(store.dense_search(vector, settings.dense_k, store.committed_filter(doc_ids)))
            lexical_index = self.lexical(name)
            allowed = None
            if doc_ids is not None:
                allowed = {d.metadata["chunk_id"] for d in lexical_index.documents if d.metadata.get("doc_id") in doc_ids}
            lexical = lexical_index.search(query.lexical_text, settings.lexical_k, allowed)
            for rank, (doc, _) in enumerate(lexical, start=1):
                cid = doc.metadata["chunk_id"]
                docs.setdefault(cid, doc)
                lexical_rank.setdefault(cid, rank)
            weight = (
                settings.lexical_weight if english
                else settings.glossary_lexical_weight if glossed else settings.foreign_lexical_weight
            )
            rankings.append(([d.metadata["chunk_id"] for d, _ in lexical], weight))
            listed = OVERVIEW_CHUNK_KINDS.get(query.overview or "", ())
            if (listed or query.leads) and name == settings.collection:
                # An overview lists whole kinds of chunk, which its words may not match ("the three
                # objectives" shares no word with the objectives' text): they join in document order,
                # after the chunks that answer it by themselves (a list's heading, the conclusion).
                items = [d for d in lexical_index.documents if d.metadata.get("kind") in listed][: settings.dense_k]
                heads = [d for d in lexical_index.documents if d.metadata.get("section_id") in query.leads]
                if query.overview in LIST_OVERVIEWS:
                    heads += list_headings(lexical_index.documents, items)
                leaders.update(d.metadata["chunk_id"] for d in heads)
                items = heads + items
                for doc in items:
                    docs.setdefault(doc.metadata["chunk_id"], doc)
                rankings.append(([d.metadata["chunk_id"] for d in items], settings.overview_ranking_weight))
            sentence_index = self.sentence_index(name) if multi_vector is not None else None
            if sentence_index is not None:
                best = sentence_index.best_per_chunk(multi_vector)
                if doc_ids is not None:
                    best = {c: v for c, v in best.items() if c in (allowed or set())}
                multilingual.update(best)
                for doc in lexical_index.documents:
                    if doc.metadata["chunk_id"] in best:
                        docs.setdefault(doc.metadata["chunk_id"], doc)
        # Cosine similarities are comparable across collections, so dense hits form one ranking:
        # a weak best hit of one collection must not tie with a strong best hit of another.
        dense_all.sort(key=lambda hit: hit[1], reverse=True)
        for rank, (doc, score) in enumerate(dense_all[: settings.dense_k], start=1):
            cid = doc.metadata["chunk_id"]
            docs[cid] = doc
            similarity[cid] = float(score)
            dense_rank.setdefault(cid, rank)
        dense_weight = (
            settings.dense_weight if english else settings.glossary_dense_weight if glossed else settings.foreign_dense_weight
        )
        rankings.append(([d.metadata["chunk_id"] for d, _ in dense_all[: settings.dense_k]], dense_weight))
        if multilingual:
            ranked = sorted(multilingual, key=lambda c: -multilingual[c])[: settings.dense_k]
            weight = settings.multilingual_weight if english else settings.foreign_multilingual_weight
            rankings.append((ranked, weight))
        t2 = time.perf_counter()
        fused = reciprocal_rank_fusion(rankings, settings.rrf_k)
        strength = settings.inferred_audience_strength if query.audience_source == "inferred" else 1.0
        prior = {
            cid: passage_prior(
                docs[cid].metadata, query.audience, settings, query.descriptive, query.about_whole, query.overview,
                leads=cid in leaders, audience_strength=strength,
            )
            for cid in fused
        }
        scored = sorted(((score * prior[cid], cid) for cid, score in fused.items()), reverse=True)[:k]
        missing = [docs[cid].id for _, cid in scored if cid not in similarity]
        if missing:
            self._fill_similarity(missing, docs, similarity, vector, names)
        passages = [
            Passage(
                docs[cid], score, similarity.get(cid, 0.0), dense_rank.get(cid), lexical_rank.get(cid),
                multilingual.get(cid, 0.0),
            )
            for score, cid in scored
        ]
        t3 = time.perf_counter()
        return SearchResult(
            passages,
            vector,
            {"embed": (t1 - t0) * 1000, "search": (t2 - t1) * 1000, "fuse": (t3 - t2) * 1000},
            multi_vector,
            max(multilingual.values(), default=0.0),
        )

    def _fill_similarity(
        self,
        record_ids: list[str],
        docs: dict[str, Document],
        similarity: dict[str, float],
        vector: list[float],
        names: list[str],
    ) -> None:
        """Lexical-only hits have no dense score yet: fetch their stored vectors and compute it."""
        query = np.asarray(vector, dtype=np.float32)
        by_record = {doc.id: cid for cid, doc in docs.items()}
        for name in names:
            for record_id, emb in self.stores[name].embeddings_for(record_ids).items():
                similarity[by_record[record_id]] = float(np.dot(query, np.asarray(emb, dtype=np.float32)))
