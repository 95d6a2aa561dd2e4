"""Shared fixtures: one built index per test session, real subprocesses and real servers.

`pytest --chroma-server` (or ADVISOR_TEST_CHROMA_SERVER=1) runs the same suite against a real
`chroma run` server on 127.0.0.1 instead of the embedded store: every test gets its own Chroma
database on that server (ADVISOR_CHROMA_DATABASE), and the built index is cloned into it where
the embedded mode copies the data directory.
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from advisor.settings import PROJECT_ROOT, Settings

if TYPE_CHECKING:
    from advisor.components import Advisor

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
SERVER_ENV = ("ADVISOR_CHROMA_URL", "ADVISOR_CHROMA_DATABASE")  # passed on to subprocesses
BUILT_DB = "built"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--chroma-server", action="store_true", help="Run against a real `chroma run` server.")


@pytest.fixture(scope="session", autouse=True)
def _offline_tiktoken(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Token counting (chunking) needs the packaged encodings in place whichever test runs first."""
    from advisor.offline import install_tiktoken_encodings

    install_tiktoken_encodings(tmp_path_factory.mktemp("tiktoken"))


@pytest.fixture(scope="session")
def chroma_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """The URL of the session's Chroma server, or None in embedded mode."""
    if not (request.config.getoption("--chroma-server") or os.environ.get("ADVISOR_TEST_CHROMA_SERVER")):
        yield None
        return
    from advisor_tools.processes import chroma_server

    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "db") as url:
        yield url


@pytest.fixture(autouse=True)
def _own_chroma_database(chroma_url: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Server mode: a fresh database per test, seen by Settings() and by subprocesses alike."""
    if chroma_url:
        monkeypatch.setenv("ADVISOR_CHROMA_URL", chroma_url)
        monkeypatch.setenv("ADVISOR_CHROMA_DATABASE", f"t{uuid.uuid4().hex[:12]}")
    else:  # a developer's exported server settings must not leak into the embedded run
        for name in SERVER_ENV:
            monkeypatch.delenv(name, raising=False)


# -- Scheduling under `pytest -n 2 --dist loadfile` -------------------------------------------------
# xdist hands out whole files, most tests first, so files of one or four tests that take a minute or
# two (test_scale_faults, test_workshop_browser) started last and the other worker sat idle at the end.
# Longest first instead, by these wall seconds (measured on an otherwise idle two-core box under
# `pytest -n 2 --dist loadfile`); a file not listed counts a tenth of a second a test. Only the order
# changes: each file still runs whole on one worker. The files of a RUN_TOGETHER group go to the same
# worker one after another, so a session-scoped fixture they share (a server) is set up once rather
# than once on each worker.
FILE_SECONDS = {
    "test_ui_browser.py": 120, "test_eval_gate.py": 100, "test_scale_faults.py": 80, "test_abuse.py": 75,
    "test_api_chat.py": 65, "test_documents.py": 55, "test_workshop_api.py": 52, "test_security.py": 45,
    "test_plan.py": 40, "test_llm_backend.py": 38, "test_cli.py": 28, "test_eval_judge.py": 21,
    "test_disk_full.py": 20, "test_output_safety.py": 20, "test_workshop_browser.py": 20, "test_replay.py": 14,
    "test_hostile_documents.py": 12, "test_scope.py": 10, "test_compose.py": 9, "test_workshop_store.py": 7,
    "test_audience_model.py": 4, "test_planted.py": 2, "test_api.py": 1,
}
# test_security's fuzz run needs no settings of its own, so it uses `live_server` too.
RUN_TOGETHER = (("test_api.py", "test_documents.py", "test_plan.py", "test_security.py"),)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class LongestFileFirst(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            name = path.rsplit("/", 1)[-1]
            return next(("+".join(group) for group in RUN_TOGETHER if name in group), path)

        def _assign_work_unit(self, node: Any) -> None:
            if not getattr(self, "ordered", False):  # the first call, once the queue is filled
                self.ordered = True
                units = sorted(self.workqueue.items(), key=lambda unit: -expected_seconds(*unit))
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return LongestFileFirst(config, log)


def expected_seconds(scope: str, tests: dict[str, bool]) -> float:
    names = scope.rsplit("/", 1)[-1].split("+")
    return sum(FILE_SECONDS.get(name, 0.0) for name in names) or 0.1 * len(tests)


def clone_database(chroma_url: str, source: str, target: str) -> None:
    """Copy every collection of one server database into another (the server-mode `copytree`)."""
    from advisor.storage.embeddings import MiniLMChromaEmbeddingFunction
    from advisor.storage.vectorstore import make_client

    src = make_client(Path("."), chroma_url, source)
    dst = make_client(Path("."), chroma_url, target)
    for col in src.list_collections():
        name = col.name if hasattr(col, "name") else str(col)
        data = src.get_collection(name).get(include=["embeddings", "documents", "metadatas"])
        plain = "--" in name  # manifest and sentence side collections carry no embedding function
        new = dst.get_or_create_collection(
            name,
            embedding_function=None if plain else MiniLMChromaEmbeddingFunction(),
            configuration=None if plain else {"hnsw": {"space": "cosine"}},
        )
        for i in range(0, len(data["ids"]), 1000):
            new.add(
                ids=data["ids"][i : i + 1000],
                embeddings=data["embeddings"][i : i + 1000],
                documents=None if plain else data["documents"][i : i + 1000],
                metadatas=data["metadatas"][i : i + 1000] if any(data["metadatas"][i : i + 1000]) else None,
            )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith("ADVISOR_") or k in SERVER_ENV) and not k.startswith("OPENAI_")
    }
    env.update({"ADVISOR_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **extra})
    return env


def run_cli(args: list[str], data_dir: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `advisor ...` as a user would: a separate process with its own environment."""
    return subprocess.run(
        [sys.executable, "-m", "advisor", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cli_env(data_dir, **env),
        cwd=PROJECT_ROOT,
    )


@pytest.fixture(scope="session")
def built_data_dir(tmp_path_factory: pytest.TempPathFactory, chroma_url: str | None) -> Path:
    """A data directory with the shipped knowledge base ingested once for the whole session.

    Under xdist the workers share one build: the first worker to need it ingests into the run's
    common temporary folder while holding a lock, and every worker copies that folder into its own
    (so no two processes open the same embedded store). Server mode builds per worker, since each
    worker has its own Chroma server."""
    from advisor.components import build_advisor  # here: the xdist controller never loads the product

    data_dir = tmp_path_factory.mktemp("data-built")
    if chroma_url or not os.environ.get("PYTEST_XDIST_WORKER"):
        build_advisor(Settings(data_dir=data_dir, chroma_url=chroma_url, chroma_database=BUILT_DB)).ingest()
        return data_dir
    run_root = tmp_path_factory.getbasetemp().parent  # shared by the workers of this run
    shared = run_root / "data-built-shared"
    with (run_root / "data-built-shared.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (shared / ".complete").exists():
            shutil.rmtree(shared, ignore_errors=True)  # a build interrupted by a crashed worker
            build_advisor(Settings(data_dir=shared)).ingest()
            (shared / ".complete").touch()
    shutil.copytree(shared, data_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".complete"))
    return data_dir


@pytest.fixture()
def data_copy(built_data_dir: Path, tmp_path: Path, chroma_url: str | None) -> Path:
    """A private copy of the built index, for tests that write or run another process."""
    target = tmp_path / "data"
    shutil.copytree(built_data_dir, target)
    if chroma_url:
        clone_database(chroma_url, BUILT_DB, os.environ["ADVISOR_CHROMA_DATABASE"])
    return target


@pytest.fixture(scope="session")
def settings(built_data_dir: Path, chroma_url: str | None) -> Settings:
    return Settings(data_dir=built_data_dir, chroma_url=chroma_url, chroma_database=BUILT_DB)


@pytest.fixture(scope="session")
def advisor(settings: Settings) -> Advisor:
    from advisor.components import build_advisor

    return build_advisor(settings)


CHROMIUM = Path("/usr/bin/chromium")  # Debian's, installed by scripts/ensure-chromium.sh
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium for the browser tests, quiet on the network; skips where it is missing."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (make test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class LiveServer:
    def __init__(self, process: subprocess.Popen[str], url: str, data_dir: Path) -> None:
        self.process = process
        self.url = url
        self.data_dir = data_dir


def start_server(data_dir: Path, **env: str) -> LiveServer:
    """`advisor serve` in a subprocess on a free loopback port; waits until /healthz answers."""
    port = free_port()
    log = open(data_dir / f"server-{port}.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "advisor", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        env=cli_env(data_dir, **env),
        cwd=PROJECT_ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(data_dir / f'server-{port}.log').read_text()}")
        # A bare connect costs microseconds; an httpx.get ~30 ms of CPU (it loads the CA bundle for
        # its TLS context every call), which added up to about a second per start while polling.
        if port_open(port):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    return LiveServer(process, url, data_dir)
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start in time")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def live_server(
    built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory, chroma_url: str | None
) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("data-server")
    shutil.copytree(built_data_dir, data_dir, dirs_exist_ok=True)
    env = {"ADVISOR_RATE_LIMIT_PER_MINUTE": "0"}  # many tests share it; the limiter has its own test
    if chroma_url:
        clone_database(chroma_url, BUILT_DB, "live-server")
        env |= {"ADVISOR_CHROMA_URL": chroma_url, "ADVISOR_CHROMA_DATABASE": "live-server"}
    server = start_server(data_dir, **env)
    yield server
    stop_server(server)


# Tests that build an index, start a server or a browser, or run the CLI are marked `slow`;
# `pytest -m "not slow"` runs the pure-logic tests alone, without the ONNX model.
_HEAVY_FIXTURES = {"built_data_dir", "live_server", "llm", "page", "eval_run"}
_HEAVY_CALLS = ("run_cli(", "build_advisor(", "start_server(", "RunningServer(")
_HEAVY_MODULES = {"test_cli", "test_ui_browser", "test_scale_faults", "test_eval_gate"}


@functools.cache
def _calls_something_heavy(function: Any) -> bool:  # once per function, not per parametrized case
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        source = ""
    return any(call in source for call in _HEAVY_CALLS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        function = getattr(item, "function", None)
        heavy_call = function is not None and _calls_something_heavy(function)
        if _HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())) or module in _HEAVY_MODULES or heavy_call:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server started for this run on a loopback port (tests/pg.py); skips with the
    reason when none can be started here."""
    from tests.pg import PostgresUnavailable, postgres_server

    try:
        with postgres_server(free_port()) as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL server: {exc}")
