"""Scale-out and faults with real processes: a `chroma run` server, `advisor serve` workers,
`advisor ingest` killed with SIGKILL."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from advisor.settings import PROJECT_ROOT
from advisor_tools.processes import chroma_executable, wait_http
from tests.conftest import cli_env, free_port, run_cli, start_server, stop_server

FERRY_DOC = """# Baltic Ferry Digitalisation Memo

## Ferry ticketing

Ferry operators should adopt interoperable electronic ticketing for Baltic ferry routes. Ferry operators should
publish real-time ferry departure data through open interfaces for travellers.

## Port data exchange

Port authorities should exchange ferry manifests electronically with customs across the Baltic Sea.
"""
FERRY_QUESTION = "What should Baltic ferry operators do about electronic ticketing?"


class Chroma:
    """A real `chroma run` process that can be stopped and started again on the same port and path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = (self.path.parent / f"chroma-{self.port}.log").open("a")
        self.process = subprocess.Popen(
            [chroma_executable(), "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_http(self.url + "/api/v2/heartbeat", self.process, 60)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(15)
            self.process = None


@contextmanager
def chroma(tmp_path: Path) -> Iterator[Chroma]:
    server = Chroma(tmp_path / "chroma-db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ingested_chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Chroma, Path, subprocess.CompletedProcess]]:
    """A `chroma run` server with the shipped knowledge base ingested into it by `advisor ingest`,
    shared by the two tests below that need it populated (ingesting it costs ~15 CPU-s); the second
    stops and restarts it. Yields the server, the CLI's data folder and the ingest's result."""
    folder = tmp_path_factory.mktemp("chroma-ingested")
    with chroma(folder) as server:
        cli = folder / "cli"
        yield server, cli, run_cli(["ingest"], cli, ADVISOR_CHROMA_URL=server.url, ADVISOR_RATE_LIMIT_PER_MINUTE="0")


def ask(url: str, question: str) -> httpx.Response:
    return httpx.post(url + "/api/ask", json={"question": question}, timeout=60)


def test_ingest_and_ask_through_a_chroma_server_with_two_workers(
    ingested_chroma: tuple[Chroma, Path, subprocess.CompletedProcess], tmp_path: Path
):
    """Two API workers share one Chroma server; an ingest by a third process reaches both."""
    server, cli, result = ingested_chroma
    env = {"ADVISOR_CHROMA_URL": server.url, "ADVISOR_RATE_LIMIT_PER_MINUTE": "0"}
    assert result.returncode == 0, result.stderr
    assert not (cli / "chroma").exists()  # nothing went to an embedded store
    result = run_cli(["ask", "--json", "How can SMEs join Global Gateway projects?"], cli, **env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["in_scope"]

    workers = []
    try:
        for name in ("w1", "w2"):
            (tmp_path / name).mkdir()
            workers.append(start_server(tmp_path / name, **env))
        for worker in workers:
            assert httpx.get(worker.url + "/readyz", timeout=10).status_code == 200
            r = ask(worker.url, FERRY_QUESTION)
            assert r.status_code == 200
            assert all(c["doc_id"] != "baltic-ferries" for c in r.json()["citations"])

        doc = tmp_path / "baltic-ferries.md"
        doc.write_text(FERRY_DOC)
        result = run_cli(["ingest", str(doc)], cli, **env)
        assert result.returncode == 0, result.stderr

        for worker in workers:  # visible within the manifest TTL (1 s by default)
            deadline = time.monotonic() + 15
            while True:
                body = ask(worker.url, FERRY_QUESTION).json()
                if any(c["doc_id"] == "baltic-ferries" for c in body["citations"]):
                    break
                assert time.monotonic() < deadline, f"{worker.url} never saw the new document"
                time.sleep(0.5)
            assert body["in_scope"] and "ticketing" in body["answer"].lower()
    finally:
        for worker in workers:
            stop_server(worker)


def test_chroma_server_down_gives_503_and_service_recovers(
    ingested_chroma: tuple[Chroma, Path, subprocess.CompletedProcess], tmp_path: Path
):
    server, _, ingested = ingested_chroma
    env = {"ADVISOR_CHROMA_URL": server.url, "ADVISOR_RATE_LIMIT_PER_MINUTE": "0"}
    assert ingested.returncode == 0, ingested.stderr
    (tmp_path / "data").mkdir()
    worker = start_server(tmp_path / "data", **env)
    try:
        assert httpx.get(worker.url + "/readyz", timeout=10).status_code == 200
        assert ask(worker.url, "What is the EU Tech Business Offer?").status_code == 200

        server.stop()
        time.sleep(1.5)  # past the manifest snapshot's TTL
        r = httpx.get(worker.url + "/readyz", timeout=30)
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "store_unavailable"
        r = ask(worker.url, "How should a partner country align its data protection law?")
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "store_unavailable"
        assert "unavailable" in r.json()["error"]["message"]
        assert httpx.get(worker.url + "/healthz", timeout=10).status_code == 200  # alive, not ready

        server.start()  # same port, same data: no restart of the worker
        deadline = time.monotonic() + 30
        while httpx.get(worker.url + "/readyz", timeout=30).status_code != 200:
            assert time.monotonic() < deadline, "the worker did not recover"
            time.sleep(0.5)
        r = ask(worker.url, "How should a partner country align its data protection law?")
        assert r.status_code == 200 and r.json()["in_scope"]
    finally:
        stop_server(worker)


STATE_SCRIPT = """
import json, sys
from pathlib import Path
from advisor.components import build_advisor
from advisor.settings import Settings
store = build_advisor(Settings(data_dir=Path(sys.argv[1]), manifest_cache_seconds=0)).strategy
records = store.documents(fresh=True)
print(json.dumps({
    "records": {d: [r.version, r.chunks] for d, r in records.items()},
    "visible": [[c.id, c.metadata["doc_id"], c.metadata["doc_version"]] for c in store.chunks()],
    "stored": store.count(),
}))
"""


def committed_state(data_dir: Path) -> tuple[dict[str, str], list[str], int]:
    """(doc -> committed version, visible chunk ids, all chunks stored), read by a fresh process
    (an embedded Chroma client caches segments, so a long-lived one would not see other writers)."""
    done = subprocess.run(
        [sys.executable, "-c", STATE_SCRIPT, str(data_dir)],
        capture_output=True, text=True, env=cli_env(data_dir), cwd=PROJECT_ROOT, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    records, visible = state["records"], state["visible"]
    per_doc: dict[str, int] = {}
    for _, doc_id, _ in visible:
        per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
    for doc_id, (version, chunks) in records.items():  # no half documents
        assert per_doc.get(doc_id, 0) == chunks, (doc_id, per_doc.get(doc_id), chunks)
        assert all(v == version for _, d, v in visible if d == doc_id)
    assert set(per_doc) <= set(records)
    return {d: r[0] for d, r in records.items()}, sorted(c[0] for c in visible), state["stored"]


def write_docs(folder: Path, edition: str) -> None:
    folder.mkdir(exist_ok=True)
    for n in range(5):
        sections = "\n\n".join(
            f"## Topic {n}-{s}\n\nEdition {edition}: partners should align rule {n}.{s} with the strategy. "
            f"Companies should document practice {n}.{s} for customers and regulators alike."
            for s in range(12)
        )
        (folder / f"memo-{n}.md").write_text(f"# Memo {n}\n\n{sections}\n")


def test_kill_9_during_ingest_leaves_whole_documents_and_reingest_converges(tmp_path: Path):
    docs = tmp_path / "docs"
    data = tmp_path / "data"
    write_docs(docs, "one")
    assert run_cli(["ingest", str(docs)], data).returncode == 0
    first_versions, _, _ = committed_state(data)
    write_docs(docs, "two")

    interrupted = False
    for delay in (0.0, 0.6, 1.5):  # land the kill at different points of the second ingest
        process = subprocess.Popen(
            [sys.executable, "-m", "advisor", "ingest", str(docs)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=cli_env(data),
            cwd=PROJECT_ROOT,
        )
        seen = 0
        for line in process.stderr:  # wait until the second file is under way
            seen += line.startswith("[")  # progress: "[done/total] path: outcome" after each file
            if seen >= 1:
                break
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        interrupted |= process.returncode == -signal.SIGKILL
        versions, _, _ = committed_state(data)  # asserts: every committed document whole
        assert set(versions) == set(first_versions)
        if any(versions[d] != first_versions[d] for d in versions) and any(
            versions[d] == first_versions[d] for d in versions
        ):
            break  # some documents at the new edition, some at the old: mid-way indeed
    assert interrupted

    result = run_cli(["ingest", str(docs)], data)
    assert result.returncode == 0, result.stderr
    versions, visible, stored = committed_state(data)

    reference = tmp_path / "reference"
    assert run_cli(["ingest", str(docs)], reference).returncode == 0
    ref_versions, ref_visible, ref_stored = committed_state(reference)
    assert versions == ref_versions and visible == ref_visible
    assert stored == ref_stored == len(visible)  # crash leftovers swept
    assert all(versions[d] != first_versions[d] for d in versions)

    result = run_cli(["ingest", str(docs)], data)  # and a further run changes nothing
    assert "added 0, updated 0" in result.stdout
    assert committed_state(data)[1] == visible


@pytest.mark.parametrize("question", [FERRY_QUESTION])
def test_store_errors_are_not_500s_in_the_cli(tmp_path: Path, question: str):
    """The CLI against a Chroma server that is not there: one line, exit code 3, no traceback."""
    result = run_cli(["ask", question], tmp_path / "data", ADVISOR_CHROMA_URL=f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "unavailable" in result.stderr
