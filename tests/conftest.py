"""Shared fixtures: one built index per test session, real subprocesses and real servers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from advisor.service import Advisor, build_advisor
from advisor.settings import PROJECT_ROOT, Settings

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_") and not k.startswith("OPENAI_")}
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
def built_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the shipped knowledge base ingested once for the whole session."""
    data_dir = tmp_path_factory.mktemp("data-built")
    advisor = build_advisor(Settings(data_dir=data_dir))
    advisor.ingest()
    return data_dir


@pytest.fixture()
def data_copy(built_data_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the built index, for tests that write or run another process."""
    target = tmp_path / "data"
    shutil.copytree(built_data_dir, target)
    return target


@pytest.fixture(scope="session")
def settings(built_data_dir: Path) -> Settings:
    return Settings(data_dir=built_data_dir)


@pytest.fixture(scope="session")
def advisor(settings: Settings) -> Advisor:
    return build_advisor(settings)


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
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return LiveServer(process, url, data_dir)
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    process.kill()
    raise RuntimeError("server did not start in time")


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def live_server(built_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("data-server")
    shutil.copytree(built_data_dir, data_dir, dirs_exist_ok=True)
    server = start_server(data_dir)
    yield server
    stop_server(server)
