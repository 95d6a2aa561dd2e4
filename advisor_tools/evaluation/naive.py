"""The naive LangChain pipeline the issue asks us to beat: fixed-size character chunks
(RecursiveCharacterTextSplitter 1000/200), the same MiniLM embeddings, langchain_chroma.Chroma, k=5.

Its chunks ignore headings, so each is mapped to the knowledge-base section it overlaps most
(by character span) to be scored against the same expected section ids.
"""

from __future__ import annotations

from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from langchain_text_splitters import RecursiveCharacterTextSplitter

from advisor.indexing.chunking import parse_sections
from advisor.taxonomy import Taxonomy
from advisor.text import slugify


def section_spans(text: str, taxonomy: Taxonomy) -> list[tuple[int, int, str]]:
    """(start, end, section_id) for every section, heading included, as the chunker names them."""
    _, sections = parse_sections(text)
    spans = []
    for section in sections:
        sid = (taxonomy.section_id(section.title) if section.title else None) or slugify(section.title or "preamble")
        heading_start = text.rfind("\n", 0, max(section.start - 1, 0)) + 1
        spans.append((heading_start, section.end, sid))
    return spans


def majority_section(start: int, end: int, spans: list[tuple[int, int, str]]) -> str:
    best, best_overlap = "preamble", 0
    for s, e, sid in spans:
        overlap = min(end, e) - max(start, s)
        if overlap > best_overlap:
            best, best_overlap = sid, overlap
    return best


class NaivePipeline:
    """Build once over the knowledge files, then `search(question)` returns section ids, best first."""

    def __init__(
        self, files: list[Path], embeddings: Embeddings, taxonomy: Taxonomy, data_dir: Path,
        chunk_size: int, chunk_overlap: int, k: int,
    ) -> None:
        self.k = k
        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap, add_start_index=True)
        client = chromadb.PersistentClient(path=str(data_dir), settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(client=client, collection_name="naive-baseline", embedding_function=embeddings)
        texts, metadatas = [], []
        for path in files:
            text = path.read_text(encoding="utf-8")
            spans = section_spans(text, taxonomy)
            for doc in splitter.create_documents([text], metadatas=[{"source": path.name}]):
                start = doc.metadata["start_index"]
                doc.metadata["section_id"] = majority_section(start, start + len(doc.page_content), spans)
                texts.append(doc.page_content)
                metadatas.append(doc.metadata)
        self.chunks = len(texts)
        self.store.add_texts(texts, metadatas=metadatas, ids=[f"naive-{i}" for i in range(len(texts))])

    def search(self, question: str) -> list[str]:
        return [d.metadata["section_id"] for d in self.store.similarity_search(question, k=self.k)]
