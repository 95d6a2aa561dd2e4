"""Thumbs up / down on answers, kept in the shared database (advisor.storage.database).

Each row keeps the question, the answer text and the citations as shown, so a reviewer can later
see exactly what was rated without re-running retrieval (the index may have changed since).
One short transaction per write: a crash never leaves a half-written row. A rating given with an
`answer_key` (the chat gives each shown answer one) replaces that answer's earlier rating, so a
user who changes their mind leaves one row, not two that contradict each other.

By default the database is the SQLite file in the data directory that feedback always used; with
ADVISOR_DATABASE_URL it is a PostgreSQL server shared by every worker on every host.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from advisor.models import Answer
from advisor.storage.database import feedback, open_database, sqlite_url

# Why an answer was disliked: the choices the chat offers after a thumbs-down.
DISLIKE_REASONS = ("wrong", "not relevant", "missing source", "other")


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created_at: float
    rating: int
    question: str
    answer: str
    citations: list[dict]


def upsert(engine: Engine, table: sa.Table) -> Any:
    """The dialect's INSERT, which (unlike the generic one) has ON CONFLICT DO UPDATE."""
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)


class FeedbackStore:
    def __init__(self, target: Path | Engine) -> None:
        """`target` is the shared database engine, or (as before) the path of a SQLite file."""
        self.engine = target if isinstance(target, Engine) else open_database(sqlite_url(target))

    def record(self, answer: Answer, liked: bool, comment: str | None = None, answer_key: str | None = None) -> int:
        """Store one rating of one answer (replacing an earlier rating with the same key); returns the row id."""
        values = {
            "created_at": time.time(),
            "rating": 1 if liked else -1,
            "question": answer.question,
            "standalone_question": answer.standalone_question,
            "audience": answer.audience,
            "answer": answer.answer,
            "citations": json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False),
            "backend": answer.backend,
            "comment": comment,
            "answer_key": answer_key,
        }
        insert = upsert(self.engine, feedback).values(**values)
        statement = insert.on_conflict_do_update(
            index_elements=[feedback.c.answer_key],
            set_={
                "created_at": insert.excluded.created_at,
                "rating": insert.excluded.rating,
                "comment": insert.excluded.comment,
                "reason": None,  # a changed rating drops the reason given for the old one
            },
        ).returning(feedback.c.id)
        with self.engine.begin() as db:
            return int(db.execute(statement).scalar_one())

    def explain(self, answer_key: str, reasons: list[str], comment: str | None = None) -> bool:
        """Attach why an answer was disliked to its rating; False when there is no such rating.
        Unknown reasons raise ValueError (they come from a fixed list in the UI)."""
        unknown = [r for r in reasons if r not in DISLIKE_REASONS]
        if unknown:
            raise ValueError(f"unknown reason(s) {unknown}; use {list(DISLIKE_REASONS)}")
        comment = (comment or "").strip() or None
        statement = (
            sa.update(feedback)
            .where(feedback.c.answer_key == answer_key)
            .values(reason=", ".join(reasons) or None, comment=sa.func.coalesce(comment, feedback.c.comment))
        )
        with self.engine.begin() as db:
            return db.execute(statement).rowcount == 1

    def recent(self, limit: int = 50) -> list[FeedbackRow]:
        columns = (feedback.c.id, feedback.c.created_at, feedback.c.rating, feedback.c.question, feedback.c.answer)
        query = sa.select(*columns, feedback.c.citations).order_by(feedback.c.id.desc()).limit(limit)
        with self.engine.connect() as db:
            rows = db.execute(query).all()
        return [FeedbackRow(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]
