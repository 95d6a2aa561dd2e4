import httpx

KEYS = {"question", "audience", "in_scope", "answer", "focus_areas", "actions", "citations", "backend", "timings_ms"}


def test_health(live_server):
    r = httpx.get(live_server.url + "/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_ask_over_http(live_server):
    r = httpx.post(
        live_server.url + "/api/ask",
        json={"question": "Which steps should a partner government take on digital identity?", "audience": "government"},
        timeout=30,
    )
    assert r.status_code == 200
    body = r.json()
    assert KEYS <= body.keys()
    assert body["in_scope"] and body["citations"][0]["section_id"] == "gov-dpi"
    assert all(a["citations"] for a in body["actions"])


def test_bad_requests_get_json_errors(live_server):
    cases = [
        ({"question": ""}, "empty"),
        ({"question": "   "}, "empty"),
        ({"question": "y" * 2001}, "limit"),
        ({"question": "ok?", "audience": "martians"}, "audience"),
        ({}, "question"),
    ]
    for payload, word in cases:
        r = httpx.post(live_server.url + "/api/ask", json=payload, timeout=30)
        assert r.status_code == 422, payload
        error = r.json()["error"]
        assert error["code"] == "invalid_request" and word in error["message"].lower()
    r = httpx.post(live_server.url + "/api/ask", content=b"not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "error" in r.json()


def test_chat_ui_is_served(live_server):
    r = httpx.get(live_server.url + "/", timeout=30, follow_redirects=True)
    assert r.status_code == 200
    config = httpx.get(live_server.url + "/config", timeout=30).json()
    assert config.get("title") == "Digital Strategy Advisor"
    ids = {c.get("props", {}).get("elem_id") for c in config["components"]}
    assert {"audience"} <= ids, sorted(i for i in ids if i)  # the chat's own components, not any Gradio page
    labels = {c.get("props", {}).get("label") for c in config["components"]}
    assert "Answer for" in labels
