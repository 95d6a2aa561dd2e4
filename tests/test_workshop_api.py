"""Workshops over real HTTP against `advisor serve`, on SQLite and on PostgreSQL (when a server can
be started here): trainer auth, bad input, isolation between workshops, the anonymous log, a room
of 40 participants behind one address, expiry and deletion."""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from advisor.settings import Settings
from tests.conftest import LiveServer, start_server, stop_server

TRAINER_KEY = "trainer-key-for-tests"
ADMIN_KEY = "admin-key-for-tests"
ROOM_SIZE = 40
TIMEOUT = 60
QUESTIONS = (
    "How can SMEs get funding through the EU Tech Business Offer?",
    "How should governments cooperate with the EU on cybersecurity?",
    "Which digital partnerships and dialogues can my startup join?",
    "What does the strategy say about digital identity?",
)
CANARY_AGENT = "agent-canary-5d1e"
CANARY_ADDRESS = "203.0.113.77"


class Server:
    def __init__(self, live: LiveServer, database_url: str) -> None:
        self.live, self.url, self.database_url = live, live.url, database_url

    def trainer(self, method: str, path: str, key: str = TRAINER_KEY, **kwargs) -> httpx.Response:
        auth = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.request(method, self.url + path, headers=auth | kwargs.pop("headers", {}), timeout=TIMEOUT, **kwargs)

    def create(self, **body) -> dict:
        r = self.trainer("POST", "/api/workshops", json={"title": "SME day", **body})
        assert r.status_code == 201, r.text
        return r.json()

    def rows(self, table: str) -> list[dict]:
        engine = sa.create_engine(self.database_url)
        try:
            with engine.connect() as db:
                return [dict(r._mapping) for r in db.execute(sa.text(f"SELECT * FROM {table}"))]
        finally:
            engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", id="postgresql")])
def server(request: pytest.FixtureRequest, built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp(f"data-workshops-{request.param}")
    shutil.copytree(built_data_dir, data_dir, dirs_exist_ok=True)
    env = {"ADVISOR_TRAINER_KEY": TRAINER_KEY, "ADVISOR_ADMIN_KEY": ADMIN_KEY, "ADVISOR_WORKSHOP_CACHE_SECONDS": "0"}
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / Settings().feedback_db}"
    else:
        from tests.pg import fresh_database

        url = fresh_database(request.getfixturevalue("postgres_url"))
        env["ADVISOR_DATABASE_URL"] = url
    live = start_server(data_dir, **env)  # default rate limits: the point of these tests
    yield Server(live, url)
    stop_server(live)


def participant() -> str:
    return uuid.uuid4().hex


def test_trainer_endpoints_need_the_trainer_or_admin_key(server: Server):
    for key in ("", "wrong-key"):
        r = server.trainer("POST", "/api/workshops", key=key, json={"title": "x"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json()["error"]["code"] in {"unauthorized", "invalid_key"}
        assert server.trainer("GET", "/api/workshops", key=key).status_code == 401
    made = server.create(audience="government", starters=["How can our ministry align with the EU?"], language="fr")
    assert made["join_code"] and made["active"] and made["language"] == "fr"
    assert f'data-workshop="{made["id"]}"' in made["embed"] and made["link"].endswith(f"/?w={made['join_code']}")
    assert made["dashboard"].endswith(f"/workshops/{made['id']}")
    by_admin = server.trainer("GET", f"/api/workshops/{made['id']}", key=ADMIN_KEY)
    assert by_admin.status_code == 200 and by_admin.json()["title"] == "SME day"
    listed = server.trainer("GET", "/api/workshops").json()["workshops"]
    assert made["id"] in {w["id"] for w in listed}
    for path in ("", "/summary", "/export.csv", "/export.json"):
        assert server.trainer("GET", f"/api/workshops/{made['id']}{path}", key="wrong").status_code == 401
    assert server.trainer("DELETE", f"/api/workshops/{made['id']}", key="").status_code == 401
    public = httpx.get(f"{server.url}/api/join/{made['join_code'].lower()}", timeout=TIMEOUT).json()
    assert public == {k: made[k] for k in ("id", "title", "audience", "language", "starters", "expires_at")}


def test_bad_input_is_a_clear_4xx_and_stores_nothing(server: Server):
    before = server.rows("workshops")
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for body in (
        {},
        {"title": ""},
        {"title": "x", "audience": "pirates"},
        {"title": "x", "expires_at": past},
        {"title": "x", "expires_at": "tomorrow"},
        {"title": "x", "starters": ["q"] * 50},
        {"title": "x", "starters": "not a list"},
        {"title": "x", "language": "<script>"},
        {"title": "x", "id": "chosen-by-me"},
    ):
        r = server.trainer("POST", "/api/workshops", json=body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request", (body, r.text)
    r = server.trainer("POST", "/api/workshops", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert server.rows("workshops") == before
    w = server.create()
    ask = server.url + "/api/ask"
    for body, status in (
        ({"question": "Funding?", "workshop": "no-such-workshop", "participant": participant()}, 404),
        ({"question": "Funding?", "workshop": "../../etc", "participant": participant()}, 422),
        ({"question": "Funding?", "workshop": w["id"], "participant": "<script>"}, 422),
        ({"question": "", "workshop": w["id"], "participant": participant()}, 422),
    ):
        r = httpx.post(ask, json=body, timeout=TIMEOUT)
        assert r.status_code == status and "error" in r.json(), (body, r.text)
    feedback = f"{server.url}/api/workshops/{w['id']}/feedback"
    for body in ({"entry": "x", "rating": "up"}, {"entry": "a" * 32, "rating": "meh"}, {"entry": "a" * 32, "rating": "down", "reason": "r" * 501}):
        assert httpx.post(feedback, json=body, timeout=TIMEOUT).status_code == 422
    assert httpx.post(feedback, json={"entry": "a" * 32, "rating": "down"}, timeout=TIMEOUT).status_code == 404
    assert server.trainer("GET", "/api/workshops/no-such-workshop/summary").status_code == 404
    assert httpx.get(server.url + "/api/join/NOPE42", timeout=TIMEOUT).status_code == 404
    assert [r for r in server.rows("workshop_questions") if r["workshop_id"] == w["id"]] == []


def test_each_workshop_sees_only_its_own_data(server: Server):
    a, b = server.create(title="Workshop A"), server.create(title="Workshop B")
    me, other = participant(), participant()
    asked_a = httpx.post(server.url + "/api/ask", json={"question": QUESTIONS[0], "workshop": a["id"], "participant": me}, timeout=TIMEOUT)
    asked_b = httpx.post(server.url + "/api/ask", json={"question": QUESTIONS[1], "workshop": b["id"], "participant": other}, timeout=TIMEOUT)
    entry_a, entry_b = asked_a.headers["x-workshop-entry"], asked_b.headers["x-workshop-entry"]
    summary_a = server.trainer("GET", f"/api/workshops/{a['id']}/summary").json()
    assert summary_a["questions"] == 1 and summary_a["participants"] == 1
    exported = server.trainer("GET", f"/api/workshops/{a['id']}/export.json").json()["questions"]
    assert [q["question"] for q in exported] == [QUESTIONS[0]]
    assert QUESTIONS[1] not in server.trainer("GET", f"/api/workshops/{a['id']}/export.csv").text
    feedback_a = f"{server.url}/api/workshops/{a['id']}/feedback"
    assert httpx.post(feedback_a, json={"entry": entry_b, "participant": other, "rating": "down"}, timeout=TIMEOUT).status_code == 404
    assert httpx.post(feedback_a, json={"entry": entry_a, "participant": other, "rating": "down"}, timeout=TIMEOUT).status_code == 404
    rated = httpx.post(feedback_a, json={"entry": entry_a, "participant": me, "rating": "down", "reason": "Too  general"}, timeout=TIMEOUT)
    assert rated.status_code == 200
    down = server.trainer("GET", f"/api/workshops/{a['id']}/summary").json()["rated_down"]
    assert [(d["question"], d["reason"]) for d in down] == [(QUESTIONS[0], "Too general")]
    assert server.trainer("GET", f"/api/workshops/{b['id']}/summary").json()["rated_down"] == []


def test_questions_are_logged_once_anonymously_with_what_the_dashboard_needs(server: Server):
    w = server.create(audience="government")
    who = participant()
    headers = {"User-Agent": CANARY_AGENT, "X-Forwarded-For": CANARY_ADDRESS}
    body = {"workshop": w["id"], "participant": who}
    asked = httpx.post(server.url + "/api/ask", json={"question": QUESTIONS[3], **body}, headers=headers, timeout=TIMEOUT)
    assert asked.status_code == 200 and asked.json()["audience"] == "government"  # the workshop's preset
    declined = httpx.post(server.url + "/api/ask", json={"question": "What is the weather in Lisbon tomorrow?", **body}, headers=headers, timeout=TIMEOUT)
    chat = {"messages": [{"role": "user", "content": QUESTIONS[1]}], **body}
    with httpx.stream("POST", server.url + "/api/chat", json=chat, headers=headers, timeout=TIMEOUT) as streamed:
        streamed_text = "".join(streamed.iter_text())
        streamed_entry = streamed.headers["x-workshop-entry"]
    assert "event: answer" in streamed_text
    whole = httpx.post(server.url + "/api/chat", json={**chat, "stream": False}, headers=headers, timeout=TIMEOUT)
    entries = {r.headers["x-workshop-entry"] for r in (asked, declined, whole)} | {streamed_entry}
    rows = [r for r in server.rows("workshop_questions") if r["workshop_id"] == w["id"]]
    assert sorted(r["id"] for r in rows) == sorted(entries) and len(entries) == 4  # every answer, once
    first = next(r for r in rows if r["id"] == asked.headers["x-workshop-entry"])
    assert first["question"] == QUESTIONS[3] and first["participant"] == who and first["language"] == "en"
    assert first["audience"] == "government" and bool(first["in_scope"]) and first["latency_ms"] > 0
    assert first["focus_areas"] and first["titles"] and first["recommendations"]
    assert not bool(next(r for r in rows if r["id"] == declined.headers["x-workshop-entry"])["in_scope"])
    stored = repr(server.rows("workshop_questions")) + repr(server.rows("workshops")) + repr(server.rows("feedback"))
    for canary in (CANARY_AGENT, CANARY_ADDRESS, "127.0.0.1"):
        assert canary not in stored
    if server.database_url.startswith("sqlite"):  # the raw file and its write-ahead log, too
        raw = b"".join(p.read_bytes() for p in server.live.data_dir.glob(f"{Settings().feedback_db}*"))
        assert CANARY_AGENT.encode() not in raw and CANARY_ADDRESS.encode() not in raw and b"127.0.0.1" not in raw
    summary = server.trainer("GET", f"/api/workshops/{w['id']}/summary").json()
    assert summary["questions"] == 4 and summary["participants"] == 1
    assert summary["not_covered"] == ["What is the weather in Lisbon tomorrow?"]


def ask_at_once(url: str, bodies: list[dict]) -> list[httpx.Response]:
    """Every body posted to /api/ask at the same moment, each from its own client (one address)."""
    barrier = threading.Barrier(len(bodies))
    results: list[httpx.Response | None] = [None] * len(bodies)

    def client(i: int) -> None:
        with httpx.Client(timeout=TIMEOUT) as http:
            barrier.wait()
            results[i] = http.post(url + "/api/ask", json=bodies[i])

    threads = [threading.Thread(target=client, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [r for r in results if r is not None]


def test_expired_and_deleted_workshops_answer_404_and_deletion_takes_all_their_data(server: Server):
    soon = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    w = server.create(title="Short", expires_at=soon)
    body = {"question": QUESTIONS[0], "workshop": w["id"], "participant": participant()}
    assert httpx.post(server.url + "/api/ask", json=body, timeout=TIMEOUT).status_code == 200
    time.sleep(max(0.0, w["expires_at"] - time.time()) + 0.2)
    late = httpx.post(server.url + "/api/ask", json=body, timeout=TIMEOUT)
    assert late.status_code == 404 and late.json()["error"]["code"] == "workshop_not_found"
    assert httpx.get(f"{server.url}/api/join/{w['join_code']}", timeout=TIMEOUT).status_code == 404
    summary = server.trainer("GET", f"/api/workshops/{w['id']}/summary").json()
    assert summary["questions"] == 1 and summary["active"] is False  # the trainer still reads it
    deleted = server.trainer("DELETE", f"/api/workshops/{w['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"deleted": w["id"], "questions": 1}
    assert server.trainer("GET", f"/api/workshops/{w['id']}/summary").status_code == 404
    assert [r for r in server.rows("workshop_questions") if r["workshop_id"] == w["id"]] == []
    assert server.trainer("DELETE", f"/api/workshops/{w['id']}").status_code == 404


# Last in this module: its flood spends this address's own answer budget, which an expired or
# unknown workshop falls back to.
def test_a_room_of_forty_behind_one_address_gets_every_answer_and_a_flood_is_still_stopped(server: Server):
    w = server.create(title="Full room")
    room = [{"question": QUESTIONS[i % len(QUESTIONS)] + f" (seat {i})", "workshop": w["id"], "participant": participant()} for i in range(ROOM_SIZE)]
    answers = ask_at_once(server.url, room)
    assert [r.status_code for r in answers] == [200] * ROOM_SIZE
    entries = {r.headers["x-workshop-entry"] for r in answers}
    rows = [r for r in server.rows("workshop_questions") if r["workshop_id"] == w["id"]]
    assert len(rows) == ROOM_SIZE and {r["id"] for r in rows} == entries  # every answer logged once
    assert server.trainer("GET", f"/api/workshops/{w['id']}/summary").json()["participants"] == ROOM_SIZE

    # The same room without a workshop is anonymous traffic from one address: limited as before.
    anonymous = ask_at_once(server.url, [{"question": b["question"]} for b in room])
    refused = [r for r in anonymous if r.status_code == 429]
    assert len(refused) >= ROOM_SIZE - Settings().rate_limit_burst
    assert all(int(r.headers["retry-after"]) >= 1 and r.json()["error"]["code"] == "rate_limited" for r in refused)

    # One participant who floods is stopped at their own limit, with Retry-After.
    flooder = participant()
    burst = Settings().workshop_participant_burst
    flood = [httpx.post(server.url + "/api/ask", json={"question": QUESTIONS[0], "workshop": w["id"], "participant": flooder}, timeout=TIMEOUT) for _ in range(burst + 2)]
    assert [r.status_code for r in flood] == [200] * burst + [429, 429]
    assert int(flood[-1].headers["retry-after"]) >= 1
