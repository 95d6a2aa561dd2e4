"""Workshop rules without a server: room-sized rate limits, the trainer key, what a trainer may
create, and the dashboard page's escaping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr, ValidationError

from advisor.auth import trainer_key_problem
from advisor.http.dashboard import dashboard_html
from advisor.http.limits import Limiter, Room
from advisor.settings import Settings
from advisor.workshops import WorkshopCreate, checked_workshop, word_counts
from ui.workshop_panel import valid_participant


class Clock:
    """Time as the `limits` storage reads it (time.time), moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


def limiter(participant_burst: int = 5, workshop_burst: int = 120) -> Limiter:
    """The served limiter (the `limits` library, memory storage) with the given workshop bursts."""
    return Limiter.from_settings(Settings(workshop_participant_burst=participant_burst, workshop_burst=workshop_burst))


def test_a_room_of_forty_behind_one_address_is_not_limited_but_the_address_alone_would_be(clock: Clock):
    limits = limiter()
    room = [limits.wait("10.0.0.1", Room("w1", f"participant{i:03d}")) for i in range(40)]
    assert room == [0.0] * 40
    anonymous = [limits.wait("10.0.0.1") for _ in range(40)]
    assert anonymous.count(0.0) == Settings().rate_limit_burst  # the per-address limit for anonymous traffic stays


def test_a_participant_who_floods_is_stopped_and_new_ids_stop_at_the_workshop_ceiling(clock: Clock):
    limits = limiter(participant_burst=5, workshop_burst=12)
    own = [limits.wait("10.0.0.1", Room("w1", "flooder0001")) for _ in range(8)]
    assert own[:5] == [0.0] * 5 and all(w > 0 for w in own[5:])
    # Making up a new id per question only moves the flood to the workshop's own bucket...
    rotated = [limits.wait("10.0.0.1", Room("w1", f"rotated{i:04d}")) for i in range(10)]
    assert rotated[:7] == [0.0] * 7 and all(w > 0 for w in rotated[7:])
    # ...which does not touch another workshop, nor spend a refused participant's tokens.
    assert limits.wait("10.0.0.1", Room("w2", "someone0001")) == 0.0
    assert limits.participant.wait("w1/rotated0009") == 0.0
    clock.now += 60 * 12 / Settings().workshop_per_minute + 1  # once the workshop's window has passed, the room goes on
    assert limits.wait("10.0.0.1", Room("w1", "patient0001")) == 0.0


def test_disabled_limits_let_everything_through():
    off = Limiter(None, None, None)
    assert off.wait("x") == 0.0 and off.wait("x", Room("w", "participant")) == 0.0


def test_trainer_key_rule():
    trainer, admin = SecretStr("t-key"), SecretStr("a-key")
    assert trainer_key_problem(None, None, "anything")[0] == "trainer_disabled"
    assert trainer_key_problem(trainer, None, "")[0] == "unauthorized"
    assert trainer_key_problem(trainer, admin, "wrong")[0] == "invalid_key"
    assert trainer_key_problem(trainer, admin, "t-key") is None
    assert trainer_key_problem(trainer, admin, "a-key") is None  # the admin key also works
    assert trainer_key_problem(None, admin, "a-key") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": "   "}, "title"),
        ({"title": "x", "expires_at": "2001-01-01T00:00:00Z"}, "past"),
        ({"title": "x", "starters": ["q"] * 7}, "at most 6"),
        ({"title": "x", "starters": ["", "q"]}, "empty"),
        ({"title": "x", "starters": ["q" * 2001]}, "longer than 2000"),
    ],
)
def test_workshop_specs_are_checked_before_anything_is_stored(body: dict, message: str):
    with pytest.raises(ValueError, match=message):
        checked_workshop(WorkshopCreate(**body), Settings())


@pytest.mark.parametrize(
    "body",
    [{}, {"title": "x", "audience": "pirates"}, {"title": "x", "language": "english!"}, {"title": "x", "extra": 1},
     {"title": "x" * 201}],
)  # fmt: skip
def test_malformed_workshop_bodies_fail_validation(body: dict):
    with pytest.raises(ValidationError):
        WorkshopCreate(**body)


def test_a_valid_workshop_gets_defaults_and_a_bounded_expiry():
    settings = Settings()
    now = datetime(2030, 1, 1, tzinfo=UTC).timestamp()
    spec = checked_workshop(WorkshopCreate(title="  SME   day ", audience="general"), settings, now=now)
    assert spec["title"] == "SME day" and spec["audience"] == "auto" and spec["language"] == "en"
    assert spec["expires_at"] == now + settings.workshop_default_hours * 3600
    naive = datetime(2030, 1, 2)  # no offset: UTC
    assert checked_workshop(WorkshopCreate(title="x", expires_at=naive), settings, now=now)["expires_at"] == now + 86400
    too_far = datetime(2030, 1, 1, tzinfo=UTC) + timedelta(days=settings.workshop_max_days + 1)
    with pytest.raises(ValueError, match="at most"):
        checked_workshop(WorkshopCreate(title="x", expires_at=too_far), settings, now=now)


def test_dashboard_page_embeds_the_id_as_a_string_literal_only():
    page = dashboard_html("abc</script><script>alert(1)", 5)
    assert "</script><script>alert(1)" not in page
    assert 'var WORKSHOP = "abc\\u003c/script>\\u003cscript>alert(1)";' in page
    assert "var REFRESH_MS = 5000;" in page and "innerHTML" not in page


def test_word_view_and_participant_ids():
    assert word_counts(["How can we get funding?", "Funding for startups", "funding!"]) == {"funding": 3, "startups": 1}
    assert valid_participant("a" * 12) == "a" * 12 and valid_participant("<script>") is None and valid_participant(None) is None


def test_chat_pages_find_their_workshop_by_code_or_embed_id_and_leave_built_in_presets_alone(tmp_path):
    from advisor.storage.database import dispose_all, open_database, sqlite_url
    from advisor.storage.workshops import WorkshopStore
    from ui.presets import load_workshops
    from ui.workshop_panel import ChatWorkshops

    settings = Settings(data_dir=tmp_path)
    store = WorkshopStore(open_database(sqlite_url(tmp_path / "w.sqlite3")), 30, 0, 3600)
    made = store.create("SME day", "business", "en", ["Funding?"], 4_000_000_000.0)
    rooms = ChatWorkshops(advisor=type("A", (), {"settings": settings})(), store=store, limiter=None)
    builtins = load_workshops(settings.workshops_file)
    assert rooms.resolve({"w": made.join_code.lower()}, builtins) == (made, "")  # /?w=CODE
    assert rooms.resolve({"workshop": made.id}, builtins) == (made, "")  # the embed's data-workshop
    assert rooms.resolve({"workshop": "sme-go-global"}, builtins) == (None, "")  # a yaml preset, not logged
    assert rooms.resolve({}, builtins) == (None, "")
    missing, notice = rooms.resolve({"w": "NOPE42"}, builtins)
    assert missing is None and "unknown or the workshop has ended" in notice
    dispose_all()
