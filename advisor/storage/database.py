"""The one relational database: feedback and workshops, SQLite by default, PostgreSQL when configured.

Feedback and the workshop log live in the same database so that a deployment with several API
workers on several hosts shares one store (`ADVISOR_DATABASE_URL=postgresql+psycopg://...`); on one
host the default SQLite file in the data directory is enough. SQLAlchemy Core is the layer: the
tables below are written once and the same statements run on both engines.

SQLite runs in WAL mode with a busy timeout, so several `advisor serve` processes on one host can
read while one writes, and a writer waits for the lock instead of failing.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from advisor.settings import ConfigError, Settings

# Seconds a SQLite writer waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_S = 10

metadata = sa.MetaData()

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("rating", sa.Integer, sa.CheckConstraint("rating IN (-1, 1)"), nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("standalone_question", sa.Text),
    sa.Column("audience", sa.Text),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("citations", sa.Text, nullable=False),
    sa.Column("backend", sa.Text),
    sa.Column("comment", sa.Text),
    sa.Column("answer_key", sa.Text),
    sa.Column("reason", sa.Text),  # why an answer was disliked (storage.feedback.DISLIKE_REASONS); NULL: none given
    sqlite_autoincrement=True,
)
# A separate index (not a column option) so that databases written before answer keys existed
# can get it after their column is added (see _migrate).
# Text columns added to feedback after the first release, in order: older databases get them on open.
ADDED_FEEDBACK_COLUMNS = ("answer_key", "reason")
feedback_answer_key = sa.Index("feedback_answer_key", feedback.c.answer_key, unique=True)

workshops = sa.Table(
    "workshops",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("join_code", sa.String(16), nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("audience", sa.String(16), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("starters", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

# One row per question asked inside a workshop. Deliberately no IP address, user agent or cookie:
# the participant is a random id the browser made up, and nothing else identifies a person.
workshop_questions = sa.Table(
    "workshop_questions",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("workshop_id", sa.String(32), nullable=False, index=True),
    sa.Column("participant", sa.String(64)),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("standalone_question", sa.Text),
    sa.Column("audience", sa.String(16), nullable=False),
    sa.Column("language", sa.String(16), nullable=False),
    sa.Column("in_scope", sa.Boolean, nullable=False),
    sa.Column("focus_areas", sa.JSON, nullable=False),
    sa.Column("titles", sa.JSON, nullable=False),
    sa.Column("recommendations", sa.JSON, nullable=False),
    sa.Column("latency_ms", sa.Float, nullable=False),
    sa.Column("backend", sa.Text),
    sa.Column("rating", sa.Integer, sa.CheckConstraint("rating IS NULL OR rating IN (-1, 1)")),
    sa.Column("reason", sa.Text),
    sa.Column("rated_at", sa.Float),
)


def database_url(settings: Settings) -> str:
    """ADVISOR_DATABASE_URL, or the SQLite feedback file in the data directory (where feedback always was)."""
    return settings.database_url or sqlite_url(settings.data_dir / settings.feedback_db)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across a crashed process
    cursor.close()


def _migrate(connection: Connection) -> None:
    """Bring tables written by older versions up to date (only additive changes)."""
    columns = {c["name"] for c in sa.inspect(connection).get_columns("feedback")}
    for column in ADDED_FEEDBACK_COLUMNS:  # NULL answer keys never collide; NULL reason: none given
        if column not in columns:
            connection.execute(sa.text(f"ALTER TABLE feedback ADD COLUMN {column} TEXT"))
    feedback_answer_key.create(connection, checkfirst=True)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def open_database(url: str) -> Engine:
    """The process's engine for `url`, with every table created; one engine (and pool) per URL."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
        if url.startswith("sqlite"):
            path = url.split(":///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(url, pool_pre_ping=True)
        try:
            with engine.begin() as connection:
                metadata.create_all(connection, checkfirst=True)
                _migrate(connection)
        except sa.exc.DatabaseError as exc:
            engine.dispose()
            raise damaged(url, exc) from exc
        _engines[url] = engine
        return engine


def damaged(url: str, exc: Exception) -> ConfigError:
    """One line for a database that cannot be opened: a damaged SQLite file says how to recover
    (the server used to print its ready line and then exit with a traceback, again and again)."""
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        return ConfigError(
            f"{path}: the feedback database is damaged ({reason}); move it aside (mv {path} {path}.damaged) "
            "and start again: a new, empty one is created"
        )
    return ConfigError(f"the database at ADVISOR_DATABASE_URL cannot be opened: {reason}")


def dispose_all() -> None:
    """Close every pooled connection (tests that drop a database; processes about to exit)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
