"""Evidence for the scope decision, gathered from retrieval (the decision is advisor.query.scope.in_scope)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from advisor.query.scope import (
    ScopeEvidence,
    canonical_names,
    names_programme,
    out_of_scope_topics,
    plain_text,
    programme_names,
    quotes_documents,
    scope_signal,
    topic_terms,
)
from advisor.query.understand import Query
from advisor.retrieval.passage import SearchResult
from advisor.retrieval.retriever import Retriever
from advisor.text import terms

T = TypeVar("T")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


class EvidenceGatherer:
    """Measures how well the indexed documents, rather than a neighbouring topic, match a question."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self._topics: np.ndarray | None = None
        self._corpus: dict[str, tuple[tuple, Any]] = {}  # what -> (corpus key, value)
        self._lock = threading.Lock()

    def _topic_vectors(self) -> np.ndarray | None:
        encoder = self.retriever.multilingual
        if encoder is None:
            return None
        with self._lock:
            if self._topics is None:
                self._topics = encoder.passages(list(out_of_scope_topics()))
            return self._topics

    def _per_corpus(self, what: str, collections: list[str] | None, compute: Callable[[], T]) -> T:
        """A value derived from the indexed chunks, computed again only when the strategy's lexical
        index is rebuilt (a new ingest) or other collections are asked for."""
        key = (tuple(collections or ()), id(self.retriever.lexical(self.retriever.settings.collection)))
        with self._lock:
            cached = self._corpus.get(what)
            if cached is None or cached[0] != key:
                cached = (key, compute())
                self._corpus[what] = cached
            return cached[1]

    def _common(self, collections: list[str] | None) -> set[str]:
        share = self.retriever.settings.scope_common_term_share
        return self._per_corpus("common", collections, lambda: self.retriever.common_terms(share, collections))

    def _texts(self, collections: list[str] | None) -> list[str]:
        """Every indexed chunk's text, of the collections asked about (all when None)."""
        return [d.page_content for name in collections or list(self.retriever.stores)
                for d in self.retriever.lexical(name).documents]

    def _programmes(self, collections: list[str] | None) -> frozenset[str]:
        return self._per_corpus("programmes", collections, lambda: programme_names(self._texts(collections)))

    def _plain_corpus(self, collections: list[str] | None) -> str:
        """The indexed text as quoted phrases are looked up in it (advisor.query.scope.plain_text)."""
        return self._per_corpus("plain", collections, lambda: plain_text(" ".join(self._texts(collections))))

    def gather(self, query: Query, result: SearchResult, collections: list[str] | None = None) -> ScopeEvidence:
        topics = self._topic_vectors()
        margin = 0.0
        if topics is not None and result.multilingual_vector is not None and len(topics):
            margin = result.best_multilingual - float((topics @ result.multilingual_vector).max())
        vocabulary = self.retriever.vocabulary(collections)
        english = query.language == "en"
        # Another language's words are not the documents' words; its glossary terms (their English) are.
        topic = query.topic_terms if english else tuple(topic_terms(" ".join(query.english_terms)))
        signal = scope_signal(topic, vocabulary, query.thesaurus, query.names)
        common = self._common(collections)
        term_margin = self._term_margin(query, signal.unknown_terms, topics, collections) if english else None
        programmes = self._programmes(collections)
        return ScopeEvidence(
            margin=margin if topics is not None else float("nan"),
            dense=max((p.similarity for p in result.passages), default=0.0),
            known_terms=len([t for t in signal.known_terms if t not in common]),
            unknown_terms=len(signal.unknown_terms),
            english=query.language == "en",
            about_document=query.intent == "overview" or query.about_whole or query.asks_impact,
            manipulation=query.manipulation,
            term_margin=term_margin if term_margin is not None else float("nan"),
            names_document=query.self_reference,
            # How the strategy came about (who adopted it, when) is a specific of the document too, however wrong
            # the asker's version ("the European Parliament adopted this strategy as a binding regulation").
            asks_detail=bool(query.details) or query.about_origin,
            names_audience=query.named_audience,
            foreign_programme=query.foreign_programme,
            chore=query.chore,
            # Programme names are the same in every language ("financiamento do Global Gateway"); a quote
            # is compared as typed (respelling could change the very words quoted), with the English text. A
            # phrase the thesaurus reads as a programme names it ("that network of partner countries"); one
            # word ("our network") does not. So does a programme's name in another language, through the glossary
            # ("l'offre technologique européenne").
            programmes=names_programme(canonical_names(query.spelled or query.text), programmes)
            + names_programme(" ".join(words for key, words in query.thesaurus if " " in key), programmes)
            + (0 if english else names_programme(" ".join(t for t in query.english_terms if " " in t), programmes))
            + (quotes_documents(query.asked, self._plain_corpus(collections), common) if english else 0),
        )

    def _term_margin(
        self, query: Query, unknown: list[str], topics: np.ndarray | None, collections: list[str] | None
    ) -> float | None:
        """How much closer the question's most off-topic unknown word sits to a neighbouring topic
        than to any sentence of the documents ("crypto", "tourism": high; "Nairobi", a typo: low)."""
        encoder = self.retriever.multilingual
        if encoder is None or topics is None or not unknown:
            return None
        wanted = set(unknown)
        words = list(dict.fromkeys(w for w in _WORD.findall(query.spelled or query.text) if (terms(w) or [""])[0] in wanted))
        matrices = [i.matrix for name in (collections or list(self.retriever.stores))
                    if (i := self.retriever.sentence_index(name)) is not None and len(i.owners)]
        if not words or not matrices:
            return None
        vectors = encoder.passages(words)
        documents = np.vstack(matrices)
        return float(((vectors @ topics.T).max(axis=1) - (vectors @ documents.T).max(axis=1)).max())
