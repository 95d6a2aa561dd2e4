"""`advisor bench --parts hostile,ui`: what hostile input and many UI users cost, measured for real.

- **hostile**: `advisor ingest` of each full-scale hostile file (advisor_tools/hostile.py) in its own
  subprocess, peak RSS sampled with psutil while it runs; big documents of 20,000 and 100,000
  chunks written through the product's `Store.replace_document` in its own subprocess (vectors
  precomputed: encoding 100,000 chunks takes hours on two cores and says nothing about the store);
  the 20,000-page PDF through the real `advisor ingest`, encoder included; and a server's RSS while
  four 500 MB chunked "multipart" bodies are sent to /v1/chat/completions.
- **ui**: a real `advisor serve` and 30 users asking at once, measured twice: with `BrowserUser`, an
  asyncio client that does what the page does (loads it, runs its load events, then on "Ask" the
  page's chain of steps with the page's payloads: `run/predict` for quick steps, `queue/join` + the
  SSE stream of `queue/data` for the streamed answer), all users in one process as light as a
  browser tab's network code; and, as before, with gradio_client threads calling the one-event
  `/respond` API (heavier on the client: a thread, an SSE parser and a file download per answer).
  The tabs use aiohttp (in the bench extra) for the reason bench.py's HTTP load does.
  The bench's own CPU share is written next to each, since the clients share the server's cores.

Figures are written, never asserted.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.settings import PROJECT_ROOT

RSS_SAMPLE_SECONDS = 0.01  # far shorter than the time a bomb takes to inflate
MB = 2**20
HTTP_OK = 200
UI_TIMEOUT_S = 300  # a tab waits this long for an answer before the bench gives up on it
SESSION_HASH_CHARS = 11  # the page's session ids are 11 random characters
PARTICIPANT_CHARS = 24  # PARTICIPANT_JS's id: 12 random bytes in hex
STAT_UTIME, STAT_STIME = 11, 12  # fields of /proc/<pid>/stat after the command name


@dataclass
class Measured:
    returncode: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def run_measured(command: list[str], env: dict[str, str], cwd: Path, workdir: Path, timeout: float = 3600) -> Measured:
    """Run `command`, sampling the peak RSS of its process tree with psutil until it exits.

    (The kernel's ru_maxrss of a child also counts pages it shared with its parent before exec, so a
    caller that just built a bomb in memory would be charged for it.)"""
    import psutil

    out, err = workdir / "measured.out", workdir / "measured.err"
    peak = 0
    started = time.perf_counter()
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, cwd=cwd)
        watched = psutil.Process(process.pid)
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            try:
                peak = max(peak, watched.memory_info().rss + sum(c.memory_info().rss for c in watched.children(True)))
            except psutil.Error:
                pass
            time.sleep(RSS_SAMPLE_SECONDS)
        if process.poll() is None:
            process.kill()
        process.wait()
    return Measured(process.returncode, time.perf_counter() - started, peak / MB, out.read_text(), err.read_text())


@dataclass
class LimitsPlan:
    """Sizes of the hostile and UI measurements; `quick()` is the smoke-test size."""

    bomb_mb: float = 300  # the 3.4 MB / ~1 GB shape was refused the same way; 300 MB is what took 2 GB
    text_node_mb: float = 200
    pdf_pages: int = 20000
    big_chunks: list[int] = field(default_factory=lambda: [20000, 100000])
    multipart_mb: int = 500
    multipart_bodies: int = 4
    ui_users: int = 30

    @classmethod
    def quick(cls) -> LimitsPlan:
        return cls(bomb_mb=40, text_node_mb=20, pdf_pages=300, big_chunks=[2000], multipart_mb=20, ui_users=4)


def _ingest(path: Path, data_dir: Path, work: Path) -> dict[str, Any]:
    from advisor_tools.processes import child_env

    measured = run_measured([sys.executable, "-m", "advisor", "ingest", str(path)], child_env(data_dir), PROJECT_ROOT, work)
    lines = [line for line in measured.stderr.splitlines() if line.strip()]
    return {
        "file": path.name,
        "file_mb": round(path.stat().st_size / MB, 2),
        "exit": measured.returncode,
        "seconds": round(measured.seconds, 2),
        "peak_rss_mb": round(measured.peak_rss_mb, 1),
        "outcome": (lines[-1].split(": ", 1)[-1] if lines else measured.stdout.strip())[:240],
        "traceback": "Traceback" in measured.stderr,
    }


def bench_hostile_files(plan: LimitsPlan, work: Path, log: Callable[[str], None]) -> list[dict[str, Any]]:
    from advisor_tools import hostile

    files = work / "hostile"
    files.mkdir(exist_ok=True)
    made = [
        hostile.docx_bomb(files / f"bomb-{plan.bomb_mb:g}mb.docx", plan.bomb_mb),
        hostile.docx_lying_sizes(files / f"lying-{plan.bomb_mb:g}mb.docx", plan.bomb_mb),
        hostile.docx_text_node_bomb(files / f"text-node-{plan.text_node_mb:g}mb.docx", plan.text_node_mb),
        hostile.pdf_many_pages(files / f"pages-{plan.pdf_pages}.pdf", plan.pdf_pages),
    ]
    rows = []
    for path in made:
        log(f"hostile: ingest {path.name}")
        rows.append(_ingest(path, work / f"data-{path.stem}", work))
        path.unlink()
    return rows


def write_big_document(data_dir: Path, chunks: int) -> None:
    """One document of `chunks` one-line sections through `Store.replace_document` (child process)."""
    import numpy as np
    from langchain_core.embeddings import Embeddings

    from advisor.indexing.chunking import Section
    from advisor.indexing.ingest import chunk_loaded
    from advisor.indexing.loaders import LoadedDocument
    from advisor.offline import install_tiktoken_encodings, quiet_environment
    from advisor.settings import Settings
    from advisor.storage.vectorstore import Store, make_client
    from advisor.taxonomy import load_taxonomy

    class SeededVectors(Embeddings):
        """Precomputed-like vectors: seeded random unit vectors, so the store is measured, not the encoder."""

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            rng = np.random.default_rng(len(texts))
            vectors = rng.standard_normal((len(texts), 384)).astype(np.float32)
            return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return self.embed_documents([text])[0]

    quiet_environment()
    settings = Settings(data_dir=data_dir)
    install_tiktoken_encodings(data_dir / "tiktoken")
    store = Store(make_client(data_dir, None), "bigdoc", SeededVectors(), write_batch=settings.write_batch_size)
    sections = [
        Section((f"Article {i}",), f"Article {i}", f"Article {i} of the compendium sets rule {i} for fibre ducts.", 0, 60)
        for i in range(chunks)
    ]
    loaded = LoadedDocument("Compendium", sections, f"compendium-{chunks}", "markdown")
    started = time.perf_counter()
    record, prepared = chunk_loaded(loaded, "compendium.md", "compendium", store, load_taxonomy(settings.taxonomy_file), settings)
    chunked = time.perf_counter()
    store.replace_document(record, prepared)
    written = time.perf_counter()
    assert store.count() == chunks and store.documents()["compendium"].chunks == chunks
    print(f"chunk_seconds={chunked - started:.2f} write_seconds={written - chunked:.2f}", flush=True)


def bench_big_documents(plan: LimitsPlan, work: Path, log: Callable[[str], None]) -> list[dict[str, Any]]:
    from advisor_tools.processes import child_env

    rows = []
    for chunks in plan.big_chunks:
        log(f"big document: {chunks} chunks")
        data_dir = work / f"big-{chunks}"
        command = [sys.executable, "-m", "advisor_tools.bench_limits", "write-big", str(data_dir), str(chunks)]
        measured = run_measured(command, child_env(data_dir), PROJECT_ROOT, work)
        times = dict(part.split("=") for part in measured.stdout.split() if "=" in part)
        write_s = float(times.get("write_seconds", "nan"))
        rows.append({
            "chunks": chunks,
            "exit": measured.returncode,
            "chunk_seconds": float(times.get("chunk_seconds", "nan")),
            "write_seconds": write_s,
            "chunks_per_second": round(chunks / write_s, 1) if write_s == write_s and write_s > 0 else None,
            "peak_rss_mb": round(measured.peak_rss_mb, 1),
            "error": measured.stderr.strip().splitlines()[-1][:240] if measured.returncode else "",
        })  # fmt: skip
    return rows


def bench_multipart_bodies(built: Path, plan: LimitsPlan, log: Callable[[str], None]) -> dict[str, Any]:
    """Server RSS while chunked "multipart" bodies are sent to an endpoint that takes no files."""
    import httpx

    from advisor_tools.processes import advisor_server, rss_mb

    def body() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.bin"\r\n\r\n'
        for _ in range(plan.multipart_mb):
            yield b"x" * MB
        yield b"\r\n--b--\r\n"

    log(f"{plan.multipart_bodies} chunked {plan.multipart_mb} MB multipart bodies")
    with advisor_server(built, ADVISOR_RATE_LIMIT_PER_MINUTE="0") as (url, process):
        before = rss_mb(process.pid)
        peak = [before]
        statuses: list[str] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak.append(rss_mb(process.pid))
                time.sleep(RSS_SAMPLE_SECONDS * 10)

        def send() -> None:
            try:
                r = httpx.post(url + "/v1/chat/completions", content=body(), timeout=600,
                               headers={"Content-Type": "multipart/form-data; boundary=b"})  # fmt: skip
                statuses.append(str(r.status_code))
            except httpx.HTTPError as exc:
                statuses.append(type(exc).__name__)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        senders = [threading.Thread(target=send) for _ in range(plan.multipart_bodies)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        seconds = time.perf_counter() - started
        time.sleep(1)
        done.set()
        sampler.join()
        return {
            "bodies": plan.multipart_bodies,
            "body_mb": plan.multipart_mb,
            "statuses": statuses,
            "seconds": round(seconds, 2),
            "rss_before_mb": before,
            "rss_peak_mb": max(peak),
            "rss_after_mb": rss_mb(process.pid),
        }


class BrowserUser:
    """One browser tab: it loads the page and runs the page's load events, then asks as the page
    does on a click of "Ask" — the dependency chain of the page's config (`run/predict` for steps
    out of the queue, `queue/join` + the session's SSE stream for queued ones), with the inputs'
    values the page sends (the question, the defaults, null for server-side state)."""

    def __init__(self, url: str, config: dict[str, Any], client: Any) -> None:
        self.url, self.config, self.client = url, config, client
        self.session = uuid.uuid4().hex[:SESSION_HASH_CHARS]
        self.components = {c["id"]: c for c in config["components"]}
        self.values = {i: self._default(c) for i, c in self.components.items()}
        participant = self._by_elem_id("participant")
        if participant is not None:  # the page's PARTICIPANT_JS gives each browser a random id
            self.values[participant] = uuid.uuid4().hex[:PARTICIPANT_CHARS]

    @staticmethod
    def _default(component: dict[str, Any]) -> Any:
        props = component.get("props", {})
        if component["type"] == "state":
            return None
        if component["type"] == "browserstate":
            return props.get("default_value")
        return props.get("value", "")

    def _by_elem_id(self, elem_id: str) -> int | None:
        return next((i for i, c in self.components.items() if c.get("props", {}).get("elem_id") == elem_id), None)

    def _payload(self, dependency: dict[str, Any], trigger: int | None) -> dict[str, Any]:
        return {"data": [self.values[i] for i in dependency["inputs"]], "event_data": None,
                "fn_index": dependency["id"], "trigger_id": trigger, "session_hash": self.session}  # fmt: skip

    async def _run(self, dependency: dict[str, Any], trigger: int | None) -> bool:
        """One step: True when it succeeded."""
        api = self.url + "/gradio_api"
        if dependency.get("queue") is False:
            async with self.client.post(api + "/run/predict", json=self._payload(dependency, trigger)) as response:
                await response.read()
                return response.status == HTTP_OK
        async with self.client.post(api + "/queue/join", json=self._payload(dependency, trigger)) as joined:
            if joined.status != HTTP_OK:
                return False
            event_id = (await joined.json())["event_id"]
        async with self.client.get(api + "/queue/data", params={"session_hash": self.session}) as stream:
            async for line in stream.content:
                if not line.startswith(b"data:"):
                    continue
                message = json.loads(line[len(b"data:") :])
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    return bool(message.get("success"))
        return False

    async def _chain(self, first: dict[str, Any], trigger: int | None) -> bool:
        """A dependency and the `.then` / `.success` steps after it, as the page runs them."""
        ok = True
        step: dict[str, Any] | None = first
        while step is not None:
            if step.get("backend_fn"):
                ok = await self._run(step, trigger)
            step = next(
                (d for d in self.config["dependencies"]
                 if d.get("trigger_after") == step["id"] and (ok or not d.get("trigger_only_on_success"))),
                None,
            )  # fmt: skip
        return ok

    async def open(self) -> None:
        """The page: its HTML (with its config) and its load events."""
        async with self.client.get(self.url + "/") as page:
            await page.read()
        for dependency in self.config["dependencies"]:
            if any(event == "load" for _, event in dependency["targets"]) and dependency.get("trigger_after") is None:
                await self._chain(dependency, dependency["targets"][0][0])

    async def ask(self, question: str) -> bool:
        """Type the question and click "Ask"; True once the whole chain has succeeded."""
        box, ask = self._by_elem_id("question"), self._by_elem_id("ask")
        self.values[box] = question
        clicked = next(d for d in self.config["dependencies"] if [ask, "click"] in d["targets"] and d.get("backend_fn"))
        return await self._chain(clicked, ask)


def browser_users_at_once(url: str, questions: list[str], server_pid: int | None = None) -> tuple[list[float], int, dict[str, float]]:
    """Each question asked by its own browser tab, all at once (the tabs have loaded the page
    before); milliseconds from the click to the answer at rest, how many failed, and (with
    `server_pid`) the CPU seconds of the asking alone: 30 page loads cost the server more than
    30 answers to questions seen before, and are not what is measured."""
    import asyncio

    import aiohttp

    async def run() -> tuple[list[float], int, dict[str, float]]:
        timeout = aiohttp.ClientTimeout(total=UI_TIMEOUT_S)
        # One session (connection pool) per tab, as each browser has its own; aiohttp, not httpx:
        # httpx's async client cost several times its CPU (see bench.py's _load). A read buffer of
        # a MB: an SSE message is one line, and aiohttp refuses lines over twice the buffer.
        clients = [aiohttp.ClientSession(timeout=timeout, read_bufsize=MB) for _ in questions]
        try:
            async with clients[0].get(url + "/config") as response:
                config = await response.json()
            users = [BrowserUser(url, config, client) for client in clients]
            await asyncio.gather(*(user.open() for user in users))
            start = asyncio.Event()
            took: list[float] = []
            failed = 0

            async def one(user: BrowserUser, question: str) -> None:
                nonlocal failed
                await start.wait()
                started = time.perf_counter()
                if await user.ask(question):
                    took.append((time.perf_counter() - started) * 1000)
                else:
                    failed += 1

            tasks = [asyncio.create_task(one(user, q)) for user, q in zip(users, questions, strict=True)]
            await asyncio.sleep(0)
            before = cpu_now(server_pid)
            start.set()
            await asyncio.gather(*tasks)
            return took, failed, cpu_used(before, cpu_now(server_pid))
        finally:
            await asyncio.gather(*(client.close() for client in clients))

    return asyncio.run(run())


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[STAT_UTIME]) + int(fields[STAT_STIME])) / os.sysconf("SC_CLK_TCK")


def cpu_now(server_pid: int | None) -> tuple[float, float]:
    """The bench's and the server's CPU seconds so far (the server's 0 without a pid)."""
    return cpu_seconds(os.getpid()), cpu_seconds(server_pid) if server_pid else 0.0


def cpu_used(before: tuple[float, float], after: tuple[float, float]) -> dict[str, float]:
    bench, server = after[0] - before[0], after[1] - before[1]
    share = bench / (bench + server) if bench + server > 0 else 0.0
    return {"bench_cpu_s": round(bench, 2), "server_cpu_s": round(server, 2), "bench_cpu_share": round(share, 3)}


def measured_round(server_pid: int, run: Callable[[], list[float]]) -> tuple[list[float], dict[str, float]]:
    """Run one round of users; with the bench's and the server's CPU seconds during it."""
    before = cpu_now(server_pid)
    took = run()
    return took, cpu_used(before, cpu_now(server_pid))


def bench_ui(built: Path, plan: LimitsPlan, log: Callable[[str], None]) -> dict[str, Any]:
    """UI answer latency for one user, then `ui_users` at once (rate limit off: all are 127.0.0.1):
    with browser-like tabs (the figure the target is about), then with gradio_client threads."""
    from gradio_client import Client

    from advisor_tools.processes import QUESTIONS, advisor_server, summarize

    result: dict[str, Any] = {"users": plan.ui_users}
    with advisor_server(built, ADVISOR_RATE_LIMIT_PER_MINUTE="0") as (url, server):
        log("UI: one user")
        alone: list[float] = []
        client = Client(url, verbose=False)
        for index in range(3):
            started = time.perf_counter()
            client.predict(QUESTIONS[index], [], "auto", api_name="/respond")
            alone.append((time.perf_counter() - started) * 1000)
        result["one_user_ms"] = summarize(alone)
        # One tab alone, with questions not asked before either (the next three).
        browser_alone = [browser_users_at_once(url, [QUESTIONS[index]])[0][0] for index in range(3, 6)]
        result["browser_one_user_ms"] = summarize(browser_alone)

        def unseen(index: int) -> str:
            # "(group N)" as the bench has always asked: a suffix's words change what an answer
            # costs ("(browser group N)" took ~3x the server CPU), so figures stay comparable only
            # with the same one. The gradio_client round asks groups N + users: both miss the cache.
            return f"{QUESTIONS[index % len(QUESTIONS)]} (group {index})"

        def seen(index: int) -> str:
            return QUESTIONS[index % len(QUESTIONS)]

        # All ask at once: first questions nobody asked before (every answer computed), then, as in
        # a workshop where participants ask the starter questions, questions answered once before.
        log(f"UI: {plan.ui_users} browser-like users at once, questions never asked before")
        failed = 0

        def browsers(question_of: Callable[[int], str]) -> tuple[dict[str, float], dict[str, float]]:
            nonlocal failed
            took, missed, cpu = browser_users_at_once(url, [question_of(index) for index in range(plan.ui_users)], server.pid)
            failed += missed
            return summarize(took), cpu

        result["browser_unseen_ms"], result["browser_unseen_cpu"] = browsers(unseen)
        for question in QUESTIONS:
            client.predict(question, [], "auto", api_name="/respond")
        log(f"UI: {plan.ui_users} browser-like users at once, questions answered before")
        result["browser_together_ms"], result["browser_together_cpu"] = browsers(seen)
        result["browser_failed"] = failed

        # The same with gradio_client threads, each its own session, calling the one-event /respond.
        clients = [Client(url, verbose=False) for _ in range(plan.ui_users)]

        def at_once(question_of: Callable[[int], str]) -> list[float]:
            took: list[float] = []
            start = threading.Barrier(plan.ui_users)

            def ask(index: int) -> None:
                start.wait()
                started = time.perf_counter()
                clients[index].predict(question_of(index), [], "auto", api_name="/respond")
                took.append((time.perf_counter() - started) * 1000)

            users = [threading.Thread(target=ask, args=(index,)) for index in range(plan.ui_users)]
            for user in users:
                user.start()
            for user in users:
                user.join()
            return took

        log(f"UI: {plan.ui_users} gradio_client users at once, questions never asked before")
        unseen_ms, result["unseen_cpu"] = measured_round(server.pid, lambda: at_once(lambda index: unseen(index + plan.ui_users)))
        log(f"UI: {plan.ui_users} gradio_client users at once, questions answered before")
        together, result["together_cpu"] = measured_round(server.pid, lambda: at_once(seen))
    result.update({
        "unseen_ms": summarize(unseen_ms),
        "together_ms": summarize(together),
        "answered": len(together) + len(unseen_ms),
        "max_ms": round(max(together), 1) if together else None,
        "mean_ms": round(statistics.fmean(together), 1) if together else None,
    })  # fmt: skip
    return result


def markdown(result: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if result.get("hostile_files"):
        lines += ["", "## Hostile files (`advisor ingest`, one subprocess each, peak RSS sampled)", "",
                  "| File | MB | Exit | Seconds | Peak RSS MB | Outcome |", "| --- | ---: | ---: | ---: | ---: | --- |"]  # fmt: skip
        for row in result["hostile_files"]:
            outcome = row["outcome"].replace("|", "/")
            lines.append(f"| {row['file']} | {row['file_mb']} | {row['exit']} | {row['seconds']} | {row['peak_rss_mb']} | {outcome} |")
    if result.get("big_documents"):
        lines += ["", "## One big document (`Store.replace_document`, precomputed vectors)", "",
                  "| Chunks | Chunk s | Write s | Chunks/s | Peak RSS MB | Exit |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for row in result["big_documents"]:
            lines.append(f"| {row['chunks']} | {row['chunk_seconds']} | {row['write_seconds']} | {row['chunks_per_second']} | "
                         f"{row['peak_rss_mb']} | {row['exit']} |")  # fmt: skip
    if result.get("multipart_bodies"):
        m = result["multipart_bodies"]
        lines += ["", f"Multipart bodies: {m['bodies']} x {m['body_mb']} MB chunked to /v1/chat/completions: statuses "
                      f"{m['statuses']} in {m['seconds']} s; server RSS {m['rss_before_mb']} -> peak {m['rss_peak_mb']} -> "
                      f"{m['rss_after_mb']} MB."]  # fmt: skip
    if result.get("ui"):
        u = result["ui"]
        if u.get("browser_together_ms"):
            lines += ["", f"UI (browser-like tabs: the page's requests and chain of steps): one user p50 "
                          f"{u['browser_one_user_ms'].get('p50')} ms; {u['users']} users at once, questions never asked "
                          f"before: p50 {u['browser_unseen_ms'].get('p50')} / p95 {u['browser_unseen_ms'].get('p95')} ms "
                          f"(bench CPU share {u['browser_unseen_cpu']['bench_cpu_share']:.0%}); questions answered before: "
                          f"p50 {u['browser_together_ms'].get('p50')} / p95 {u['browser_together_ms'].get('p95')} ms "
                          f"(bench CPU share {u['browser_together_cpu']['bench_cpu_share']:.0%}); {u['browser_failed']} failed."]  # fmt: skip
        shares = ""
        if u.get("together_cpu"):
            shares = (f" Bench CPU share {u['unseen_cpu']['bench_cpu_share']:.0%} (never asked) and "
                      f"{u['together_cpu']['bench_cpu_share']:.0%} (answered before).")  # fmt: skip
        lines += ["", f"UI (gradio_client threads, the one-event /respond API): one user p50 {u['one_user_ms'].get('p50')} ms; "
                      f"{u['users']} users at once, questions never asked before: p50 {u['unseen_ms'].get('p50')} / "
                      f"p95 {u['unseen_ms'].get('p95')} ms; questions answered before (a workshop's starters): "
                      f"p50 {u['together_ms'].get('p50')} / p95 {u['together_ms'].get('p95')} / max {u['max_ms']} ms "
                      f"({u['answered']} answered).{shares}"]  # fmt: skip
    return lines


def run_limits(parts: set[str], plan: LimitsPlan, built: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """The hostile and ui parts of `advisor bench`; `built` is a data folder with the knowledge indexed."""
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="advisor-bench-limits-") as tmp:
        work = Path(tmp)
        if "hostile" in parts:
            result["hostile_files"] = bench_hostile_files(plan, work, log)
            result["big_documents"] = bench_big_documents(plan, work, log)
            result["multipart_bodies"] = bench_multipart_bodies(built, plan, log)
        if "ui" in parts:
            result["ui"] = bench_ui(built, plan, log)
    return result


if __name__ == "__main__":  # `python -m advisor_tools.bench_limits write-big DATA_DIR CHUNKS` (a measured child)
    if len(sys.argv) == 4 and sys.argv[1] == "write-big":
        write_big_document(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        sys.exit("usage: python -m advisor_tools.bench_limits write-big DATA_DIR CHUNKS")
