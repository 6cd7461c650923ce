"""Backups and restores respect erasure: a person erased after a backup stays erased.

These tests run the real commands in child processes against installations of their own
(a data directory with SQLite files, or scratch PostgreSQL databases when the suite runs on
PostgreSQL), because a restore replaces whole databases, which the test database, living
inside one transaction of this process, cannot show. The helpers here are shared with
test_command_backup.py.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from django.conf import settings

from rekisteri.backups.inspect import backup_rows
from rekisteri.lib.crypto import generate_master_key
from tests.live import ForkServer, copy_template_files, create_databases_from_template, pg_admin, pg_names
from tests.live import pg_url as _pg_url

pytestmark = [pytest.mark.slow, pytest.mark.database]

# The same master key for every installation ("given the master key"); the wrong one has the
# same id and other key material.
MASTER_KEY = generate_master_key("backup-test").to_string()
WRONG_MASTER_KEY = generate_master_key("backup-test").to_string()
AUDIT_KEY = generate_master_key("backup-audit").to_string()
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

PRELUDE = "import json, sys\nimport django\ndjango.setup()\n"

SETUP = """
from rekisteri.audit.actor import Actor
from rekisteri.contacts.services import interaction_create, tracking_event_record
from rekisteri.marketing.services.consents import consent_give
from rekisteri.organizations.models import Organization
from rekisteri.organizations.services import organization_create
from rekisteri.people.services import person_create
from rekisteri.privacy.services import basis_set, source_add

actor = Actor.system("test:setup", origin="cli")
org = Organization.objects.filter(name="Varmuuskopio Oy").first() or organization_create(
    actor=actor, name="Varmuuskopio Oy", business_id="0154088-5", city="Tampere", status="customer"
)
ids = {}
for number, (first, last) in enumerate(json.loads(sys.argv[1])):
    # Run again on purpose over the same register (allow_duplicate: the same addresses).
    person = person_create(
        actor=actor, allow_duplicate=True, first_name=first, last_name=last,
        email=f"{first.lower()}@varmuus.fi", phone=f"040 555 00{number:02d}", organization=org,
        title="Hankintapäällikkö", categories=["customer_representative"],
    )
    interaction_create(actor=actor, person=person, kind="call", text=f"Soitettiin: {first}")
    # Individual tracking of any kind needs the person's consent (section 9).
    consent_give(actor=actor, person=person, topic="tracking", channel="web_form")
    tracking_event_record(actor=actor, person=person, kind="web_visit", reference=f"/hinnasto/{first}")
    source_add(actor=actor, person=person, kind="data_subject", detail=f"Lomake {first}")
    basis_set(actor=actor, person=person, purpose="customer_relationship", basis="contract",
              justification=f"Sopimus {first}")
    ids[first] = str(person.pk)
print(json.dumps(ids))
"""

ERASE = """
from rekisteri.audit.actor import Actor
from rekisteri.privacy.erasure import person_erase

person_erase(actor=Actor.system("test:erase", origin="cli"), person_id=sys.argv[1], reason="erasure_request")
print(json.dumps("erased"))
"""

STATE = """
from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_verify
from rekisteri.contacts.models import Interaction
from rekisteri.keystore.models import DataKey, ErasureTombstone
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_search
from rekisteri.privacy.registry import personal_data_models

watched = sys.argv[1]
actor = Actor.system("test:check", origin="cli")
verify = audit_verify()
print(json.dumps({
    "persons": {p.first_name: [p.last_name, p.email, p.phone] for p in Person.objects.all()},
    "interactions": sorted(i.text for i in Interaction.objects.all()),
    "watched_rows": {
        entry.label: entry.rows_by_lookup(watched).count()
        for entry in personal_data_models() if entry.erasure == "delete"
    },
    "search": {
        query: sorted(p.first_name for p in person_search(actor=actor, query=query).results)
        for query in json.loads(sys.argv[2])
    },
    "keys": sorted(str(pid) for pid in DataKey.objects.values_list("person_id", flat=True)),
    "tombstones": sorted(str(pid) for pid in ErasureTombstone.objects.values_list("person_id", flat=True)),
    "verify": [verify.ok, verify.problem, verify.head_seq],
    "events": [
        [e.action, [str(p) for p in json.loads(e.person_ids)], json.loads(e.detail)]
        for e in AuditEvent.objects.order_by("seq")
    ],
}))
"""

# Reads a person's row straight out of a backup file and tries to decrypt it.
FROM_BACKUP = """
from uuid import UUID

from rekisteri.backups.inspect import backup_rows
from rekisteri.keystore.services import KeyDestroyed, cipher_for

path, person_id = sys.argv[1], UUID(sys.argv[2])
row = next(r for r in backup_rows(path, "people_person") if UUID(str(r["id"])) == person_id)
try:
    name = cipher_for(person_id).decrypt(
        bytes(row["first_name"]), table="people_person", column="first_name", row_id=person_id
    )
except KeyDestroyed as exc:
    name = f"KeyDestroyed: {exc}"
print(json.dumps({"ciphertext_bytes": len(bytes(row["first_name"])), "first_name": name}))
"""

TABLES = """
from pathlib import Path
from django.conf import settings
from django.db import connections

result = {}
for alias in ("default", "keystore"):
    name = settings.DATABASES[alias]["NAME"]
    if connections[alias].vendor == "sqlite" and not Path(name).exists():
        result[alias] = None
        continue
    with connections[alias].cursor() as cursor:
        result[alias] = sorted(connections[alias].introspection.table_names(cursor))
print(json.dumps(result))
"""

# Writes persons until told to stop, so a backup can be taken in the middle of it.
WRITER = """
import os, time
from rekisteri.audit.actor import Actor
from rekisteri.people.services import person_create

actor = Actor.system("test:writer", origin="cli")
stop, ready = sys.argv[1], sys.argv[2]
written, deadline = 0, time.time() + 120
while not os.path.exists(stop) and time.time() < deadline:
    person_create(actor=actor, first_name="Kiire", last_name=f"Kirjoittaja{written}",
                  email=f"k{written}@kiire.fi", categories=["prospect_contact"])
    written += 1
    if written == 5:
        open(ready, "w").close()
print(json.dumps(written))
"""

NAMES = [["Anna", "Aaltonen"], ["Bertta", "Berg"], ["Cecilia", "Castrén"]]


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "KEYSTORE_DATABASE_URL",
            "REKISTERI_ENV",
            "REKISTERI_MASTER_KEY",
            "REKISTERI_AUDIT_KEY",
            "REKISTERI_AUDIT_CHECKPOINT_FILE",
        }
    }
    env.update(
        REKISTERI_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="rekisteri.settings",
        REKISTERI_MASTER_KEY=MASTER_KEY,
        # A new machine gets the audit key with the master key (README, Backups).
        REKISTERI_AUDIT_KEY=AUDIT_KEY,
    )
    env.update(extra)
    return env


@dataclass
class Installation:
    """One rekisteri installation: a data directory, and on PostgreSQL two databases of its own.

    Its commands and snippets run as children of a fork server (tests/live.py), except those
    given environment variables of their own, which start a process of their own.
    """

    data_dir: Path
    env: dict[str, str]
    databases: list[str] = field(default_factory=list)
    forks: ForkServer | None = None

    def _run(self, kind: str, argv: list[str], code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        if env:
            start = ["-m", "rekisteri.cli"] if kind == "cli" else ["-c", code]
            return subprocess.run(
                [sys.executable, *start, *argv[1:]],
                env={**self.env, **env},
                capture_output=True,
                text=True,
                timeout=300,
            )
        if self.forks is None:
            workdir = self.data_dir.parent / f"{self.data_dir.name}-children"
            workdir.mkdir(exist_ok=True)
            self.forks = ForkServer(self.env, workdir)
        return self.forks.run(kind, argv, code)

    def cli(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        result = self._run("cli", ["rekisteri", *args], "", env)
        if check:
            assert result.returncode == 0, f"{args}: {result.stderr}\n{result.stdout}"
        return result

    def python(self, code: str, *args: str, check: bool = True, **env: str) -> Any:
        result = self._run("python", ["-c", *args], PRELUDE + textwrap.dedent(code), env)
        if not check:
            return result
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    def state(self, watched: str, queries: list[str]) -> dict[str, Any]:
        return self.python(STATE, watched, json.dumps(queries))

    def drop(self) -> None:
        if self.forks is not None:
            self.forks.stop()
        for name in self.databases:
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_numbers = itertools.count(1)


@pytest.fixture
def installations(tmp_path):
    """Make installations: migrated copies of the session's template (tests/live.py), or empty
    ones (a new machine)."""
    made: list[Installation] = []

    def make(*, migrated: bool = True) -> Installation:
        number = next(_numbers)
        data_dir = tmp_path / f"installation-{number}"
        data_dir.mkdir(mode=0o700)
        installation = _installation(data_dir, f"bk{number}", migrated=migrated)
        made.append(installation)
        return installation

    yield make
    for installation in made:
        installation.drop()


def _installation(data_dir: Path, tag: str, *, migrated: bool) -> Installation:
    """An installation in the (empty) `data_dir`: a copy of the session's template or, unless
    `migrated`, nothing yet; on PostgreSQL its two databases are named after `tag`."""
    installation = Installation(data_dir, child_env(data_dir))
    if ON_POSTGRESQL:
        name = f"{settings.DATABASES['default']['NAME']}_{tag}"
        if migrated:
            installation.databases += create_databases_from_template(name)
        else:
            for database in pg_names(name):
                pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                pg_admin(f'CREATE DATABASE "{database}"')
                installation.databases.append(database)
        installation.env["DATABASE_URL"] = _pg_url(name)
    elif migrated:
        copy_template_files(data_dir)
    return installation


def backup_both(installation: Installation, directory: Path, suffix: str = "") -> tuple[Path, Path]:
    directory.mkdir(exist_ok=True)
    register, keys = directory / f"register{suffix}.bak", directory / f"keys{suffix}.bak"
    installation.cli("backup", str(register))
    installation.cli("backup-keys", str(keys))
    return register, keys


# --------------------------------------------------------------------------- online backups


def test_a_backup_taken_while_the_register_is_being_written_is_consistent(installations, tmp_path):
    installation = installations()
    stop, ready, backup = tmp_path / "stop", tmp_path / "ready", tmp_path / "online.bak"
    writer = subprocess.Popen(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(WRITER), str(stop), str(ready)],
        env=installation.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ready.exists(), writer.stderr.read() if writer.poll() is not None else "writer too slow"
        installation.cli("backup", str(backup))
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err  # the writer never waited out a lock or failed
    written = json.loads(out.strip().splitlines()[-1])

    persons = sum(1 for _ in backup_rows(backup, "people_person"))
    created = sum(
        1
        for row in backup_rows(backup, "audit_auditevent")
        if row["action"] == "create" and row["object_type"] == "person"
    )
    assert 5 <= persons < written  # taken mid-way through the writes...
    assert persons == created  # ...yet every person has its audit event: one consistent snapshot


# --------------------------------------------------------------------------- erased after the backup


@pytest.fixture(scope="module")
def erased_after_backup(tmp_path_factory):
    """Persons, a backup of both stores, one person erased, then the register restored."""
    tmp = tmp_path_factory.mktemp("erased-after-backup")
    data_dir = tmp / "data"
    data_dir.mkdir(mode=0o700)
    installation = _installation(data_dir, "bkm", migrated=True)
    ids = installation.python(SETUP, json.dumps(NAMES))
    installation.cli("audit", "checkpoint")
    register, keys = backup_both(installation, tmp / "backups")
    before_erasure = installation.state(ids["Bertta"], [])
    installation.python(ERASE, ids["Bertta"])
    installation.cli("audit", "checkpoint")
    checkpoints = (data_dir / "audit-checkpoints.jsonl").read_text()
    restore = installation.cli("restore", str(register), "--yes")
    yield {
        "installation": installation,
        "ids": ids,
        "register": register,
        "keys": keys,
        "before_erasure": before_erasure,
        "checkpoints_before_restore": checkpoints,
        "restore": restore,
        "state": installation.state(
            ids["Bertta"], ["Bertta", "Berg", "bertta@varmuus.fi", "Anna", "Cecilia"]
        ),
    }
    installation.drop()


def test_the_erased_persons_rows_are_removed_again_from_every_registered_model(erased_after_backup):
    ids, state = erased_after_backup["ids"], erased_after_backup["state"]
    # The backup held Bertta's rows in every registered model...
    before = erased_after_backup["before_erasure"]["watched_rows"]
    assert before["people.Person"] == 1 and before["contacts.Interaction"] == 1
    assert before["privacy.DataSource"] == 1 and before["encryption.SearchTerm"] > 0
    # ...and after the restore none of them is there.
    assert set(state["watched_rows"].values()) == {0}, state["watched_rows"]
    assert "Bertta" not in state["persons"]
    assert ids["Bertta"] not in state["keys"]
    assert ids["Bertta"] in state["tombstones"]
    assert "Erasure journal replayed: 1 person(s)" in erased_after_backup["restore"].stdout


def test_the_other_persons_are_restored_and_readable(erased_after_backup):
    state = erased_after_backup["state"]
    assert state["persons"] == {
        "Anna": ["Aaltonen", "anna@varmuus.fi", "+358405550000"],
        "Cecilia": ["Castrén", "cecilia@varmuus.fi", "+358405550002"],
    }
    assert state["interactions"] == ["Soitettiin: Anna", "Soitettiin: Cecilia"]


def test_search_does_not_find_the_erased_person_after_the_restore(erased_after_backup):
    search = erased_after_backup["state"]["search"]
    assert search["Bertta"] == [] and search["Berg"] == [] and search["bertta@varmuus.fi"] == []
    assert search["Anna"] == ["Anna"] and search["Cecilia"] == ["Cecilia"]


def test_the_erased_persons_ciphertext_in_the_backup_file_cannot_be_decrypted(erased_after_backup):
    installation, ids = erased_after_backup["installation"], erased_after_backup["ids"]
    register = erased_after_backup["register"]
    bertta = installation.python(FROM_BACKUP, str(register), ids["Bertta"])
    assert bertta["ciphertext_bytes"] > 0  # the row is in the backup...
    assert bertta["first_name"].startswith("KeyDestroyed")  # ...and nothing of it is readable
    # The same file still serves everyone else.
    assert installation.python(FROM_BACKUP, str(register), ids["Anna"])["first_name"] == "Anna"
    assert b"Bertta" not in register.read_bytes() and b"Berg" not in register.read_bytes()


def test_the_audit_trail_rolls_back_to_the_backups_head_and_old_checkpoints_are_kept(erased_after_backup):
    installation, state = erased_after_backup["installation"], erased_after_backup["state"]
    restore = erased_after_backup["restore"].stdout
    events = state["events"]
    restore_event = next(e for e in events if e[0] == "restore")
    head = restore_event[2]["backup_head_seq"]
    assert restore_event[2]["previous_head_seq"] > head
    assert restore_event[2]["checkpoints_archived"] is True
    # The restored trail ends with the backup's head, then the restore and the replay.
    assert [e[0] for e in events[head : head + 2]] == ["restore", "erase_replayed"]
    assert events[head + 1][1] == [erased_after_backup["ids"]["Bertta"]]
    assert "erase" not in [e[0] for e in events[:head]]
    assert state["verify"][0], state["verify"]
    assert "rolled back from event" in restore and "kept, not deleted" in restore
    archived = list(installation.data_dir.glob("audit-checkpoints.jsonl.before-restore-*"))
    assert len(archived) == 1
    assert archived[0].read_text() == erased_after_backup["checkpoints_before_restore"]
    verify = installation.cli("audit", "verify")
    assert "intact" in verify.stdout and "agree" in verify.stdout


# --------------------------------------------------------------------------- key-store restores


def test_restoring_an_old_key_backup_does_not_bring_back_an_erased_persons_key(installations, tmp_path):
    installation = installations()
    ids = installation.python(SETUP, json.dumps(NAMES))
    _, keys = backup_both(installation, tmp_path / "backups")
    # Dora arrives after the key backup; Bertta is erased after it.
    ids.update(installation.python(SETUP, json.dumps([["Dora", "Dahl"]])))
    installation.python(ERASE, ids["Bertta"])

    dry = installation.cli("restore", "--keys", str(keys), "--dry-run")
    assert "1 tombstone(s) of later erasures are kept, 1 key(s) of erased persons" in dry.stdout
    assert "1 key(s) of persons added after the backup are kept" in dry.stdout
    installation.cli("restore", "--keys", str(keys), "--yes")

    state = installation.state(ids["Bertta"], ["Bertta"])
    assert ids["Bertta"] not in state["keys"]
    assert ids["Bertta"] in state["tombstones"]
    assert sorted(state["keys"]) == sorted([ids["Anna"], ids["Cecilia"], ids["Dora"]])
    assert sorted(state["persons"]) == ["Anna", "Cecilia", "Dora"]
    assert state["search"]["Bertta"] == []
    # The key backup itself still holds Bertta's key: hence their short retention.
    assert ids["Bertta"] in {
        str(UUID(str(row["person_id"]))) for row in backup_rows(keys, "keystore_datakey")
    }
    assert any(e[0] == "restore_keys" for e in state["events"])


def test_a_restore_into_an_empty_data_directory_on_another_machine_works_given_the_master_key(
    installations, tmp_path
):
    old = installations()
    ids = old.python(SETUP, json.dumps(NAMES))
    register, keys = backup_both(old, tmp_path / "backups")

    new = installations(migrated=False)
    assert new.python(TABLES) in ({"default": None, "keystore": None}, {"default": [], "keystore": []})
    restored_keys = new.cli("restore", "--keys", str(keys))
    assert "restore it next" in restored_keys.stdout
    restored = new.cli("restore", str(register))
    assert "Register restored" in restored.stdout and "Audit trail verified" in restored.stdout

    state = new.state(ids["Anna"], ["Bertta", "Castrén"])
    assert state["persons"]["Anna"] == ["Aaltonen", "anna@varmuus.fi", "+358405550000"]
    assert sorted(state["persons"]) == ["Anna", "Bertta", "Cecilia"]
    assert state["search"] == {"Bertta": ["Bertta"], "Castrén": ["Cecilia"]}
    assert state["verify"][0]

    # The same data with a wrong master key: reading fails loudly, naming the cause.
    wrong = new.python(STATE, ids["Anna"], "[]", check=False, REKISTERI_MASTER_KEY=WRONG_MASTER_KEY)
    assert wrong.returncode != 0
    assert "KeystoreError" in wrong.stderr and "wrong master key" in wrong.stderr


def test_a_key_backup_is_refused_with_a_wrong_or_missing_master_key_and_nothing_is_written(
    installations, tmp_path
):
    old = installations()
    old.python(SETUP, json.dumps(NAMES[:1]))
    _, keys = backup_both(old, tmp_path / "backups")
    new = installations(migrated=False)

    wrong = new.cli("restore", "--keys", str(keys), check=False, REKISTERI_MASTER_KEY=WRONG_MASTER_KEY)
    assert wrong.returncode == 1
    assert "Wrong master key" in wrong.stderr and "nothing was changed" in wrong.stderr
    missing = new.cli("restore", "--keys", str(keys), check=False, REKISTERI_MASTER_KEY="")
    assert missing.returncode == 1 and "No master key is configured" in missing.stderr
    assert not (new.data_dir / "master.key").exists()  # no new key was made up on the way
    assert new.python(TABLES)["keystore"] in (None, [])


def test_the_register_restore_waits_for_the_key_store_on_a_new_machine(installations, tmp_path):
    old = installations()
    old.python(SETUP, json.dumps(NAMES[:1]))
    register, _ = backup_both(old, tmp_path / "backups")
    new = installations(migrated=False)
    refused = new.cli("restore", str(register), check=False)
    assert refused.returncode == 1
    assert "Restore the key store first" in refused.stderr
    assert new.python(TABLES)["default"] in (None, [])


def test_a_person_erased_between_the_key_backup_and_the_register_backup_loses_the_restored_key(
    installations, tmp_path
):
    # The key store is lost; the newest key backup predates an erasure the register backup
    # already shows. The audit trail remembers the erasure, so the restored key is destroyed.
    old = installations()
    ids = old.python(SETUP, json.dumps(NAMES))
    old.cli("backup-keys", str(tmp_path / "keys.bak"))
    old.python(ERASE, ids["Bertta"])
    old.cli("backup", str(tmp_path / "register.bak"))

    new = installations(migrated=False)
    new.cli("restore", "--keys", str(tmp_path / "keys.bak"))
    restored = new.cli("restore", str(tmp_path / "register.bak"))
    assert "1 person(s) erased according to the audit trail" in restored.stdout
    state = new.state(ids["Bertta"], ["Bertta"])
    assert ids["Bertta"] not in state["keys"]
    assert ids["Bertta"] in state["tombstones"]
    assert sorted(state["persons"]) == ["Anna", "Cecilia"]
    assert set(state["watched_rows"].values()) == {0}
