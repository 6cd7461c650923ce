"""The proof of an erasure: key destroyed, rows per model, checkpoint, byte scan; ids and counts only."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from rekisteri.audit.models import AuditEvent
from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.privacy import erasure_proof
from rekisteri.privacy.erasure import person_erase, persons_erase
from rekisteri.privacy.erasure_scan import pending_scans_complete
from rekisteri.privacy.models import ErasureRecord
from rekisteri.privacy.registry import personal_data_models
from rekisteri.privacy.tests import test_erasure
from rekisteri.privacy.tests.test_erasure import EMAIL, _rows_by_label

pytestmark = pytest.mark.django_db
# A person with a row in every registered model, and one who stays.
rich, bystander = test_erasure.rich, test_erasure.bystander

PERSONAL = ("Oskari", "Jääskeläinen", "Jaaskelainen", "Tietohallintojohtaja", "987 6543", "Puitesopimus")


def _stored_bytes(person_id) -> bytes:
    """Every ciphertext of the person and their wrapped key, as the database files hold them."""
    blobs = [bytes(DataKey.objects.using(KEYSTORE_DB).get(person_id=person_id).wrapped)]
    for entry in personal_data_models():
        fields = [f.attname for f in entry.model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields and entry.erasure == "delete":
            for row in entry.rows_by_lookup(person_id).values_list(*fields):
                blobs.extend(bytes(value) for value in row if value is not None)
    return b"\x00" * 100 + b"\x00\x07".join(blobs) + b"\x00" * 100


@pytest.fixture
def files(tmp_path, monkeypatch):
    """The scan reads these files instead of the suite's in-memory databases."""
    paths = {
        "rekisteri.sqlite3": tmp_path / "rekisteri.sqlite3",
        "keystore.sqlite3": tmp_path / "keystore.sqlite3",
    }
    for path in paths.values():
        path.write_bytes(bytes(4096))
    monkeypatch.setattr(erasure_proof, "database_files", lambda: (list(paths.items()), []))
    return paths


def completed(evidence: dict) -> dict:
    """The proof as its record holds it once the worker's scan has run (tests run tasks eagerly)."""
    record = ErasureRecord.objects.get(pk=evidence["proof_id"])
    assert record.scan_state == "done" and record.probes is None and record.probe_mask is None
    return record.evidence


def assert_no_personal_value(evidence: dict) -> None:
    text = json.dumps(evidence, ensure_ascii=False)
    for value in (*PERSONAL, EMAIL, EMAIL.lower()):
        assert value not in text


def test_the_evidence_names_the_key_destroyed_the_rows_per_model_and_the_checkpoint(system_actor, rich):
    before = {label: n for label, n in _rows_by_label(rich.pk).items() if n}
    master = DataKey.objects.using(KEYSTORE_DB).get(person_id=rich.pk).master_key_id

    evidence = person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request")

    assert evidence["persons"] == 1
    keys = evidence["keys"]
    assert (keys["data_key_id"], keys["destroyed"], keys["master_key_ids"]) == (str(rich.pk), 1, [master])
    assert keys["destroyed_at"]
    assert evidence["rows"] == before
    assert evidence["rows_total"] == sum(before.values())
    # The suite's SQLite databases live in memory inside a test transaction; PostgreSQL's
    # files are the server's. Either way the evidence says why there was no checkpoint or scan.
    if connection.vendor == "sqlite":
        checkpoint, reason = "skipped_in_transaction", "in_memory"
    else:
        checkpoint, reason = "not_applicable", connection.vendor
    assert {s["database"]: s["checkpoint"] for s in evidence["storage"]} == {
        "default": checkpoint,
        "keystore": checkpoint,
    }
    assert evidence["scan"]["performed"] is False and evidence["scan"]["reason"] == reason
    assert_no_personal_value(evidence)
    (event,) = AuditEvent.objects.filter(action="erase_evidence")
    assert json.loads(event.detail) == evidence
    assert json.loads(event.person_ids) == [str(rich.pk)]


def test_the_byte_scan_finds_nothing_when_the_files_hold_only_others(system_actor, rich, bystander, files):
    files["rekisteri.sqlite3"].write_bytes(_stored_bytes(bystander.pk))

    evidence = person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request")

    scan = completed(evidence)["scan"]
    assert (scan["performed"], scan["result"], scan["found"], scan["found_count"]) == (True, "clean", [], 0)
    assert [f["file"] for f in scan["files"]] == ["rekisteri.sqlite3", "keystore.sqlite3"]
    # The wrapped key and every ciphertext of the person were looked for.
    assert scan["fragments"] >= 1 + len(PERSONAL) and scan["owners"] == 1


def test_the_byte_scan_reports_each_ciphertext_and_the_key_left_behind(system_actor, rich, files):
    files["keystore.sqlite3"].write_bytes(_stored_bytes(rich.pk))  # a copy the erasure missed

    evidence = completed(person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request"))

    scan = evidence["scan"]
    assert scan["result"] == "found"
    assert {(hit["owner"], hit["file"]) for hit in scan["found"]} == {(str(rich.pk), "keystore.sqlite3")}
    assert {hit["kind"] for hit in scan["found"]} == {"ciphertext", "data_key"}
    assert scan["found_count"] == scan["fragments"]
    assert_no_personal_value(evidence)


def test_a_batch_is_scanned_once_for_all_its_persons_and_a_finding_names_its_person(
    system_actor, rich, bystander, files
):
    files["rekisteri.sqlite3"].write_bytes(_stored_bytes(bystander.pk))
    batches: list[dict] = []

    persons_erase(
        actor=system_actor, person_ids=[rich.pk, bystander.pk], reason="retention", evidence=batches
    )

    (batch,) = batches
    assert batch["persons"] == 2 and batch["keys"]["destroyed"] == 2 and "data_key_id" not in batch["keys"]
    assert batch["scan"]["pending"] is True
    batch = completed(batch)
    assert batch["scan"]["owners"] == 2
    assert {hit["owner"] for hit in batch["scan"]["found"]} == {str(bystander.pk)}
    assert batch["rows"]["people.Person"] == 2
    # The batch's evidence, and the scan completing it.
    assert AuditEvent.objects.filter(action="erase_evidence", object_type="person").count() == 1
    assert AuditEvent.objects.filter(action="erase_evidence", object_type="erasure_record").count() == 1


def test_the_erasure_does_not_scan_and_keeps_only_masked_nonces_until_the_worker_does(
    system_actor, rich, files, settings, monkeypatch
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    files["keystore.sqlite3"].write_bytes(_stored_bytes(rich.pk))  # a copy the erasure missed
    ciphertexts = _stored_bytes(rich.pk)
    scans = []
    monkeypatch.setattr(
        erasure_proof, "database_files", lambda: (scans.append(1), (list(files.items()), []))[1]
    )

    evidence = person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request")

    # The answer came before any byte was read: the proof says the scan is pending.
    assert scans == [1]  # the file list for the evidence, not a scan
    assert evidence["scan"]["pending"] is True and evidence["scan"]["performed"] is False
    record = ErasureRecord.objects.get(pk=evidence["proof_id"])
    assert (record.scan_state, record.person_id, record.reason) == ("pending", rich.pk, "erasure_request")
    assert record.evidence == evidence
    # What the record keeps to look for: 13-byte probes, masked; no ciphertext body, and no
    # stored byte string equal to a probe (the scan would find itself).
    stored = bytes(record.probes) + bytes(record.probe_mask)
    probes = list(erasure_proof.probes_unmask(record.probes, record.probe_mask, record.probe_owners))
    assert len(probes) == evidence["scan"]["fragments"] >= 1 + len(PERSONAL)
    for needle, owner, _kind in probes:
        assert owner == str(rich.pk) and len(needle) == 13 and needle in ciphertexts
        assert needle not in stored and needle[1:] not in stored
    assert AuditEvent.objects.filter(object_type="erasure_record").count() == 0

    assert pending_scans_complete() == 1

    record.refresh_from_db()
    scan = record.evidence["scan"]
    assert (record.scan_state, scan["result"], scan["found_count"]) == ("done", "found", scan["fragments"])
    assert scan["scanned_at"] and scan["files"][0]["bytes"] > 0
    assert record.probes is None and record.probe_mask is None and record.probe_owners is None
    assert_no_personal_value(record.evidence)
    assert pending_scans_complete() == 0


def test_one_pass_completes_every_pending_erasure_each_with_its_own_findings(
    system_actor, rich, bystander, files, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    files["rekisteri.sqlite3"].write_bytes(_stored_bytes(bystander.pk))
    first = person_erase(actor=system_actor, person_id=rich.pk, reason="erasure_request")
    second = person_erase(actor=system_actor, person_id=bystander.pk, reason="other")

    assert pending_scans_complete() == 2

    mine, theirs = completed(first)["scan"], completed(second)["scan"]
    assert (mine["result"], theirs["result"]) == ("clean", "found")
    assert {hit["owner"] for hit in theirs["found"]} == {str(bystander.pk)}
    assert mine["batched_with"] == theirs["batched_with"] == 2
    assert mine["pass"] == theirs["pass"]
    # A summary of both batches counts the one pass's bytes and seconds once.
    summary = erasure_proof.evidence_summary([completed(first), completed(second)])["scan"]
    assert summary["bytes"] == sum(f["bytes"] for f in mine["files"])
    assert summary["seconds"] == mine["seconds"]
    (event,) = AuditEvent.objects.filter(object_type="erasure_record")
    assert json.loads(event.detail)["erasures"] == 2


def test_a_summary_totals_the_batches_and_lists_every_finding():
    def batch(found):
        return {
            "persons": 2,
            "keys": {"destroyed": 2, "already_destroyed": 0, "master_key_ids": ["m1"], "destroyed_at": "t"},
            "rows": {"people.Person": 2},
            "detached": {},
            "storage": [],
            "scan": {
                "performed": True,
                "result": "found" if found else "clean",
                "files": [{"file": "f", "bytes": 10}],
                "fragments": 4,
                "seconds": 0.5,
                "found": found,
                "found_count": len(found),
            },
        }

    hit = {"owner": "p9", "kind": "ciphertext", "file": "f"}
    summary = erasure_proof.evidence_summary([batch([]), batch([hit])])

    assert (summary["persons"], summary["keys"]["destroyed"], summary["rows"]) == (4, 4, {"people.Person": 4})
    scan = summary["scan"]
    assert (scan["performed"], scan["clean"], scan["found"], scan["result"]) == (2, 1, [hit], "found")
    pending = batch([])
    pending["scan"] = {"performed": False, "pending": True, "reason": "pending"}
    assert erasure_proof.evidence_summary([batch([]), pending])["scan"]["result"] == "pending"
    assert (scan["bytes"], scan["fragments"], scan["found_count"]) == (20, 8, 1)
