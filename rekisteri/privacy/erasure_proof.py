"""The evidence of an erasure (issue 13, section 4): what was destroyed, and that nothing is left.

An erasure (rekisteri.privacy.erasure) reads, before it destroys anything, the erased
persons' wrapped data keys (which master key wrapped each) and a fragment of every
ciphertext their rows hold. After the keys are gone, the rows deleted and the WAL
checkpointed, it scans the bytes of the database files and the key store's (SQLite, with
their WALs) for those fragments in one pass, and keeps the evidence: the keys destroyed
(key id, master key id, time), rows deleted and detached per model, each database's
checkpoint, and the scan's files, sizes and result. Ids, model names and counts only: no
personal value, and not the fragments searched for.

A batch (the retention sweep's, up to 2,000 persons) is scanned once for all its persons'
fragments (rekisteri.lib.bytescan.FragmentScan: one pass per file whatever the number of
fragments, about 1.5 kB of memory per fragment). On PostgreSQL the files are the server's:
the register cannot read them, and the evidence says so (dead row versions stay until
VACUUM, as ciphertext under the destroyed key; pg_dump never writes them).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.db import connections
from django.utils import timezone

from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.lib.bytescan import FragmentScan

# At most this many findings are kept in one piece of evidence (each names a person id, a
# kind and a file); the count is always whole.
FOUND_KEPT = 200


def database_files() -> tuple[list[tuple[str, Path]], list[dict]]:
    """The files to scan (name, path), and a note for each database that has none to scan."""
    files: list[tuple[str, Path]] = []
    notes: list[dict] = []
    for alias in ("default", KEYSTORE_DB):
        connection = connections[alias]
        if connection.vendor != "sqlite":
            notes.append({"database": alias, "reason": connection.vendor})
            continue
        if connection.is_in_memory_db():
            notes.append({"database": alias, "reason": "in_memory"})
            continue
        path = Path(str(connection.settings_dict["NAME"]))
        for suffix in ("", "-wal"):
            files.append((path.name + suffix, path.with_name(path.name + suffix)))
    return files, notes


class ErasureProof:
    """Collects the evidence of erasing a batch of persons; see the module's docstring. The
    erasure hands it what it read before destroying anything (rekisteri.privacy.erasure)."""

    def __init__(self, person_ids: list[str], *, scan: bool = True):
        self.person_ids = [str(pid) for pid in person_ids]
        self.scan = FragmentScan() if scan else None
        self.master_keys: dict[str, str] = {}
        self.destroyed_at = None

    def keys(self, wrapped: dict[str, bytes]) -> None:
        """The persons' wrapped data keys (keystore.services.wrapped_keys_of)."""
        for pid, blob in wrapped.items():
            # version(1) | len(key id) | master key id | nonce | sealed key (lib.crypto).
            self.master_keys[pid] = blob[2 : 2 + blob[1]].decode("ascii", "replace")
            if self.scan is not None:
                # Without the version byte and the master key id every wrapped key shares.
                self.scan.add(blob[2 + blob[1] :], owner=pid, kind="data_key")

    def ciphertexts(self, pid: str, blobs) -> None:
        if self.scan is not None:
            for blob in blobs:
                self.scan.add(blob, owner=pid, kind="ciphertext")

    def keys_destroyed(self) -> None:
        self.destroyed_at = timezone.now()

    def finish(self, *, rows: Counter, detached: Counter, storage: list[dict]) -> dict:
        """The evidence, after the rows are gone and the storage scrubbed."""
        keys = {
            "destroyed": len(self.master_keys),
            "already_destroyed": len(self.person_ids) - len(self.master_keys),
            "master_key_ids": sorted(set(self.master_keys.values())),
            "destroyed_at": (self.destroyed_at or timezone.now()).isoformat(),
            "store": connections[KEYSTORE_DB].vendor,
        }
        if len(self.person_ids) == 1:
            # The key store names a data key by its owner's id.
            keys["data_key_id"] = self.person_ids[0]
        evidence = {
            "persons": len(self.person_ids),
            "keys": keys,
            "rows": dict(sorted((label, n) for label, n in rows.items() if n)),
            "rows_total": sum(rows.values()),
            "detached": dict(sorted((label, n) for label, n in detached.items() if n)),
            "storage": storage,
            "scan": self._scan(),
        }
        return evidence

    def _scan(self) -> dict:
        files, notes = database_files()
        if self.scan is None:
            # The sweep scans every Nth batch (settings.SWEEP_SCAN_EVERY).
            return {"performed": False, "reason": "not_this_batch", "notes": notes}
        if not files:
            return {"performed": False, "reason": notes[0]["reason"] if notes else "no_files", "notes": notes}
        result = self.scan.run(files)
        result["found_count"] = len(result["found"])
        result["found"] = result["found"][:FOUND_KEPT]
        if notes:
            result["notes"] = notes
        return result


def evidence_summary(batches: list[dict]) -> dict:
    """One piece of evidence for many batches (the sweep's deletion report): totals, each
    scan's result, and every finding (capped at FOUND_KEPT) with its person id."""
    rows: Counter = Counter()
    detached: Counter = Counter()
    found: list[dict] = []
    found_count = 0
    scans = {"performed": 0, "clean": 0, "found": 0, "bytes": 0, "fragments": 0, "seconds": 0.0}
    reasons: set[str] = set()
    master_keys: set[str] = set()
    destroyed = already = 0
    for batch in batches:
        rows.update(batch["rows"])
        detached.update(batch["detached"])
        destroyed += batch["keys"]["destroyed"]
        already += batch["keys"]["already_destroyed"]
        master_keys.update(batch["keys"]["master_key_ids"])
        scan = batch["scan"]
        if not scan["performed"]:
            reasons.add(scan["reason"])
            continue
        scans["performed"] += 1
        scans[scan["result"]] += 1
        scans["bytes"] += sum(f["bytes"] for f in scan["files"])
        scans["fragments"] += scan["fragments"]
        scans["seconds"] = round(scans["seconds"] + scan["seconds"], 3)
        found_count += scan["found_count"]
        found.extend(scan["found"][: max(0, FOUND_KEPT - len(found))])
    return {
        "batches": len(batches),
        "persons": sum(batch["persons"] for batch in batches),
        "keys": {
            "destroyed": destroyed,
            "already_destroyed": already,
            "master_key_ids": sorted(master_keys),
            "first_destroyed_at": batches[0]["keys"]["destroyed_at"] if batches else None,
            "last_destroyed_at": batches[-1]["keys"]["destroyed_at"] if batches else None,
        },
        "rows": dict(sorted(rows.items())),
        "rows_total": sum(rows.values()),
        "detached": dict(sorted(detached.items())),
        "storage": batches[-1]["storage"] if batches else [],
        "scan": {
            **scans,
            "not_performed": sorted(reasons),
            "result": "found" if found_count else ("clean" if scans["performed"] else "not_performed"),
            "found_count": found_count,
            "found": found,
        },
    }
