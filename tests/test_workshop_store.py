"""The workshop store and feedback on the one database: SQLite, and the same suite on PostgreSQL
when a server can be started here (tests/pg.py; skipped with the reason otherwise)."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from advisor.models import Answer, Citation
from advisor.settings import Settings
from advisor.storage.database import dispose_all, open_database, sqlite_url
from advisor.storage.feedback import FeedbackStore
from advisor.storage.workshops import SECONDS_PER_DAY, LoggedQuestion, WorkshopStore, normalize_join_code
from advisor.taxonomy import load_taxonomy
from advisor.workshops import export_csv, logged_question, summarize

HOUR = 3600.0
RETENTION_DAYS = 30


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "advisor.sqlite3")
    else:
        from tests.pg import fresh_database

        url = fresh_database(request.getfixturevalue("postgres_url"))
    yield open_database(url)
    dispose_all()


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def store(engine: sa.Engine, clock: Clock) -> WorkshopStore:
    return WorkshopStore(engine, retention_days=RETENTION_DAYS, cache_seconds=0, purge_interval_seconds=HOUR, clock=clock)


def entry(workshop_id: str, n: int, clock: Clock, **extra: object) -> LoggedQuestion:
    values: dict = {
        "id": f"entry-{workshop_id}-{n:04d}",
        "workshop_id": workshop_id,
        "participant": f"participant{n % 3}",
        "created_at": clock.now,
        "question": f"How can SMEs get funding for project {n}?",
        "audience": "business",
        "language": "en",
        "in_scope": True,
        "latency_ms": 10.0 + n,
        "focus_areas": ["Deploy an EU Tech Business Offer"],
        "titles": ["Leverage the EU Tech Business Offer and Investment Initiatives"],
        "recommendations": ["Leverage the EU Tech Business Offer and Investment Initiatives"],
    }
    return LoggedQuestion(**(values | extra))


def test_workshops_are_created_found_by_code_and_deleted_with_their_data_only(store: WorkshopStore, clock: Clock):
    a = store.create("SME day", "business", "en", ["How can SMEs get funding?"], clock.now + HOUR)
    b = store.create("Ministry day", "government", "fr", [], clock.now + HOUR)
    assert a.id != b.id and a.join_code != b.join_code and len(a.join_code) == 6
    assert store.by_code(a.join_code.lower()[:3] + "-" + a.join_code[3:]) == a  # as typed from a slide
    assert normalize_join_code(" ab-c d ") == "ABCD"
    assert store.active(b.id) == b and store.get("nope") is None
    for n in range(3):
        assert store.log(entry(a.id, n, clock))
        assert store.log(entry(b.id, n, clock))
    assert not store.log(entry(a.id, 0, clock))  # the same answer is logged once
    assert {q.workshop_id for q in store.questions(a.id)} == {a.id} and len(store.questions(a.id)) == 3
    assert dict((w.id, n) for w, n in store.all()) == {a.id: 3, b.id: 3}
    assert store.delete(a.id) == 3
    assert store.get(a.id) is None and store.questions(a.id) == [] and store.by_code(a.join_code) is None
    assert len(store.questions(b.id)) == 3  # the other workshop is untouched
    assert store.delete(a.id) is None


def test_an_expired_workshop_is_not_active_but_its_data_stays_readable(store: WorkshopStore, clock: Clock):
    w = store.create("Short", "auto", "en", [], clock.now + HOUR)
    store.log(entry(w.id, 1, clock))
    clock.now += HOUR + 1
    assert store.active(w.id) is None and store.by_code(w.join_code) is None
    assert store.get(w.id) == w and len(store.questions(w.id)) == 1


def test_ratings_belong_to_the_participant_and_workshop_that_asked(store: WorkshopStore, clock: Clock):
    a = store.create("A", "auto", "en", [], clock.now + HOUR)
    b = store.create("B", "auto", "en", [], clock.now + HOUR)
    mine = entry(a.id, 1, clock, participant="participant-me")
    anonymous = entry(a.id, 2, clock, participant=None)
    store.log(mine)
    store.log(anonymous)
    assert not store.rate(a.id, mine.id, "participant-other", -1, "x")  # someone else's answer
    assert not store.rate(b.id, mine.id, "participant-me", -1, "x")  # through another workshop
    assert store.rate(a.id, mine.id, "participant-me", 1, None)
    assert store.rate(a.id, mine.id, "participant-me", -1, "Too general")  # a change of mind replaces it
    assert store.rate(a.id, anonymous.id, None, -1, None)
    rated = {q.id: (q.rating, q.reason) for q in store.questions(a.id)}
    assert rated == {mine.id: (-1, "Too general"), anonymous.id: (-1, None)}


def test_retention_purges_old_questions_and_long_expired_workshops(store: WorkshopStore, clock: Clock):
    start = clock.now
    old = store.create("Old", "auto", "en", [], start + HOUR)
    kept = store.create("Long", "auto", "en", [], start + 20 * SECONDS_PER_DAY)
    store.log(entry(old.id, 1, clock))
    store.log(entry(kept.id, 1, clock))
    clock.now = start + 10 * SECONDS_PER_DAY
    store.log(entry(kept.id, 2, clock))
    clock.now = start + (RETENTION_DAYS + 1) * SECONDS_PER_DAY
    report = store.purge()
    assert (report.questions, report.workshops) == (2, 1)  # both day-0 questions; the workshop that ended then
    assert store.get(old.id) is None and store.get(kept.id) is not None
    assert [q.id for q in store.questions(kept.id)] == [entry(kept.id, 2, clock).id]
    assert store.maybe_purge() is None  # at most once per interval; logging calls this


def test_summary_counts_what_the_dashboard_shows(store: WorkshopStore, clock: Clock):
    w = store.create("SME day", "business", "en", [], clock.now + HOUR)
    store.log(entry(w.id, 1, clock))
    store.log(entry(w.id, 2, clock, focus_areas=["Cybersecurity Cooperation", "Deploy an EU Tech Business Offer"]))
    store.log(entry(w.id, 3, clock, in_scope=False, question="What is the weather in Brussels?", focus_areas=[], titles=[], recommendations=[]))
    store.log(entry(w.id, 4, clock, participant=None))
    store.rate(w.id, entry(w.id, 2, clock).id, "participant2", -1, "Not what I asked")
    store.rate(w.id, entry(w.id, 1, clock).id, "participant1", 1, None)
    s = summarize(w, store.questions(w.id), now=clock.now)
    assert s["questions"] == 4 and s["participants"] == 3 and s["in_scope"] == 3 and s["active"]
    assert s["focus_areas"] == {"Deploy an EU Tech Business Offer": 3, "Cybersecurity Cooperation": 1}
    assert s["not_covered"] == ["What is the weather in Brussels?"]
    assert [(r["question"], r["reason"]) for r in s["rated_down"]] == [("How can SMEs get funding for project 2?", "Not what I asked")]
    assert s["rated_up"] == 1
    assert s["recommendations"] == {"Leverage the EU Tech Business Offer and Investment Initiatives": 3}
    assert s["words"]["smes"] == 3 and "how" not in s["words"] and "get" not in s["words"]
    assert s["latency_ms"]["p50"] == 12.0


def test_csv_export_defuses_spreadsheet_formulas(store: WorkshopStore, clock: Clock):
    w = store.create("SME day", "business", "en", [], clock.now + HOUR)
    store.log(entry(w.id, 1, clock, question='=HYPERLINK("http://evil","click")'))
    rows = list(csv.DictReader(io.StringIO(export_csv(store.questions(w.id)))))
    assert rows[0]["question"].startswith("'=") and rows[0]["participant"] == "participant1"
    assert rows[0]["focus_areas"] == "Deploy an EU Tech Business Offer" and rows[0]["created_at"].endswith("+00:00")


def test_feedback_shares_the_database_and_replaces_a_changed_rating(engine: sa.Engine):
    answer = Answer(
        question="How can SMEs get funding?", audience="business", in_scope=True, answer="Text [1]", focus_areas=[],
        actions=[], backend="grounded-composer",
        citations=[Citation(n=1, id="doc::biz-offer", title="T", section="S", source="s.md", text="t", score=0.5)],
    )  # fmt: skip
    store = FeedbackStore(engine)
    first = store.record(answer, liked=True, answer_key="k1")
    assert store.record(answer, liked=False, comment="Too general", answer_key="k1") == first
    store.record(answer, liked=True)
    store.record(answer, liked=True)
    rows = store.recent()
    assert len(rows) == 3 and rows[-1].rating == -1 and rows[-1].citations[0]["id"] == "doc::biz-offer"


def test_logged_questions_carry_no_address_and_name_cited_recommendations(advisor_free_answer: Answer):
    taxonomy = load_taxonomy(Settings().taxonomy_file)
    logged = logged_question(advisor_free_answer, taxonomy, entry_id="e" * 32, workshop_id="w", participant="p" * 8, latency_ms=12.34)
    assert logged.language == "en" and logged.latency_ms == 12.3
    assert logged.recommendations == ["Develop Digital Public Infrastructure with Cross-Border Interoperability"]
    assert set(logged.as_dict()) == {
        "id", "workshop_id", "participant", "created_at", "question", "standalone_question", "audience", "language",
        "in_scope", "latency_ms", "focus_areas", "titles", "recommendations", "backend", "rating", "reason", "rated_at",
    }  # fmt: skip - nothing about the person but the random participant id


@pytest.fixture()
def advisor_free_answer() -> Answer:
    citation = Citation(
        n=1, id="eu-international-digital-strategy::gov-dpi", title="Develop DPI", section="S", source="s.md", text="t",
        score=0.5, section_id="gov-dpi",
    )  # fmt: skip
    return Answer(
        question="Digital ID?", audience="government", in_scope=True, answer="A [1]", focus_areas=["DPI"], actions=[],
        citations=[citation], backend="grounded-composer",
    )  # fmt: skip


def test_sqlite_runs_in_wal_mode(tmp_path: Path):
    path = tmp_path / "wal.sqlite3"
    open_database(sqlite_url(path))
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    dispose_all()
