from pathlib import Path

import pytest

from advisor.indexing.chunking import chunk_markdown, count_tokens
from advisor.offline import install_tiktoken_encodings
from advisor.settings import Settings
from advisor.taxonomy import load_taxonomy

SETTINGS = Settings()
DOC = SETTINGS.knowledge_dir / "eu-international-digital-strategy.md"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(SETTINGS.taxonomy_file)


@pytest.fixture(scope="module")
def chunks(taxonomy, tmp_path_factory):
    install_tiktoken_encodings(tmp_path_factory.mktemp("tiktoken"))
    return chunk_markdown(DOC.read_text(encoding="utf-8"), DOC.name, taxonomy)


def test_every_recommendation_is_its_own_chunk_with_title_and_audience(chunks, taxonomy):
    recs = [c for c in chunks if c.metadata["kind"] == "recommendation"]
    assert len(recs) == 16
    by_section = {c.metadata["section_id"]: c for c in recs}
    for rec in taxonomy.recommendations:
        chunk = by_section[rec.id]
        assert chunk.metadata["title"] == rec.title
        assert chunk.metadata["audience"] == rec.audience
        assert chunk.metadata["focus_areas"].split(",") == list(rec.serves)
        assert chunk.page_content.startswith(rec.title + ": ")
    assert by_section["biz-tech-offer"].metadata["title"] == "Leverage the EU Tech Business Offer and Investment Initiatives"


def test_objectives_and_focus_areas_are_chunks(chunks, taxonomy):
    ids = {c.metadata["section_id"]: c for c in chunks}
    for area in taxonomy.areas:
        assert ids[area.id].metadata["kind"] == area.kind
        assert ids[area.id].metadata["audience"] == "general"
        assert ids[area.id].metadata["focus_areas"] == area.id


def test_metadata_spans_point_into_the_source(chunks):
    text = DOC.read_text(encoding="utf-8")
    for chunk in chunks:
        meta = chunk.metadata
        body = text[meta["start"] : meta["end"]]
        assert body and chunk.page_content.endswith(body)
        assert meta["source"] == DOC.name
        assert len(meta["content_hash"]) == 16
        assert meta["section"].endswith(meta["title"]) or meta["kind"] == "section"
    assert len({c.metadata["chunk_id"] for c in chunks}) == len(chunks)


def test_attribution_is_shipped_but_not_searched(chunks):
    text = DOC.read_text(encoding="utf-8")
    assert "Summary by DigitalTrade4.EU" in text
    assert not any("Summary by DigitalTrade4.EU" == c.page_content.split(": ", 1)[-1] for c in chunks)


def test_long_sections_are_split_by_tokens_keeping_the_heading_path(taxonomy):
    body = " ".join(f"Sentence number {i} explains one more thing about secure digital infrastructure." for i in range(200))
    text = f"# Doc\n\n## Part A\n\n### Long Section\n\n{body}\n"
    chunks = chunk_markdown(text, "long.md", taxonomy, max_tokens=120, overlap_tokens=10)
    assert len(chunks) > 5
    for i, chunk in enumerate(chunks):
        assert chunk.metadata["section"] == "Part A > Long Section"
        assert chunk.metadata["part"] == i and chunk.metadata["parts"] == len(chunks)
        assert chunk.page_content.startswith("Long Section: ")
        assert count_tokens(chunk.page_content) <= 120
        assert text[chunk.metadata["start"] : chunk.metadata["end"]] in chunk.page_content


def test_chunking_is_deterministic(taxonomy):
    text = DOC.read_text(encoding="utf-8")
    a = chunk_markdown(text, DOC.name, taxonomy)
    b = chunk_markdown(text, DOC.name, taxonomy)
    assert [c.metadata for c in a] == [c.metadata for c in b]


def test_taxonomy_rejects_unknown_areas(tmp_path: Path):
    bad = tmp_path / "t.yaml"
    bad.write_text("objectives: []\nfocus_areas: []\nrecommendations:\n  business:\n    - {id: x, title: X, serves: [nope]}\n")
    with pytest.raises(ValueError, match="unknown areas"):
        load_taxonomy(bad)
