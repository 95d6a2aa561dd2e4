"""Turn files into committed chunks: load, chunk, and replace each document as one unit."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from advisor.chunking import chunk_markdown
from advisor.settings import Settings
from advisor.store import DocumentRecord, Store
from advisor.taxonomy import Taxonomy
from advisor.textutil import content_hash, slugify

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
# Bump when chunking changes so that re-ingest rewrites documents chunked the old way.
CHUNKER_VERSION = "2"


class IngestError(ValueError):
    """A file that cannot be ingested; the message is meant for the user as is."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    chunks_written: int = 0
    orphans_swept: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"failed {len(self.failed)} ({self.chunks_written} chunks written in {self.seconds:.2f}s)"
        )


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus the supported files found under folders (sorted, stable)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in TEXT_SUFFIXES))
        elif path.exists():
            out.append(path)
        else:
            raise IngestError(f"no such file or folder: {path}")
    return out


def read_text_file(path: Path) -> str:
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise IngestError(f"{path.name}: unsupported file type '{path.suffix or '(none)'}'")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path.name}: not valid UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise IngestError(f"{path.name}: the file contains no text")
    return text


def chunk_document(
    text: str, source: str, doc_id: str, store: Store, taxonomy: Taxonomy, settings: Settings
) -> tuple[DocumentRecord, list[Document]]:
    version = content_hash(text, CHUNKER_VERSION, str(settings.chunk_max_tokens), str(settings.chunk_overlap_tokens))
    chunks = chunk_markdown(
        text,
        source,
        taxonomy,
        max_tokens=settings.chunk_max_tokens,
        overlap_tokens=settings.chunk_overlap_tokens,
        encoding=settings.tiktoken_encoding,
        doc_id=doc_id,
        collection=store.name,
    )
    for chunk in chunks:
        chunk.id = f"{chunk.metadata['chunk_id']}@{version}"
    title = chunks[0].metadata["doc_title"] if chunks else Path(source).stem
    record = DocumentRecord(doc_id, version, source, title, store.name, len(chunks), time.time(), {})
    return record, chunks


def ingest_paths(
    paths: Iterable[Path],
    store: Store,
    taxonomy: Taxonomy,
    settings: Settings,
    progress: Callable[[Path], None] | None = None,
) -> IngestReport:
    """Ingest files idempotently: unchanged files are skipped, changed ones replaced whole."""
    started = time.perf_counter()
    report = IngestReport()
    report.orphans_swept = store.sweep_orphans()
    committed = store.documents(fresh=True)
    for path in expand_paths(paths):
        if progress:
            progress(path)
        doc_id = slugify(path.stem)
        try:
            text = read_text_file(path)
            record, chunks = chunk_document(text, path.name, doc_id, store, taxonomy, settings)
        except IngestError as exc:
            report.failed.append((str(path), str(exc)))
            continue
        previous = committed.get(doc_id)
        if previous is not None and previous.version == record.version:
            report.unchanged.append(doc_id)
            continue
        store.replace_document(record, chunks)
        report.chunks_written += len(chunks)
        (report.updated if previous else report.added).append(doc_id)
    report.seconds = time.perf_counter() - started
    return report
