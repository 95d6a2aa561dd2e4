from pathlib import Path

import pytest

from advisor.components import build_advisor
from advisor.indexing.ingest import IngestError, ingest_paths
from advisor.settings import Settings


def snapshot(store):
    raw = store.vectors.get(include=["metadatas"])
    return sorted(zip(raw["ids"], (m["content_hash"] for m in raw["metadatas"]))), store.documents()


def test_ingest_twice_changes_nothing(data_copy: Path):
    advisor = build_advisor(Settings(data_dir=data_copy))
    before = snapshot(advisor.strategy)
    report = advisor.ingest()
    assert report.unchanged == ["eu-international-digital-strategy"]
    assert not report.added and not report.updated and report.chunks_written == 0
    after = snapshot(advisor.strategy)
    assert before[0] == after[0]
    assert {k: v.version for k, v in before[1].items()} == {k: v.version for k, v in after[1].items()}


def test_changed_file_replaces_its_chunks_as_a_unit(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data")
    advisor = build_advisor(settings)
    doc = tmp_path / "notes.md"
    doc.write_text("# Notes\n\n## Alpha\n\nAlpha text about cables.\n\n## Beta\n\nBeta text about identity.\n")
    first = ingest_paths([doc], advisor.strategy, advisor.taxonomy, settings)
    assert first.added == ["notes"]
    doc.write_text("# Notes\n\n## Alpha\n\nAlpha text about satellites.\n")
    second = ingest_paths([doc], advisor.strategy, advisor.taxonomy, settings)
    assert second.updated == ["notes"]
    chunks = advisor.strategy.chunks()
    assert [c.metadata["title"] for c in chunks] == ["Alpha"]
    assert "satellites" in chunks[0].page_content
    assert advisor.strategy.count() == 1  # the old version's chunks are gone, not just hidden


def test_orphans_from_an_interrupted_ingest_are_swept(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data")
    advisor = build_advisor(settings)
    doc = tmp_path / "a.md"
    doc.write_text("# A\n\n## One\n\nFirst version text.\n")
    ingest_paths([doc], advisor.strategy, advisor.taxonomy, settings)
    # Simulate a crash after the new chunks were written but before the manifest commit.
    from advisor.indexing.ingest import chunk_document

    doc.write_text("# A\n\n## One\n\nSecond version text.\n")
    record, chunks = chunk_document(doc.read_text(), doc.name, "a", advisor.strategy, advisor.taxonomy, settings)
    for c in chunks:
        c.metadata["doc_version"] = record.version
    advisor.strategy.vectors.add_documents(chunks, ids=[c.id for c in chunks])
    visible = advisor.strategy.chunks()
    assert [c.page_content for c in visible] == ["One: First version text."]  # readers see the old version only
    report = advisor.ingest([doc])  # the one write path sweeps what a crashed write left
    assert report.orphans_swept == 1 and report.updated == ["a"]
    assert [c.page_content for c in advisor.strategy.chunks()] == ["One: Second version text."]
    assert advisor.strategy.count() == 1


def test_bad_files_fail_clearly_and_write_nothing(tmp_path: Path):
    settings = Settings(data_dir=tmp_path / "data")
    advisor = build_advisor(settings)
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "empty.md").write_text("   \n")
    (tmp_path / "img.png").write_bytes(b"\x89PNG")
    report = ingest_paths(
        [tmp_path / "bin.txt", tmp_path / "empty.md", tmp_path / "img.png"], advisor.strategy, advisor.taxonomy, settings
    )
    messages = [m for _, m in report.failed]
    assert any("not valid UTF-8" in m for m in messages)
    assert any("contains no text" in m for m in messages)
    assert any("unsupported file type" in m for m in messages)
    assert advisor.strategy.count() == 0 and advisor.strategy.documents() == {}
    with pytest.raises(IngestError, match="no such file"):
        ingest_paths([tmp_path / "missing.md"], advisor.strategy, advisor.taxonomy, settings)
