"""Sentence vectors shared through the vector store, so no process encodes a sentence twice.

Profiling `advisor ask` showed ~1 s of a cold answer going to encoding the ~25 candidate
sentences of the retrieved passages (the composer ranks sentences, not chunks). Those vectors
depend only on the sentence text, so ingest computes them once and keeps them in a side
collection `<collection>--sentences` keyed by a hash of the text. A cold CLI process or a freshly
started API worker (on the same embedded store or on a Chroma server) then fetches them with one
`get` instead of running the encoder. Anything missing is encoded and written back; a store error
only costs the fallback to the encoder, never an answer.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict

import numpy as np

from advisor.storage.embeddings import DIMENSION, MiniLMEncoder
from advisor.storage.vectorstore import Store

log = logging.getLogger(__name__)
SENTENCES_SUFFIX = "--sentences"
# Distinct sentences kept in memory per process (the corpus is bounded; profiled at ~25 per answer).
SENTENCE_CACHE_SIZE = 20_000
_WRITE_BATCH = 1000


def sentence_key(sentence: str, max_length: int) -> str:
    return hashlib.sha1(f"{max_length}\x00{sentence}".encode()).hexdigest()


class SentenceVectors:
    """Sentence embeddings, computed once per distinct sentence and kept in a bounded cache."""

    def __init__(self, encoder: MiniLMEncoder, capacity: int = SENTENCE_CACHE_SIZE) -> None:
        self.encoder = encoder
        self.capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sentences: list[str]) -> np.ndarray:
        with self._lock:
            missing = [s for s in dict.fromkeys(sentences) if s not in self._cache]
        if missing:
            vectors = self.encoder.encode(missing)
            with self._lock:
                for sentence, vector in zip(missing, vectors):
                    self._cache[sentence] = vector
                while len(self._cache) > self.capacity:
                    self._cache.popitem(last=False)
        with self._lock:
            return np.vstack([self._cache[s] for s in sentences]) if sentences else np.zeros((0, DIMENSION))


class SharedSentenceVectors(SentenceVectors):
    """Memory first, then the shared side collection, then the encoder (written back)."""

    def __init__(self, encoder: MiniLMEncoder, store: Store, capacity: int = SENTENCE_CACHE_SIZE) -> None:
        super().__init__(encoder, capacity)
        self.store = store
        self._collection = None

    def _side(self):  # noqa: ANN202 - a chromadb Collection
        if self._collection is None:
            self._collection = self.store.client.get_or_create_collection(
                name=self.store.name + SENTENCES_SUFFIX, embedding_function=None
            )
        return self._collection

    def get(self, sentences: list[str]) -> np.ndarray:
        with self._lock:
            missing = [s for s in dict.fromkeys(sentences) if s not in self._cache]
        if missing:
            self._load(missing)
        return super().get(sentences)

    def _load(self, missing: list[str]) -> None:
        keys = {sentence_key(s, self.encoder.max_length): s for s in missing}
        try:
            raw = self._side().get(ids=list(keys), include=["embeddings"])
        except Exception as exc:  # the store is a cache here: fall back to the encoder
            log.warning("sentence vectors unavailable from the store: %s", exc)
            return
        found = dict(zip(raw["ids"], raw["embeddings"]))
        with self._lock:
            for key, vector in found.items():
                self._cache[keys[key]] = np.asarray(vector, dtype=np.float32)
        absent = [s for k, s in keys.items() if k not in found]
        if absent:
            self.save(absent, self.encoder.encode(absent))

    def save(self, sentences: list[str], vectors: np.ndarray) -> None:
        with self._lock:
            for sentence, vector in zip(sentences, vectors):
                self._cache[sentence] = vector
        try:
            self.store.check_space()  # a cache write must never be the one that fills the disk
            side = self._side()
            for i in range(0, len(sentences), _WRITE_BATCH):
                part = sentences[i : i + _WRITE_BATCH]
                side.upsert(
                    ids=[sentence_key(s, self.encoder.max_length) for s in part],
                    embeddings=[v.tolist() for v in vectors[i : i + _WRITE_BATCH]],
                )
        except Exception as exc:
            log.warning("could not store sentence vectors: %s", exc)

    def warm(self, sentences: list[str]) -> int:
        """Make sure every one of these sentences has a stored vector; returns how many."""
        sentences = list(dict.fromkeys(sentences))
        if sentences:
            self.get(sentences)
        return len(sentences)
