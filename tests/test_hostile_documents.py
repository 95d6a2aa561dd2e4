"""Hostile and huge documents (issue 16): bombs and malformed files end in one clear line under a
memory bound, big documents are written in batches and stay all-or-nothing.

The files are generated here (advisor_tools/hostile.py) at a small scale with the shapes that broke
the product at full scale; the bench runs the full-scale ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from advisor.components import Advisor, build_advisor
from advisor.settings import PROJECT_ROOT, Settings
from advisor.storage.vectorstore import StoreError, StoreUnavailable
from advisor_tools import hostile
from advisor_tools.bench_limits import run_measured
from tests.conftest import cli_env, run_cli

# The bound for ingesting any single file ("about 500 MB"); a bomb inflated in memory
# would overshoot it by at least its inflated size.
MAX_INGEST_RSS_MB = 500
BOMB_MB = 120


def ingest_measured(folder: Path, data_dir: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """`advisor ingest FOLDER` in a subprocess, and its peak RSS in MB."""
    done = run_measured([sys.executable, "-m", "advisor", "ingest", str(folder)], cli_env(data_dir, **env), PROJECT_ROOT, data_dir)
    return subprocess.CompletedProcess([], done.returncode, done.stdout, done.stderr), done.peak_rss_mb


def fuzz_corpus(folder: Path) -> dict[str, tuple[str, str]]:
    """file name -> (expected outcome word in the progress line, words the line must contain)."""
    secret = folder.parent / "secret.txt"
    secret.write_text("TOPSECRET-7731", encoding="utf-8")
    good_docx = hostile.docx_hostile(folder / "hostile.docx")
    good_pdf = hostile.pdf_hostile(folder / "hostile.pdf")
    hostile.html_hostile(folder / "hostile.html")
    hostile.markdown_hostile(folder / "hostile.md")
    hostile.docx_bomb(folder / "bomb.docx", BOMB_MB)
    hostile.docx_lying_sizes(folder / "lying.docx", BOMB_MB)
    hostile.docx_text_node_bomb(folder / "node.docx", BOMB_MB // 4)
    hostile.docx_xxe(folder / "xxe.docx", secret)
    hostile.docx_entity_expansion(folder / "laughs.docx")
    hostile.docx_deep_nesting(folder / "deep.docx", 5000)
    hostile.docx_many_entries(folder / "entries.docx", 60)
    hostile.pdf_page_tree_loop(folder / "loop.pdf")
    hostile.pdf_many_pages(folder / "pages.pdf", 40)
    hostile.html_deep_nesting(folder / "nested.html", 50_000)
    hostile.truncated(folder / "cut.docx", good_docx)
    hostile.truncated(folder / "cut.pdf", good_pdf)
    hostile.garbage(folder / "noise.pdf", 40_000)
    hostile.garbage(folder / "noise.docx", 40_000)
    hostile.garbage(folder / "noise.html", 40_000)
    (folder / "long.md").write_text("# Long\n\n" + "Fibre ducts are mapped every spring. " * 2000, encoding="utf-8")
    return {
        "hostile.docx": ("added", ""),
        "hostile.pdf": ("added", ""),
        "hostile.html": ("added", ""),
        "hostile.md": ("added", ""),
        "nested.html": ("added", ""),  # deep, but a linear reader gets through it
        "bomb.docx": ("failed", "ADVISOR_MAX_"),
        "lying.docx": ("failed", "not a readable Word document"),
        "node.docx": ("failed", "ADVISOR_MAX_"),
        "xxe.docx": ("failed", "DTD"),
        "laughs.docx": ("failed", "DTD"),
        "deep.docx": ("failed", "not a readable Word document"),
        "entries.docx": ("failed", "ADVISOR_MAX_ZIP_ENTRIES"),
        "loop.pdf": ("failed", "not a readable PDF"),
        "pages.pdf": ("failed", "ADVISOR_MAX_PAGES"),
        "cut.docx": ("failed", "not a readable Word document"),
        "cut.pdf": ("failed", "not a readable PDF"),
        "noise.pdf": ("failed", "not a readable PDF"),
        "noise.docx": ("failed", "not a readable Word document"),
        "noise.html": ("failed", "binary"),
        "long.md": ("failed", "ADVISOR_MAX_DOCUMENT_CHARS"),
    }


def test_fuzz_corpus_ends_in_clean_refusals_or_ingests_under_the_memory_bound(data_copy: Path, tmp_path: Path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    expected = fuzz_corpus(folder)
    before = snapshot(data_copy)
    limits = {
        "ADVISOR_MAX_EXTRACTED_MB": "8",
        "ADVISOR_MAX_ZIP_ENTRIES": "50",
        "ADVISOR_MAX_PAGES": "30",
        "ADVISOR_MAX_DOCUMENT_CHARS": "50000",
    }
    result, peak_mb = ingest_measured(folder, data_copy, **limits)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    lines = {line.split(": ", 1)[0].rsplit("/", 1)[-1]: line for line in result.stderr.splitlines() if line.startswith("[")}
    for name, (outcome, words) in expected.items():
        line = lines[name]
        assert line.split(": ", 1)[1].startswith(outcome), line
        assert words in line, line
        assert str(tmp_path) not in line.split(": ", 1)[1], line  # no temporary path in the reason
    assert f"added 5, updated 0, unchanged 0, failed {len(expected) - 5}" in result.stdout
    assert peak_mb < MAX_INGEST_RSS_MB, f"peak RSS {peak_mb:.0f} MB"

    after = snapshot(data_copy)
    assert after["strategy"] == before["strategy"]  # nothing already stored changed
    stored = " ".join(str(v) for v in after["workspace"].values())
    assert "TOPSECRET" not in stored  # the external entity was never resolved
    assert hostile.HOSTILE_TITLE in stored and "[click me](javascript:alert(3))" in stored  # text stays text


def snapshot(data_dir: Path) -> dict[str, dict[str, str]]:
    """chunk id -> title and text, per collection, read straight from Chroma."""
    import chromadb

    client = chromadb.PersistentClient(str(data_dir / "chroma"))
    out: dict[str, dict[str, str]] = {"strategy": {}, "workspace": {}}
    for name in out:
        try:
            raw = client.get_collection(name).get(include=["documents", "metadatas"])
        except Exception:  # noqa: BLE001 - a collection never created holds nothing
            continue
        out[name] = {i: f"{m.get('title')} {d}" for i, d, m in zip(raw["ids"], raw["documents"], raw["metadatas"])}
    return out


def _sections(count: int, word: str) -> str:
    return "# Compendium\n\n" + "".join(f"## Article {i}\n\nArticle {i} of the {word} law sets a rule.\n\n" for i in range(count))


def test_big_documents_are_written_in_batches_and_stay_all_or_nothing(data_copy: Path, tmp_path: Path, monkeypatch):
    advisor: Advisor = build_advisor(Settings(data_dir=data_copy, write_batch_size=1000))
    store = advisor.workspace
    monkeypatch.setattr(store.client, "get_max_batch_size", lambda: 7)  # Chroma's limit is what binds here
    writes: list[int] = []
    add = type(store.vectors).add_documents

    def spy(self, documents, **kwargs):  # noqa: ANN001, ANN202
        writes.append(len(documents))
        return add(self, documents, **kwargs)

    monkeypatch.setattr(type(store.vectors), "add_documents", spy)
    law = tmp_path / "compendium.md"
    law.write_text(_sections(30, "ferry"), encoding="utf-8")
    seen: list[str] = []
    report = advisor.ingest([law], collection="workspace", progress=lambda d, t, p, outcome: seen.append(outcome))
    assert report.added == ["compendium"] and report.chunks_written == 30
    assert max(writes) <= 7 and sum(writes) == 30
    assert "writing chunks 7/30" in seen and seen[-1] == "added"
    old = {c.metadata["doc_version"] for c in store.chunks()}

    # The new version fails on its third batch: the old one stays whole, the new one leaves nothing.
    calls = {"n": 0}

    def failing(self, documents, **kwargs):  # noqa: ANN001, ANN202
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("Error executing plan: Internal error: segment writer refused")
        return add(self, documents, **kwargs)

    monkeypatch.setattr(type(store.vectors), "add_documents", failing)
    law.write_text(_sections(30, "harbour"), encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        advisor.ingest([law], collection="workspace")
    assert not isinstance(caught.value, StoreUnavailable)  # a refusal is not "the store is down"
    assert "unavailable" not in str(caught.value) and "writing chunks" in str(caught.value)
    assert store.count() == 30 and {c.metadata["doc_version"] for c in store.chunks()} == old
    assert all("ferry" in c.page_content for c in store.chunks())


def test_cli_ingests_a_many_page_pdf_in_batches_with_progress(data_copy: Path, tmp_path: Path):
    """The shape of the 20,000-page PDF that failed with Chroma's batch limit, at 120 pages."""
    pdf = hostile.pdf_many_pages(tmp_path / "register.pdf", 120)
    result = run_cli(["ingest", str(pdf)], data_copy, ADVISOR_WRITE_BATCH_SIZE="50")
    assert result.returncode == 0, result.stderr
    assert "writing chunks 50/120" in result.stderr and "writing chunks 100/120" in result.stderr
    assert "added 1" in result.stdout and "120 chunks written" in result.stdout
    assert len(snapshot(data_copy)["workspace"]) == 120
