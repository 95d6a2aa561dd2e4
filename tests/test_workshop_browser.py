"""A workshop in a real headless Chromium: a trainer creates it in the UI panel and opens the live
dashboard; a participant joins with the code on a second page, asks, rates an answer down with a
reason and is told kindly to wait when asking too fast; the dashboard follows along.

Screenshots land in tests/artifacts/ (workshop-*.png).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ARTIFACTS, LiveServer, chromium, start_server, stop_server

from tests.test_ui_browser import LAPTOP, TIMEOUT_MS

sync_api = pytest.importorskip("playwright.sync_api")

TRAINER_KEY = "browser-trainer-key"
TITLE = "Going global: SME workshop"
STARTER = "How can SMEs get funding through the EU Tech Business Offer?"
NOT_COVERED = "What will the weather be in Lisbon tomorrow?"
REASON = "Not relevant"  # one of the chat's thumbs-down reasons (advisor.storage.feedback)
SETTLE_MS = 400  # an answer whose text did not change for this long is finished
PARTICIPANT_BURST = 3  # the participant's fourth quick question meets the friendly limit message


@pytest.fixture(scope="module")
def server(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("data-workshop-ui")
    shutil.copytree(built_data_dir, data_dir, dirs_exist_ok=True)
    live = start_server(
        data_dir,
        ADVISOR_TRAINER_KEY=TRAINER_KEY,
        ADVISOR_WORKSHOP_PARTICIPANT_BURST=str(PARTICIPANT_BURST),
        ADVISOR_WORKSHOP_PARTICIPANT_PER_MINUTE="1",
        ADVISOR_WORKSHOP_DASHBOARD_REFRESH_SECONDS="1",
        GRADIO_ANALYTICS_ENABLED="False",
    )
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.fixture()
def open_page(browser) -> Iterator[object]:
    """Opens pages in their own browser contexts (own localStorage: own participant id); closes them
    after the test, so the server is not kept waiting by their open connections when it stops."""
    contexts = []

    def open_(url: str):
        context = browser.new_context(viewport=LAPTOP)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url, wait_until="load")
        return page

    yield open_
    for context in contexts:
        context.close()


def answers(page) -> int:
    return page.locator('#chatbot [data-testid="bot"]').count()


def ask(page, question: str) -> None:
    """Ask and wait until the new answer has stopped changing (declined answers cite nothing)."""
    before = answers(page)
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function("n => document.querySelectorAll('#chatbot [data-testid=\"bot\"]').length > n", arg=before)
    settle(page)


def settle(page) -> None:
    last, text = None, page.locator('#chatbot [data-testid="bot"]').last.inner_text()
    while text != last or not text.strip():
        page.wait_for_timeout(SETTLE_MS)
        last, text = text, page.locator('#chatbot [data-testid="bot"]').last.inner_text()


def dashboard_shows(page, element: str, text: str) -> None:
    page.wait_for_function(
        "([id, text]) => document.getElementById(id).innerText.includes(text)", arg=[element, text]
    )


def test_trainer_creates_a_workshop_and_watches_a_participant_live(open_page, server: LiveServer):
    trainer = open_page(server.url + "/")
    trainer.get_by_text("Workshops (trainers)").click()
    trainer.fill("#trainer-key input", TRAINER_KEY)
    trainer.fill("#workshop-title-input textarea", TITLE)
    trainer.fill("#workshop-starters textarea", STARTER)
    trainer.click("#create-workshop")
    trainer.wait_for_function("() => /join code/.test(document.querySelector('#workshop-created').innerText)")
    created = trainer.locator("#workshop-created").inner_text()
    code = re.search(r"join code ([A-Z0-9]{6})", created)[1]
    assert f"/?w={code}" in created and "/workshops/" in created and "embed.js" in created
    shot(trainer, "workshop-1-trainer-panel.png")
    listed = httpx.get(server.url + "/api/workshops", headers={"Authorization": f"Bearer {TRAINER_KEY}"}, timeout=30)
    workshop = next(w for w in listed.json()["workshops"] if w["join_code"] == code)

    dashboard = open_page(f"{server.url}/workshops/{workshop['id']}")
    assert dashboard.locator("#login").is_visible()  # nothing shown without the key
    dashboard.fill("#key", "not-the-key")
    dashboard.click("#login-form button")
    dashboard_shows(dashboard, "status", "not valid")
    dashboard.fill("#key", TRAINER_KEY)
    dashboard.click("#login-form button")
    dashboard_shows(dashboard, "title", TITLE)
    assert dashboard.inner_text("#questions") == "0" and dashboard.inner_text("#code") == code

    participant = open_page(f"{server.url}/?w={code.lower()}")
    participant.wait_for_function(
        "t => document.querySelector('#workshop-title') && document.querySelector('#workshop-title').innerText.includes(t)",
        arg=TITLE,
    )
    participant.get_by_role("button", name=STARTER).click()
    participant.wait_for_function("() => document.querySelectorAll('#sources-panel .src-group').length === 1")
    settle(participant)
    ask(participant, NOT_COVERED)
    assert answers(participant) == 2 and "do not" in participant.locator('#chatbot [data-testid="bot"]').last.inner_text()
    # Thumbs down with a reason on the first answer: the chat asks why after a thumbs-down.
    participant.locator("#chatbot button[aria-label='Dislike']").first.click()
    why = participant.locator("#dislike-reasons:visible")
    why.wait_for()
    why.get_by_label(REASON).check()
    why.get_by_role("button", name="Send feedback").click()
    participant.wait_for_function("() => /reasons were saved/.test(document.querySelector('#feedback-status').innerText)")

    dashboard_shows(dashboard, "questions", "2")
    dashboard_shows(dashboard, "not-covered", NOT_COVERED)
    dashboard_shows(dashboard, "rated-down", REASON)
    assert dashboard.inner_text("#participants") == "1"
    assert "Deploy an EU Tech Business Offer" in dashboard.inner_text("#focus-areas")
    assert "funding" in dashboard.inner_text("#words")
    shot(dashboard, "workshop-2-dashboard-live.png")

    # The third question still fits the participant's burst; the fourth is refused kindly.
    ask(participant, "Which digital partnerships and dialogues can my company join?")
    participant.fill("#question textarea", "And what about cybersecurity?")
    participant.click("#ask")
    participant.wait_for_function("() => /Please wait \\d+ s/.test(document.querySelector('#chatbot').innerText)")
    assert participant.input_value("#question textarea") == "And what about cybersecurity?"  # kept for the retry
    shot(participant, "workshop-3-participant-wait.png")
    dashboard_shows(dashboard, "questions", "3")
    assert "And what about cybersecurity?" not in httpx.get(
        f"{server.url}/api/workshops/{workshop['id']}/export.csv",
        headers={"Authorization": f"Bearer {TRAINER_KEY}"},
        timeout=30,
    ).text  # a refused question is not logged
