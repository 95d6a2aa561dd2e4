"""Turn files into committed chunks: load, chunk, and replace each document as one unit."""

from __future__ import annotations

import glob
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from advisor.answer.quotable import planted_sentences
from advisor.indexing.chunking import chunk_sections, parse_sections
from advisor.indexing.loaders import SUPPORTED_SUFFIXES, DocumentError, LoadedDocument, load_document, read_utf8
from advisor.settings import Settings
from advisor.storage.vectorstore import DocumentRecord, Store
from advisor.taxonomy import Taxonomy
from advisor.text import content_hash, slugify

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
# Bump when chunking changes so that re-ingest rewrites documents chunked the old way.
CHUNKER_VERSION = "3"  # 3: sentence roles in chunk metadata
_GLOB_CHARS = set("*?[")


class IngestError(DocumentError):
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
    warnings: list[str] = field(default_factory=list)  # sentences that will never be quoted, and why

    def summary(self) -> str:
        return (
            f"added {len(self.added)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"failed {len(self.failed)} ({self.chunks_written} chunks written in {self.seconds:.2f}s)"
        )


def expand_paths(paths: Iterable[Path], allowed_roots: list[Path] | None = None) -> list[Path]:
    """Files named directly, files matching a glob, and the supported files under folders.

    Everything is checked before anything is read: a missing path or one outside the allowed
    roots fails the whole call, so a typo never half-ingests a batch.
    """
    out: list[Path] = []
    for path in paths:
        if not path.exists() and _GLOB_CHARS & set(str(path)):
            matches = [Path(p) for p in sorted(glob.glob(str(path), recursive=True))]
            if not matches:
                raise IngestError(f"no files match {path}", "not_found")
            out.extend(_expand_one(m) for m in matches)
        elif path.exists():
            out.append(_expand_one(path))
        else:
            raise IngestError(f"no such file or folder: {path}", "not_found")
    files = list(dict.fromkeys(p for group in out for p in (group if isinstance(group, list) else [group])))
    for file in files:
        check_allowed(file, allowed_roots or [])
    return files


def _expand_one(path: Path) -> Path | list[Path]:
    if not path.is_dir():
        return path
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def check_allowed(path: Path, roots: list[Path]) -> None:
    """Refuse a path outside the allowed roots (symlinks resolved first); no roots: allow all."""
    if not roots:
        return
    real = path.resolve()
    if not any(real.is_relative_to(root.resolve()) for root in roots):
        raise IngestError(f"{path}: outside the allowed folders (ADVISOR_ALLOWED_ROOTS)", "outside_roots")


def read_text_file(path: Path) -> str:
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise IngestError(f"{path.name}: unsupported file type '{path.suffix or '(none)'}'", "unsupported_type")
    text = read_utf8(path)
    if not text.strip():
        raise IngestError(f"{path.name}: the file contains no text", "no_text")
    return text


def doc_id_for(path: Path) -> str:
    """Markdown keeps its stem (the shipped strategy's id); other files keep their extension so
    that `plan.pdf` and `plan.docx` are two documents, not one replacing the other."""
    if path.suffix.lower() in {".md", ".markdown"}:
        return slugify(path.stem)
    return slugify(path.name)


def chunk_document(
    text: str, source: str, doc_id: str, store: Store, taxonomy: Taxonomy, settings: Settings
) -> tuple[DocumentRecord, list[Document]]:
    """Chunks of Markdown text (what the shipped knowledge base is written in)."""
    title, sections = parse_sections(text)
    return chunk_loaded(LoadedDocument(title, sections, text, "markdown"), source, doc_id, store, taxonomy, settings)


def prepare_document(
    path: Path,
    store: Store,
    taxonomy: Taxonomy,
    settings: Settings,
    doc_id: str | None = None,
    source: str | None = None,
) -> tuple[DocumentRecord, list[Document]]:
    """Load and chunk one file without writing anything; raises `DocumentError` when it is unfit."""
    size = path.stat().st_size if path.is_file() else 0
    if size > settings.max_upload_bytes:
        raise IngestError(
            f"{path.name}: {size / 1048576:.1f} MB is over the {settings.max_upload_mb:g} MB limit "
            "(ADVISOR_MAX_UPLOAD_MB)",
            "too_large",
        )
    loaded = load_document(path)
    source = source or path.name
    doc_id = doc_id or doc_id_for(Path(source))
    record, chunks = chunk_loaded(loaded, source, doc_id, store, taxonomy, settings)
    if not chunks:
        raise IngestError(f"{source}: no text found that could be indexed", "no_text")
    pages = [c.metadata["page"] for c in chunks if "page" in c.metadata]
    record.extra = {"format": loaded.format, "bytes": size, **({"pages": max(pages)} if pages else {})}
    return record, chunks


def chunk_loaded(
    loaded: LoadedDocument, source: str, doc_id: str, store: Store, taxonomy: Taxonomy, settings: Settings
) -> tuple[DocumentRecord, list[Document]]:
    """Chunks of a loaded file; the version hashes the extracted content, so re-saving a file
    without changing its text is 'unchanged'."""
    version = content_hash(
        loaded.fingerprint, CHUNKER_VERSION, str(settings.chunk_max_tokens), str(settings.chunk_overlap_tokens)
    )
    chunks = chunk_sections(
        loaded.title,
        loaded.sections,
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
    title = loaded.title or (chunks[0].metadata["doc_title"] if chunks else Path(source).stem)
    return DocumentRecord(doc_id, version, source, title, store.name, len(chunks), time.time(), {}), chunks


def commit_document(
    store: Store, record: DocumentRecord, chunks: list[Document], previous: DocumentRecord | None
) -> str:
    """Write a prepared document unless the same version is committed; returns the outcome."""
    if previous is not None and previous.version == record.version:
        return "unchanged"
    store.replace_document(record, chunks)
    return "updated" if previous is not None else "added"


ProgressFn = Callable[[int, int, Path, str], None]


def ingest_paths(
    paths: Iterable[Path],
    store: Store,
    taxonomy: Taxonomy,
    settings: Settings,
    progress: ProgressFn | None = None,
) -> IngestReport:
    """Ingest files idempotently: unchanged files are skipped, changed ones replaced whole.
    The caller holds the write lock (Advisor.ingest is the one way in).

    `progress(done, total, path, outcome)` is called after each file (outcome: added, updated,
    unchanged or "failed: <reason>").
    """
    started = time.perf_counter()
    report = IngestReport()
    files = expand_paths(paths, settings.allowed_roots)
    committed = store.documents(fresh=True)
    first_path: dict[str, Path] = {}
    for index, path in enumerate(files, start=1):
        try:
            clash = first_path.setdefault(doc_id_for(path), path)
            if clash != path:  # a/report.pdf and b/report.pdf: the second must not replace the first
                raise IngestError(
                    f"{path}: same document id '{doc_id_for(path)}' as {clash} in this run; rename one of them",
                    "duplicate_id",
                )
            record, chunks = prepare_document(path, store, taxonomy, settings)
            report.warnings += [p.warning() for p in planted_sentences(chunks)]
        except DocumentError as exc:
            report.failed.append((str(path), str(exc)))
            if progress:
                progress(index, len(files), path, f"failed: {exc}")
            continue
        outcome = commit_document(store, record, chunks, committed.get(record.doc_id))
        committed[record.doc_id] = record
        getattr(report, outcome).append(record.doc_id)
        if outcome != "unchanged":
            report.chunks_written += len(chunks)
        if progress:
            progress(index, len(files), path, outcome)
    report.seconds = time.perf_counter() - started
    return report
