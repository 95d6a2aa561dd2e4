"""The trainer's live dashboard: one self-contained HTML page (no framework, nothing from elsewhere).

The page carries no workshop data. It asks `GET /api/workshops/{id}/summary` with the trainer key
every few seconds and draws the figures with DOM text nodes only (never innerHTML), so a question
containing markup stays text. The key is typed in once per browser tab and kept in that tab's
sessionStorage; `#key=...` in the address also works (it never reaches the server) and is removed
from the address bar at once.
"""

from __future__ import annotations

import json

MS_PER_SECOND = 1000

DASHBOARD_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Workshop dashboard · Digital Strategy Advisor</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, "DejaVu Sans", sans-serif; margin: 0;
    background: #f5f7fa; color: #1c2430; }
  header { background: #1a3d7c; color: #fff; padding: 14px 24px; display: flex; flex-wrap: wrap; gap: 8px 24px;
    align-items: baseline; }
  header h1 { font-size: 1.25rem; margin: 0; }
  header .meta { opacity: .85; font-size: .9rem; }
  header .code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 1.1rem; letter-spacing: .12em;
    background: rgba(255,255,255,.15); padding: 2px 8px; border-radius: 6px; }
  main { padding: 16px 24px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
  section { background: #fff; border: 1px solid #d9dde3; border-radius: 10px; padding: 12px 16px; }
  section h2 { font-size: 1rem; margin: 0 0 10px 0; }
  .cards { display: flex; gap: 12px; flex-wrap: wrap; grid-column: 1 / -1; }
  .card { flex: 1 1 140px; background: #fff; border: 1px solid #d9dde3; border-radius: 10px; padding: 10px 16px; }
  .card .n { font-size: 2rem; font-weight: 700; }
  .card .label { font-size: .85rem; opacity: .75; }
  .bar { display: grid; grid-template-columns: minmax(120px, 45%) 1fr 2.5em; gap: 8px; align-items: center;
    margin: 4px 0; font-size: .85rem; }
  .bar .track { background: #e8f0fe; border-radius: 4px; height: 14px; }
  .bar .fill { background: #3c6fd1; border-radius: 4px; height: 14px; }
  .bar .count { text-align: right; font-variant-numeric: tabular-nums; }
  ul.items { margin: 0; padding-left: 18px; }
  ul.items li { margin: 4px 0; }
  .reason { display: block; font-size: .82rem; opacity: .75; }
  .words { line-height: 1.9; }
  .words span { display: inline-block; margin: 0 8px 0 0; color: #1a3d7c; }
  .empty { opacity: .6; font-style: italic; }
  #login { grid-column: 1 / -1; }
  #status { font-size: .85rem; }
  #status.error { color: #b00020; font-weight: 600; }
  button { font: inherit; padding: 4px 12px; border-radius: 6px; border: 1px solid #9fb3d9; background: #fff;
    cursor: pointer; }
  button.danger { border-color: #e0a0a0; color: #8a1010; }
  .tools { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; }
</style>
</head>
<body>
<header>
  <h1 id="title">Workshop dashboard</h1>
  <span class="meta">join code <span class="code" id="code">…</span></span>
  <span class="meta" id="state"></span>
  <span class="meta" id="status">waiting for the trainer key</span>
</header>
<main>
  <section id="login">
    <h2>Trainer key</h2>
    <form id="login-form" class="tools">
      <input id="key" type="password" autocomplete="current-password" placeholder="ADVISOR_TRAINER_KEY" size="32" required>
      <button type="submit">Open dashboard</button>
    </form>
  </section>
  <div class="cards">
    <div class="card"><div class="n" id="participants">–</div><div class="label">participants</div></div>
    <div class="card"><div class="n" id="questions">–</div><div class="label">questions</div></div>
    <div class="card"><div class="n" id="not-covered-n">–</div><div class="label">not covered by the strategy</div></div>
    <div class="card"><div class="n" id="rated-down-n">–</div><div class="label">answers rated down</div></div>
  </div>
  <section><h2>Focus areas asked about</h2><div id="focus-areas"></div></section>
  <section><h2>Most-asked recommendations</h2><div id="recommendations"></div></section>
  <section><h2>Not covered by the strategy — material for discussion</h2><ul class="items" id="not-covered"></ul></section>
  <section><h2>Answers rated down</h2><ul class="items" id="rated-down"></ul></section>
  <section><h2>Words in the questions</h2><div class="words" id="words"></div></section>
  <section>
    <h2>Export and data</h2>
    <div class="tools">
      <button type="button" id="export-csv">Export CSV</button>
      <button type="button" id="export-json">Export JSON</button>
      <button type="button" class="danger" id="delete">Delete this workshop's data</button>
    </div>
  </section>
</main>
<script>
(function () {
  "use strict";
  var WORKSHOP = __WORKSHOP__;
  var REFRESH_MS = __REFRESH_MS__;
  var STORE = "advisor-trainer-key";
  var api = "/api/workshops/" + encodeURIComponent(WORKSHOP);
  var timer = null;

  var fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("key")) {
    sessionStorage.setItem(STORE, fragment.get("key"));
    history.replaceState(null, "", location.pathname + location.search);
  }

  function $(id) { return document.getElementById(id); }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } return node; }
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function empty(node, text) { clear(node).appendChild(el(node.tagName === "UL" ? "li" : "div", text, "empty")); }
  function status(text, error) { $("status").textContent = text; $("status").className = error ? "error" : ""; }
  function headers() { return { "Authorization": "Bearer " + (sessionStorage.getItem(STORE) || "") }; }

  function bars(node, counts) {
    var names = Object.keys(counts);
    if (!names.length) { return empty(node, "nothing yet"); }
    var top = Math.max.apply(null, names.map(function (n) { return counts[n]; }));
    clear(node);
    names.forEach(function (name) {
      var row = el("div", null, "bar");
      var track = el("div", null, "track");
      var fill = el("div", null, "fill");
      fill.style.width = (100 * counts[name] / top) + "%";
      track.appendChild(fill);
      row.appendChild(el("span", name));
      row.appendChild(track);
      row.appendChild(el("span", counts[name], "count"));
      node.appendChild(row);
    });
  }

  function render(s) {
    $("title").textContent = s.workshop.title;
    $("code").textContent = s.workshop.join_code;
    $("state").textContent = s.active ? "open until " + new Date(s.workshop.expires_at * 1000).toLocaleString()
                                      : "ended " + new Date(s.workshop.expires_at * 1000).toLocaleString();
    $("participants").textContent = s.participants;
    $("questions").textContent = s.questions;
    $("not-covered-n").textContent = s.not_covered.length;
    $("rated-down-n").textContent = s.rated_down.length;
    bars($("focus-areas"), s.focus_areas);
    bars($("recommendations"), s.recommendations);
    var list = $("not-covered");
    if (!s.not_covered.length) { empty(list, "every question so far was covered"); }
    else { clear(list); s.not_covered.forEach(function (q) { list.appendChild(el("li", q)); }); }
    var down = $("rated-down");
    if (!s.rated_down.length) { empty(down, "no answer rated down"); }
    else {
      clear(down);
      s.rated_down.forEach(function (r) {
        var item = el("li", r.question);
        item.appendChild(el("span", r.reason ? "Reason: " + r.reason : "no reason given", "reason"));
        down.appendChild(item);
      });
    }
    var words = $("words");
    var names = Object.keys(s.words);
    if (!names.length) { empty(words, "nothing yet"); }
    else {
      var top = s.words[names[0]];
      clear(words);
      names.forEach(function (w) {
        var span = el("span", w);
        span.title = s.words[w] + "×";
        span.style.fontSize = (0.8 + 1.4 * s.words[w] / top).toFixed(2) + "rem";
        words.appendChild(span);
      });
    }
    status("updated " + new Date().toLocaleTimeString() + " · refreshes every " + (REFRESH_MS / 1000) + " s");
  }

  function refresh() {
    return fetch(api + "/summary", { headers: headers(), cache: "no-store" }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, status: r.status, body: body }; });
    }).then(function (res) {
      if (res.status === 401 || res.status === 403) {
        $("login").hidden = false;
        stop();
        return status(res.body.error ? res.body.error.message : "the trainer key was refused", true);
      }
      if (!res.ok) { return status(res.body.error ? res.body.error.message : "error " + res.status, true); }
      $("login").hidden = true;
      render(res.body);
    }).catch(function () { status("the server did not answer; retrying", true); });
  }

  function stop() { if (timer) { clearInterval(timer); timer = null; } }
  function start() { stop(); refresh(); timer = setInterval(refresh, REFRESH_MS); }

  function download(kind) {
    fetch(api + "/export." + kind, { headers: headers() }).then(function (r) {
      if (!r.ok) { throw new Error("export failed: " + r.status); }
      return r.blob();
    }).then(function (blob) {
      var link = el("a");
      link.href = URL.createObjectURL(blob);
      link.download = "workshop-" + WORKSHOP + "." + kind;
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    }).catch(function (e) { status(e.message, true); });
  }

  $("login-form").addEventListener("submit", function (event) {
    event.preventDefault();
    sessionStorage.setItem(STORE, $("key").value);
    $("key").value = "";
    start();
  });
  $("export-csv").addEventListener("click", function () { download("csv"); });
  $("export-json").addEventListener("click", function () { download("json"); });
  $("delete").addEventListener("click", function () {
    if (!confirm("Delete this workshop and every question logged in it? This cannot be undone.")) { return; }
    fetch(api, { method: "DELETE", headers: headers() }).then(function (r) { return r.json(); }).then(function (body) {
      stop();
      status(body.error ? body.error.message : "deleted: " + body.questions + " questions", !!body.error);
    });
  });

  if (sessionStorage.getItem(STORE)) { start(); }
})();
</script>
</body>
</html>
"""


def dashboard_html(workshop_id: str, refresh_seconds: float) -> str:
    """The page for one workshop; the id goes in as a JSON string literal (safe inside <script>)."""
    literal = json.dumps(workshop_id).replace("<", "\\u003c")
    return DASHBOARD_HTML.replace("__WORKSHOP__", literal).replace(
        "__REFRESH_MS__", str(round(refresh_seconds * MS_PER_SECOND))
    )
