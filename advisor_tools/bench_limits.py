"""`advisor bench --parts hostile,ui`: what hostile input and many UI users cost, measured for real.

- **hostile**: `advisor ingest` of each full-scale hostile file (advisor_tools/hostile.py) in its own
  subprocess, peak RSS sampled with psutil while it runs; big documents of 20,000 and 100,000
  chunks written through the product's `Store.replace_document` in its own subprocess (vectors
  precomputed: encoding 100,000 chunks takes hours on two cores and says nothing about the store);
  the 20,000-page PDF through the real `advisor ingest`, encoder included; and a server's RSS while
  four 500 MB chunked "multipart" bodies are sent to /v1/chat/completions.
- **ui**: a real `advisor serve` and browser-like clients (gradio_client speaks the same queue/join
  + SSE protocol as the page): one user, then 30 at once, each asking one question.

Figures are written, never asserted.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.settings import PROJECT_ROOT

RSS_SAMPLE_SECONDS = 0.01  # far shorter than the time a bomb takes to inflate
MB = 2**20


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


def bench_ui(built: Path, plan: LimitsPlan, log: Callable[[str], None]) -> dict[str, Any]:
    """UI answer latency for one user, then `ui_users` at once (rate limit off: all are 127.0.0.1)."""
    from gradio_client import Client

    from advisor_tools.processes import QUESTIONS, advisor_server, summarize

    with advisor_server(built, ADVISOR_RATE_LIMIT_PER_MINUTE="0") as (url, _):
        log("UI: one user")
        alone: list[float] = []
        client = Client(url, verbose=False)
        for index in range(3):
            started = time.perf_counter()
            client.predict(QUESTIONS[index], [], "auto", api_name="/respond")
            alone.append((time.perf_counter() - started) * 1000)
        # Each user has its own session (a browser tab with the page loaded), and all ask at once:
        # first questions nobody asked before (every answer computed), then, as in a workshop where
        # participants ask the starter questions, questions the server has answered once.
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

        log(f"UI: {plan.ui_users} users at once, questions never asked before")
        unseen = at_once(lambda index: f"{QUESTIONS[index % len(QUESTIONS)]} (group {index})")
        log("UI: each question once, then")
        for question in QUESTIONS:
            client.predict(question, [], "auto", api_name="/respond")
        log(f"UI: {plan.ui_users} users at once, questions answered before")
        together = at_once(lambda index: QUESTIONS[index % len(QUESTIONS)])
    return {
        "users": plan.ui_users,
        "one_user_ms": summarize(alone),
        "unseen_ms": summarize(unseen),
        "together_ms": summarize(together),
        "answered": len(together) + len(unseen),
        "max_ms": round(max(together), 1) if together else None,
        "mean_ms": round(statistics.fmean(together), 1) if together else None,
    }


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
        lines += ["", f"UI (gradio_client, the page's protocol): one user p50 {u['one_user_ms'].get('p50')} ms; "
                      f"{u['users']} users at once, questions never asked before: p50 {u['unseen_ms'].get('p50')} / "
                      f"p95 {u['unseen_ms'].get('p95')} ms; questions answered before (a workshop's starters): "
                      f"p50 {u['together_ms'].get('p50')} / p95 {u['together_ms'].get('p95')} / max {u['max_ms']} ms "
                      f"({u['answered']} answered)."]  # fmt: skip
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
