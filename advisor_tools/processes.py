"""Processes the benchmarks start and measure: loopback servers (`advisor serve`, `chroma run`),
their environment, their memory, and how timings are summarised. Shared by `advisor bench`
(advisor_tools/bench.py) and its hostile/UI parts (advisor_tools/bench_limits.py), and by tests
that start a Chroma server.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from advisor.settings import PROJECT_ROOT

QUESTIONS = (
    "How can my startup qualify for EU funding?",
    "Which steps should our ministry take to make our digital ID recognised in the EU?",
    "What does the strategy say about cybersecurity cooperation?",
    "How should a partner country align its data protection law?",
    "What is the EU Tech Business Offer?",
    "How can SMEs join Global Gateway projects?",
    "What does the strategy recommend on AI governance?",
    "How do we take part in submarine cable and connectivity projects?",
    "What are the strategic objectives of the International Digital Strategy?",
    "How should governments prepare for digital public infrastructure investments?",
    "What role does Team Europe play?",
    "How can tech companies work with EU Digital Partnerships?",
    "What should we do about online platforms regulation?",
    "How does the strategy address semiconductors and supply chains?",
    "Which focus areas matter for a software SME exporting to Africa?",
    "What is the weather in Brussels tomorrow?",
    "What is the total budget of the EU Tech Business Offer in euros?",
    "How can our agency cooperate on the Budapest Convention on cybercrime?",
    "What does the strategy say about quantum and high-performance computing?",
    "How should trainers explain the strategy to civil servants?",
)


def summarize(values_ms: list[float]) -> dict[str, float]:
    if not values_ms:
        return {"n": 0}
    ordered = sorted(values_ms)

    def pct(p: float) -> float:
        return round(float(np.percentile(ordered, p)), 2)

    return {"n": len(ordered), "p50": pct(50), "p95": pct(95), "mean": round(statistics.fmean(ordered), 2)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    env.update({"ADVISOR_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **extra})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    return env


def wait_http(url: str, process: subprocess.Popen, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:4]} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


@contextmanager
def loopback_server(
    command: list[str], port: int, health_path: str, log_path: Path, env: dict[str, str], timeout: float,
    cwd: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """A server subprocess on 127.0.0.1:`port`, ready once `health_path` answers 200; stopped on exit."""
    log = log_path.open("w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_http(url + health_path, process, timeout)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@contextmanager
def advisor_server(data_dir: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    command = [sys.executable, "-m", "advisor", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log_path = data_dir / f"bench-server-{port}.log"
    with loopback_server(command, port, "/healthz", log_path, child_env(data_dir, **env), 120, PROJECT_ROOT) as server:
        yield server


def chroma_executable() -> str:
    local = Path(sys.executable).with_name("chroma")
    return str(local) if local.exists() else "chroma"


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """`chroma run` on a free loopback port; yields its URL."""
    port = free_port()
    command = [chroma_executable(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with loopback_server(command, port, "/api/v2/heartbeat", path.parent / f"chroma-{port}.log", env, 60) as (url, _):
        yield url


def rss_mb(pid: int) -> float:
    import psutil

    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            pass
    return round(total / 2**20, 1)


# -- product measurements -----------------------------------------------------------------------
