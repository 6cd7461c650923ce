"""No personal value of any person is stored in plaintext: a byte scan of what lies on disk.

The test database of the suite lives in memory (SQLite) or inside one uncommitted
transaction (PostgreSQL), so these tests run the register in a child process against real
database files of their own, or scratch PostgreSQL databases, and then read the raw bytes:
the SQLite files with their write-ahead logs, or a fresh pg_dump of both databases, and
every log line the process wrote. The helpers here are shared with the erasure scan
(rekisteri/privacy/tests/test_erasure_byte_scan.py).
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import subprocess
import sys
import unicodedata
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from rekisteri.lib.bytescan import scan  # noqa: F401 (shared with test_erasure_byte_scan)
from rekisteri.lib.normalize import format_phone, normalize_phone
from tests.live import copy_template_files, create_databases_from_template

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="pg_dump scan runs when the suite runs on PostgreSQL (as in CI)"
)

MASTER_KEY = "scan-1:" + base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")

# Not personal data, stored in plaintext on purpose: the scanner must find it (control).
ORGANIZATION = "Näkyvä Valvontaorganisaatio Oy"

# Distinctive values, long enough that random ciphertext bytes cannot match them by chance.
PERSONS = {
    "victim": {
        "first_name": "Väinämö",
        "last_name": "Öljynpuristaja",
        "email": "Vaino.Oljynpuristaja@posti-esimerkki.fi",
        "phone": "044 918 2736",
        "title": "Jäänmurtajan päällikkö",
        "new_title": "Kehitysjohtaja Äänekoskella",
        "self_given_info": "Harrastaa jäävuorikiipeilyä ja öljyvärimaalausta.",
        "interaction": "Kävi messuosastolla ja kysyi hinnastoa.",
        "source": "Käyntikortti Jyväskylän messuilta",
        "justification": "Sopimus numero 77-ÄÖ-2024",
        "tracking": "kampanja-ruska-syyskuu",
    },
    "keeper": {
        "first_name": "Hyacinthë",
        "last_name": "Ylikärppä",
        "email": "hyacinthe.ylikarppa@toinen-esimerkki.fi",
        "phone": "050 364 8291",
        "title": "Lämpöpumppuasentaja",
        "new_title": "Työmaapäällikkö Iisalmessa",
        "self_given_info": "Puhuu sujuvasti viroa ja unkaria.",
        "interaction": "Pyysi tarjousta kolmesta lämpöpumpusta.",
        "source": "Verkkolomake kesäkampanjasta",
        "justification": "Tilausvahvistus 55-ÅÄ-2023",
        "tracking": "uutiskirje-lokakuu-avattu",
    },
    "student": {
        "first_name": "Åsa-Märta",
        "last_name": "Kyllönen-Strömberg",
        "email": "asa.kyllonen.stromberg@opisto-esimerkki.fi",
        "phone": "045 271 9034",
        "title": "Opiskelija, sähkötekniikka",
        "new_title": "Harjoittelija Sähkölaitoksella",
        "self_given_info": "Allerginen pähkinöille, kasvisruokavalio.",
        "interaction": "Osallistui Excel-jatkokurssille.",
        "source": "Ilmoittautuminen koulutuskalenterista",
        "justification": "Koulutussopimus 12-ÖÖ-2025",
        "tracking": "koulutussivu-kevat-vierailu",
    },
}

SCENARIO = r"""
import json, sqlite3, sys
from datetime import date

import django
django.setup()
from django.conf import settings
from django.test import Client
from rekisteri.accounts.services import staff_create, token_create
from rekisteri.governance.selectors import current_instruction
from rekisteri.governance.services import instruction_acknowledge
from rekisteri.security.testing import second_factor_given
from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_verify
from rekisteri.contacts.services import interaction_create, tracking_event_record
from rekisteri.marketing.services.consents import consent_give
from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.keystore.models import DataKey, ErasureTombstone
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.organizations.services import organization_create
from rekisteri.people.services import person_create, person_update
from rekisteri.privacy.services import basis_set, source_add
from rekisteri.privacy.registry import personal_data_models

spec = json.loads(open(sys.argv[1], encoding="utf-8").read())
# Held open (idle) for the whole run, as a second server worker would be: SQLite then never
# checkpoints the WAL on close, so what the WAL holds is what the erasure left in it.
holders = []
for alias in ("default", KEYSTORE_DB):
    db = settings.DATABASES[alias]
    if db["ENGINE"].endswith("sqlite3"):  # Django's backend or rekisteri.db.sqlite3
        holder = sqlite3.connect(str(db["NAME"]))
        holder.execute("SELECT count(*) FROM sqlite_master").fetchall()
        holders.append(holder)

actor = Actor.system("test:scan", origin="cli")
organization = organization_create(
    actor=actor, name=spec["organization"], business_id="0154088-5", city="Oulu", status="customer"
)
officer = staff_create(
    actor=actor, username="tarkastaja", role="privacy_officer",
    password="a long and unusual passphrase 93", nda_signed_on=date(2024, 1, 15),
).user
# Section 11: the officer has read the written instructions (else no personal data at all).
instruction_acknowledge(actor=actor, user=officer, instruction=current_instruction())
_, raw = token_create(actor=actor, user=officer, name="scan")
api = Client(headers={"Authorization": f"Bearer {raw}"})
ui = Client()
ui.force_login(officer, backend="django.contrib.auth.backends.ModelBackend")
second_factor_given(ui, officer)  # the officer's login has its second factor


def ciphertexts(person_id):
    found = []
    for entry in personal_data_models():
        fields = [f.attname for f in entry.model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        for row in entry.rows_for(person_id).values_list(*fields) if fields else ():
            found.extend(bytes(value).hex() for value in row if value is not None)
    return found


def check(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    return response


ids, seen = {}, {}
for label, values in spec["persons"].items():
    person = person_create(
        actor=actor, first_name=values["first_name"], last_name=values["last_name"],
        email=values["email"], phone=values["phone"], organization=organization,
        title=values["title"], self_given_info=values["self_given_info"],
        categories=["customer_representative"],
    )
    basis_set(actor=actor, person=person, purpose="customer_relationship", basis="contract",
              justification=values["justification"])
    source_add(actor=actor, person=person, kind="data_subject", detail=values["source"])
    interaction_create(actor=actor, person=person, kind="meeting", text=values["interaction"])
    # Individual tracking of any kind needs the person's consent (section 9).
    consent_give(actor=actor, person=person, topic="tracking", channel="web_form")
    tracking_event_record(actor=actor, person=person, kind="web_visit", reference=values["tracking"])
    ids[label] = str(person.pk)
    seen[label] = ciphertexts(person.pk)
    # The first title is replaced: its old ciphertext must not linger either.
    person_update(actor=actor, person=person, title=values["new_title"])
    seen[label] += ciphertexts(person.pk)

# Reads that carry personal values in the request: searches by name, e-mail and phone.
for label, values in spec["persons"].items():
    for query in (values["last_name"], values["email"], values["phone"]):
        body = check(api.get("/api/v1/persons", {"q": query}), 200).json()
        assert ids[label] in [item["id"] for item in body["items"]], (label, query)
        check(ui.get("/search/", {"q": query}), 200)
    check(api.get(f"/api/v1/persons/{ids[label]}"), 200)
    check(ui.get(f"/people/{ids[label]}/"), 200)

wrapped = {
    label: bytes(DataKey.objects.using(KEYSTORE_DB).get(person_id=pid).wrapped).hex()
    for label, pid in ids.items()
}
result = {"ids": ids, "ciphertexts": seen, "wrapped": wrapped}
victim = spec.get("erase")
if victim and spec.get("secure_delete_off"):
    # Freed cells keep their bytes: the proof's scan must find them and VACUUM remove them.
    from django.db import connections
    for alias in ("default", KEYSTORE_DB):
        with connections[alias].cursor() as cursor:
            cursor.execute("PRAGMA secure_delete=OFF")
if victim:
    # The victim has a contract in force (Art. 17(3)): the privacy officer overrides.
    check(api.delete(f"/api/v1/persons/{ids[victim]}?override_reason=Sopimus+p%C3%A4%C3%A4ttyi"), 204)
    check(api.get(f"/api/v1/persons/{ids[victim]}"), 404)
    search = check(api.get("/api/v1/persons", {"q": spec["persons"][victim]["email"]}), 200)
    assert search.json()["total"] == 0
    tombstone = ErasureTombstone.objects.using(KEYSTORE_DB).get(person_id=ids[victim])
    result["tombstone"] = {"reason": tombstone.reason, "email_hash": tombstone.email_hash}
    erase_events = AuditEvent.objects.filter(action="erase", person_ids__contains=ids[victim])
    result["erase_events"] = erase_events.count()
    proof = AuditEvent.objects.filter(action="erase_evidence", person_ids__contains=ids[victim]).get()
    # The answer's proof has its byte scan pending, queued for the worker; the worker's task
    # completes it in the proof's record.
    result["evidence_at_answer"] = json.loads(proof.detail)
    from django_tasks_db.models import DBTaskResult
    from rekisteri.privacy.models import ErasureRecord
    from rekisteri.privacy.tasks import run_erasure_scans
    queued = DBTaskResult.objects.ready().filter(task_path=run_erasure_scans.module_path)
    result["scans_queued"] = queued.count()
    result["scans_completed"] = run_erasure_scans.call()
    result["evidence"] = ErasureRecord.objects.get(pk=result["evidence_at_answer"]["proof_id"]).evidence
result["audit_ok"] = audit_verify().ok
print(json.dumps(result), flush=True)
sys.stdin.readline()  # the test scans the files while this process still has them open
"""


@dataclass
class Run:
    """What one scenario run left behind."""

    result: dict
    logs: bytes
    data_dir: Path
    live_files: dict[str, bytes] = field(default_factory=dict)  # read while the process ran

    def files(self) -> dict[str, bytes]:
        """The database files (and their -wal/-shm) as they are now."""
        return {path.name: path.read_bytes() for path in sorted(self.data_dir.glob("*.sqlite3*"))}


def child_env(tmp_path: Path, database_url: str | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "KEYSTORE_DATABASE_URL", "REKISTERI_ENV", "DEBUG"}
    }
    env.update(
        REKISTERI_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="rekisteri.settings",
        REKISTERI_AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
        REKISTERI_MASTER_KEY=MASTER_KEY,
        REKISTERI_LOG_LEVEL="DEBUG",  # as chatty as the logging can be made
        ALLOWED_HOSTS="testserver,127.0.0.1,localhost",
        PYTHONIOENCODING="utf-8",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def run_scenario(
    tmp_path: Path, env: dict[str, str], *, erase: str | None = None, secure_delete_off: bool = False
) -> Run:
    """Run SCENARIO in a migrated installation, read the files while it still runs.

    The installation is a copy of the session's migrated template (tests/live.py): on
    PostgreSQL scratch_postgresql made the databases from it; on SQLite its files are copied
    into the data directory here. The migration writes no personal value (there is none yet).
    """
    if "DATABASE_URL" not in env:
        copy_template_files(Path(env["REKISTERI_DATA_DIR"]))
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(
        json.dumps(
            {
                "organization": ORGANIZATION,
                "persons": PERSONS,
                "erase": erase,
                "secure_delete_off": secure_delete_off,
            }
        ),
        encoding="utf-8",
    )
    log_file = tmp_path / "scenario.log"
    with log_file.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-c", SCENARIO, str(spec_file)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        try:
            line = child.stdout.readline()
            run = Run(result={}, logs=b"", data_dir=Path(env["REKISTERI_DATA_DIR"]))
            if line:
                run.live_files = run.files()
            out, _ = child.communicate(input=b"\n", timeout=60)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    # Everything the process wrote except the result line (test data, not a log).
    logs = out + log_file.read_bytes()
    assert child.returncode == 0 and line, logs.decode(errors="replace")[-3000:]
    run.result = json.loads(line)
    run.logs = logs
    return run


# --------------------------------------------------------------------------- needles


def _ascii_fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def _encodings(text: str) -> dict[str, bytes]:
    forms = {
        "utf-8": text.encode("utf-8"),
        "utf-16-le": text.encode("utf-16-le"),
        "utf-16-be": text.encode("utf-16-be"),
        "utf-32-le": text.encode("utf-32-le"),
        "json": json.dumps(text)[1:-1].encode("ascii"),
        "python-escape": text.encode("unicode_escape"),
        "url": urllib.parse.quote(text).encode("ascii"),
        "url-plus": urllib.parse.quote_plus(text).encode("ascii"),
        "html": html.escape(text).encode("utf-8"),
        "base64": base64.b64encode(text.encode("utf-8")),
    }
    for codec in ("latin-1", "cp1252"):
        try:
            forms[codec] = text.encode(codec)
        except UnicodeEncodeError:
            pass
    return forms


def text_needles(label: str, value: str) -> dict[bytes, str]:
    """Every byte form the value could take on disk or in a log: case, normalisation, codec."""
    variants = {
        value,
        value.casefold(),
        value.lower(),
        value.upper(),
        unicodedata.normalize("NFC", value),
        unicodedata.normalize("NFD", value),
        _ascii_fold(value),
        _ascii_fold(value).casefold(),
    }
    needles: dict[bytes, str] = {}
    for variant in variants:
        for codec, data in _encodings(variant).items():
            needles.setdefault(data, f"{label} {variant!r} as {codec}")
    return needles


def phone_needles(label: str, entered: str) -> dict[bytes, str]:
    e164 = normalize_phone(entered)
    national = "0" + e164.removeprefix("+358")
    forms = {entered, e164, e164.lstrip("+"), national, format_phone(e164), entered.replace(" ", "-")}
    needles: dict[bytes, str] = {}
    for form in forms:
        needles.update(text_needles(label, form))
    return needles


def person_needles(label: str, values: dict[str, str]) -> dict[bytes, str]:
    """Needles for every personal value of one person of PERSONS."""
    needles: dict[bytes, str] = {}
    for name, value in values.items():
        if name == "phone":
            needles.update(phone_needles(f"{label}.phone", value))
        else:
            needles.update(text_needles(f"{label}.{name}", value))
    local_part = values["email"].split("@")[0]
    needles.update(text_needles(f"{label}.email local part", local_part))
    return needles


def blob_needles(label: str, blob: bytes) -> dict[bytes, str]:
    """A ciphertext or wrapped key: raw, hex (pg_dump writes bytea as hex), base64."""
    forms = {
        blob: "raw",
        blob.hex().encode(): "hex",
        blob.hex().upper().encode(): "HEX",
        base64.b64encode(blob): "base64",
    }
    return {data: f"{label} as {how}" for data, how in forms.items()}


# --------------------------------------------------------------------------- PostgreSQL


def _pg_params() -> dict:
    database = settings.DATABASES["default"]
    return {
        "host": database["HOST"] or "localhost",
        "port": str(database["PORT"] or 5432),
        "user": database["USER"] or "",
        "password": database["PASSWORD"] or "",
    }


def _pg_admin(sql: str) -> None:
    import psycopg

    params = _pg_params()
    with psycopg.connect(
        dbname="postgres",
        autocommit=True,
        host=params["host"],
        port=params["port"],
        user=params["user"] or None,
        password=params["password"] or None,
    ) as conn:
        conn.execute(sql)


@contextmanager
def scratch_postgresql(tag: str) -> Iterator[str]:
    """URL of a migrated scratch database (and its "_keys" key store), dropped afterwards."""
    # Named after this run's test database, so runs on other databases do not collide.
    name = f"{settings.DATABASES['default']['NAME']}_{tag}"
    databases = create_databases_from_template(name)
    params = _pg_params()
    user = urllib.parse.quote(params["user"])
    password = f":{urllib.parse.quote(params['password'])}" if params["password"] else ""
    try:
        yield f"postgres://{user}{password}@{params['host']}:{params['port']}/{name}"
    finally:
        for db in databases:
            _pg_admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


def pg_dumps(database_url: str) -> dict[str, bytes]:
    """A fresh plain-text pg_dump of the register database and of its key store."""
    params = _pg_params()
    name = urllib.parse.urlparse(database_url).path.lstrip("/")
    env = {**os.environ, "PGPASSWORD": params["password"]} if params["password"] else dict(os.environ)
    dumps = {}
    for db in (name, f"{name}_keys"):
        args = ["pg_dump", "--no-owner", "-h", params["host"], "-p", params["port"], "-d", db]
        if params["user"]:
            args += ["-U", params["user"]]
        dump = subprocess.run(args, env=env, capture_output=True, timeout=60)
        assert dump.returncode == 0, dump.stderr.decode(errors="replace")
        dumps[f"pg_dump of {db}"] = dump.stdout
    return dumps


# --------------------------------------------------------------------------- the tests


def _all_person_needles() -> dict[bytes, str]:
    needles: dict[bytes, str] = {}
    for label, values in PERSONS.items():
        needles.update(person_needles(label, values))
    return needles


def _assert_scanner_finds_plaintext_and_ciphertext(sources: dict[str, bytes], run: Run) -> None:
    # Controls: the scanner does find a plaintext value that is there, and the persons'
    # ciphertexts in the form this medium stores them, so an empty result means something.
    assert scan(sources, text_needles("organization", ORGANIZATION)), "control value not found"
    for label, blobs in run.result["ciphertexts"].items():
        assert any(scan(sources, blob_needles(label, bytes.fromhex(b))) for b in blobs), label


@pytest.mark.slow
def test_no_personal_value_is_stored_in_plaintext_in_the_sqlite_files_or_the_logs(tmp_path):
    run = run_scenario(tmp_path, child_env(tmp_path))

    assert run.result["audit_ok"]
    assert {"rekisteri.sqlite3", "keystore.sqlite3"} <= set(run.files())
    assert "rekisteri.sqlite3-wal" in run.live_files  # the live WAL was scanned too
    needles = _all_person_needles()
    for moment, files in (("while running", run.live_files), ("after exit", run.files())):
        _assert_scanner_finds_plaintext_and_ciphertext(files, run)
        assert scan(files, needles) == [], moment
    assert scan({"logs": run.logs}, needles) == []


@pytest.mark.slow
@pytest.mark.database
@needs_postgresql
def test_no_personal_value_appears_in_a_pg_dump_of_either_database_or_in_the_logs(tmp_path):
    with scratch_postgresql("at_rest") as url:
        run = run_scenario(tmp_path, child_env(tmp_path, url))
        dumps = pg_dumps(url)

    assert run.result["audit_ok"]
    _assert_scanner_finds_plaintext_and_ciphertext(dumps, run)
    needles = _all_person_needles()
    assert scan(dumps, needles) == []
    assert scan({"logs": run.logs}, needles) == []


@pytest.mark.django_db
def test_an_api_error_while_answering_about_a_person_logs_none_of_their_values(
    cast, system_actor, person, caplog
):
    from django.test import Client

    from rekisteri.accounts.services import token_create
    from rekisteri.encryption.fields import Ciphertext
    from rekisteri.people.models import Person

    # One field that fails authentication makes the answer fail half-way through serialising.
    Person.objects.filter(pk=person.pk).update(title=Ciphertext(b"\x01" + bytes(40)))
    _, raw = token_create(actor=system_actor, user=cast.privacy_officer, name="test")
    caplog.set_level(logging.DEBUG)

    response = Client(headers={"Authorization": f"Bearer {raw}"}).get(f"/api/v1/persons/{person.pk}")

    assert response.status_code == 500
    assert caplog.text  # the failure was logged
    needles: dict[bytes, str] = {}
    for name in ("first_name", "last_name", "email"):
        needles.update(text_needles(name, getattr(person, name)))
    needles.update(phone_needles("phone", person.phone))
    assert scan({"log": caplog.text.encode(), "response": response.content}, needles) == []
