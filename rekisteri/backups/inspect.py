"""Reading a backup file without restoring it: what it is, its rows, whether it fits this installation."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from rekisteri.backups.common import (
    AUDIT_TABLES,
    KEYS,
    KEYSTORE_TABLES,
    PGDUMP_MAGIC,
    REGISTER,
    REGISTER_MARKER,
    SQLITE_MAGIC,
    BackupError,
    sqlite_readonly,
    tool,
    vendor_of,
)

_BYTEA = re.compile(r"\\x(?:[0-9a-f]{2})*")


@dataclass
class BackupInfo:
    """What a backup file is, read without restoring it."""

    path: Path
    vendor: str  # "sqlite" or "postgresql"
    kind: str  # REGISTER or KEYS
    tables: set[str]
    migrations: set[tuple[str, str]]
    audit_head_seq: int | None = None


def _copy_unescape(value: str) -> str | None:
    """One field of PostgreSQL's COPY text format."""
    if value == "\\N":
        return None
    if "\\" not in value:
        return value
    simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}

    def replace(match: re.Match) -> str:
        token = match.group(1)
        if token in simple:
            return simple[token]
        if token[0] == "x" and len(token) > 1:
            return chr(int(token[1:], 16))
        if token[0] in "01234567":
            return chr(int(token, 8))
        return token

    return re.sub(r"\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)", replace, value)


def pg_copy_rows(path: Path, table: str) -> Iterator[dict[str, Any]]:
    """The rows of one table of a pg_dump archive, as strings (bytea as bytes)."""
    process = subprocess.Popen(
        [tool("pg_restore"), "--data-only", f"--table={table}", "--file=-", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert process.stdout is not None
    columns: list[str] | None = None
    header = re.compile(r"^COPY \S+ \((.*)\) FROM stdin;$")
    completed = False
    try:
        for line in process.stdout:
            line = line.rstrip("\n")
            if columns is None:
                match = header.match(line)
                if match:
                    columns = [name.strip().strip('"') for name in match.group(1).split(",")]
                continue
            if line == "\\.":
                columns = None
                continue
            values = [_copy_unescape(raw) for raw in line.split("\t")]
            row = dict(zip(columns, values, strict=False))
            for key, value in row.items():
                # bytea in COPY's text format: \x followed by hex digits.
                if isinstance(value, str) and _BYTEA.fullmatch(value):
                    row[key] = bytes.fromhex(value[2:])
            yield row
        completed = True
    finally:
        process.stdout.close()
        if not completed:  # the caller stopped early
            process.kill()
        error = process.stderr.read() if process.stderr else ""
        returncode = process.wait()
    if returncode != 0:
        raise BackupError(f"pg_restore cannot read {path}: {error.strip()}")


def backup_rows(path: Path | str, table: str) -> Iterator[dict[str, Any]]:
    """Rows of one table of a backup file, as stored (ids as stored, blobs as bytes)."""
    path = Path(path)
    with open(path, "rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic.startswith(PGDUMP_MAGIC):
        yield from pg_copy_rows(path, table)
        return
    conn = sqlite_readonly(path)
    try:
        conn.row_factory = sqlite3.Row
        exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [table]).fetchone()
        if exists is None:
            return
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            yield dict(row)
    finally:
        conn.close()


def _kind(path: Path, tables: set[str]) -> str:
    has_keys = bool(tables & KEYSTORE_TABLES)
    if REGISTER_MARKER in tables and not has_keys and AUDIT_TABLES | {"django_migrations"} <= tables:
        return REGISTER
    if KEYSTORE_TABLES | {"django_migrations"} <= tables and REGISTER_MARKER not in tables:
        return KEYS
    raise BackupError(f"{path} is a database file, but not a rekisteri register or key-store backup.")


def backup_inspect(path: Path | str) -> BackupInfo:
    """Identify a backup file (format, register or key store) and check it can be read."""
    path = Path(path).expanduser()
    if not path.exists():
        raise BackupError(f"{path} does not exist.")
    if not path.is_file():
        raise BackupError(f"{path} is not a file.")
    with open(path, "rb") as handle:
        magic = handle.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        return _inspect_sqlite(path)
    if magic.startswith(PGDUMP_MAGIC):
        return _inspect_pgdump(path)
    raise BackupError(
        f"{path} is neither a SQLite backup nor a pg_dump custom-format archive made by "
        "`rekisteri backup` or `rekisteri backup-keys`."
    )


def _inspect_sqlite(path: Path) -> BackupInfo:
    try:
        conn = sqlite_readonly(path)
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"{path} is damaged (SQLite quick_check: {check}).")
            # sqlite_sequence and friends are SQLite's own bookkeeping, not tables of ours.
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if not row[0].startswith("sqlite_")
            }
            migrations = set()
            if "django_migrations" in tables:
                migrations = {tuple(row) for row in conn.execute("SELECT app, name FROM django_migrations")}
            head = None
            if "audit_audithead" in tables:
                row = conn.execute("SELECT seq FROM audit_audithead WHERE id = 1").fetchone()
                head = row[0] if row else 0
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc}") from None
    return BackupInfo(path, "sqlite", _kind(path, tables), tables, migrations, head)


def _inspect_pgdump(path: Path) -> BackupInfo:
    listing = subprocess.run(
        [tool("pg_restore"), "--list", str(path)], capture_output=True, text=True, encoding="utf-8"
    )
    if listing.returncode != 0:
        raise BackupError(f"{path} cannot be read by pg_restore: {listing.stderr.strip()}")
    entry = re.compile(r"^\d+;\s+\d+\s+\d+\s+TABLE\s+(?!DATA\s)(\S+)\s+(\S+)\s")
    tables = {m.group(2) for m in map(entry.match, listing.stdout.splitlines()) if m}
    migrations = {(row["app"], row["name"]) for row in pg_copy_rows(path, "django_migrations")}
    head = None
    if "audit_audithead" in tables:
        head = next((int(row["seq"]) for row in pg_copy_rows(path, "audit_audithead")), 0)
    return BackupInfo(path, "postgresql", _kind(path, tables), tables, migrations, head)


def backup_person_ids(info: BackupInfo) -> set[UUID]:
    return {UUID(str(row["id"])) for row in backup_rows(info.path, "people_person")}


def check_compatible(info: BackupInfo, kind: str, alias: str) -> None:
    from django.db.migrations.loader import MigrationLoader

    if info.kind != kind:
        if info.kind == KEYS:
            raise BackupError(
                f"{info.path} is a key-store backup; restore it with `rekisteri restore --keys {info.path}`."
            )
        raise BackupError(
            f"{info.path} is a register backup; restore it with `rekisteri restore {info.path}` "
            "(without --keys)."
        )
    vendor = vendor_of(alias)
    if info.vendor != vendor:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"{info.path} is a {names[info.vendor]} backup, but this installation's {alias!r} database "
            f"is {names.get(vendor, vendor)}. Restore it into an installation of the same kind."
        )
    loader = MigrationLoader(None, ignore_no_migrations=True)
    unknown = sorted(
        f"{app}.{name}"
        for app, name in info.migrations
        if app in loader.migrated_apps and (app, name) not in loader.disk_migrations
    )
    if unknown:
        raise BackupError(
            f"{info.path} was made by a newer version of rekisteri (it has migrations this version does "
            f"not know: {', '.join(unknown[:5])}). Upgrade rekisteri, then restore."
        )
