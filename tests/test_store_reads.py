"""Readers never see uncommitted chunks, also on the unfiltered fast path of dense search."""

from __future__ import annotations

from pathlib import Path

from helpers import search

from advisor.components import build_advisor
from advisor.indexing.ingest import chunk_document, ingest_paths
from advisor.settings import Settings


def test_uncommitted_chunks_never_reach_dense_or_hybrid_results(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data", dense_overfetch=2, answer_cache_size=0)
    advisor = build_advisor(settings)
    store = advisor.strategy
    doc = tmp_path / "ports.md"
    doc.write_text("# Ports\n\n## Harbour data\n\nHarbour authorities should share berth data with shipping lines.\n")
    ingest_paths([doc], store, advisor.taxonomy, settings)
    committed = store.documents(fresh=True)["ports"].version

    # An ingest caught mid-way: a new version's chunks written, the manifest not yet committed.
    # Several copies make them the nearest neighbours, more than the overfetch margin.
    doc.write_text(
        "# Ports\n\n"
        + "\n\n".join(f"## Harbour data {i}\n\nHarbour authorities should share berth data, edition {i}." for i in range(6))
    )
    record, chunks = chunk_document(doc.read_text(), doc.name, "ports", store, advisor.taxonomy, settings)
    for chunk in chunks:
        chunk.metadata["doc_version"] = record.version
    store.vectors.add_documents(chunks, ids=[c.id for c in chunks])

    vector = advisor.embeddings.embed_query("Should harbour authorities share berth data?")
    hits = store.dense_search(vector, 3, store.committed_filter())
    assert hits and all(doc.metadata["doc_version"] == committed for doc, _ in hits)
    result = search(advisor, "Should harbour authorities share berth data?", "general")
    assert {p.document.metadata["doc_version"] for p in result.passages} == {committed}
