"""Conversation API over real HTTP: SSE streaming, follow-ups, the OpenAI-compatible endpoints
(driven by the official OpenAI SDK and LangChain's ChatOpenAI), taxonomy, readiness and CORS."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from conftest import LiveServer, free_port, start_server, stop_server
from langchain_openai import ChatOpenAI

from advisor.taxonomy import load_taxonomy

ALLOWED = "http://workshop.example.test"
FUNDING = "How can SMEs get funding?"


@pytest.fixture(scope="module")
def server(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("data-chat")
    shutil.copytree(built_data_dir, data_dir, dirs_exist_ok=True)
    live = start_server(data_dir, ADVISOR_CORS_ORIGINS=ALLOWED)
    yield live
    stop_server(live)


def sse_events(response: httpx.Response) -> list[tuple[str, dict]]:
    """Parse a text/event-stream body as it arrives into (event, data) pairs."""
    events, name, data = [], "message", []
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
        elif not line and data:
            events.append((name, json.loads("\n".join(data))))
            name, data = "message", []
    return events


def chat(server: LiveServer, messages: list[dict], **extra) -> dict:
    r = httpx.post(server.url + "/api/chat", json={"messages": messages, "stream": False, **extra}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_chat_streams_citations_then_text_then_answer(server):
    with httpx.stream(
        "POST", server.url + "/api/chat", json={"messages": [{"role": "user", "content": FUNDING}]}, timeout=60
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r)
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "answer"
    assert set(names[1:-1]) == {"delta"} and len(names) > 10
    answer = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == answer["answer"]
    assert events[0][1]["citations"] == answer["citations"] and answer["citations"]
    assert answer["audience"] == "business" and answer["standalone_question"] is None


def test_follow_up_switches_audience_and_keeps_topic(server):
    first = chat(server, [{"role": "user", "content": FUNDING}])
    follow = chat(
        server,
        [
            {"role": "user", "content": FUNDING},
            {"role": "assistant", "content": first["answer"]},
            {"role": "user", "content": "And what should governments do?"},
        ],
    )
    assert follow["question"] == "And what should governments do?"
    assert "funding" in follow["standalone_question"].lower()
    assert follow["audience"] == "government"
    assert follow["citations"][0]["section_id"].startswith("gov-")
    # Without the history the same words are not about funding at all.
    alone = chat(server, [{"role": "user", "content": "And what should governments do?"}])
    assert alone["standalone_question"] is None


@pytest.mark.parametrize("keep_json", [True, False], ids=["structured-history", "text-only-history"])
def test_follow_up_resolves_the_second_action(server, keep_json):
    first = chat(server, [{"role": "user", "content": FUNDING}])
    second_action = first["actions"][1]
    assistant = {"role": "assistant", "content": first["answer"], **({"answer": first} if keep_json else {})}
    follow = chat(
        server,
        [{"role": "user", "content": FUNDING}, assistant, {"role": "user", "content": "Tell me more about the second action"}],
    )
    assert second_action["text"] in follow["standalone_question"]
    cited = next(c for c in first["citations"] if c["n"] == second_action["citations"][0])
    assert cited["title"] in follow["standalone_question"]
    # The passage that action came from is what the follow-up cites first. The composer
    # may start an action taken from mid-sentence with a capital, so compare casefolded.
    assert follow["citations"][0]["section_id"] == cited["section_id"]
    assert second_action["text"][:60].casefold() in follow["citations"][0]["text"].casefold()
    assert follow["audience"] == "business"


def test_chat_errors_are_json(server):
    cases = [
        ({"messages": [{"role": "user", "content": "  "}]}, 422, "empty"),
        ({"messages": []}, 422, "messages"),
        ({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x"}]}, 422, "last message"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, 422, "role"),
        ({"messages": [{"role": "user", "content": "Funding?"}], "audience": "martians"}, 422, "audience"),
    ]
    for payload, status, word in cases:
        r = httpx.post(server.url + "/api/chat", json=payload, timeout=30)
        assert r.status_code == status, payload
        assert r.headers["content-type"].startswith("application/json")
        assert word in r.json()["error"]["message"].lower(), r.json()
        assert "Traceback" not in r.text
    r = httpx.post(server.url + "/v1/chat/completions", json={"model": "x", "messages": [{"role": "user", "content": ""}]})
    assert r.status_code == 422 and r.json()["error"]["message"]


def test_openai_sdk_json_has_references_and_structured_citations(server):
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="not-needed")
    completion = client.chat.completions.create(
        model="digital-strategy-advisor", messages=[{"role": "user", "content": FUNDING}]
    )
    content = completion.choices[0].message.content
    citations = completion.model_extra["citations"]
    assert citations and completion.choices[0].finish_reason == "stop"
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", content.split("**Sources**")[0])}
    assert markers == {c["n"] for c in citations}
    for c in citations:  # every number resolves to a visible reference line with its title
        assert f"[{c['n']}] *{c['title']}*" in content
    assert completion.model_extra["advisor"]["audience"] == "business"


def test_openai_sdk_stream_matches_json(server):
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="not-needed")
    messages = [{"role": "user", "content": "Which steps should our ministry take to align data protection law?"}]
    whole = client.chat.completions.create(model="digital-strategy-advisor", messages=messages)
    chunks = list(client.chat.completions.create(model="digital-strategy-advisor", messages=messages, stream=True))
    assert all(c.object == "chat.completion.chunk" for c in chunks) and len(chunks) > 5
    assert chunks[0].model_extra["citations"] == whole.model_extra["citations"]
    assert chunks[-1].choices[0].finish_reason == "stop"
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert streamed == whole.choices[0].message.content
    assert [m.id for m in client.models.list()] == ["digital-strategy-advisor"]


def test_raw_stream_ends_with_done(server):
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": FUNDING}]}
    with httpx.stream("POST", server.url + "/v1/chat/completions", json=body, timeout=60) as r:
        lines = [line for line in r.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert json.loads(lines[0][5:])["choices"][0]["delta"]["role"] == "assistant"


def test_langchain_chat_openai_follow_up(server):
    llm = ChatOpenAI(base_url=server.url + "/v1", api_key="not-needed", model="digital-strategy-advisor")
    first = llm.invoke([("user", FUNDING)])
    follow = llm.invoke([("user", FUNDING), ("assistant", first.content), ("user", "And what should governments do?")])
    assert "[1]" in follow.content and "**Sources**" in follow.content
    assert "governments" in follow.content.split("\n")[0]


def test_focus_areas_are_the_taxonomy(server, settings):
    body = httpx.get(server.url + "/api/focus-areas", timeout=30).json()
    taxonomy = load_taxonomy(settings.taxonomy_file)
    assert [a["id"] for a in body["focus_areas"]] == [a.id for a in taxonomy.areas if a.kind == "focus_area"]
    assert [a["id"] for a in body["objectives"]] == [a.id for a in taxonomy.areas if a.kind == "objective"]
    assert {r["audience"] for r in body["recommendations"]} == {"business", "government"}


def test_readyz_and_docs(server):
    ready = httpx.get(server.url + "/readyz", timeout=30)
    assert ready.status_code == 200 and ready.json()["chunks"] > 0
    spec = httpx.get(server.url + "/openapi.json", timeout=30).json()
    assert {"/api/chat", "/v1/chat/completions", "/v1/models", "/api/focus-areas", "/readyz"} <= spec["paths"].keys()
    assert httpx.get(server.url + "/docs", timeout=30).status_code == 200


def test_cors_allowlist(server):
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(
            server.url + "/api/chat",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        )

    assert preflight(ALLOWED).headers.get("access-control-allow-origin") == ALLOWED
    assert "access-control-allow-origin" not in preflight("http://evil.example.test").headers
    embed = httpx.get(server.url + "/embed/", timeout=30)
    assert embed.headers["content-security-policy"].endswith(f"; frame-ancestors 'self' {ALLOWED}")
    assert httpx.get(server.url + "/", timeout=30).headers["content-security-policy"].endswith("; frame-ancestors 'self'")


def test_readyz_reports_unreachable_store(built_data_dir, tmp_path):
    """Against a real Chroma server: ready while it runs, 503 JSON once it is gone."""
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.skip("the chroma CLI is not installed in this environment")
    port = free_port()
    store = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    live = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        data_dir = tmp_path / "data"
        data_dir.mkdir()
        live = start_server(data_dir, ADVISOR_CHROMA_URL=f"http://127.0.0.1:{port}")
        assert httpx.get(live.url + "/readyz", timeout=30).status_code == 200
        store.terminate()
        store.wait(timeout=15)
        r = httpx.get(live.url + "/readyz", timeout=60)
        assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"
        assert httpx.get(live.url + "/healthz", timeout=30).status_code == 200
    finally:
        if live is not None:
            stop_server(live)
        if store.poll() is None:
            store.kill()


def test_chat_streams_llm_tokens_as_they_are_validated(data_copy):
    """With the LLM backend (a scripted OpenAI-compatible server), SSE deltas arrive while the model
    is still streaming, and the OpenAI-compatible endpoint relays the same validated text."""
    from llm_server import Reply, RunningServer
    from test_llm_backend import MODEL, QUESTION, good_answer

    llm = RunningServer()
    llm.state.script = lambda body: Reply(good_answer(body), chunk_delay=0.02, chunk_chars=12)
    live = start_server(data_copy, ADVISOR_LLM="openai", OPENAI_BASE_URL=llm.state.base_url, ADVISOR_LLM_MODEL=MODEL)
    try:
        first_delta_at = None
        body = {"messages": [{"role": "user", "content": QUESTION}], "audience": "business"}
        with httpx.stream("POST", live.url + "/api/chat", json=body, timeout=60) as r:
            assert r.status_code == 200
            events, name, data = [], "message", []
            for line in r.iter_lines():
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif not line and data:
                    if name == "delta" and first_delta_at is None:
                        first_delta_at = time.monotonic()
                    events.append((name, json.loads("\n".join(data))))
                    name, data = "message", []
        names = [n for n, _ in events]
        answer = events[-1][1]
        assert names[-2:] == ["citations", "answer"] and names.count("delta") >= 3
        assert answer["backend"] == f"openai:{MODEL}" and answer["citations"]
        assert "".join(d["text"] for n, d in events if n == "delta") == answer["answer"]
        finished = [t for t in llm.state.stream_finished_at if t > 0]
        assert first_delta_at is not None and first_delta_at < max(finished)

        client = openai.OpenAI(base_url=live.url + "/v1", api_key="unused")
        chunks = list(
            client.chat.completions.create(model=MODEL, messages=body["messages"], stream=True, extra_body={"audience": "business"})
        )
        content = "".join(c.choices[0].delta.content or "" for c in chunks)
        assert content.startswith(answer["answer"]) and "**Sources**" in content
        assert chunks[-1].model_extra["citations"] == answer["citations"]
    finally:
        stop_server(live)
        llm.stop()
