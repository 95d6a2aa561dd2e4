"""Workshops as the product sees them: what a trainer may create, what is logged of an answer,
and the figures of the trainer's dashboard (summary, CSV and JSON exports).

Storage is advisor.storage.workshops, HTTP advisor.http.workshops, the UI ui/workshop_panel.py;
this module is the vocabulary they share, with no I/O of its own.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.models import Answer
from advisor.settings import Settings
from advisor.storage.workshops import SECONDS_PER_DAY, SECONDS_PER_HOUR, LoggedQuestion, Workshop
from advisor.taxonomy import Taxonomy
from advisor.text import STOPWORDS

# Ids a browser or API client sends. Participant ids are made up by the browser (random, URL-safe);
# the bounds keep a hostile value from becoming a huge bucket key or log cell.
WORKSHOP_ID_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
PARTICIPANT_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
ENTRY_ID_PATTERN = r"^[A-Za-z0-9_-]{8,40}$"
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"  # BCP 47 language with an optional region
TITLE_MAX_CHARS = 200
REASON_MAX_CHARS = 500
# When the answer carries no detected language (the query stage decides it; older answers lack the
# field), the log says what the query stage assumes: English.
DEFAULT_LANGUAGE = "en"

# Dashboard sizes: what fits on one screen next to the other panels.
TOP_WORDS = 40
MIN_WORD_CHARS = 3
LATENCY_PERCENTILES = (50, 95)
PERCENT = 100

# Words that say how a question is asked, not what it is about; they would top every word view.
QUESTION_WORDS = frozenset("get make need want help tell know give take use please way ways like".split())
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # spreadsheet formula triggers (CSV injection)

WorkshopAudience = Literal["business", "government", "general", "auto"]


class WorkshopCreate(BaseModel):
    """POST /api/workshops and the UI panel: what a trainer gives for a new workshop."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=TITLE_MAX_CHARS, description="Shown to participants and on the dashboard.")
    audience: WorkshopAudience = Field("auto", description="Whose recommendations answers rank first; auto: detected.")
    starters: list[str] = Field(default_factory=list, description="Starter questions shown to participants.")
    language: str = Field(DEFAULT_LANGUAGE, pattern=LANGUAGE_PATTERN, description="The workshop's language (BCP 47).")
    expires_at: datetime | None = Field(
        None, description="When the workshop stops accepting questions (ISO 8601; UTC when no offset is given). "
        "Default: ADVISOR_WORKSHOP_DEFAULT_HOURS from now."
    )


def checked_workshop(spec: WorkshopCreate, settings: Settings, now: float | None = None) -> dict[str, Any]:
    """The arguments of WorkshopStore.create, or ValueError saying what is wrong (a 422 for the API)."""
    now = time.time() if now is None else now
    title = " ".join(spec.title.split())
    if not title:
        raise ValueError("title: the title is empty")
    starters = [" ".join(s.split()) for s in spec.starters]
    if any(not s for s in starters):
        raise ValueError("starters: a starter question is empty")
    if len(starters) > settings.max_starter_questions:
        raise ValueError(f"starters: at most {settings.max_starter_questions} starter questions")
    too_long = next((s for s in starters if len(s) > settings.max_question_chars), None)
    if too_long is not None:
        raise ValueError(f"starters: a starter question is longer than {settings.max_question_chars} characters")
    if spec.expires_at is None:
        expires = now + settings.workshop_default_hours * SECONDS_PER_HOUR
    else:
        when = spec.expires_at if spec.expires_at.tzinfo else spec.expires_at.replace(tzinfo=UTC)
        expires = when.timestamp()
    if expires <= now:
        raise ValueError("expires_at: the time is in the past")
    if expires > now + settings.workshop_max_days * SECONDS_PER_DAY:
        raise ValueError(f"expires_at: at most {settings.workshop_max_days:g} days from now")
    audience = "auto" if spec.audience == "general" else spec.audience  # as the UI's audience switch says it
    return {"title": title, "audience": audience, "language": spec.language, "starters": starters, "expires_at": expires}


def answer_language(answer: Answer) -> str:
    """The answer's detected language when the answer carries one, else the default."""
    return str(getattr(answer, "language", None) or DEFAULT_LANGUAGE)


def cited_recommendations(answer: Answer, taxonomy: Taxonomy) -> list[str]:
    """Titles of the strategy's recommendations the answer cites, in citation order."""
    titles = {r.id: r.title for r in taxonomy.recommendations}
    found = [titles.get(c.section_id or c.id.split("::")[-1]) for c in answer.citations]
    return list(dict.fromkeys(t for t in found if t))


def logged_question(
    answer: Answer,
    taxonomy: Taxonomy,
    *,
    entry_id: str,
    workshop_id: str,
    participant: str | None,
    latency_ms: float,
    now: float | None = None,
) -> LoggedQuestion:
    """What the workshop log keeps of one answer: no IP, no user agent, only the random participant id."""
    return LoggedQuestion(
        id=entry_id,
        workshop_id=workshop_id,
        participant=participant,
        created_at=time.time() if now is None else now,
        question=answer.question,
        standalone_question=answer.standalone_question,
        audience=answer.audience,
        language=answer_language(answer),
        in_scope=answer.in_scope,
        focus_areas=list(answer.focus_areas),
        titles=list(dict.fromkeys(c.title for c in answer.citations)),
        recommendations=cited_recommendations(answer, taxonomy),
        latency_ms=round(latency_ms, 1),
        backend=answer.backend,
    )


def word_counts(questions: Iterable[str], top: int = TOP_WORDS) -> dict[str, int]:
    """The most frequent content words of the questions (lower case, stopwords removed)."""
    counts: Counter[str] = Counter()
    for question in questions:
        words = (w.replace("’", "'") for w in _WORD.findall(question.lower()))
        counts.update(w for w in words if len(w) >= MIN_WORD_CHARS and w not in STOPWORDS and w not in QUESTION_WORDS)
    return dict(counts.most_common(top))


def _ranked(items: Iterable[str]) -> dict[str, int]:
    return dict(Counter(items).most_common())


def percentile(values: Sequence[float], pct: int) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-pct * len(ordered) // PERCENT))  # ceil without floats
    return ordered[rank - 1]


def summarize(workshop: Workshop, entries: Sequence[LoggedQuestion], now: float | None = None) -> dict[str, Any]:
    """The dashboard's figures: counts, focus areas, not-covered questions, answers rated down,
    most-cited recommendations and the questions' frequent words."""
    rated = [e for e in entries if e.rating is not None]
    newest_first = sorted(entries, key=lambda e: e.created_at, reverse=True)
    not_covered = list(dict.fromkeys(e.question for e in newest_first if not e.in_scope))
    return {
        "workshop": workshop.as_dict(),
        "active": workshop.active(now),
        "questions": len(entries),
        "participants": len({e.participant for e in entries if e.participant}),
        "in_scope": sum(1 for e in entries if e.in_scope),
        "focus_areas": _ranked(a for e in entries for a in e.focus_areas),
        "recommendations": _ranked(r for e in entries for r in e.recommendations),
        "not_covered": not_covered,
        "rated_up": sum(1 for e in rated if e.rating > 0),
        "rated_down": [
            {"question": e.question, "reason": e.reason, "focus_areas": e.focus_areas, "titles": e.titles, "at": e.rated_at}
            for e in sorted(rated, key=lambda e: e.rated_at or 0, reverse=True)
            if e.rating < 0
        ],
        "audiences": _ranked(e.audience for e in entries),
        "languages": _ranked(e.language for e in entries),
        "words": word_counts(e.question for e in entries),
        "latency_ms": {f"p{p}": percentile([e.latency_ms for e in entries], p) for p in LATENCY_PERCENTILES},
        "generated_at": time.time() if now is None else now,
    }


EXPORT_COLUMNS = (
    "id", "created_at", "participant", "question", "standalone_question", "audience", "language", "in_scope",
    "focus_areas", "titles", "recommendations", "latency_ms", "backend", "rating", "reason",
)  # fmt: skip


TIMESTAMP_COLUMNS = frozenset({"created_at", "rated_at"})


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " | ".join(str(v) for v in value)
    elif column in TIMESTAMP_COLUMNS:
        value = datetime.fromtimestamp(value, UTC).isoformat(timespec="seconds")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(entries: Sequence[LoggedQuestion]) -> str:
    """One row per logged question; cells that a spreadsheet would run as a formula are quoted."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        row = entry.as_dict()
        writer.writerow([_cell(c, row[c]) for c in EXPORT_COLUMNS])
    return out.getvalue()
