"""Managing user documents: add uploaded files, list and delete documents.

Shared by the API and the UI so both behave the same: every file of a batch is loaded and
chunked before anything is written, so one bad file leaves the store exactly as it was.
"""

from __future__ import annotations

import hmac
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from advisor.ingest import IngestError, commit_document, doc_id_for, expand_paths, prepare_document
from advisor.loaders import SUPPORTED_SUFFIXES
from advisor.service import Advisor
from advisor.store import DocumentRecord, Store

if TYPE_CHECKING:
    from pydantic import SecretStr

_UNSAFE = re.compile(r"[^\w.\- ()]+")


@dataclass
class AddedDocument:
    record: DocumentRecord
    outcome: str  # added | updated | unchanged

    def to_json(self) -> dict[str, object]:
        return {**self.record.to_json(), "outcome": self.outcome}


def safe_filename(name: str | None) -> str:
    """The base name of an uploaded file, without folders or characters a path could abuse."""
    base = Path((name or "").replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip(" .")
    if not base:
        raise IngestError("the uploaded file has no name", "invalid_request")
    return base


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


def add_files(advisor: Advisor, files: list[tuple[str, bytes]], collection: str | None = None) -> list[AddedDocument]:
    """Add uploaded files (name, content) to a collection (default: the workspace).

    All files are validated and chunked first; only then is anything written, one document
    replacement at a time under the advisor's write lock.
    """
    store = advisor.store(collection or advisor.settings.workspace_collection)
    settings = advisor.settings
    if not files:
        raise IngestError("no file in the upload (send it as multipart field 'file')", "invalid_request")
    names = [safe_filename(name) for name, _ in files]
    ids = [doc_id_for(Path(name)) for name in names]
    if len(set(ids)) < len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise IngestError(f"the upload has two files for the same document id: {', '.join(twice)}", "duplicate_id")
    for name, (_, data) in zip(names, files):
        check_upload(name, len(data), settings.max_upload_bytes, settings.max_upload_mb)
    prepared = []
    with tempfile.TemporaryDirectory(prefix="advisor-upload-") as tmp:
        for index, (name, (_, data)) in enumerate(zip(names, files)):
            folder = Path(tmp) / str(index)  # same-named files in one batch must not overwrite
            folder.mkdir()
            path = folder / name
            path.write_bytes(data)
            prepared.append(prepare_document(path, store, advisor.taxonomy, settings, ids[index], name))
    return _commit_all(advisor, store, prepared)


def add_server_paths(advisor: Advisor, paths: list[str], collection: str | None = None) -> list[AddedDocument]:
    """Add files already on the server (files, folders, globs), only under ADVISOR_ALLOWED_ROOTS.

    With no allowed roots configured this is refused: an API caller must never be able to make
    the server read arbitrary files.
    """
    settings = advisor.settings
    if not settings.allowed_roots:
        raise IngestError(
            "ingesting server paths is disabled: set ADVISOR_ALLOWED_ROOTS on the server", "paths_disabled"
        )
    if not paths:
        raise IngestError("no path given", "invalid_request")
    store = advisor.store(collection or settings.workspace_collection)
    files = expand_paths([Path(p) for p in paths], settings.allowed_roots)
    if not files:
        raise IngestError("no supported files under the given paths", "not_found")
    prepared = [prepare_document(path, store, advisor.taxonomy, settings) for path in files]
    return _commit_all(advisor, store, prepared)


def _commit_all(
    advisor: Advisor, store: Store, prepared: list[tuple[DocumentRecord, list[Document]]]
) -> list[AddedDocument]:
    results = []
    with advisor.write_lock:
        committed = store.documents()
        for record, chunks in prepared:
            previous = committed.get(record.doc_id)
            outcome = commit_document(store, record, chunks, previous)
            kept = previous if outcome == "unchanged" and previous is not None else record
            committed[record.doc_id] = kept
            results.append(AddedDocument(kept, outcome))
    advisor.indexes.invalidate()
    return results


def list_documents(advisor: Advisor, collection: str | None = None) -> list[DocumentRecord]:
    """Committed documents of one collection, or of all of them."""
    names = [advisor.store(collection).name] if collection else list(advisor.indexes.stores)
    out: list[DocumentRecord] = []
    for name in names:
        out.extend(sorted(advisor.indexes.stores[name].documents().values(), key=lambda r: r.doc_id))
    return out


def delete_document(advisor: Advisor, doc_id: str, collection: str | None = None) -> DocumentRecord | None:
    """Remove a document from the vector store; the lexical index follows the manifest."""
    store = advisor.store(collection or advisor.settings.workspace_collection)
    with advisor.write_lock:
        record = store.documents().get(doc_id)
        if record is None:
            return None
        store.delete_document(doc_id)
    advisor.indexes.invalidate()
    return record


def admin_key_problem(configured: SecretStr | None, given: str | None) -> str | None:
    """Why a write may not proceed (None: it may). Same rule as the API: no key configured, no writes."""
    if configured is None or not configured.get_secret_value():
        return "document upload and delete are disabled: the server has no ADVISOR_ADMIN_KEY set"
    if not given:
        return "an admin key is required"
    if not hmac.compare_digest(given.encode(), configured.get_secret_value().encode()):
        return "the admin key is not valid"
    return None
