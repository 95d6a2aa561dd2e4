"""Text in, text out (issue 16): markup written as text in a document stays text in every output.

A hostile fixture in each format (HTML, Markdown, DOCX, PDF) holds an `<img onerror>` heading, a
`<b onmouseover>`, a `<script>` and a `[click me](javascript:...)` link, written as text. Asked over
real HTTP, /api/ask, /api/chat (SSE) and /v1/chat/completions (plain and streamed) answer from
them; every text that comes back is rendered the way a chat front-end would (markdown-it with raw
HTML on) and the resulting DOM must hold no element or handler from the document and no
`javascript:` link. The UI and its Markdown export are checked in Chromium. Also the security
headers every response carries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from advisor_tools import hostile
from tests.conftest import LiveServer, chromium, run_cli, start_server, stop_server

# What Markdown itself produces; anything else in the DOM came from a document.
MARKDOWN_TAGS = {"p", "em", "strong", "ul", "ol", "li", "a", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre",
                 "blockquote", "br"}  # fmt: skip


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def rendered_dom(markdown: str) -> list[tuple[str, dict[str, str | None]]]:
    """The elements a Markdown chat client (CommonMark, raw HTML allowed) would create for `markdown`."""
    from markdown_it import MarkdownIt

    dom = _Dom()
    dom.feed(MarkdownIt("commonmark", {"html": True}).render(markdown))
    return dom.elements


def assert_inert(text: str, where: str) -> None:
    assert "javascript:" not in text.lower(), (where, text)
    for tag, attrs in rendered_dom(text):
        assert tag in MARKDOWN_TAGS, (where, tag, text)
        assert not any(name.startswith("on") for name in attrs), (where, attrs, text)
        for name in ("href", "src"):
            value = (attrs.get(name) or "").lower()
            assert not value or value.startswith(("http://", "https://", "#")), (where, attrs, text)


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value, with where it is."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")


def assert_answer_inert(answer: dict[str, Any], where: str) -> None:
    for path, text in strings(answer, where):
        if path.endswith(".question"):  # the asker's own words, echoed as JSON
            continue
        assert_inert(text, path)


@pytest.fixture(scope="module")
def hostile_server(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import shutil

    data_dir = tmp_path_factory.mktemp("data-hostile")
    shutil.copytree(built_data_dir, data_dir, dirs_exist_ok=True)
    folder = tmp_path_factory.mktemp("hostile-docs")
    hostile.html_hostile(folder / "hostile.html")
    hostile.markdown_hostile(folder / "hostile.md")
    hostile.docx_hostile(folder / "hostile.docx")
    hostile.pdf_hostile(folder / "hostile.pdf")
    result = run_cli(["ingest", str(folder)], data_dir)
    assert result.returncode == 0 and "added 4" in result.stdout, result.stderr
    server = start_server(data_dir, ADVISOR_RATE_LIMIT_PER_MINUTE="0")
    yield server
    stop_server(server)


def test_api_ask_returns_document_markup_as_inert_text(hostile_server: LiveServer):
    r = httpx.post(hostile_server.url + "/api/ask", json={"question": hostile.HOSTILE_QUESTION}, timeout=60)
    assert r.status_code == 200
    body = r.json()
    assert "workspace" in {c["collection"] for c in body["citations"]}
    assert len({c["doc_id"] for c in body["citations"]}) >= 2  # several formats answered
    # The document's words are all there, as characters: escaped, or a link reduced to its label.
    assert "&lt;b onmouseover=alert(2)>Kestrel duct office&lt;/b>" in body["answer"]
    assert "[click me])" in " ".join(c["text"] for c in body["citations"])
    assert any("Grant &lt;img src=x onerror=alert(1)> Portal" in c["title"] for c in body["citations"])
    assert_answer_inert(body, "/api/ask")


def test_chat_sse_stream_is_inert(hostile_server: LiveServer):
    payload = {"messages": [{"role": "user", "content": hostile.HOSTILE_QUESTION}]}
    deltas, answer, citations = [], None, None
    with httpx.stream("POST", hostile_server.url + "/api/chat", json=payload, timeout=60) as r:
        assert r.status_code == 200
        event = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
                if event == "delta":
                    deltas.append(data["text"])
                elif event == "answer":
                    answer = data
                elif event == "citations":
                    citations = data
    assert answer is not None and citations is not None
    assert "".join(deltas) == answer["answer"]  # streamed text is the same inert text
    assert_inert("".join(deltas), "/api/chat deltas")
    assert_answer_inert(answer, "/api/chat answer")
    assert_answer_inert(citations, "/api/chat citations")


def test_openai_compatible_responses_are_inert(hostile_server: LiveServer):
    url = hostile_server.url + "/v1/chat/completions"
    messages = [{"role": "user", "content": hostile.HOSTILE_QUESTION}]
    plain = httpx.post(url, json={"messages": messages}, timeout=60).json()
    content = plain["choices"][0]["message"]["content"]
    assert "**Sources**" in content and "Kestrel" in content
    assert_inert(content, "/v1 content")
    assert_answer_inert({"citations": plain["citations"], "advisor": plain["advisor"]}, "/v1")

    streamed, extras = [], []
    with httpx.stream("POST", url, json={"messages": messages, "stream": True}, timeout=60) as r:
        for line in r.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                chunk = json.loads(line[6:])
                streamed.append(chunk["choices"][0]["delta"].get("content") or "")
                extras.append({k: v for k, v in chunk.items() if k in ("citations", "advisor")})
    assert "".join(streamed).strip() == content.strip()
    assert_inert("".join(streamed), "/v1 stream")
    assert_answer_inert(extras, "/v1 stream extras")


def test_every_response_carries_the_security_headers(hostile_server: LiveServer):
    for method, path in (("GET", "/"), ("GET", "/embed/"), ("GET", "/healthz"), ("POST", "/api/ask"), ("GET", "/nope")):
        r = httpx.request(method, hostile_server.url + path, json={} if method == "POST" else None, timeout=30)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        policy = r.headers["content-security-policy"]
        assert "script-src 'self' " in policy and "object-src 'none'" in policy, path
        assert policy.endswith("frame-ancestors 'self'"), path  # no workshop origin is allowlisted here


def test_ui_and_export_show_document_markup_as_text(hostile_server: LiveServer, tmp_path: Path):
    """In Chromium: the answer, the sources panel and the downloaded export hold no element or handler
    from the documents, no javascript: link, and the page runs under its content policy."""
    with chromium() as browser:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        violations: list[str] = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.add_init_script("window.__pwned = 0; window.alert = () => { window.__pwned += 1; };")
        page.goto(hostile_server.url + "/", wait_until="load")
        page.fill("#question textarea", hostile.HOSTILE_QUESTION)
        page.click("#ask")
        page.wait_for_selector("#sources-panel .src-group", state="attached", timeout=60_000)
        page.wait_for_function("() => !document.querySelector('#export').disabled", timeout=60_000)
        for summary in page.locator("#sources-panel details.src summary").all():
            summary.click()
        page.locator('#chatbot [data-testid="bot"]').last.hover()
        assert "Kestrel duct office" in page.locator('#chatbot [data-testid="bot"]').last.inner_text()
        found = page.evaluate(
            """() => {
              const roots = [document.querySelector('#chatbot'), document.querySelector('#sources-panel')];
              const bad = [];
              for (const root of roots) for (const el of root.querySelectorAll('*')) {
                if (['IMG', 'SCRIPT', 'B', 'IFRAME'].includes(el.tagName) && !el.closest('button')) bad.push(el.outerHTML);
                for (const a of el.attributes) {
                  if (/^on/i.test(a.name) || /javascript:/i.test(a.value)) bad.push(el.outerHTML);
                }
              }
              return bad;
            }"""
        )
        assert found == [], found
        assert page.evaluate("window.__pwned") == 0
        with page.expect_download() as download:
            page.click("#export")
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        assert "Kestrel" in exported
        assert_inert(exported, "export")
        assert violations == [], violations  # Gradio runs under the policy
