"""The erasure proof's byte scan, after the erasure has answered (issue 13, section 4).

An erasure keeps its evidence with the scan pending (rekisteri.privacy.erasure_proof); the
worker's task (rekisteri.privacy.tasks) calls `pending_scans_complete`, which scans the
database files and the key store's (SQLite, with their WALs) once for the probes of every
pending erasure, and completes each record: result, time, files, bytes, findings.

secure_delete zeroes freed cells, but a ciphertext can survive in the unallocated gap of a
live page (a copy left when SQLite rebuilt the page); only VACUUM rewrites every page. So
when the scan finds something in a SQLite file the register owns, that database is
vacuumed, its WAL checkpointed and truncated, and the files scanned again; the evidence
keeps both scans and the vacuum's time.
"""

from __future__ import annotations

import time
from pathlib import Path
from uuid import uuid4

from django.db import DatabaseError, connections, transaction
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.lib.bytescan import FragmentScan
from rekisteri.privacy import erasure_proof
from rekisteri.privacy.erasure_proof import FOUND_KEPT, PROBE, probes_unmask
from rekisteri.privacy.models import ErasureRecord

# Probes scanned in one pass (about 0.5 kB of memory each); more pending ones take more passes.
PASS_PROBES = 200_000
Pending = ErasureRecord.ScanState.PENDING


def _passes(records: list[tuple]) -> list[list]:
    """Pending records (pk, probes) grouped so each pass holds at most PASS_PROBES probes."""
    groups: list[list] = [[]]
    size = 0
    for pk, count in records:
        if groups[-1] and size + count > PASS_PROBES:
            groups.append([])
            size = 0
        groups[-1].append(pk)
        size += count
    return [group for group in groups if group]


def _database_of(file_name: str) -> str | None:
    """The alias of the SQLite database a scanned file belongs to (the file or its WAL)."""
    for alias in ("default", KEYSTORE_DB):
        connection = connections[alias]
        if connection.vendor == "sqlite" and not connection.is_in_memory_db():
            name = Path(str(connection.settings_dict["NAME"])).name
            if file_name in (name, name + "-wal"):
                return alias
    return None


def storage_vacuum(aliases) -> list[dict]:
    """VACUUM each SQLite database (every page rewritten, free space gone), then checkpoint
    and truncate its WAL. Blocks writers while it runs; the time is part of the evidence."""
    done = []
    for alias in sorted(set(aliases)):
        connection = connections[alias]
        state = {"database": alias}
        if connection.in_atomic_block:
            state["vacuum"] = "skipped_in_transaction"
        else:
            began = time.perf_counter()
            try:
                with connection.cursor() as cursor:
                    cursor.execute("VACUUM")
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    cursor.fetchone()
            except DatabaseError:
                # Busy past the timeout (a long write elsewhere): the second scan says what stays.
                state.update(vacuum="failed", seconds=round(time.perf_counter() - began, 3))
            else:
                state.update(vacuum="done", seconds=round(time.perf_counter() - began, 3))
        done.append(state)
    return done


def _split(result: dict) -> dict[int, list[dict]]:
    """The findings of one pass per record (the scan's owners are (record index, person id))."""
    found: dict[int, list[dict]] = {}
    for hit in result["found"]:
        index, owner = hit["owner"]
        found.setdefault(index, []).append({"owner": owner, "kind": hit["kind"], "file": hit["file"]})
    return found


def _scan_evidence(
    scan: dict, result: dict, found: list[dict], fragments: int, owners: int, batch: int, pass_id: str
) -> dict:
    return {
        "performed": True,
        "files": result["files"],
        "fragments": fragments,
        "owners": owners,
        "found": found[:FOUND_KEPT],
        "found_count": len(found),
        "result": "found" if found else "clean",
        "seconds": result["seconds"],
        "scanned_at": timezone.now().isoformat(),
        # Erasures scanned in the same pass (the seconds and bytes are the pass's, so a summary
        # of many batches counts each pass once).
        "batched_with": batch,
        "pass": pass_id,
        **({"notes": scan["notes"]} if scan.get("notes") else {}),
    }


def _one_pass(pks: list, files: list) -> int:
    records = list(ErasureRecord.objects.filter(pk__in=pks, scan_state=Pending).order_by("created_at"))
    scan = FragmentScan(length=PROBE)
    sizes = []
    for index, record in enumerate(records):
        owners = record.probe_owners or []
        count = 0
        for needle, owner, kind in probes_unmask(record.probes or b"", record.probe_mask or b"", owners):
            scan.add(needle, owner=(index, owner), kind=kind)
            count += 1
        sizes.append((count, len(owners)))
    first = scan.run(files)
    found_first = _split(first)
    vacuum: list[dict] = []
    final, found_final = first, found_first
    aliases = {_database_of(hit["file"]) for hit in first["found"]} - {None}
    if aliases:
        vacuum = storage_vacuum(aliases)
        final = scan.run(files)
        found_final = _split(final)
    pass_id = uuid4().hex
    with transaction.atomic():
        for index, record in enumerate(records):
            fragments, owners = sizes[index]
            evidence = dict(record.evidence)
            scan_evidence = _scan_evidence(
                evidence.get("scan", {}),
                final,
                found_final.get(index, []),
                fragments,
                owners,
                len(records),
                pass_id,
            )
            if vacuum:
                before = found_first.get(index, [])
                scan_evidence["before_vacuum"] = {
                    "found_count": len(before),
                    "found": before[:FOUND_KEPT],
                    "result": "found" if before else "clean",
                    "seconds": first["seconds"],
                }
                scan_evidence["vacuum"] = vacuum
            evidence["scan"] = scan_evidence
            ErasureRecord.objects.filter(pk=record.pk, scan_state=Pending).update(
                evidence=evidence,
                scan_state=ErasureRecord.ScanState.DONE,
                scanned_at=timezone.now(),
                probes=None,
                probe_mask=None,
                probe_owners=None,
            )
        audit_record(
            actor=Actor.system("task:erasure_scan", origin="task"),
            action="erase_evidence",
            object_type="erasure_record",
            object_ids=[record.pk for record in records],
            detail={
                "erasures": len(records),
                "result": "found" if final["found"] else "clean",
                "found": len(final["found"]),
                "found_before_vacuum": len(first["found"]),
                "vacuum": [v["database"] for v in vacuum],
                "seconds": round(first["seconds"] + final["seconds"] * bool(vacuum), 3),
            },
        )
    return len(records)


def pending_scans_complete() -> int:
    """Scan for every pending erasure's probes, in as few passes as memory allows, and complete
    each record's evidence. Returns the erasures completed."""
    files, notes = erasure_proof.database_files()
    pending = list(
        ErasureRecord.objects.filter(scan_state=Pending)
        .order_by("created_at")
        .values_list("pk", "evidence__scan__fragments")
    )
    if not pending:
        return 0
    if not files:
        # The files went away (the register moved to PostgreSQL): say so instead of waiting.
        reason = notes[0]["reason"] if notes else "no_files"
        for record in ErasureRecord.objects.filter(scan_state=Pending):
            evidence = {**record.evidence, "scan": {"performed": False, "reason": reason, "notes": notes}}
            ErasureRecord.objects.filter(pk=record.pk).update(
                evidence=evidence,
                scan_state=ErasureRecord.ScanState.NOT_APPLICABLE,
                probes=None,
                probe_mask=None,
                probe_owners=None,
            )
        return 0
    done = 0
    for group in _passes([(pk, int(count or 0)) for pk, count in pending]):
        done += _one_pass(group, files)
    return done
