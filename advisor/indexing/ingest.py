"""Turn files into committed chunks: load, chunk, and replace each document as one unit."""

from __future__ import annotations

import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from advisor.answer.quotable import planted_sentences
from advisor.indexing.chunking import chunk_sections, parse_sections
from advisor.indexing.loaders import (
    SUPPORTED_SUFFIXES,
    DocumentError,
    LoadedDocument,
    LoadLimits,
    load_document,
    read_utf8,
)
from advisor.settings import Settings
from advisor.storage.vectorstore import DocumentRecord, Store, WriteProgress
from advisor.taxonomy import Taxonomy
from advisor.text import content_hash, slugify

TEXT_SUFFIXES = {".md", ".markdown", ".txt"}
# Bump when chunking changes so that re-ingest rewrites documents chunked the old way.
CHUNKER_VERSION = "3"  # 3: sentence roles in chunk metadata
_GLOB_CHARS = set("*?[")
_PLAIN_NAME = re.compile(r"[A-Za-z0-9 ._()-]+")
_NAME_HASH_CHARS = 8  # 32 bits: distinct names of one workspace do not collide in practice


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


def expand_paths(paths: Iterable[Path], allowed_roots: list[Path] | None = None, max_files: int = 0) -> list[Path]:
    """Files named directly, files matching a glob, and the supported files under folders.

    Everything is checked before anything is read: a missing path or one outside the allowed
    roots fails the whole call, so a typo never half-ingests a batch. With allowed roots, a path
    is placed inside them before the file system is looked at (a glob is never run outside), and
    "outside" and "missing" are one and the same answer, so the reply tells nothing about files
    outside the roots. Directory symlinks are never followed while expanding (two `x -> .` links
    made `dir/**/*.md` grow exponentially), and at most `max_files` files are taken (0: no bound).
    """
    roots = [root.resolve() for root in allowed_roots or []]
    found: dict[Path, Path] = {}  # resolved file -> the path it was named by (a file reached twice counts once)

    def add(file: Path) -> None:
        if roots and not _inside(file, roots):
            raise _not_found(file, roots)
        found.setdefault(file.resolve(), file)
        if max_files and len(found) > max_files:
            raise IngestError(
                f"more than {max_files:,} files under the given paths; the limit is {max_files:,} "
                "(ADVISOR_MAX_GLOB_MATCHES)",
                "too_large",
            )

    for path in paths:
        is_glob = bool(_GLOB_CHARS & set(str(path))) and not path.exists()
        base = _glob_base(path) if is_glob else path
        if roots and not _inside(base, roots):
            raise _not_found(path, roots)
        if not is_glob and not path.exists():
            raise _not_found(path, roots)
        before = len(found)
        for match in _glob(path, base) if is_glob else iter([path]):
            if match.is_dir() and is_glob and match.is_symlink():
                continue  # a directory link met while globbing is never followed
            for file in _walk_files(match) if match.is_dir() else [match]:
                add(file)
        if is_glob and len(found) == before:
            raise IngestError(f"no files match {path}", "not_found") if not roots else _not_found(path, roots)
    return list(found.values())


def _inside(path: Path, roots: list[Path]) -> bool:
    real = path.resolve()
    return any(real.is_relative_to(root) for root in roots)


def _not_found(path: Path, roots: list[Path]) -> IngestError:
    """One answer for 'missing' and 'not allowed' when roots are set; the plain one otherwise."""
    if roots:
        return IngestError(f"{path}: no such file under the allowed folders (ADVISOR_ALLOWED_ROOTS)", "not_found")
    return IngestError(f"no such file or folder: {path}", "not_found")


def _glob_base(pattern: Path) -> Path:
    """The folder a glob starts from: its leading parts without wildcards."""
    parts = pattern.parts
    static = next(i for i, part in enumerate(parts) if _GLOB_CHARS & set(part))
    return Path(*parts[:static]) if static else Path(".")


def _segment_regex(part: str) -> str:
    """One path segment of a glob as a regex (never crossing '/'); wildcards skip dotfiles, as glob does."""
    out = [] if part.startswith(".") else [r"(?!\.)"]
    i = 0
    while i < len(part):
        char = part[i]
        close = part.find("]", i + 2) if char == "[" else -1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif close != -1:
            body = part[i + 1 : close]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


def _glob(pattern: Path, base: Path) -> Iterator[Path]:
    """`glob(pattern, recursive=True)` without following directory symlinks: one walk of `base`,
    yielding matches as they are found (so the caller's bound stops the walk early)."""
    parts = pattern.parts[len(base.parts) if base != Path(".") else 0 :]
    regex = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            regex += r"(?:(?!\.)[^/]*(?:/|$))*" if last else r"(?:(?!\.)[^/]*/)*"
        else:
            regex += _segment_regex(part) + ("" if last else "/")
    matcher = re.compile(regex)
    for folder, dirs, files in os.walk(base, followlinks=False):
        dirs.sort()
        relative = Path(folder).relative_to(base)
        for name in sorted(files) + dirs:
            candidate = (relative / name).as_posix()
            if matcher.fullmatch(candidate):
                yield base / candidate


def _walk_files(folder: Path) -> Iterator[Path]:
    """The supported files under a folder, hidden ones left out, directory symlinks not followed."""
    for current, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                yield Path(current) / name


def read_text_file(path: Path) -> str:
    if path.suffix.lower() not in TEXT_SUFFIXES:
        raise IngestError(f"{path.name}: unsupported file type '{path.suffix or '(none)'}'", "unsupported_type")
    text = read_utf8(path)
    if not text.strip():
        raise IngestError(f"{path.name}: the file contains no text", "no_text")
    return text


def doc_id_for(path: Path) -> str:
    """Markdown keeps its stem (the shipped strategy's id); other files keep their extension so
    that `plan.pdf` and `plan.docx` are two documents, not one replacing the other.

    Accents are folded (`ñandú.md` -> `nandu-…`), and a name with anything beyond plain ASCII
    letters, digits, spaces, dots, dashes, underscores and parentheses gets a short hash of the whole name, so
    two such names never share an id (`ñandú 🙂.md` used to become `and`)."""
    name = path.stem if path.suffix.lower() in {".md", ".markdown"} else path.name
    name = unicodedata.normalize("NFC", name)
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = slugify(folded) if any(c.isalnum() for c in folded) else "document"
    if _PLAIN_NAME.fullmatch(name):
        return slug
    return f"{slug}-{content_hash(name)[:_NAME_HASH_CHARS]}"


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
    loaded = load_document(path, LoadLimits.from_settings(settings))
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
    store: Store,
    record: DocumentRecord,
    chunks: list[Document],
    previous: DocumentRecord | None,
    progress: WriteProgress | None = None,
) -> str:
    """Write a prepared document unless the same version is committed; returns the outcome.
    `progress(written, total)` follows a document written in more than one batch."""
    if previous is not None and previous.version == record.version:
        return "unchanged"
    store.replace_document(record, chunks, progress if len(chunks) > store.max_batch else None)
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
    files = expand_paths(paths, settings.allowed_roots, settings.max_glob_matches)
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
        def batch_progress(written: int, total: int, index: int = index, path: Path = path) -> None:
            if progress:
                progress(index, len(files), path, f"writing chunks {written:,}/{total:,}")

        outcome = commit_document(store, record, chunks, committed.get(record.doc_id), batch_progress)
        committed[record.doc_id] = record
        getattr(report, outcome).append(record.doc_id)
        if outcome != "unchanged":
            report.chunks_written += len(chunks)
        if progress:
            progress(index, len(files), path, outcome)
    report.seconds = time.perf_counter() - started
    return report
