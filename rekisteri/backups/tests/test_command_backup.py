"""`rekisteri backup`, `backup-keys` and `restore`: files, refusals, dry runs and messages.

The commands run in child processes against installations of their own; see
test_backup_restore.py for the helpers and for the erasure scenarios.
"""

from __future__ import annotations

import json
import sqlite3
import stat

import pytest
from django.core.management import load_command_class

from rekisteri.backups.inspect import backup_inspect
from rekisteri.backups.tests import test_backup_restore as shared
from rekisteri.backups.tests.test_backup_restore import (
    NAMES,
    ON_POSTGRESQL,
    SETUP,
    TABLES,
    Installation,
    child_env,
)
from rekisteri.cli import main

# Backups and restores are of the database in use, whatever the test database.
pytestmark = pytest.mark.database

# The installations are a shared fixture (copies of tests/live.py's template).
installations = shared.installations

KEYSTORE_TABLES = {"keystore_datakey", "keystore_indexkey", "keystore_keycheck", "keystore_erasuretombstone"}

PERSONS = """
from rekisteri.people.models import Person
print(json.dumps(sorted(p.first_name for p in Person.objects.all())))
"""

EVENTS = """
from rekisteri.audit.models import AuditEvent
events = AuditEvent.objects.order_by("seq")
print(json.dumps([[e.action, e.object_type, json.loads(e.detail)] for e in events]))
"""

ADD_TABLE = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE zz_added_later (id integer PRIMARY KEY)")
print(json.dumps("ok"))
"""


@pytest.mark.parametrize("name", ["backup", "backup_keys", "restore"])
def test_each_command_explains_itself(name):
    command = load_command_class("rekisteri.backups", name)
    text = command.create_parser("rekisteri", name).format_help()
    assert len(command.help) > 150
    if name in ("restore", "backup"):  # backup [--keys] mirrors restore [--keys]
        assert "--keys" in text
    if name == "restore":
        assert "--yes" in text and "--dry-run" in text
    else:
        assert "DEST" in text and "--force" in text


def test_the_cli_takes_backup_keys_spelled_with_a_hyphen(capsys):
    main(["rekisteri", "help", "backup-keys"])
    assert "key store" in capsys.readouterr().out


@pytest.mark.slow
def test_backup_writes_owner_only_files_and_never_overwrites_without_force(installations, tmp_path):
    installation = installations()
    installation.python(SETUP, json.dumps(NAMES[:1]))
    dest = tmp_path / "register.bak"

    first = installation.cli("backup", str(dest))
    assert f"Register backup written to {dest}" in first.stdout
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    again = installation.cli("backup", str(dest), check=False)
    assert again.returncode == 1 and "already exists; use --force" in again.stderr
    installation.cli("backup", str(dest), "--force")

    folder = tmp_path / "daily"
    folder.mkdir()
    installation.cli("backup", str(folder))
    keys = installation.cli("backup", "--keys", str(folder))
    assert "1 data key(s), 0 erasure tombstone(s)" in keys.stdout
    assert "Keep key backups for days, not months" in keys.stdout
    written = sorted(path.name for path in folder.iterdir())
    suffix = "pgdump" if ON_POSTGRESQL else "sqlite3"
    assert [name.split("-")[1] for name in written] == ["keys", "register"]
    assert all(name.endswith(suffix) for name in written)
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in folder.iterdir())

    # A trailing slash means a directory, made if missing: not a file named "weekly".
    installation.cli("backup", f"{tmp_path / 'weekly'}/")
    [weekly] = (tmp_path / "weekly").iterdir()
    assert (
        weekly.name.startswith("rekisteri-register-") and stat.S_IMODE(weekly.parent.stat().st_mode) == 0o700
    )

    missing_dir = installation.cli("backup", str(tmp_path / "no" / "such" / "dir.bak"), check=False)
    assert missing_dir.returncode == 1 and "does not exist" in missing_dir.stderr
    if not ON_POSTGRESQL:  # a backup never lands on, nor a restore reads from, a live database file
        live = installation.data_dir / "rekisteri.sqlite3"
        over_live = installation.cli("backup", str(live), "--force", check=False)
        assert over_live.returncode == 1 and "is the live 'default' database" in over_live.stderr
        from_live = installation.cli(
            "restore", "--keys", str(installation.data_dir / "keystore.sqlite3"), check=False
        )
        assert from_live.returncode == 1 and "is the live 'keystore' database" in from_live.stderr


@pytest.mark.slow
def test_the_register_backup_holds_no_key_store_tables_and_the_key_backup_nothing_else(
    installations, tmp_path
):
    installation = installations()
    installation.python(SETUP, json.dumps(NAMES[:1]))
    installation.cli("backup", str(tmp_path / "register.bak"))
    installation.cli("backup-keys", str(tmp_path / "keys.bak"))

    register = backup_inspect(tmp_path / "register.bak")
    keys = backup_inspect(tmp_path / "keys.bak")
    assert (register.kind, keys.kind) == ("register", "keys")
    assert "people_person" in register.tables and "audit_auditevent" in register.tables
    assert not register.tables & KEYSTORE_TABLES
    assert KEYSTORE_TABLES <= keys.tables <= KEYSTORE_TABLES | {"django_migrations"}
    if not ON_POSTGRESQL:  # the file itself, opened directly
        with sqlite3.connect(tmp_path / "register.bak") as conn:
            names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert not {name for name in names if name.startswith("keystore")}
    # Each backup is recorded in the audit trail, with no personal data.
    events = installation.python(EVENTS)
    assert [e[:2] for e in events[-2:]] == [["backup", "register"], ["backup_keys", "keystore"]]
    assert events[-2][2]["backup_head_seq"] == register.audit_head_seq
    assert events[-1][2]["data_keys"] == 1


@pytest.mark.slow
def test_restore_refuses_missing_files_other_formats_and_the_wrong_kind_of_backup(installations, tmp_path):
    installation = installations()
    installation.cli("backup", str(tmp_path / "register.bak"))
    installation.cli("backup-keys", str(tmp_path / "keys.bak"))
    (tmp_path / "notes.txt").write_text("not a backup")
    with sqlite3.connect(tmp_path / "other.sqlite3") as conn:
        conn.execute("CREATE TABLE something (id integer)")

    cases = [
        (["restore", str(tmp_path / "missing.bak")], "does not exist"),
        (["restore", str(tmp_path / "notes.txt")], "neither a SQLite backup nor a pg_dump"),
        (["restore", str(tmp_path / "other.sqlite3")], "not a rekisteri register or key-store backup"),
        (
            ["restore", str(tmp_path / "keys.bak")],
            "is a key-store backup; restore it with `rekisteri restore --keys",
        ),
        (["restore", "--keys", str(tmp_path / "register.bak")], "is a register backup"),
    ]
    for args, message in cases:
        result = installation.cli(*args, check=False)
        assert result.returncode == 1, args
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs a PostgreSQL installation to restore into")
def test_restore_refuses_a_sqlite_backup_on_postgresql(installations, tmp_path):
    installation = installations()
    fake = tmp_path / "sqlite.bak"
    with sqlite3.connect(fake) as conn:
        for table in ("people_person", "audit_auditevent", "audit_audithead", "audit_auditsubject"):
            conn.execute(f"CREATE TABLE {table} (id integer, seq integer)")
        conn.execute("CREATE TABLE django_migrations (app text, name text)")
    result = installation.cli("restore", str(fake), check=False)
    assert result.returncode == 1
    assert "is a SQLite backup, but this installation's 'default' database is PostgreSQL" in result.stderr


@pytest.mark.slow
def test_a_dry_run_changes_nothing_and_replacing_data_needs_yes(installations, tmp_path):
    installation = installations()
    installation.python(SETUP, json.dumps(NAMES[:2]))
    installation.cli("backup", str(tmp_path / "register.bak"))
    installation.cli("backup-keys", str(tmp_path / "keys.bak"))
    installation.python(SETUP, json.dumps(NAMES[2:]))

    dry = installation.cli("restore", str(tmp_path / "register.bak"), "--dry-run")
    assert "holds 3 person(s)" in dry.stdout and "2 person(s))" in dry.stdout
    assert "Dry run: nothing was changed." in dry.stdout
    refused = installation.cli("restore", str(tmp_path / "register.bak"), check=False)
    assert refused.returncode == 1 and "Run again with --yes to replace it." in refused.stderr
    keys_dry = installation.cli("restore", "--keys", str(tmp_path / "keys.bak"), "--dry-run")
    assert "holds 3 data key(s)" in keys_dry.stdout and "Dry run" in keys_dry.stdout
    keys_refused = installation.cli("restore", "--keys", str(tmp_path / "keys.bak"), check=False)
    assert keys_refused.returncode == 1 and "--yes" in keys_refused.stderr
    assert installation.python(PERSONS) == ["Anna", "Bertta", "Cecilia"]

    installation.cli("restore", str(tmp_path / "register.bak"), "--yes")
    assert installation.python(PERSONS) == ["Anna", "Bertta"]


@pytest.mark.slow
def test_restore_leaves_no_table_the_backup_did_not_have(installations, tmp_path):
    installation = installations()
    installation.cli("backup", str(tmp_path / "register.bak"))
    installation.python(ADD_TABLE)
    assert "zz_added_later" in installation.python(TABLES)["default"]
    installation.cli("restore", str(tmp_path / "register.bak"), "--yes")
    assert "zz_added_later" not in installation.python(TABLES)["default"]


@pytest.mark.slow
def test_backup_reports_a_missing_or_unreachable_database_clearly(tmp_path):
    empty = Installation(tmp_path / "empty", child_env(tmp_path / "empty"))
    empty.data_dir.mkdir()
    for command in ("backup", "backup-keys"):
        missing = empty.cli(command, str(tmp_path), check=False)
        assert missing.returncode == 1 and "nothing to back up" in missing.stderr
        assert "Has `rekisteri migrate` been run?" in missing.stderr

    unreachable = Installation(
        tmp_path / "away",
        child_env(tmp_path / "away", DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere"),
    )
    for command in ("backup", "backup-keys"):
        result = unreachable.cli(command, str(tmp_path), check=False)
        assert result.returncode == 1
        assert "Cannot reach the" in result.stderr and "port 1 failed" in result.stderr
        assert "Traceback" not in result.stderr
    assert [path.name for path in tmp_path.iterdir() if path.is_file()] == []  # no half-written file


def test_a_destination_ending_in_a_slash_is_a_directory_made_if_missing(tmp_path, monkeypatch):
    from rekisteri.backups import common
    from rekisteri.backups.common import BackupError, destination

    # Whether DEST is a live database file is another test's (the test database is in memory).
    monkeypatch.setattr(common, "refuse_live_file", lambda path: None)

    made = destination(f"{tmp_path / 'daily'}/", "register", "sqlite", force=False)

    assert made.parent == tmp_path / "daily" and made.parent.is_dir()
    assert made.name.startswith("rekisteri-register-") and made.name.endswith(".sqlite3")
    (tmp_path / "file").write_text("x")
    with pytest.raises(BackupError, match="is a file, not a directory"):
        destination(f"{tmp_path / 'file'}/", "register", "sqlite", force=False)
    with pytest.raises(BackupError, match="does not exist"):
        destination(f"{tmp_path / 'no' / 'such'}/", "register", "sqlite", force=False)
    # Without the slash a missing name is a file, in a directory that must exist.
    assert (
        destination(tmp_path / "register.bak", "register", "sqlite", force=False) == tmp_path / "register.bak"
    )
