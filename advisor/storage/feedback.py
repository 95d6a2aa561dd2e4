"""Thumbs up / down on answers, kept in SQLite in the data directory.

Each row keeps the question, the answer text and the citations as shown, so a reviewer can later
see exactly what was rated without re-running retrieval (the index may have changed since).
One short transaction per write: a crash never leaves a half-written row. A rating given with an
`answer_key` (the chat gives each shown answer one) replaces that answer's earlier rating, so a
user who changes their mind leaves one row, not two that contradict each other.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from advisor.models import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at REAL NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    question TEXT NOT NULL,
    standalone_question TEXT,
    audience TEXT,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    backend TEXT,
    comment TEXT,
    answer_key TEXT,
    reason TEXT
)
"""
# Columns added after the first release, by name: older databases get them on open.
# NULL answer keys never collide; NULL reason means none was given.
MIGRATIONS = {
    "answer_key": "ALTER TABLE feedback ADD COLUMN answer_key TEXT",
    "reason": "ALTER TABLE feedback ADD COLUMN reason TEXT",
}
# Why an answer was disliked: the choices the chat offers after a thumbs-down.
DISLIKE_REASONS = ("wrong", "not relevant", "missing source", "other")
KEY_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS feedback_answer_key ON feedback (answer_key)"


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created_at: float
    rating: int
    question: str
    answer: str
    citations: list[dict]


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
            for column, statement in MIGRATIONS.items():
                if column not in columns:
                    db.execute(statement)
            db.execute(KEY_INDEX)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def record(self, answer: Answer, liked: bool, comment: str | None = None, answer_key: str | None = None) -> int:
        """Store one rating of one answer (replacing an earlier rating with the same key); returns the row id."""
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, rating, question, standalone_question, audience, answer, "
                "citations, backend, comment, answer_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (answer_key) DO UPDATE SET created_at = excluded.created_at, "
                "rating = excluded.rating, comment = excluded.comment, reason = NULL RETURNING id",
                (
                    time.time(),
                    1 if liked else -1,
                    answer.question,
                    answer.standalone_question,
                    answer.audience,
                    answer.answer,
                    json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False),
                    answer.backend,
                    comment,
                    answer_key,
                ),
            )
            return int(cursor.fetchone()[0])

    def explain(self, answer_key: str, reasons: list[str], comment: str | None = None) -> bool:
        """Attach why an answer was disliked to its rating; False when there is no such rating.
        Unknown reasons raise ValueError (they come from a fixed list in the UI)."""
        unknown = [r for r in reasons if r not in DISLIKE_REASONS]
        if unknown:
            raise ValueError(f"unknown reason(s) {unknown}; use {list(DISLIKE_REASONS)}")
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE feedback SET reason = ?, comment = COALESCE(?, comment) WHERE answer_key = ?",
                (", ".join(reasons) or None, (comment or "").strip() or None, answer_key),
            )
            return cursor.rowcount == 1

    def recent(self, limit: int = 50) -> list[FeedbackRow]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, created_at, rating, question, answer, citations FROM feedback ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [FeedbackRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]
