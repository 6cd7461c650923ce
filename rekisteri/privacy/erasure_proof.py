"""The evidence of an erasure (issue 13, section 4): what was destroyed, and that nothing is left.

An erasure (rekisteri.privacy.erasure) reads, before it destroys anything, the erased
persons' wrapped data keys (which master key wrapped each) and every ciphertext their rows
hold, and keeps of each only its probe: the public nonce with the byte before it (13 bytes;
every copy of the ciphertext or wrapped key holds it, and it decrypts nothing, not even with a
key from an old key-store backup). After the keys are gone, the rows deleted and the WAL
checkpointed, the evidence is kept in an ErasureRecord: the keys destroyed (key id, master
key id, time), rows deleted and detached per model, each database's checkpoint, and the
scan, "pending" at first. The byte scan of the database files and the key store's (SQLite,
with their WALs) runs later in the worker (rekisteri.privacy.erasure_scan), for every pending
erasure in one pass, and completes each record. Ids, model names and counts only: no
personal value, and not the bytes searched for.

On PostgreSQL the files are the server's: the register cannot read them, and the evidence
says so (dead row versions stay until VACUUM, as ciphertext under the destroyed key; pg_dump
never writes them).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

from django.db import connections
from django.utils import timezone

from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.privacy.models import ErasureRecord

# At most this many findings are kept in one piece of evidence (each names a person id, a
# kind and a file); the count is always whole.
FOUND_KEPT = 200
# A probe: the byte before the nonce (a field ciphertext's version, the last byte of a
# wrapped key's master key id) and the 12-byte nonce.
PROBE = 13
KINDS = ("ciphertext", "data_key")


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
        # (probe, owner, kind) while a scan is wanted.
        self.probes: list[tuple[bytes, str, str]] | None = [] if scan else None
        self.master_keys: dict[str, str] = {}
        self.destroyed_at = None

    def keys(self, wrapped: dict[str, bytes]) -> None:
        """The persons' wrapped data keys (keystore.services.wrapped_keys_of)."""
        for pid, blob in wrapped.items():
            # version(1) | len(key id) | master key id | nonce | sealed key (lib.crypto).
            self.master_keys[pid] = blob[2 : 2 + blob[1]].decode("ascii", "replace")
            if self.probes is not None:
                at = 2 + blob[1]
                self.probes.append((bytes(blob[at - 1 : at + PROBE - 1]), pid, "data_key"))

    def ciphertexts(self, pid: str, blobs) -> None:
        # version(1) | nonce(12) | ciphertext and tag: the probe is the first 13 bytes.
        if self.probes is not None:
            self.probes.extend((bytes(blob[:PROBE]), pid, "ciphertext") for blob in blobs if blob)

    def keys_destroyed(self) -> None:
        self.destroyed_at = timezone.now()

    def finish(self, *, rows: Counter, detached: Counter, storage: list[dict]) -> dict:
        """The evidence, after the rows are gone and the storage scrubbed (the scan pending)."""
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
        return {
            "persons": len(self.person_ids),
            "keys": keys,
            "rows": dict(sorted((label, n) for label, n in rows.items() if n)),
            "rows_total": sum(rows.values()),
            "detached": dict(sorted((label, n) for label, n in detached.items() if n)),
            "storage": storage,
            "scan": self._scan(),
        }

    def _scan(self) -> dict:
        files, notes = database_files()
        if self.probes is None:
            # The sweep scans every Nth batch (settings.SWEEP_SCAN_EVERY).
            return {"performed": False, "reason": "not_this_batch", "notes": notes}
        if not files:
            return {"performed": False, "reason": notes[0]["reason"] if notes else "no_files", "notes": notes}
        return {
            "performed": False,
            "pending": True,
            "reason": "pending",
            "files": [{"file": name} for name, _ in files],
            "fragments": len(self.probes),
            "owners": len({owner for _, owner, _ in self.probes}),
            **({"notes": notes} if notes else {}),
        }

    def record(self, *, evidence: dict, reason: str, request_ref: str, erased_by: str) -> ErasureRecord:
        """Keep the evidence (inside the caller's transaction); with the masked probes while
        its scan is pending. Adds the record's id to the evidence as "proof_id"."""
        record = ErasureRecord(
            reason=reason,
            request_ref=request_ref,
            erased_by=erased_by[:100],
            person_id=self.person_ids[0] if len(self.person_ids) == 1 else None,
            persons=len(self.person_ids),
        )
        evidence["proof_id"] = str(record.pk)
        record.evidence = evidence
        if evidence["scan"].get("pending"):
            record.scan_state = ErasureRecord.ScanState.PENDING
            record.probes, record.probe_mask, record.probe_owners = probes_mask(self.probes or [])
        record.save(force_insert=True)
        return record


def probes_mask(probes: list[tuple[bytes, str, str]]) -> tuple[bytes, bytes, list[str]]:
    """(masked probes, mask, owners): each probe as kind (1 byte), owner index (4 bytes) and
    the needle XOR the mask, so no stored byte string equals a needle the scan looks for."""
    mask = os.urandom(PROBE)
    key = int.from_bytes(mask, "big")
    owners: dict[str, int] = {}
    out = bytearray()
    for needle, owner, kind in probes:
        index = owners.setdefault(owner, len(owners))
        needle = needle.ljust(PROBE, b"\x00")[:PROBE]
        out += bytes([KINDS.index(kind)]) + index.to_bytes(4, "big")
        out += (int.from_bytes(needle, "big") ^ key).to_bytes(PROBE, "big")
    return bytes(out), mask, list(owners)


def probes_unmask(probes: bytes, mask: bytes, owners: list[str]):
    """The (needle, owner, kind) of probes_mask's output."""
    key = int.from_bytes(bytes(mask), "big")
    probes = bytes(probes)
    size = 5 + PROBE
    for at in range(0, len(probes), size):
        kind, index = probes[at], int.from_bytes(probes[at + 1 : at + 5], "big")
        needle = (int.from_bytes(probes[at + 5 : at + size], "big") ^ key).to_bytes(PROBE, "big")
        yield needle, owners[index], KINDS[kind]


def evidence_current(evidence: dict | None) -> dict:
    """The evidence as it stands now: a copy kept elsewhere (a request's, a sweep run's) said
    "scan pending" when it was taken; the proof's record has the scan's result since."""
    if not evidence:
        return {}
    if "proof_id" in evidence and evidence.get("scan", {}).get("pending"):
        record = ErasureRecord.objects.filter(pk=evidence["proof_id"]).values_list("evidence", flat=True)
        return record.first() or evidence
    if evidence.get("proof_ids") and evidence.get("scan", {}).get("pending"):
        rows = ErasureRecord.objects.filter(pk__in=evidence["proof_ids"]).order_by("created_at")
        return evidence_summary(list(rows.values_list("evidence", flat=True)))
    return evidence


def evidence_summary(batches: list[dict]) -> dict:
    """One piece of evidence for many batches (the sweep's deletion report): totals, each
    scan's result, and every finding (capped at FOUND_KEPT) with its person id."""
    rows: Counter = Counter()
    detached: Counter = Counter()
    found: list[dict] = []
    found_count = 0
    scans = {"performed": 0, "clean": 0, "found": 0, "pending": 0, "bytes": 0, "fragments": 0, "seconds": 0.0}
    vacuumed = before_vacuum = 0
    reasons: set[str] = set()
    master_keys: set[str] = set()
    destroyed = already = 0
    passes: set[str] = set()  # batches scanned in one pass share its bytes and seconds
    for batch in batches:
        rows.update(batch["rows"])
        detached.update(batch["detached"])
        destroyed += batch["keys"]["destroyed"]
        already += batch["keys"]["already_destroyed"]
        master_keys.update(batch["keys"]["master_key_ids"])
        scan = batch["scan"]
        if scan.get("pending"):
            scans["pending"] += 1
            continue
        if not scan["performed"]:
            reasons.add(scan["reason"])
            continue
        scans["performed"] += 1
        scans[scan["result"]] += 1
        scans["fragments"] += scan["fragments"]
        if scan.get("pass") is None or scan["pass"] not in passes:
            passes.add(scan.get("pass") or "")
            scans["bytes"] += sum(f["bytes"] for f in scan["files"])
            scans["seconds"] = round(scans["seconds"] + scan["seconds"], 3)
        found_count += scan["found_count"]
        if scan.get("vacuum"):
            vacuumed += 1
            before_vacuum += scan["before_vacuum"]["found_count"]
        found.extend(scan["found"][: max(0, FOUND_KEPT - len(found))])
    ids = [batch["proof_id"] for batch in batches if "proof_id" in batch]
    return {
        **({"proof_ids": ids} if ids else {}),
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
            "result": "found"
            if found_count
            else ("pending" if scans["pending"] else ("clean" if scans["performed"] else "not_performed")),
            "found_count": found_count,
            "found": found,
            # Batches whose first scan found leftovers, vacuumed and scanned again (erasure_scan).
            **({"vacuumed": vacuumed, "found_before_vacuum": before_vacuum} if vacuumed else {}),
        },
    }


def erasure_origin(record: ErasureRecord) -> str:
    """Where the erasure came from: a request, the retention sweep, a staff deletion, the system."""
    if record.request_ref:
        return "request"
    if record.reason == "retention":
        return "sweep"
    return "staff" if record.erased_by.startswith("user:") else "system"


def erasure_as_dict(record: ErasureRecord) -> dict:
    """An erasure's record for the privacy officer (ids, codes, counts; the proof as it stands)."""
    return {
        "id": str(record.pk),
        "created_at": record.created_at.isoformat(),
        "origin": erasure_origin(record),
        "reason": record.reason,
        "request_ref": record.request_ref,
        "erased_by": record.erased_by,
        "person_id": str(record.person_id) if record.person_id else None,
        "persons": record.persons,
        "scan_state": record.scan_state,
        "scanned_at": record.scanned_at.isoformat() if record.scanned_at else None,
        "evidence": record.evidence,
    }


ORIGINS = ("request", "sweep", "staff", "system")


def erasures_recent(*, origin: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list, int]:
    """(records newest first, total), optionally of one origin (erasure_origin)."""
    rows = ErasureRecord.objects.defer("probes", "probe_mask", "probe_owners").order_by("-created_at")
    if origin == "request":
        rows = rows.exclude(request_ref="")
    elif origin == "sweep":
        rows = rows.filter(request_ref="", reason="retention")
    elif origin == "staff":
        rows = rows.filter(request_ref="", erased_by__startswith="user:").exclude(reason="retention")
    elif origin == "system":
        rows = rows.filter(request_ref="").exclude(reason="retention").exclude(erased_by__startswith="user:")
    return list(rows[offset : offset + limit]), rows.count()
