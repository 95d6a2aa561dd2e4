"""The chat UI and the workshop embed in a real headless Chromium (Debian's /usr/bin/chromium).

Screenshots land in tests/artifacts/ for a person to look at.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from conftest import ARTIFACTS, LiveServer, free_port, start_server, stop_server
from docx import Document as WordDocument
from pypdf import PdfReader

from advisor.taxonomy import load_taxonomy

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make test installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FUNDING = "How can SMEs get funding?"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 60_000

# Records every distinct length the newest bot message goes through, to see the text stream in.
WATCH_STREAM = """() => {
  window.__lengths = [];
  const chat = document.querySelector('#chatbot');
  new MutationObserver(() => {
    const bots = chat.querySelectorAll('[data-testid="bot"]');
    if (!bots.length) return;
    const n = bots[bots.length - 1].innerText.length;
    if (window.__lengths[window.__lengths.length - 1] !== n) window.__lengths.push(n);
  }).observe(chat, { subtree: true, childList: true, characterData: true });
}"""


@pytest.fixture(scope="module")
def host_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def server(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory, host_port: int) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("data-ui")
    shutil.copytree(built_data_dir, data_dir, dirs_exist_ok=True)
    live = start_server(data_dir, ADVISOR_CORS_ORIGINS=f"http://127.0.0.1:{host_port}", GRADIO_ANALYTICS_ENABLED="False")
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport=LAPTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(server.url + "/", wait_until="load")
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def ask(page, question: str, answers_before: int) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")
    # The last update of an answer adds its group to the sources panel.
    page.wait_for_function("n => document.querySelectorAll('#sources-panel .src-group').length > n", arg=answers_before)
    page.wait_for_timeout(300)


def assert_latest_question_in_view(page) -> None:
    """After an answer the chat shows the new question and the start of its answer."""
    page.wait_for_timeout(600)
    chat_box = page.locator("#chatbot").bounding_box()
    asked = page.locator('#chatbot [data-testid="user"]').last.bounding_box()
    assert chat_box["y"] <= asked["y"] <= chat_box["y"] + chat_box["height"] - asked["height"]


def last_bot_text(page) -> str:
    return page.locator('#chatbot [data-testid="bot"]').last.inner_text()


def test_ask_stream_cite_switch_feedback_export_clear(page, server, settings):
    page.evaluate(WATCH_STREAM)
    ask(page, FUNDING, 0)
    lengths = page.evaluate("window.__lengths")
    # The text grew piece by piece (the final render swaps the focus-area line for labels).
    growing = lengths[: len(lengths) // 2]
    assert len(lengths) >= 4 and growing == sorted(growing) and len(set(growing)) > 2, lengths
    text = last_bot_text(page)
    assert "Actions to take" in text and "[1]" in text
    assert_latest_question_in_view(page)
    labels = page.locator("#chatbot .fa-label")
    assert labels.count() >= 1 and labels.first.is_visible()
    group = page.locator("#sources-panel .src-group").first
    assert FUNDING in group.locator("h4").inner_text()
    assert group.locator("details.src").count() >= 2
    shot(page, "01-laptop-answer.png")

    # Clicking the [2] marker opens passage 2 of this answer, with its section title.
    page.locator('#chatbot a[href$="#src-1-2"]').first.click()
    opened = page.locator("#src-1-2")
    page.wait_for_function("() => document.getElementById('src-1-2').open")
    assert opened.locator("blockquote").is_visible()
    assert opened.locator(".src-section").inner_text().startswith("Recommendations for Businesses")
    assert len(opened.locator("blockquote").inner_text()) > 200
    shot(page, "02-citation-open.png")

    # Switch the audience: the next answer ranks government recommendations first.
    page.get_by_label("Government", exact=True).check()
    ask(page, "What does the strategy recommend on cybersecurity?", 1)
    gov_titles = {r.title for r in load_taxonomy(settings.taxonomy_file).recommendations if r.audience == "government"}
    newest = page.locator("#sources-panel .src-group").first
    first_title = newest.locator("details.src summary").first.inner_text().split("] ", 1)[1]
    assert first_title in gov_titles
    assert last_bot_text(page).startswith("For governments")
    assert_latest_question_in_view(page)
    shot(page, "03-government-answer.png")

    # Thumbs up on the first answer is stored with question, answer and citations.
    page.locator('#chatbot [data-testid="bot"]').first.hover()
    page.locator("#chatbot button[aria-label='Like']").first.click()
    page.wait_for_function("() => document.querySelector('#feedback-status').innerText.includes('saved')")
    with sqlite3.connect(server.data_dir / "feedback.sqlite3") as db:
        rows = db.execute("SELECT rating, question, answer, citations FROM feedback").fetchall()
    assert len(rows) == 1
    rating, question, answer, citations = rows[0]
    assert (rating, question) == (1, FUNDING)
    assert "Actions to take" in answer and json.loads(citations)[0]["n"] == 1
    # Changing one's mind replaces the rating of that answer instead of adding a second row.
    page.locator('#chatbot [data-testid="bot"]').first.hover()
    page.locator("#chatbot button[aria-label='Dislike']").first.click()
    page.wait_for_function("() => document.querySelector('#feedback-status').innerText.includes('noted')")
    with sqlite3.connect(server.data_dir / "feedback.sqlite3") as db:
        assert db.execute("SELECT rating, question FROM feedback").fetchall() == [(-1, FUNDING)]

    # Export the conversation as Markdown.
    with page.expect_download() as download:
        page.click("#export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("# Conversation with the Digital Strategy Advisor")
    assert f"## Q: {FUNDING}" in exported and "## Q: What does the strategy recommend on cybersecurity?" in exported
    assert exported.count("**Sources**") == 2 and "[1] *" in exported
    (ARTIFACTS / "conversation-export.md").write_text(exported, encoding="utf-8")

    page.click("#clear")
    page.wait_for_function("() => !document.querySelector('#chatbot [data-testid=\"bot\"]')")
    assert page.locator("#sources-panel .src-group").count() == 0


def test_follow_up_in_the_ui(page):
    ask(page, FUNDING, 0)
    ask(page, "And what should governments do?", 1)
    text = last_bot_text(page)
    assert "Understood as:" in text and "For governments" in text  # says how the follow-up was read
    # A rewritten follow-up first says how it was read ("Understood as: ..."), then answers.
    lead = next(line for line in last_bot_text(page).splitlines() if not line.startswith("Understood as:"))
    assert lead.startswith("For governments")
    newest = page.locator("#sources-panel .src-group").first
    assert "And what should governments do?" in newest.locator("h4").inner_text()


def test_markup_in_questions_stays_inert(page):
    page.fill("#question textarea", 'Funding for SMEs? <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>')
    page.click("#ask")
    page.wait_for_function("() => !document.querySelector('#export').disabled")  # enabled by the final update
    assert page.evaluate("window.__pwned") is None
    assert "<img src=x" in page.locator('#chatbot [data-testid="user"]').last.inner_text()


def test_phone_width(browser, server):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(server.url + "/", wait_until="load")
        page.wait_for_selector("#question textarea")
        ask(page, "Which steps should our ministry take to align data protection law with the EU?", 0)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        box = page.locator("#chatbot").bounding_box()
        assert box["width"] <= PHONE["width"] and box["width"] > PHONE["width"] * 0.8
        shot(page, "04-phone-answer.png")
    finally:
        context.close()


@pytest.fixture()
def host_page(tmp_path: Path, server: LiveServer, host_port: int) -> Iterator[str]:
    """A trainer's workshop page on another origin, with the one-line snippet pasted in."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>Workshop</title></head>"
        "<body style='font-family:sans-serif;margin:24px'><h1>Digital policy workshop</h1>"
        "<p>Ask the advisor below.</p>"
        f'<script src="{server.url}/embed.js" data-audience="government" data-workshop="public-sector-alignment" async></script>'
        "</body></html>",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(host_port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{host_port}/index.html"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_embed_from_another_origin(browser, host_page):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(host_page, wait_until="load")
        page.wait_for_selector("iframe")
        frame = page.frame_locator("iframe")
        frame.locator("#workshop-title").get_by_text("Aligning national digital policy").wait_for()
        assert frame.get_by_label("Government", exact=True).is_checked()
        assert frame.locator("#advisor-header").count() == 0  # compact: no page header in the frame
        starter = frame.locator("#starters button").filter(
            has_text="align data protection law"
        )
        starter.first.click()
        frame.locator("#sources-panel .src-group").first.wait_for()
        bot = frame.locator('#chatbot [data-testid="bot"]').last
        assert bot.inner_text().startswith("For governments")
        chat_box = frame.locator("#chatbot").bounding_box()
        page.wait_for_timeout(600)
        asked = frame.locator('#chatbot [data-testid="user"]').last.bounding_box()
        assert chat_box["y"] <= asked["y"] <= chat_box["y"] + chat_box["height"]
        shot(page, "05-embed-host-page.png")
        frame.locator("#sources-panel details.src summary").first.click()
        assert frame.locator("#sources-panel details.src blockquote").first.is_visible()
        shot(page, "06-embed-source-open.png")
    finally:
        context.close()


def test_embed_refused_for_unlisted_origin(server):
    """The frame policy names only this server and the allowlisted host page."""
    policy = httpx.get(server.url + "/embed/", timeout=30).headers["content-security-policy"]
    assert "; frame-ancestors 'self' http://127.0.0.1:" in policy
    snippet = httpx.get(server.url + "/embed.js", timeout=30)
    assert snippet.headers["content-type"].startswith("application/javascript")
    assert "http" not in snippet.text.replace("document.baseURI", "")  # loads nothing from elsewhere


PLAN_AREAS = ("Cybersecurity Cooperation", "Digital Public Infrastructure and Digital Identity")


def open_plan_tab(page) -> None:
    page.get_by_role("tab", name="Plan").click()
    page.wait_for_selector("#plan-generate")


def plan_steps(page) -> list[str]:
    return page.locator("#plan-view .plan-text").all_inner_texts()


@contextmanager
def plan_page(browser, server, **context_options) -> Iterator[object]:
    """A fresh browser context (empty localStorage) on the Plan tab."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(server.url + "/", wait_until="load")
        page.wait_for_selector("#question textarea")
        open_plan_tab(page)
        yield page
    finally:
        context.close()


def test_plan_tab_ticks_survive_a_reload_and_every_format_downloads(browser, server):
    with plan_page(browser, server, viewport=LAPTOP, accept_downloads=True) as page:
        page.locator("#plan-audience").get_by_label("Governments and public administrations").check()
        areas = page.locator("#plan-areas")
        for box in areas.locator("label").all():
            if box.inner_text().strip() not in PLAN_AREAS:
                box.locator("input").uncheck()
        assert areas.locator("input:checked").count() == 2
        page.click("#plan-generate")
        page.wait_for_selector("#plan-view .plan-step")
        steps = plan_steps(page)
        assert 5 <= len(steps) <= 12
        headings = page.locator("#plan-view h4.plan-area").all_inner_texts()
        assert sorted(headings) == sorted(PLAN_AREAS)
        assert page.locator("#plan-view .plan-why").count() == len(steps)
        assert page.locator("#plan-view details.plan-src").count() >= 2
        page.locator("#plan-view input.plan-tick").nth(1).check()
        assert "done" in page.locator("#plan-view li.plan-step").nth(1).get_attribute("class")
        shot(page, "07-plan-laptop.png")

        # Reload: the same plan comes back in the Plan tab, with the same step ticked.
        page.reload(wait_until="load")
        page.wait_for_selector("#question textarea")
        open_plan_tab(page)
        page.wait_for_selector("#plan-view .plan-step")
        assert plan_steps(page) == steps
        ticks = page.locator("#plan-view input.plan-tick")
        assert [ticks.nth(i).is_checked() for i in range(ticks.count())] == [i == 1 for i in range(len(steps))]
        assert page.locator("#plan-audience input[value=government]").is_checked()
        shot(page, "08-plan-after-reload.png")

        # Every format downloads and carries the steps.
        for fmt in ("md", "docx", "pdf"):
            with page.expect_download() as download:
                page.click(f"#plan-{fmt}")
            path = Path(download.value.path())
            assert download.value.suggested_filename.startswith("action-plan-government-")
            assert download.value.suggested_filename.endswith("." + fmt)
            content = path.read_bytes()
            if fmt == "md":
                text = content.decode()
                assert text.startswith("# Action plan for governments")
            elif fmt == "docx":
                text = "\n".join(p.text for p in WordDocument(str(path)).paragraphs)
            else:
                text = " ".join(" ".join(p.extract_text() for p in PdfReader(str(path)).pages).split())
            assert all(" ".join(step.split()) in " ".join(text.split()) for step in steps), fmt
            (ARTIFACTS / f"plan-export.{fmt}").write_bytes(content)


def test_plan_tab_at_phone_width(browser, server):
    with plan_page(browser, server, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True) as page:
        page.click("#plan-generate")
        page.wait_for_selector("#plan-view .plan-step")
        assert len(plan_steps(page)) == 12  # business, every area: the most a plan holds
        page.locator("#plan-view li.plan-step").first.locator("label").tap()
        assert page.locator("#plan-view input.plan-tick").first.is_checked()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        box = page.locator("#plan-view").bounding_box()
        assert PHONE["width"] * 0.8 < box["width"] <= PHONE["width"]
        page.locator("#plan-view .plan-step").first.scroll_into_view_if_needed()
        shot(page, "09-plan-phone.png")
