"""The vector store: Chroma, embedded (PersistentClient) or remote (HttpClient), one code path.

Documents are replaced as a unit. Chunk ids carry the document's content version, and a small
manifest collection records which version of each document is committed. Ingest writes the new
version's chunks, then commits the manifest entry, then deletes the old chunks; readers only see
chunks of committed versions. A crash at any point leaves either the old or the new document
visible, never half of each, and the next ingest sweeps up what the crash left behind.

A big document is written in batches of at most the client's `get_max_batch_size()` (and
ADVISOR_WRITE_BATCH_SIZE), each embedded just before it is written, so neither Chroma's batch
limit nor the memory of 100,000 vectors stands in the way; it stays all-or-nothing because the
manifest is committed only after the last batch. Errors are told apart: only a store that cannot
be reached is `StoreUnavailable` (503); a full disk is `StoreFull` (507); anything else Chroma
refuses is a plain `StoreError` that names the operation, never blamed on the store being down.
"""

from __future__ import annotations

import errno
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from advisor.storage.embeddings import MiniLMChromaEmbeddingFunction

if TYPE_CHECKING:
    from langchain_chroma import Chroma

MANIFEST_SUFFIX = "--manifest"
_GET_PAGE = 5000
# The `where` of a store (or a doc_ids selection) with no committed document: matches nothing.
NOTHING_COMMITTED: dict[str, Any] = {"doc_version": "__none__"}


class StoreError(RuntimeError):
    """The vector store refused an operation for a reason other than being unreachable or full."""


class StoreUnavailable(StoreError):
    """The vector store cannot be reached (e.g. the Chroma server is down)."""


class StoreFull(StoreError):
    """The disk under the vector store is full (or below ADVISOR_MIN_FREE_DISK_MB): writes are refused."""


# How Chroma and its transports say "cannot connect" and "no space"; matched against the message
# because the Rust bindings and the HTTP client raise generic exception types for both.
_UNREACHABLE = ("could not connect", "connection refused", "connect call failed", "failed to establish",
                "name or service not known", "server disconnected", "connection reset")  # fmt: skip
_NO_SPACE = ("no space left", "disk is full", "database or disk is full", "disk full", "quota exceeded")
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
MB = 1024 * 1024


class DiskGuard:
    """The disk under an embedded store: writes start only with ADVISOR_MIN_FREE_DISK_MB free, and
    once a write has run out of disk the guard trips and refuses every later write until restart.

    Chroma's embedded store, after a write failed for lack of space, can block inside a later write
    while holding the GIL: /healthz stopped answering and SIGTERM was ignored. So after the first
    such failure this process leaves the store alone for writing; reads carry on, and the next
    start (with space freed) sweeps what the failed write left. One guard is shared by every
    store of one client."""

    def __init__(self, path: Path | None, min_free_mb: float) -> None:
        self.path = path
        self.min_free_mb = min_free_mb
        self.tripped: str | None = None

    def check(self) -> None:
        if self.tripped:
            raise StoreFull(
                f"a write ran out of disk earlier ({self.tripped}); writes stay refused until the server is "
                "restarted with space freed (reads are unaffected)"
            )
        if self.path is None or self.min_free_mb <= 0:
            return
        free = free_mb(self.path)
        if free < self.min_free_mb:
            raise StoreFull(
                f"the disk under the data folder has {free:.0f} MB free, less than ADVISOR_MIN_FREE_DISK_MB "
                f"({self.min_free_mb:g} MB); free some space, nothing was changed"
            )

    def trip(self, reason: str) -> None:
        self.tripped = self.tripped or reason


NO_GUARD = DiskGuard(None, 0.0)


def classify_store_error(exc: BaseException, what: str, guard: DiskGuard = NO_GUARD) -> StoreError:
    """The `StoreError` kind for an exception raised by Chroma or its transport during `what`."""
    import httpx

    text = str(exc).lower()
    chain = [exc, *(e for e in (exc.__cause__, exc.__context__) if e is not None)]
    if any(isinstance(e, OSError) and e.errno in _DISK_ERRNOS for e in chain) or any(m in text for m in _NO_SPACE):
        return StoreFull(f"the disk under the vector store is full ({what}: {exc})")
    if "compaction" in text and guard.path is not None and free_mb(guard.path) < max(guard.min_free_mb, 1.0):
        return StoreFull(f"the disk under the vector store is full ({what}: {exc})")
    if any(isinstance(e, (httpx.TransportError, ConnectionError, TimeoutError)) for e in chain) or any(
        m in text for m in _UNREACHABLE
    ):
        return StoreUnavailable(f"vector store unavailable: {exc}")
    return StoreError(f"vector store error during {what}: {exc}")


def free_mb(path: Path) -> float:
    """Free space on the disk holding `path` (its nearest existing parent), in MB."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free / MB
    return float("inf")


WriteProgress = Callable[[int, int], None]  # (chunks written, chunks in the document)


DEFAULT_DATABASE = "default_database"


def make_client(data_dir: Path, chroma_url: str | None, database: str = DEFAULT_DATABASE) -> chromadb.ClientAPI:
    """An embedded client under `data_dir`, or an HTTP client when a server URL is configured.

    On a server, `database` separates independent deployments (and test runs) sharing one
    Chroma; it is created on first use.
    """
    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if chroma_url:
        url = urlparse(chroma_url if "://" in chroma_url else f"http://{chroma_url}")
        host = url.hostname or "127.0.0.1"
        port = url.port or (443 if url.scheme == "https" else 8000)
        ssl = url.scheme == "https"
        if database != DEFAULT_DATABASE:
            ensure_database(host, port, ssl, database)
        try:
            return chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings, database=database)
        except Exception as exc:  # chromadb says ValueError("Could not connect ...") when it is down
            raise StoreUnavailable(f"vector store unavailable at {chroma_url}: {exc}") from exc
    path = data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def ensure_database(host: str, port: int, ssl: bool, database: str) -> None:
    admin = chromadb.AdminClient(
        ChromaSettings(
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host=host,
            chroma_server_http_port=port,
            chroma_server_ssl_enabled=ssl,
            anonymized_telemetry=False,
        )
    )
    try:
        admin.get_database(database)
    except Exception:
        try:
            admin.create_database(database)
        except Exception as exc:
            raise StoreUnavailable(f"vector store unavailable: cannot create database {database}: {exc}") from exc


@dataclass
class DocumentRecord:
    doc_id: str
    version: str
    source: str
    title: str
    collection: str
    chunks: int
    ingested_at: float
    extra: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.doc_id,
            "version": self.version,
            "source": self.source,
            "title": self.title,
            "collection": self.collection,
            "chunks": self.chunks,
            "ingested_at": self.ingested_at,
            **self.extra,
        }


class Store:
    """One logical collection of documents: chunks in Chroma plus the commit manifest."""

    def __init__(
        self,
        client: chromadb.ClientAPI,
        name: str,
        embeddings: Embeddings,
        manifest_ttl: float = 0.0,
        overfetch: int = 8,
        write_batch: int = 1000,
        guard: DiskGuard = NO_GUARD,
    ) -> None:
        self.client = client
        self.name = name
        self.embeddings = embeddings
        self._vs: Chroma | None = None
        self._collection: Any = None
        self._manifest: Any = None
        # Every query needs the committed versions; reading the manifest each time cost ~2 ms
        # embedded and a round trip per query on a Chroma server. A snapshot is reused for
        # `manifest_ttl` seconds: this process's own writes drop it at once, writes by other
        # workers (behind a load balancer) become visible within the TTL.
        self.manifest_ttl = manifest_ttl
        self._snapshot: tuple[float, dict[str, DocumentRecord]] | None = None
        # The last "all committed" filter handed out, and its versions (see dense_search).
        self._all_committed: tuple[dict[str, Any], frozenset[str]] | None = None
        self.overfetch = overfetch
        self.write_batch = write_batch
        self._max_batch: int | None = None
        self.guard = guard  # the embedded store's disk (shared with the other stores of the client)

    # -- connections -------------------------------------------------------------------------
    @property
    def collection(self) -> Any:
        """The raw Chroma collection: what every read goes through."""
        if self._collection is None:
            try:
                self._collection = self.client.get_or_create_collection(
                    name=self.name,
                    embedding_function=MiniLMChromaEmbeddingFunction(),
                    configuration={"hnsw": {"space": "cosine"}},
                )
            except Exception as exc:  # chromadb raises many kinds on a dead server
                raise classify_store_error(exc, "opening the collection", self.guard) from exc
        return self._collection

    @property
    def vectors(self) -> Chroma:
        """The LangChain vector store over the same collection: what writes go through.

        Imported lazily: langchain_chroma pulls in langchain_core's runnables and langsmith, about
        0.5 s of a cold `advisor ask` that only reads (profiled with py-spy).
        """
        if self._vs is None:
            from langchain_chroma import Chroma

            collection = self.collection
            try:
                self._vs = Chroma(client=self.client, collection_name=collection.name, embedding_function=self.embeddings)
            except Exception as exc:
                raise classify_store_error(exc, "opening the collection", self.guard) from exc
        return self._vs

    @property
    def manifest(self) -> Any:
        if self._manifest is None:
            try:
                self._manifest = self.client.get_or_create_collection(
                    name=self.name + MANIFEST_SUFFIX, embedding_function=None
                )
            except Exception as exc:
                raise classify_store_error(exc, "opening the manifest", self.guard) from exc
        return self._manifest

    def ping(self) -> None:
        try:
            self.client.heartbeat()
        except Exception as exc:  # a failed heartbeat means unreachable, whatever it raised
            raise StoreUnavailable(f"vector store unavailable: {exc}") from exc

    # -- reading -----------------------------------------------------------------------------
    def documents(self, fresh: bool = False) -> dict[str, DocumentRecord]:
        """Committed documents by id; `fresh` bypasses the snapshot (writers need the truth)."""
        snapshot = self._snapshot
        if not fresh and snapshot is not None and time.monotonic() - snapshot[0] < self.manifest_ttl:
            return dict(snapshot[1])
        read_at = time.monotonic()
        records = self._read_manifest()
        self._snapshot = (read_at, records)
        return dict(records)

    def invalidate(self) -> None:
        """Forget the manifest snapshot (after a write, or when another worker says so)."""
        self._snapshot = None

    def _read_manifest(self) -> dict[str, DocumentRecord]:
        raw = self._call(self.manifest.get, include=["metadatas"])
        records = {}
        for doc_id, meta in zip(raw["ids"], raw["metadatas"] or []):
            extra = json.loads(meta.get("extra") or "{}")
            records[doc_id] = DocumentRecord(
                doc_id,
                meta["version"],
                meta.get("source", ""),
                meta.get("title", ""),
                meta.get("collection", self.name),
                int(meta.get("chunks", 0)),
                float(meta.get("ingested_at", 0.0)),
                extra,
            )
        return records

    def committed_filter(self, doc_ids: list[str] | None = None) -> dict[str, Any] | None:
        """A Chroma `where` that admits only chunks of committed document versions."""
        records = self.documents()
        versions = [r.version for r in records.values() if doc_ids is None or r.doc_id in doc_ids]
        if not versions:
            return NOTHING_COMMITTED
        where = {"doc_version": {"$in": versions}}
        if doc_ids is None:
            self._all_committed = (where, frozenset(versions))
        return where

    def _query(self, vector: list[float], n: int, where: dict[str, Any] | None) -> list[tuple[Document, float]]:
        # The same query LangChain's similarity_search_by_vector_with_relevance_scores makes, without
        # importing langchain_chroma on the read path (see `vectors`).
        raw = self._call(
            self.collection.query,
            query_embeddings=[vector],
            n_results=n,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (Document(id=cid, page_content=text, metadata=meta or {}), 1.0 - float(distance))
            for cid, text, meta, distance in zip(
                raw["ids"][0], raw["documents"][0], raw["metadatas"][0], raw["distances"][0]
            )
            if text is not None
        ]

    def chunks(self, where: dict[str, Any] | None = None) -> list[Document]:
        """All committed chunks (what the lexical index and listings are built from)."""
        where = where or self.committed_filter()
        if where is NOTHING_COMMITTED:
            return []
        out: list[Document] = []
        offset = 0
        while True:
            page = self._call(
                self.collection.get, where=where, include=["documents", "metadatas"], limit=_GET_PAGE, offset=offset
            )
            for cid, text, meta in zip(page["ids"], page["documents"], page["metadatas"]):
                out.append(Document(id=cid, page_content=text, metadata=meta))
            if len(page["ids"]) < _GET_PAGE:
                return out
            offset += _GET_PAGE

    def count(self) -> int:
        return int(self._call(self.collection.count))

    def dense_search(self, vector: list[float], k: int, where: dict[str, Any] | None) -> list[tuple[Document, float]]:
        """Nearest chunks with their cosine similarity (the collection uses cosine distance).

        Profiled at scale, Chroma evaluates a `doc_version $in [...]` filter row by row: 57 ms per
        query at 10k chunks and >500 ms at 100k, against 5 ms unfiltered. So when `where` is the
        "all committed documents" filter, the query runs unfiltered for a few extra hits and the
        uncommitted ones (an ingest in progress, crash leftovers) are dropped here. If too many
        were dropped to fill k, the filtered query runs after all: same result, only slower.
        """
        if k <= 0 or where is NOTHING_COMMITTED:  # an empty workspace costs no query (~3 ms each)
            return []
        committed = self._all_committed
        if committed is None or where is not committed[0]:
            return self._query(vector, k, where)
        hits = self._query(vector, k + self.overfetch, None)
        kept = [(doc, sim) for doc, sim in hits if doc.metadata.get("doc_version") in committed[1]]
        if len(kept) >= k or len(kept) == len(hits):
            return kept[:k]
        return self._query(vector, k, where)

    def embeddings_for(self, ids: list[str]) -> dict[str, list[float]]:
        if not ids:
            return {}
        raw = self._call(self.collection.get, ids=ids, include=["embeddings"])
        return {cid: list(vec) for cid, vec in zip(raw["ids"], raw["embeddings"])}

    # -- writing -----------------------------------------------------------------------------
    @property
    def max_batch(self) -> int:
        """Chunks per write: ADVISOR_WRITE_BATCH_SIZE, never more than the client accepts at once."""
        if self._max_batch is None:
            try:
                limit = int(self.client.get_max_batch_size())
            except Exception as exc:
                raise classify_store_error(exc, "reading the max batch size", self.guard) from exc
            self._max_batch = max(1, min(self.write_batch, limit))
        return self._max_batch

    def check_space(self) -> None:
        """Refuse a write before it starts when the disk is (nearly) full or a write already ran out."""
        self.guard.check()

    def _batches(self, items: list[Any]) -> Iterator[list[Any]]:
        size = self.max_batch
        for start in range(0, len(items), size):
            yield items[start : start + size]

    def replace_document(
        self, record: DocumentRecord, chunks: list[Document], progress: WriteProgress | None = None
    ) -> None:
        """Write a document version in batches, commit it, then drop every other version of it.

        Until the manifest names the new version, readers see the old one (or none); if a batch
        fails, the batches already written are removed again (best effort: the next write's
        orphan sweep removes what this could not)."""
        self.check_space()
        for chunk in chunks:
            chunk.metadata["doc_version"] = record.version
            chunk.metadata["collection"] = self.name
        written = 0
        try:
            for batch in self._batches(chunks):
                self._call(self.vectors.add_documents, batch, ids=[c.id for c in batch], what="writing chunks")
                written += len(batch)
                if progress:
                    progress(written, len(chunks))
        except StoreFull:
            raise  # no clean-up write on a full disk: the start-up sweep removes these chunks
        except BaseException:
            self._discard(record.doc_id, record.version)
            raise
        meta = {
            "version": record.version,
            "source": record.source,
            "title": record.title,
            "collection": self.name,
            "chunks": len(chunks),
            "ingested_at": record.ingested_at or time.time(),
            "extra": json.dumps(record.extra),
        }
        try:
            self._call(
                self.manifest.upsert, ids=[record.doc_id], metadatas=[meta], embeddings=[[1.0]], what="committing"
            )
        finally:
            self.invalidate()
        self.sweep(record.doc_id, keep_version=record.version)

    def _discard(self, doc_id: str, version: str) -> None:
        """Remove the chunks of an uncommitted version after a failed write (never raises)."""
        try:
            where = {"$and": [{"doc_id": doc_id}, {"doc_version": version}]}
            self._delete_ids(self._call(self.collection.get, where=where, include=[], what="cleaning up")["ids"])
        except Exception:  # noqa: BLE001 - the orphan sweep of the next write (or start) finishes this
            pass

    def delete_document(self, doc_id: str) -> bool:
        """Uncommit first (readers stop seeing it at once), then delete its chunks."""
        self.check_space()
        existed = doc_id in self.documents(fresh=True)
        try:
            self._call(self.manifest.delete, ids=[doc_id], what="uncommitting")
        finally:
            self.invalidate()
        self.sweep(doc_id, keep_version=None)
        return existed

    def sweep(self, doc_id: str, keep_version: str | None) -> int:
        """Delete chunks of `doc_id` that are not of `keep_version` (crash leftovers included)."""
        where: dict[str, Any] = {"doc_id": doc_id}
        if keep_version is not None:
            where = {"$and": [{"doc_id": doc_id}, {"doc_version": {"$ne": keep_version}}]}
        stale = self._call(self.collection.get, where=where, include=[], what="sweeping")["ids"]
        self._delete_ids(stale)
        return len(stale)

    def sweep_orphans(self) -> int:
        """Delete chunks whose document has no committed version (an ingest killed mid-way).

        Read page by page: a collection of 100,000 chunks is never held as metadata all at once."""
        committed = {r.doc_id: r.version for r in self.documents(fresh=True).values()}
        orphans: list[str] = []
        offset = 0
        while True:
            page = self._call(
                self.collection.get, include=["metadatas"], limit=_GET_PAGE, offset=offset, what="sweeping orphans"
            )
            orphans += [
                cid
                for cid, meta in zip(page["ids"], page["metadatas"])
                if committed.get((meta or {}).get("doc_id")) != (meta or {}).get("doc_version")
            ]
            if len(page["ids"]) < _GET_PAGE:
                break
            offset += _GET_PAGE
        if orphans:
            self.check_space()
        self._delete_ids(orphans)
        return len(orphans)

    def _delete_ids(self, ids: list[str]) -> None:
        for batch in self._batches(ids):
            self._call(self.collection.delete, ids=batch, what="deleting chunks")

    def _call(self, fn: Any, *args: Any, what: str = "reading", **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except StoreError:
            raise
        except (ValueError, KeyError, TypeError):  # our own bad arguments: a bug, not the store
            raise
        except Exception as exc:
            error = classify_store_error(exc, what, self.guard)
            if isinstance(error, StoreFull):
                self.guard.trip(what)
            raise error from exc
