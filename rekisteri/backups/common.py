"""Shared by backups and restores: the two kinds, errors, database access, writing files safely."""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections

from rekisteri.keystore.router import KEYSTORE_DB

SQLITE_MAGIC = b"SQLite format 3\x00"


PGDUMP_MAGIC = b"PGDMP"


REGISTER = "register"


KEYS = "keys"


# A table only the register has, and tables only the key store has.
REGISTER_MARKER = "people_person"


KEYSTORE_TABLES = {"keystore_datakey", "keystore_indexkey", "keystore_keycheck", "keystore_erasuretombstone"}


AUDIT_TABLES = {"audit_auditevent", "audit_audithead", "audit_auditsubject"}


class BackupError(Exception):
    """A backup or restore cannot go ahead; the message says why and what to do."""


class RestoreRefused(BackupError):
    """The target holds data and replacing it was not confirmed."""


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"  # pragma: no cover


def vendor_of(alias: str) -> str:
    return connections[alias].vendor


def sqlite_path(alias: str) -> Path:
    name = str(settings.DATABASES[alias]["NAME"])
    if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        raise BackupError(f"The {alias!r} database is in memory; there is no file to back up or restore.")
    return Path(name)


def sqlite_timeout(alias: str) -> float:
    return float(settings.DATABASES[alias].get("OPTIONS", {}).get("timeout", 20))


def sqlite_readonly(path: Path, timeout: float = 20) -> sqlite3.Connection:
    # mode=ro never creates a missing file and never writes to the one it reads.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found on PATH: install the PostgreSQL client tools "
            f"(the same major version as the server, or newer)."
        )
    return found


def pg_connection(alias: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the alias (no password in it) and the environment to use.

    The password goes through PGPASSWORD, so it never shows in the process list.
    """
    from psycopg import pq
    from psycopg.conninfo import make_conninfo

    database = settings.DATABASES[alias]
    known = {default.keyword.decode() for default in pq.Conninfo.get_defaults()}
    params: dict[str, Any] = {
        "dbname": database["NAME"],
        "host": database.get("HOST") or None,
        "port": str(database["PORT"]) if database.get("PORT") else None,
        "user": database.get("USER") or None,
    }
    for key, value in (database.get("OPTIONS") or {}).items():
        if key in known and key != "password" and value is not None:
            params[key] = str(value)
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    # An unreachable server should fail in seconds, not hang.
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return make_conninfo(**{key: value for key, value in params.items() if value is not None}), env


def describe_target(alias: str) -> str:
    database = settings.DATABASES[alias]
    if vendor_of(alias) == "sqlite":
        return str(database["NAME"])
    return f"PostgreSQL database {database['NAME']!r} on {database.get('HOST') or 'localhost'}"


def tables_of(alias: str) -> set[str]:
    """The tables of a database, without creating a missing SQLite file."""
    if vendor_of(alias) == "sqlite":
        path = sqlite_path(alias)
        if not path.exists() or path.stat().st_size == 0:
            return set()
    try:
        with connections[alias].cursor() as cursor:
            return set(connections[alias].introspection.table_names(cursor))
    except DatabaseError as exc:
        raise BackupError(f"Cannot reach the {alias!r} database ({describe_target(alias)}): {exc}") from None


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def destination(dest: Path | str, kind: str, vendor: str, force: bool) -> Path:
    """The file to write: DEST itself, or a timestamped file inside DEST if it is a directory.

    A DEST ending in a slash is a directory, created (owner-only) if missing: `backup
    /backups/daily/` must not write a file named "daily" that the next run then refuses.
    """
    as_directory = str(dest).endswith(("/", os.sep))
    dest = Path(dest).expanduser()
    if as_directory and not dest.exists():
        if not dest.parent.is_dir():
            raise BackupError(f"The directory {dest.parent} does not exist.")
        dest.mkdir(mode=0o700)
    elif as_directory and not dest.is_dir():
        raise BackupError(f"{dest} is a file, not a directory.")
    if dest.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        suffix = "sqlite3" if vendor == "sqlite" else "pgdump"
        dest = dest / f"rekisteri-{kind}-{stamp}.{suffix}"
    if not dest.parent.is_dir():
        raise BackupError(f"The directory {dest.parent} does not exist.")
    refuse_live_file(dest)
    if dest.exists() and not force:
        raise BackupError(f"{dest} already exists; use --force to overwrite it.")
    return dest


def refuse_live_file(path: Path) -> None:
    """Never write a backup over, or restore from, a live database file."""
    for alias in ("default", KEYSTORE_DB):
        if vendor_of(alias) != "sqlite":
            continue
        live = sqlite_path(alias).resolve()
        if path.resolve() in {live, Path(f"{live}-wal"), Path(f"{live}-shm")}:
            raise BackupError(f"{path} is the live {alias!r} database, not a backup.")


def temp_beside(dest: Path) -> Path:
    """A new, empty, owner-only file in the destination's directory (so rename is atomic)."""
    path = dest.parent / f".{dest.name}.{secrets.token_hex(4)}.tmp"
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return path


def publish(tmp: Path, dest: Path) -> int:
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)
    fsync_dir(dest.parent)
    return dest.stat().st_size


def register_ready() -> bool:
    tables = tables_of("default")
    return AUDIT_TABLES <= tables and REGISTER_MARKER in tables
