"""One writer at a time: a thread lock for the server's request threads plus an OS file lock, so
an `advisor ingest` run and a server sharing one data folder do not write the same document at
once (two concurrent replacements could sweep each other's freshly written chunks)."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path
from types import TracebackType


class WriteLock:
    """Re-entrant only per object, not per thread: hold it around a whole write, no nesting."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.Lock()
        self._handle = None

    def __enter__(self) -> WriteLock:
        self._thread_lock.acquire()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a")
            fcntl.flock(self._handle, fcntl.LOCK_EX)  # blocks until the other process is done
        except BaseException:
            self._release_file()
            self._thread_lock.release()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release_file()
        self._thread_lock.release()

    def _release_file(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
