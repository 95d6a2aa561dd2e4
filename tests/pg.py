"""A throwaway PostgreSQL server on a loopback port, for running the database suite on PostgreSQL.

Uses Debian's `postgresql` package (initdb, pg_ctl). PostgreSQL refuses to run as root, so as root
the cluster belongs to the `postgres` system user and the commands run through `runuser`. When the
binaries, the user or psycopg are missing, `PostgresUnavailable` says why and the tests skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 60
DB_USER = "advisor"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message is the skip reason."""


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise PostgresUnavailable(f"{name} not found (install Debian's postgresql package)")
    return found


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root without runuser: cannot start PostgreSQL as another user")
    return ["runuser", "-u", "postgres", "--", *command]


@contextmanager
def postgres_server(port: int) -> Iterator[str]:
    """Start a server on 127.0.0.1:`port`; yields the SQLAlchemy URL of its `postgres` database."""
    try:
        import psycopg  # noqa: F401 - the driver SQLAlchemy will use
    except ImportError as exc:
        raise PostgresUnavailable("psycopg is not installed (pip install -e '.[test]')") from exc
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
    data, log = root / "data", root / "server.log"
    if os.geteuid() == 0:
        try:
            shutil.chown(root, "postgres")
        except (LookupError, PermissionError) as exc:
            shutil.rmtree(root, ignore_errors=True)
            raise PostgresUnavailable(f"no postgres system user to own the cluster: {exc}") from exc
    try:
        subprocess.run(
            _as_owner([initdb, "-D", str(data), "-U", DB_USER, "--auth=trust", "-E", "UTF8", "--no-sync"]),
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_S,
        )
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
        subprocess.run(
            _as_owner([pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", str(START_TIMEOUT_S), "start"]),
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_S + 10,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        tail = log.read_text()[-500:] if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise PostgresUnavailable(f"PostgreSQL did not start: {detail.decode(errors='replace')[-300:]} {tail}") from exc
    try:
        yield f"postgresql+psycopg://{DB_USER}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(server_url: str) -> str:
    """A new, empty database on the server; its URL."""
    import sqlalchemy as sa

    name = f"t{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as db:
        db.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name
