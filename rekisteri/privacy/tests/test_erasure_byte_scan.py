"""After an erasure nothing of the person is left on disk, in any encoding.

A child process runs the register against real files (or scratch PostgreSQL databases),
creates persons with distinctive values, reads and searches them through the API and the
UI, and erases one with DELETE /api/v1/persons/{id}. The test then reads the raw bytes of
the database, its WAL, the key store and every log line (while the process still holds the
files open, and again after it exited), or a fresh pg_dump of both databases, and looks for
the erased person's values, ciphertexts and wrapped data key.
"""

from __future__ import annotations

import pytest

from rekisteri.encryption.tests.test_no_plaintext_at_rest import (
    ORGANIZATION,
    PERSONS,
    Run,
    blob_needles,
    child_env,
    needs_postgresql,
    person_needles,
    pg_dumps,
    run_scenario,
    scan,
    scratch_postgresql,
    text_needles,
)

pytestmark = pytest.mark.slow
scan_bytes = scan

VICTIM = "victim"
SURVIVORS = [label for label in PERSONS if label != VICTIM]


def _key_material(wrapped_hex: str) -> bytes:
    # Without the version byte and the master key id, which every wrapped key shares.
    wrapped = bytes.fromhex(wrapped_hex)
    return wrapped[2 + wrapped[1] :]


def victim_needles(run: Run) -> dict[bytes, str]:
    """The victim's values in every encoding, their ciphertexts (and nonces) and their wrapped key."""
    needles = person_needles(VICTIM, PERSONS[VICTIM])
    for n, blob_hex in enumerate(run.result["ciphertexts"][VICTIM]):
        blob = bytes.fromhex(blob_hex)
        needles.update(blob_needles(f"victim ciphertext #{n}", blob))
        needles.update(blob_needles(f"victim ciphertext #{n} nonce", blob[1:13]))
    key = _key_material(run.result["wrapped"][VICTIM])
    needles.update(blob_needles("victim wrapped data key", key))
    needles.update(blob_needles("victim wrapped data key nonce", key[:12]))
    return needles


def assert_the_scan_would_find_what_is_there(sources: dict[str, bytes], run: Run) -> None:
    """Controls: a plaintext value, and the survivors' ciphertexts and keys, are found."""
    assert scan(sources, text_needles("organization", ORGANIZATION)), "the plaintext control was not found"
    for label in SURVIVORS:
        assert scan(sources, blob_needles(f"{label} key", _key_material(run.result["wrapped"][label])))
        blobs = [bytes.fromhex(b) for b in run.result["ciphertexts"][label]]
        assert any(scan(sources, blob_needles(label, blob)) for blob in blobs), label


def assert_the_erasure_was_recorded(run: Run) -> None:
    assert run.result["tombstone"]["email_hash"]  # kept for the suppression list
    assert run.result["erase_events"] == 1
    assert run.result["audit_ok"]


def assert_the_erasure_proved_itself(run: Run, files: set[str]) -> None:
    """The register's own proof (privacy.erasure_proof) agrees with this test's scan."""
    # The erasure answered before any scan: its proof said "pending", and queued the scan.
    answer = run.result["evidence_at_answer"]
    assert (answer["scan"]["pending"], answer["scan"]["performed"]) == (True, False)
    assert run.result["scans_queued"] == 1 and run.result["scans_completed"] == 1
    evidence = run.result["evidence"]
    assert evidence["keys"]["data_key_id"] == run.result["ids"][VICTIM]
    assert evidence["rows"]["people.Person"] == 1
    scan = evidence["scan"]
    assert (scan["performed"], scan["result"], scan["found"]) == (True, "clean", [])
    assert {f["file"] for f in scan["files"]} == files
    assert scan["fragments"] > 5  # the wrapped key and every ciphertext of the victim


def test_after_erasure_nothing_of_the_person_is_in_the_sqlite_files_their_wal_the_key_store_or_the_logs(
    tmp_path,
):
    run = run_scenario(tmp_path, child_env(tmp_path), erase=VICTIM)

    assert_the_erasure_was_recorded(run)
    assert {"rekisteri.sqlite3", "rekisteri.sqlite3-wal", "keystore.sqlite3"} <= set(run.live_files)
    assert_the_erasure_proved_itself(
        run, {"rekisteri.sqlite3", "rekisteri.sqlite3-wal", "keystore.sqlite3", "keystore.sqlite3-wal"}
    )
    checkpoints = {s["database"]: s["checkpoint"] for s in run.result["evidence"]["storage"]}
    assert checkpoints == {"default": "truncate", "keystore": "truncate"}
    needles = victim_needles(run)
    for moment, files in (("while the register still ran", run.live_files), ("after it exited", run.files())):
        assert_the_scan_would_find_what_is_there(files, run)
        assert scan(files, needles) == [], moment
    assert scan({"logs": run.logs}, needles) == []


def test_what_secure_delete_left_in_free_space_the_scan_finds_and_vacuum_removes(tmp_path):
    # secure_delete off for the erasure's deletes: the freed cells keep the victim's bytes, as
    # the unallocated gap of a rebuilt page can with it on. The proof finds them, vacuums the
    # databases and scans again: nothing.
    run = run_scenario(tmp_path, child_env(tmp_path), erase=VICTIM, secure_delete_off=True)

    scan = run.result["evidence"]["scan"]
    before = scan["before_vacuum"]
    assert before["result"] == "found" and before["found_count"] > 0
    assert {hit["owner"] for hit in before["found"]} == {run.result["ids"][VICTIM]}
    assert {v["database"] for v in scan["vacuum"]} <= {"default", "keystore"}
    assert all(v["vacuum"] == "done" and v["seconds"] >= 0 for v in scan["vacuum"])
    assert (scan["result"], scan["found_count"]) == ("clean", 0)
    needles = victim_needles(run)
    for moment, files in (("while the register still ran", run.live_files), ("after it exited", run.files())):
        assert_the_scan_would_find_what_is_there(files, run)
        assert scan_bytes(files, needles) == [], moment


@needs_postgresql
@pytest.mark.database
def test_after_erasure_nothing_of_the_person_is_in_a_fresh_pg_dump_of_either_database_or_the_logs(
    tmp_path,
):
    with scratch_postgresql("erasure_scan") as url:
        run = run_scenario(tmp_path, child_env(tmp_path, url), erase=VICTIM)
        dumps = pg_dumps(url)  # fresh: taken after the erasure, before anything else ran

    assert_the_erasure_was_recorded(run)
    evidence = run.result["evidence"]
    assert run.result["scans_queued"] == 0  # nothing to scan: the files are the server's
    assert (evidence["scan"]["performed"], evidence["scan"]["reason"]) == (False, "postgresql")
    assert {s["checkpoint"] for s in evidence["storage"]} == {"not_applicable"}
    assert len(dumps) == 2
    assert_the_scan_would_find_what_is_there(dumps, run)
    needles = victim_needles(run)
    assert scan(dumps, needles) == []
    assert scan({"logs": run.logs}, needles) == []
