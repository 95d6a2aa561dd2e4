"""The chat UI and the workshop embed in a real headless Chromium (Debian's /usr/bin/chromium).

Desktop (1366x900) and phone (390x844) as a person uses them: asking, citations, the sources
panel and sheet, keyboard-only use, axe-core (shipped in the `axe-playwright-python` package),
the embed on another origin with a JSON-list ADVISOR_CORS_ORIGINS, offline /docs and /redoc, and
page weight. Screenshots and the time-to-first-input figures land in tests/artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import ARTIFACTS, CHROMIUM, LiveServer, chromium, free_port, start_server, stop_server
from docx import Document as WordDocument
from pypdf import PdfReader

from advisor.taxonomy import load_taxonomy
from ui.embed import INITIAL_HEIGHT_PX

if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make test installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")
AXE_SCRIPT = pytest.importorskip("axe_playwright_python.base").AXE_SCRIPT

FUNDING = "How can SMEs get funding?"
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PHONE_CONTEXT = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
TIMEOUT_MS = 60_000
ADMIN_KEY = "ui-admin-key-13-long"  # ADVISOR_MIN_ADMIN_KEY_CHARS or more
BLOCKING = ("serious", "critical")
# Time to first input (navigation start to a visible question box). The target is 1.0 s on an idle
# machine; the figures are written to tests/artifacts/timings.json for the note. The assertion only
# catches a page that stalls (e.g. waiting on a network timeout): on a shared two-core box under
# load the median was measured between 1.1 s and 4.2 s for the same code.
FIRST_INPUT_TARGET_MS = 1000
FIRST_INPUT_BUDGET_MS = 10_000
FIRST_INPUT_RUNS = 3
# A click on [n] may move the page by this much at most (it used to jump ~1,500 px on a phone).
MAX_PAGE_JUMP_PX = 40
# Answers use nearly the whole chat width (they used ~80% of it on a phone).
MIN_ANSWER_WIDTH_SHARE = 0.9
# The Ask button keeps a button's height whatever the question's length (it grew to ~430 px).
MAX_ASK_HEIGHT_PX = 60

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
# The top of the chat's scrolling message area.
SCROLL_AREA_TOP = """() => {
  const area = [...document.querySelectorAll('#chatbot *')].find(
    e => e.scrollHeight > e.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(e).overflowY));
  return area.getBoundingClientRect().top;
}"""
# Notes when the question box first becomes visible, in the page's own clock.
FIRST_INPUT_PROBE = """new MutationObserver(() => {
  if (window.__firstInput) return;
  const box = document.querySelector('#question textarea');
  if (box && box.getBoundingClientRect().height > 0) window.__firstInput = performance.now();
}).observe(document, { subtree: true, childList: true, attributes: true });"""


@pytest.fixture(scope="module")
def host_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def server(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory, host_port: int) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("data-ui")
    shutil.copytree(built_data_dir, data_dir, dirs_exist_ok=True)
    live = start_server(
        data_dir,
        # The JSON-list form that used to produce an invalid frame-ancestors header.
        ADVISOR_CORS_ORIGINS=json.dumps([f"http://127.0.0.1:{host_port}"]),
        ADVISOR_ADMIN_KEY=ADMIN_KEY,
        ADVISOR_RATE_LIMIT_PER_MINUTE="0",
        GRADIO_ANALYTICS_ENABLED="False",
    )
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


def open_page(browser, url: str, **context_args):
    context = browser.new_context(**({"viewport": LAPTOP} | context_args))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="load")
    return context, page


@pytest.fixture()
def page(browser, server):
    context, page = open_page(browser, server.url + "/", accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


@pytest.fixture()
def phone(browser, server):
    context, page = open_page(browser, server.url + "/", **PHONE_CONTEXT)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


def shot(page, name: str, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def ask(page, question: str, answers_before: int) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")
    wait_for_answers(page, answers_before + 1)
    # "Stop" stood in for "Ask" while the answer streamed; once it is in, "Ask" is back.
    page.wait_for_function("() => !document.body.classList.contains('answering')")
    assert page.locator("#ask").is_visible() and not page.locator("#stop").is_visible()


def wait_for_answers(page, count: int) -> None:
    # The last update of an answer adds its group to the sources panel.
    page.wait_for_function("n => document.querySelectorAll('#sources-panel .src-group').length >= n", arg=count)
    page.wait_for_timeout(300)


def axe_problems(target) -> list[tuple[str, str, int]]:
    """Serious and critical axe-core violations on a page or frame: (rule, impact, nodes)."""
    target.evaluate(AXE_SCRIPT)
    result = target.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], len(v["nodes"])) for v in result["violations"] if v["impact"] in BLOCKING]


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0


def focused(target) -> str:
    return target.evaluate("document.activeElement.outerHTML.slice(0, 120)")


def assert_latest_question_in_view(page) -> None:
    """After an answer the chat shows the new question and the start of its answer."""
    page.wait_for_timeout(600)
    chat_box = page.locator("#chatbot").bounding_box()
    asked = page.locator('#chatbot [data-testid="user"]').last.bounding_box()
    assert chat_box["y"] <= asked["y"] <= chat_box["y"] + chat_box["height"] - asked["height"]


def last_bot_text(page) -> str:
    return page.locator('#chatbot [data-testid="bot"]').last.inner_text()


def test_ask_stream_cite_switch_feedback_copy_export_new_chat(page, server, settings):
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
    assert FUNDING in group.locator("h3").inner_text()
    assert group.locator("details.src").count() >= 2
    shot(page, "01-laptop-answer.png")

    # Clicking the [2] marker opens passage 2 of this answer, with its section path, and focuses it.
    page.locator('#chatbot a[href$="#src-1-2"]').first.click()
    opened = page.locator("#src-1-2")
    page.wait_for_function("() => document.getElementById('src-1-2').open")
    assert opened.locator("blockquote").is_visible()
    assert opened.locator(".src-section").inner_text().startswith("In: Recommendations for Businesses")
    title = opened.locator("summary").inner_text().split("] ", 1)[1]
    assert not opened.locator("blockquote").inner_text().startswith(title)  # the title is not repeated
    assert len(opened.locator("blockquote").inner_text()) > 200
    page.wait_for_function("() => document.activeElement === document.querySelector('#src-1-2 summary')")
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

    # Copy gives plain text and a numbered source list, not Markdown links or HTML.
    page.locator('#chatbot [data-testid="bot"]').first.hover()
    page.locator("#chatbot button[aria-label='Copy message']").nth(1).click()  # [0] copies the question
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("For businesses") and "[1]" in copied, copied[:200]
    assert "[\\[" not in copied and "#src-" not in copied and "<div" not in copied and "fa-label" not in copied
    assert re.search(r"\nSources\n\[1\] .+ \(eu-international-digital-strategy\.md\)", copied), copied[-400:]

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
    # Changing one's mind replaces the rating; a thumbs-down asks why and stores the reasons.
    page.locator('#chatbot [data-testid="bot"]').first.hover()
    page.locator("#chatbot button[aria-label='Dislike']").first.click()
    reasons = page.locator("#dislike-reasons:visible")
    reasons.wait_for()
    reasons.get_by_label("Missing source").check()
    reasons.get_by_label("Anything else? (optional)").fill("The deadline is not cited.")
    reasons.get_by_role("button", name="Send feedback").click()
    page.wait_for_function("() => document.querySelector('#feedback-status').innerText.includes('reasons were saved')")
    with sqlite3.connect(server.data_dir / "feedback.sqlite3") as db:
        assert db.execute("SELECT rating, question, reason, comment FROM feedback").fetchall() == [
            (-1, FUNDING, "missing source", "The deadline is not cited.")
        ]
    assert not reasons.is_visible()

    # Export: a dated name from the first question, with sources and the attribution.
    with page.expect_download() as download:
        page.click("#export")
    assert re.fullmatch(r"conversation-\d{4}-\d{2}-\d{2}-how-can-smes-get-funding\.md", download.value.suggested_filename)
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert exported.startswith("# Conversation with the Digital Strategy Advisor")
    assert "JOIN(2025) 140" in exported and "Summary by DigitalTrade4.EU" in exported
    assert f"## Q: {FUNDING}" in exported and "## Q: What does the strategy recommend on cybersecurity?" in exported
    assert exported.count("**Sources**") == 2 and "[1] *" in exported
    (ARTIFACTS / "conversation-export.md").write_text(exported, encoding="utf-8")

    # The conversation survives a reload (browser storage); "New chat" starts over.
    page.reload(wait_until="load")
    wait_for_answers(page, 2)
    assert page.locator('#chatbot [data-testid="bot"]').count() == 2
    page.click("#clear")
    page.wait_for_function("() => !document.querySelector('#chatbot [data-testid=\"bot\"]')")
    assert page.locator("#sources-panel .src-group").count() == 0
    page.reload(wait_until="load")
    page.wait_for_selector("#question textarea")
    page.wait_for_timeout(800)
    assert page.locator('#chatbot [data-testid="bot"]').count() == 0


def test_stop_replaces_ask_while_an_answer_streams(page):
    page.fill("#question textarea", "What does the strategy say about semiconductors and quantum?")
    page.click("#ask")
    assert page.locator("#stop").is_visible() and not page.locator("#ask").is_visible()
    # Stop, unless the answer already came in (a cached one takes a few ms): no waiting either way.
    page.evaluate("() => { const b = document.getElementById('stop'); if (b.checkVisibility()) { b.click(); } }")
    page.wait_for_function("() => !document.body.classList.contains('answering')")
    assert page.locator("#ask").is_visible() and not page.locator("#stop").is_visible()


def test_sources_panel_scrolls_and_follow_ups_are_offered(page):
    """Many answers: the panel scrolls on its own, newest first, and old citations stay reachable."""
    ask(page, FUNDING, 0)
    followups = page.locator("#followups-row button.example-q")
    assert followups.count() == 3 and all(followups.nth(i).is_visible() for i in range(3))
    suggested = followups.first.inner_text()
    assert suggested.startswith("How should ")
    followups.first.click()  # a suggested follow-up asks itself
    wait_for_answers(page, 2)
    assert page.locator('#chatbot [data-testid="user"]').last.inner_text() == suggested
    asked = ["How can governments build digital identity?", "What should companies do about cybersecurity?",
             "Which focus areas does the strategy name?"]  # fmt: skip
    for n, question in enumerate(asked):
        ask(page, question, 2 + n)
    panel = page.locator("#sources-panel")
    metrics = panel.evaluate(
        "e => ({scroll: e.scrollHeight, client: e.clientHeight, top: e.scrollTop, overflow: getComputedStyle(e).overflowY})"
    )
    assert metrics["overflow"] == "auto" and metrics["scroll"] > metrics["client"] and metrics["top"] == 0, metrics
    assert "Which focus areas" in panel.locator(".src-group h3").first.inner_text()  # the newest answer first
    box = panel.bounding_box()
    assert box["y"] + box["height"] <= LAPTOP["height"] + 1  # it does not spill past the window
    shot(page, "04-laptop-five-answers.png", full_page=False)

    # The first answer's [1] still opens its passage, inside the panel, without moving the page.
    scroll_before = page.evaluate("scrollY")
    page.locator('#chatbot a[href$="#src-1-1"]').first.click()
    page.wait_for_function("() => document.getElementById('src-1-1').open")
    page.wait_for_timeout(300)
    card = page.locator("#src-1-1 summary").bounding_box()
    box = panel.bounding_box()
    assert box["y"] <= card["y"] <= box["y"] + box["height"] - card["height"]
    assert abs(page.evaluate("scrollY") - scroll_before) <= MAX_PAGE_JUMP_PX
    shot(page, "05-laptop-old-citation.png", full_page=False)

    # Regenerate (the chat's retry icon) replaces the last answer instead of adding one.
    page.locator('#chatbot [data-testid="bot"]').last.hover()
    page.evaluate(WATCH_STREAM)
    page.locator("#chatbot button[aria-label='Retry']").click()
    page.wait_for_function("() => window.__lengths.length >= 3")  # the answer streamed again
    page.wait_for_timeout(800)
    assert page.locator('#chatbot [data-testid="bot"]').count() == 5
    assert page.locator('#chatbot [data-testid="user"]').last.inner_text() == "Which focus areas does the strategy name?"
    assert page.locator("#sources-panel .src-group").count() == 5


def test_keyboard_only_ask_open_citation_and_return(page):
    page.focus("#question textarea")
    page.keyboard.type(FUNDING)
    page.keyboard.press("Enter")
    wait_for_answers(page, 1)
    for _ in range(60):  # back from the question box into the answer, by keyboard alone
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.matches('#chatbot a[href*=\"#src-\"]')"):
            break
    marker = focused(page)
    assert 'href="#src-1-' in marker, marker
    target = re.search(r'#(src-1-\d+)"', marker)[1]
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.getElementById('{target}').open")
    page.wait_for_function(f"() => document.activeElement === document.querySelector('#{target} summary')")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # a visible focus ring
    page.keyboard.press("Tab")
    assert "src-back" in focused(page)
    page.keyboard.press("Enter")
    assert focused(page) == marker  # back on the [n] it came from


def test_accessibility_desktop_and_embed(page, browser, server):
    assert axe_problems(page) == []
    assert page.locator("h1").count() == 1
    page.get_by_role("textbox", name="Your question").wait_for()  # not "Textbox"
    # The audience radios show where the keyboard is.
    page.focus("#audience input[value='business']")
    page.keyboard.press("ArrowLeft")
    ring = page.evaluate("getComputedStyle(document.activeElement.closest('label')).outlineStyle")
    assert ring != "none"
    ask(page, FUNDING, 0)
    page.locator('#chatbot a[href$="#src-1-1"]').first.click()
    page.wait_for_function("() => document.getElementById('src-1-1').open")
    assert axe_problems(page) == []
    # Messages are named by their plain text, not by Markdown and HTML.
    name = page.locator('#chatbot [data-testid="bot"]').last.get_attribute("aria-label")
    assert name.startswith("Advisor: For businesses") and "[\\[" not in name and "<div" not in name and "**" not in name
    assert page.locator('#chatbot [data-testid="bot"]').last.get_attribute("dir") == "auto"
    # Attribution: the knowledge's origin and the official page are on the page.
    attribution = page.locator("#attribution")
    assert "JOIN(2025) 140" in attribution.inner_text() and "DigitalTrade4.EU" in attribution.inner_text()
    assert attribution.locator("a").get_attribute("href").startswith("https://")

    context, embed = open_page(browser, server.url + "/embed/?workshop=public-sector-alignment")
    try:
        embed.wait_for_selector("#starters button")
        assert axe_problems(embed) == []
        assert embed.locator("h1").count() == 1
    finally:
        context.close()


def test_phone_layout_and_sources_sheet(phone):
    page = phone
    # On load the question box is on screen and the persona tabs are all there (no "⋯" menu).
    assert in_viewport(page, "#question textarea")
    for persona in ("SME", "Civil servant", "Trainer"):
        page.get_by_role("tab", name=persona).wait_for()  # visible, not folded into a menu
    assert not page.get_by_role("button", name="More tabs").is_visible()
    assert axe_problems(page) == []
    shot(page, "06-phone-load.png", full_page=False)

    ask(page, "Which steps should our ministry take to align data protection law with the EU?", 0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    chat = page.locator("#chatbot").bounding_box()
    bubble = page.locator('#chatbot [data-testid="bot"]').last.bounding_box()
    assert bubble["width"] >= chat["width"] * MIN_ANSWER_WIDTH_SHARE
    assert not page.locator("#chatbot .scroll-down-button-container").is_visible()
    # Nothing covers the text: the chat's own icons sit above the scrolling messages.
    icons = page.locator("#chatbot button[aria-label='Clear']").bounding_box()
    messages_top = page.evaluate(SCROLL_AREA_TOP)
    assert icons["y"] + icons["height"] <= messages_top, (icons, messages_top)
    shot(page, "07-phone-answer.png")

    # [1] opens the passage in a sheet over the answer; the page does not jump.
    marker = page.locator('#chatbot a[href$="#src-1-1"]').first
    marker.scroll_into_view_if_needed()
    scroll_before = page.evaluate("scrollY")
    marker.click()
    page.wait_for_function("() => document.activeElement === document.querySelector('#src-1-1 summary')")
    page.wait_for_timeout(400)
    assert in_viewport(page, "#src-1-1 summary")
    assert abs(page.evaluate("scrollY") - scroll_before) <= MAX_PAGE_JUMP_PX
    assert axe_problems(page) == []
    shot(page, "08-phone-sources-sheet.png", full_page=False)

    # "Back to answer" closes the sheet and returns to the cited [1].
    page.locator("#src-1-1 .src-back").click()
    page.wait_for_timeout(400)
    assert "src-1-1" in focused(page) and in_viewport(page, '#chatbot a[href$="#src-1-1"]')
    sheet = page.locator("#sources-col").bounding_box()
    assert sheet is None or sheet["y"] >= PHONE["height"]  # slid away below the screen
    shot(page, "09-phone-back-to-answer.png", full_page=False)


def test_long_questions_are_announced_and_the_ask_button_keeps_its_size(page, settings):
    page.fill("#question textarea", "How can SMEs get funding? " * 100)
    page.locator("#question textarea").dispatch_event("input")
    note = page.locator("#question-note")
    note.wait_for()
    assert f"{settings.max_question_chars:,}" in note.inner_text()
    assert len(page.input_value("#question textarea")) == settings.max_question_chars
    assert page.locator("#ask").bounding_box()["height"] <= MAX_ASK_HEIGHT_PX


def test_documents_panel_needs_a_valid_admin_key(page):
    panel = page.locator("#documents")
    panel.get_by_text("Your documents (admin)").click()
    admin = page.locator("#documents-admin")
    # The accordion opens after the click's round trip: wait for it rather than race it.
    page.locator("#admin-key").wait_for(state="visible")
    assert not admin.is_visible()
    page.fill("#admin-key input", "wrong")
    page.click("#unlock")
    page.wait_for_function("() => document.querySelector('#documents-status').innerText.includes('⚠️')")
    assert not admin.is_visible()
    page.fill("#admin-key input", ADMIN_KEY)
    page.click("#unlock")
    admin.wait_for()
    assert admin.get_by_role("button", name="Add to workspace").is_visible()
    assert admin.get_by_role("button", name="Delete").is_visible()
    assert axe_problems(page) == []  # the red Delete button's white text included


def test_markup_in_questions_stays_inert(page):
    page.fill("#question textarea", 'Funding for SMEs? <img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>')
    page.click("#ask")
    page.wait_for_function("() => !document.querySelector('#export').disabled")  # enabled by the final update
    assert page.evaluate("window.__pwned") is None
    assert "<img src=x" in page.locator('#chatbot [data-testid="user"]').last.inner_text()


def test_docs_render_offline(browser, server):
    """/docs and /redoc render with every request outside this server refused."""
    context = browser.new_context(viewport=LAPTOP)
    outside: list[str] = []
    local = urlsplit(server.url).netloc

    def only_local(route) -> None:
        if urlsplit(route.request.url).netloc == local:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(server.url + "/docs", wait_until="load")
        page.locator(".swagger-ui .info .title").get_by_text("Digital Strategy Advisor").wait_for()
        page.locator(".opblock-summary-path", has_text="/api/chat").first.wait_for()
        shot(page, "10-docs-offline.png", full_page=False)
        page.goto(server.url + "/redoc", wait_until="load")
        page.locator("h1", has_text="Digital Strategy Advisor").wait_for()
        shot(page, "11-redoc-offline.png", full_page=False)
    finally:
        context.close()
    assert outside == []


def test_answers_stream_into_the_chatbot_alone(server):
    """The page's Ask runs the answer's three steps; the streamed one has only the chatbot (and the
    server-side state) as outputs: Gradio rebuilt the config of every output a streamed update left
    out, ~4 ms of CPU per update, most of what 30 users asking at once cost the server."""
    config = httpx.get(server.url + "/config", timeout=30).json()
    components = {c["id"]: c for c in config["components"]}
    ask = next(i for i, c in components.items() if c.get("props", {}).get("elem_id") == "ask")
    steps = [next(d for d in config["dependencies"] if [ask, "click"] in d["targets"] and d["backend_fn"])]
    while (after := [d for d in config["dependencies"] if d.get("trigger_after") == steps[-1]["id"]]) and after[0]["backend_fn"]:
        steps.append(after[0])
    assert [s["queue"] is not False for s in steps] == [False, True, False], steps
    assert sorted(components[o]["type"] for o in steps[1]["outputs"]) == ["chatbot", "state"]


def test_page_head_compression_and_no_web_font(browser, server):
    page_http = httpx.get(server.url + "/", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert page_http.headers["content-encoding"] == "gzip"
    head = page_http.text.split("</head>", 1)[0]
    assert '<meta property="og:title" content="Digital Strategy Advisor" />' in head
    assert "Gradio" not in " ".join(re.findall(r"<meta[^>]*(?:og:|twitter:)[^>]*>", head))
    asset = re.search(r"assets/index-[\w-]+\.js", page_http.text)[0]
    assert "immutable" in httpx.get(f"{server.url}/{asset}", timeout=30).headers["cache-control"]
    stream = httpx.post(server.url + "/api/chat", json={"messages": [{"role": "user", "content": FUNDING}]},
                        headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert "content-encoding" not in stream.headers  # streams are never held back for compression

    timings: dict[str, object] = {"target_ms": FIRST_INPUT_TARGET_MS}
    for label, args in (("desktop", {"viewport": LAPTOP}), ("phone", PHONE_CONTEXT)):
        runs = []
        for _ in range(FIRST_INPUT_RUNS):
            context = browser.new_context(**args)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            fonts: list[str] = []
            page.on("request", lambda r, fonts=fonts: fonts.append(r.url) if r.resource_type == "font" else None)
            page.add_init_script(FIRST_INPUT_PROBE)
            page.goto(server.url + "/", wait_until="commit")
            page.wait_for_function("() => window.__firstInput")
            runs.append(round(page.evaluate("window.__firstInput")))
            page.wait_for_load_state("load")
            assert fonts == []  # the CSS uses system fonts: no web font is fetched
            assert page.get_by_text("Built with Gradio").count() == 0
            context.close()
        timings[label] = {"runs_ms": runs, "median_ms": statistics.median(runs)}
        assert statistics.median(runs) <= FIRST_INPUT_BUDGET_MS, timings
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=2), encoding="utf-8")


@pytest.fixture()
def host_page(tmp_path: Path, server: LiveServer, host_port: int) -> Iterator[str]:
    """A trainer's workshop page on another origin, with the one-line snippet pasted in."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'><title>Workshop</title></head>"
        "<body style='font-family:sans-serif;margin:24px'><h1>Digital policy workshop</h1>"
        "<p>Ask the advisor below.</p>"
        f'<script src="{server.url}/embed.js" data-audience="government" data-workshop="public-sector-alignment" async></script>'
        "<p>After the chat.</p></body></html>",
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


def frame_layout(page) -> dict[str, float]:
    """The frame's height, its content's scroll and client height, and where its controls end
    (relative to the frame's top)."""
    frame_el = page.locator("iframe")
    top = frame_el.bounding_box()["y"]
    frame = frame_el.content_frame
    layout = {"frame": frame_el.bounding_box()["height"]}
    layout |= frame.locator("html").evaluate("e => ({scroll: e.scrollHeight, client: e.clientHeight})")
    for name, selector in (("tabs", "#examples [role=tablist]"), ("starter", "#starters button"), ("input", "#question textarea")):
        box = frame.locator(selector).first.bounding_box()
        layout[name] = box["y"] + box["height"] - top
    return layout


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_embed_from_another_origin(browser, host_page, size):
    context_args = {"viewport": LAPTOP} if size == "desktop" else PHONE_CONTEXT
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(host_page, wait_until="load")
        frame = page.frame_locator("iframe")
        frame.locator("#workshop-title").get_by_text("Aligning national digital policy").wait_for()
        assert frame.get_by_label("Government", exact=True).is_checked()
        assert frame.locator("#advisor-header").count() == 0  # compact: no page header in the frame
        page.wait_for_timeout(800)
        before = frame_layout(page)
        # Starters, persona tabs and the input are within the default 760 px; the frame follows its
        # content, so there is no scrolling page inside the scrolling page.
        assert max(before["tabs"], before["starter"], before["input"]) <= INITIAL_HEIGHT_PX, before
        assert before["scroll"] <= before["client"] + 1 and abs(before["frame"] - before["client"]) <= 2, before
        for persona in ("SME", "Civil servant", "Trainer"):
            assert frame.get_by_role("tab", name=persona).is_visible()
        shot(page, f"12-embed-{size}-load.png")

        frame.locator("#starters button").filter(has_text="align data protection law").first.click()
        frame.locator("#sources-panel .src-group").first.wait_for()
        assert frame.locator('#chatbot [data-testid="bot"]').last.inner_text().startswith("For governments")
        page.wait_for_timeout(800)
        after = frame_layout(page)
        assert after["frame"] > before["frame"] and after["scroll"] <= after["client"] + 1, (before, after)
        frame.locator('#chatbot a[href$="#src-1-1"]').first.click()
        frame.locator("#src-1-1 blockquote").wait_for()
        box = frame.locator("#src-1-1 summary").bounding_box()
        assert 0 <= box["y"] <= page.viewport_size["height"]  # the host page scrolled to the passage
        shot(page, f"13-embed-{size}-answer.png")
    finally:
        context.close()


def test_embed_headers_over_http(server, host_port):
    """The frame policy names only this server and the allowlisted host page (set as a JSON list)."""
    policy = httpx.get(server.url + "/embed/", timeout=30).headers["content-security-policy"]
    assert policy.endswith(f"; frame-ancestors 'self' http://127.0.0.1:{host_port}")  # after the page policy
    assert httpx.get(server.url + "/", timeout=30).headers["content-security-policy"].endswith("; frame-ancestors 'self'")
    preflight = httpx.options(
        server.url + "/api/ask",
        headers={"Origin": f"http://127.0.0.1:{host_port}", "Access-Control-Request-Method": "POST"},
        timeout=30,
    )
    assert preflight.headers["access-control-allow-origin"] == f"http://127.0.0.1:{host_port}"
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
