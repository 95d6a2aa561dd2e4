"""Preparing user documents: uploaded files and server paths, checked and chunked before any write.

Every file of a batch is loaded and chunked before anything is written, so one bad file leaves
the store exactly as it was. Writing is the Advisor's one write path (`Advisor.add_files`,
`Advisor.add_server_paths`), shared by the CLI, the API and the UI.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from langchain_core.documents import Document

from advisor.answer.quotable import planted_sentences
from advisor.indexing.ingest import IngestError, commit_document, doc_id_for, expand_paths, prepare_document
from advisor.indexing.loaders import SUPPORTED_SUFFIXES, DocumentError
from advisor.settings import Settings
from advisor.storage.vectorstore import DocumentRecord, Store
from advisor.taxonomy import Taxonomy

Prepared = tuple[DocumentRecord, list[Document]]
# An uploaded file: its name, and its content in memory or as a file the upload was spooled to.
Upload = tuple[str, bytes | BinaryIO]

_UNSAFE = re.compile(r"[^\w.\- ()]+")


@dataclass
class AddedDocument:
    record: DocumentRecord
    outcome: str  # added | updated | unchanged
    warnings: list[str] = field(default_factory=list)  # e.g. sentences addressed to an assistant

    def to_json(self) -> dict[str, object]:
        return {**self.record.to_json(), "outcome": self.outcome, "warnings": self.warnings}


def safe_filename(name: str | None, max_chars: int) -> str:
    """The base name of an uploaded file, without folders or characters a path could abuse."""
    base = Path((name or "").replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip(" .")
    if not base:
        raise IngestError("the uploaded file has no name", "invalid_request")
    if len(base) > max_chars:
        raise IngestError(
            f"the file name is {len(base)} characters long; the limit is {max_chars} (ADVISOR_MAX_FILENAME_CHARS)",
            "invalid_request",
        )
    return base


def _size(data: bytes | BinaryIO) -> int:
    if isinstance(data, bytes):
        return len(data)
    size = data.seek(0, 2)
    data.seek(0)
    return size


def _save(path: Path, data: bytes | BinaryIO) -> None:
    if isinstance(data, bytes):
        path.write_bytes(data)
        return
    with path.open("wb") as target:
        shutil.copyfileobj(data, target)


def check_upload(name: str, size: int, max_bytes: int, max_mb: float) -> None:
    """Checks that need no parsing, done before the file is read at all."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise IngestError(f"{name}: unsupported file type '{suffix or '(none)'}'; supported: {kinds}", "unsupported_type")
    if size > max_bytes:
        raise IngestError(
            f"{name}: {size / 1048576:.1f} MB is over the {max_mb:g} MB limit (ADVISOR_MAX_UPLOAD_MB)", "too_large"
        )


def prepare_files(files: list[Upload], store: Store, taxonomy: Taxonomy, settings: Settings) -> list[Prepared]:
    """Check and chunk uploaded files (name, content or spooled file) for `store`; nothing is written.

    Each file is copied into a private temporary folder to be read; a refusal never names that
    folder (it says nothing to the uploader and tells an attacker where the server keeps things)."""
    if not files:
        raise IngestError("no file in the upload (send it as multipart field 'file')", "invalid_request")
    names = [safe_filename(name, settings.max_filename_chars) for name, _ in files]
    ids = [doc_id_for(Path(name)) for name in names]
    if len(set(ids)) < len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise IngestError(f"the upload has two files for the same document id: {', '.join(twice)}", "duplicate_id")
    for name, (_, data) in zip(names, files):
        check_upload(name, _size(data), settings.max_upload_bytes, settings.max_upload_mb)
    prepared = []
    with tempfile.TemporaryDirectory(prefix="advisor-upload-") as tmp:
        for index, (name, (_, data)) in enumerate(zip(names, files)):
            folder = Path(tmp) / str(index)  # same-named files in one batch must not overwrite
            folder.mkdir()
            path = folder / name
            _save(path, data)
            try:
                prepared.append(prepare_document(path, store, taxonomy, settings, ids[index], name))
            except IngestError:
                raise
            except DocumentError as exc:
                raise DocumentError(str(exc).replace(str(folder) + "/", "").replace(tmp, "<upload>"), exc.code) from exc
    return prepared


def prepare_server_paths(paths: list[str], store: Store, taxonomy: Taxonomy, settings: Settings) -> list[Prepared]:
    """Check and chunk files already on the server (files, folders, globs), only under
    ADVISOR_ALLOWED_ROOTS. With no allowed roots configured this is refused: an API caller must
    never be able to make the server read arbitrary files."""
    if not settings.allowed_roots:
        raise IngestError(
            "ingesting server paths is disabled: set ADVISOR_ALLOWED_ROOTS on the server", "paths_disabled"
        )
    if not paths:
        raise IngestError("no path given", "invalid_request")
    files = expand_paths([Path(p) for p in paths], settings.allowed_roots, settings.max_glob_matches)
    if not files:
        raise IngestError("no supported files under the given paths", "not_found")
    return [prepare_document(path, store, taxonomy, settings) for path in files]


def commit_all(store: Store, prepared: list[Prepared]) -> list[AddedDocument]:
    """Write prepared documents (the caller holds the write lock); unchanged ones are skipped."""
    results = []
    committed = store.documents()
    for record, chunks in prepared:
        previous = committed.get(record.doc_id)
        outcome = commit_document(store, record, chunks, previous)
        kept = previous if outcome == "unchanged" and previous is not None else record
        committed[record.doc_id] = kept
        results.append(AddedDocument(kept, outcome, [p.warning() for p in planted_sentences(chunks)]))
    return results
