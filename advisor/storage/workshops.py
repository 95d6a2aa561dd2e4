"""Workshop sessions and their anonymous question log, in the shared database.

A trainer creates a workshop (title, audience, starter questions, language, expiry); participants
reach it by its id (the embed) or its short join code (`/?w=CODE`). Every question asked inside
it is one row of `workshop_questions`: the question, what the advisor made of it, the latency and
later the thumbs with a reason. Nothing identifies a person: no IP address, no user agent; the
participant is a random id the participant's browser made up.

Rows older than the retention (ADVISOR_WORKSHOP_RETENTION_DAYS) are purged, at most once per
ADVISOR_WORKSHOP_PURGE_INTERVAL_SECONDS per worker, and a workshop's whole data goes with one call.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from advisor.storage.database import workshop_questions, workshops

SECONDS_PER_DAY = 86400
SECONDS_PER_HOUR = 3600
# 9 random bytes: a 12-character URL-safe id nobody can guess (it is the embed's data-workshop).
WORKSHOP_ID_BYTES = 9
# Join codes are read aloud and typed from a slide: no 0/O, 1/I/L look-alikes.
JOIN_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6  # 31^6 ≈ 890 million codes
JOIN_CODE_ATTEMPTS = 8  # a collision is already unlikely; eight in a row means something is wrong
# Workshop lookups remembered per worker. Bounded: any request may name any id, and unknown ids are
# remembered too (so a flood of made-up ids does not become a flood of queries).
LOOKUP_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Workshop:
    id: str
    join_code: str
    title: str
    audience: str
    language: str
    starters: tuple[str, ...]
    created_at: float
    expires_at: float

    def active(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) < self.expires_at

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "starters": list(self.starters)}


@dataclass(frozen=True)
class LoggedQuestion:
    """One question asked inside a workshop, as the trainer's dashboard and exports see it."""

    id: str
    workshop_id: str
    participant: str | None
    created_at: float
    question: str
    audience: str
    language: str
    in_scope: bool
    latency_ms: float
    focus_areas: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    standalone_question: str | None = None
    backend: str | None = None
    rating: int | None = None
    reason: str | None = None
    rated_at: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PurgeReport:
    questions: int
    workshops: int


def _workshop(row: Any) -> Workshop:
    return Workshop(
        row.id, row.join_code, row.title, row.audience, row.language, tuple(row.starters), row.created_at, row.expires_at
    )


def _question(row: Any) -> LoggedQuestion:
    return LoggedQuestion(**{c.name: getattr(row, c.name) for c in workshop_questions.columns})


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def normalize_join_code(code: str) -> str:
    """What a participant typed, as stored: upper case, no spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


class WorkshopStore:
    def __init__(
        self,
        engine: Engine,
        retention_days: float,
        cache_seconds: float,
        purge_interval_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        self.retention_seconds = retention_days * SECONDS_PER_DAY
        self.cache_seconds = cache_seconds
        self.purge_interval_seconds = purge_interval_seconds
        self.clock = clock
        self._cache: OrderedDict[str, tuple[float, Workshop | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._last_purge: float | None = None

    # ---- workshops --------------------------------------------------------------------------
    def create(self, title: str, audience: str, language: str, starters: list[str], expires_at: float) -> Workshop:
        """A new workshop with a fresh id and join code (a code collision draws again)."""
        for _ in range(JOIN_CODE_ATTEMPTS):
            workshop = Workshop(
                secrets.token_urlsafe(WORKSHOP_ID_BYTES),
                new_join_code(),
                title,
                audience,
                language,
                tuple(starters),
                self.clock(),
                expires_at,
            )
            try:
                with self.engine.begin() as db:
                    db.execute(sa.insert(workshops).values(**workshop.as_dict()))
                return workshop
            except IntegrityError:
                continue
        raise RuntimeError("could not draw an unused join code")

    def get(self, workshop_id: str) -> Workshop | None:
        """The workshop, expired or not (trainers still read an expired workshop's data)."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(workshops).where(workshops.c.id == workshop_id)).first()
        return _workshop(row) if row else None

    def active(self, workshop_id: str) -> Workshop | None:
        """The workshop if it exists and has not expired; cached briefly, as every answer asks."""
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(workshop_id)
        if cached is not None and cached[0] > now:
            found = cached[1]
        else:
            found = self.get(workshop_id)
            with self._lock:
                self._cache[workshop_id] = (now + self.cache_seconds, found)
                self._cache.move_to_end(workshop_id)
                while len(self._cache) > LOOKUP_CACHE_SIZE:
                    self._cache.popitem(last=False)
        return found if found is not None and found.active(self.clock()) else None

    def by_code(self, code: str) -> Workshop | None:
        """The active workshop with this join code (as typed: case and dashes do not matter)."""
        with self.engine.connect() as db:
            row = db.execute(sa.select(workshops).where(workshops.c.join_code == normalize_join_code(code))).first()
        workshop = _workshop(row) if row else None
        return workshop if workshop is not None and workshop.active(self.clock()) else None

    def all(self) -> list[tuple[Workshop, int]]:
        """Every workshop, newest first, with its number of logged questions."""
        counts = (
            sa.select(workshop_questions.c.workshop_id, sa.func.count().label("n"))
            .group_by(workshop_questions.c.workshop_id)
            .subquery()
        )
        query = (
            sa.select(workshops, sa.func.coalesce(counts.c.n, 0).label("questions"))
            .select_from(workshops.outerjoin(counts, counts.c.workshop_id == workshops.c.id))
            .order_by(workshops.c.created_at.desc())
        )
        with self.engine.connect() as db:
            return [(_workshop(row), int(row.questions)) for row in db.execute(query)]

    def delete(self, workshop_id: str) -> int | None:
        """Delete the workshop and everything logged in it, in one transaction; the number of
        questions deleted, or None when there was no such workshop."""
        with self.engine.begin() as db:
            questions = db.execute(sa.delete(workshop_questions).where(workshop_questions.c.workshop_id == workshop_id))
            gone = db.execute(sa.delete(workshops).where(workshops.c.id == workshop_id))
        with self._lock:
            self._cache.pop(workshop_id, None)
        return questions.rowcount if gone.rowcount else None

    # ---- the question log -------------------------------------------------------------------
    def log(self, entry: LoggedQuestion) -> bool:
        """Store one asked question; an entry id already stored is left alone (logged once)."""
        self.maybe_purge()
        try:
            with self.engine.begin() as db:
                db.execute(sa.insert(workshop_questions).values(**entry.as_dict()))
        except IntegrityError:
            return False
        return True

    def rate(self, workshop_id: str, entry_id: str, participant: str | None, rating: int, reason: str | None) -> bool:
        """Thumbs on a logged answer, by the participant who asked it; a new rating replaces the old.
        False when no such entry exists in this workshop for this participant."""
        owner = (
            workshop_questions.c.participant.is_(None)
            if participant is None
            else workshop_questions.c.participant == participant
        )
        statement = (
            sa.update(workshop_questions)
            .where(workshop_questions.c.id == entry_id, workshop_questions.c.workshop_id == workshop_id, owner)
            .values(rating=rating, reason=reason, rated_at=self.clock())
        )
        with self.engine.begin() as db:
            return db.execute(statement).rowcount > 0

    def questions(self, workshop_id: str) -> list[LoggedQuestion]:
        """Every question logged in the workshop, oldest first."""
        query = (
            sa.select(workshop_questions)
            .where(workshop_questions.c.workshop_id == workshop_id)
            .order_by(workshop_questions.c.created_at, workshop_questions.c.id)
        )
        with self.engine.connect() as db:
            return [_question(row) for row in db.execute(query)]

    # ---- retention --------------------------------------------------------------------------
    def purge(self) -> PurgeReport:
        """Delete questions older than the retention, and workshops that expired longer ago than it."""
        cutoff = self.clock() - self.retention_seconds
        with self.engine.begin() as db:
            old = sa.select(workshops.c.id).where(workshops.c.expires_at < cutoff)
            questions = db.execute(
                sa.delete(workshop_questions).where(
                    sa.or_(workshop_questions.c.created_at < cutoff, workshop_questions.c.workshop_id.in_(old))
                )
            ).rowcount
            gone = db.execute(sa.delete(workshops).where(workshops.c.expires_at < cutoff)).rowcount
        with self._lock:
            self._cache.clear()
        return PurgeReport(questions, gone)

    def maybe_purge(self) -> PurgeReport | None:
        """Purge when this worker has not done so for the purge interval (cheap to call often)."""
        now = time.monotonic()
        with self._lock:
            if self._last_purge is not None and now - self._last_purge < self.purge_interval_seconds:
                return None
            self._last_purge = now
        return self.purge()
