"""The retention sweep at scale (issue 13): N persons of which E have outlived their rules.

Run:
    .venv/bin/python benchmarks/retention_sweep.py [--persons 1000000] [--expiring 100000]
                                                   [--database sqlite|postgres]

A throwaway register (SQLite files in a temporary directory, or the PostgreSQL databases
rk_bench_ret and rk_bench_ret_keys, created and dropped) is loaded through
person_bulk_create (encryption, blind index, audit events), in chunks so the generator's
memory stays flat. E persons get a last contact three years ago, the rest one within the
year. Then the sweep runs twice: a dry run (evaluation only) and the real run (evaluation,
erasure through persons_erase, the deletion report). Printed: wall time of each, persons
examined and erased, and the peak resident memory of each run (the kernel's high-water mark,
reset before each run), so "constant memory" can be read off against the load's size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "rk_bench_ret"
CHUNK = 50_000


def _peak_reset() -> None:
    # Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM).
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pg(sql: str) -> None:
    subprocess.run(["psql", f"{PG_SERVER}/postgres", "-qc", sql], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--expiring", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument(
        "--no-scan", action="store_true", help="leave the deferred byte scan out (it runs in the worker)"
    )
    args = parser.parse_args()
    if not 0 < args.expiring <= args.persons:
        sys.exit("--expiring must be between 1 and --persons")
    data_dir = tempfile.mkdtemp(prefix="rekisteri-bench-ret-")
    os.chmod(data_dir, 0o700)
    sys.path.insert(0, str(ROOT))
    from rekisteri.lib.crypto import generate_master_key

    os.environ.update(
        DJANGO_SETTINGS_MODULE="rekisteri.settings",
        REKISTERI_ENV="embedded",
        REKISTERI_DATA_DIR=data_dir,
        REKISTERI_MASTER_KEY=generate_master_key("bench").to_string(),
        REKISTERI_LOG_LEVEL="WARNING",
    )
    for name in ("DATABASE_URL", "KEYSTORE_DATABASE_URL", "REKISTERI_AUDIT_CHECKPOINT_FILE", "DEBUG"):
        os.environ.pop(name, None)
    names = [PG_NAME, PG_NAME + "_keys"]
    if args.database == "postgres":
        for name in names:
            _pg(f"DROP DATABASE IF EXISTS {name}")
            _pg(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = f"{PG_SERVER}/{PG_NAME}"
    try:
        run(args)
    finally:
        from django.db import connections

        connections.close_all()
        if args.database == "postgres":
            for name in names:
                _pg(f"DROP DATABASE IF EXISTS {name}")
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args) -> None:
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    from benchmarks.scenarios import generate_rows, organizations_create, settle, staff_actors
    from rekisteri.organizations.models import Organization
    from rekisteri.people.bulk import person_bulk_create
    from rekisteri.people.models import Person
    from rekisteri.retention.services import retention_sweep

    call_command("migrate", verbosity=0)
    reader, officer = staff_actors()
    organizations = organizations_create(200)
    started = time.perf_counter()
    loaded = 0
    for number, start in enumerate(range(0, args.persons, CHUNK)):
        rows = generate_rows(
            min(CHUNK, args.persons - start), seed=args.seed + number, organization_ids=organizations
        )
        loaded += person_bulk_create(actor=reader, rows=rows, batch_size=20_000)
        print(f"\rloaded {loaded}", end="", file=sys.stderr, flush=True)
    load_seconds = time.perf_counter() - started
    print(file=sys.stderr)
    # E persons (spread over the id range) last contacted three years ago, the others this year.
    now = timezone.now()
    step = args.persons / args.expiring
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    old = [ids[int(i * step)] for i in range(args.expiring)]
    Person.objects.update(created_at=now - timedelta(days=400), last_activity_at=now - timedelta(days=30))
    # Every customer became a former customer three years ago: the persons' own last contact
    # decides (a running customer relationship would keep its contacts whatever their age).
    Organization.objects.update(status="former", status_changed_at=now - timedelta(days=3 * 365 + 30))
    for start in range(0, len(old), 10_000):
        Person.objects.filter(pk__in=old[start : start + 10_000]).update(
            created_at=now - timedelta(days=3 * 365 + 20), last_activity_at=now - timedelta(days=3 * 365)
        )
    del ids, old
    settle()
    figures = []
    for dry_run in (True, False):
        _peak_reset()
        began, cpu_began = time.perf_counter(), time.process_time()
        if os.environ.get("BENCH_PROFILE") and not dry_run:
            import cProfile

            profile = cProfile.Profile()
            result = profile.runcall(retention_sweep, actor=officer, dry_run=dry_run, collect=False)
            profile.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            result = retention_sweep(actor=officer, dry_run=dry_run, collect=False)
        seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        figures.append((dry_run, seconds, cpu, result, _peak_mb()))
    # The erasure proof's byte scan, deferred to the worker: one pass (or a few, bounded in
    # memory) over the files for every batch of the run, as `rekisteri worker` runs it.
    from rekisteri.privacy.erasure_scan import pending_scans_complete

    _peak_reset()
    began, cpu_began = time.perf_counter(), time.process_time()
    scanned = 0 if args.no_scan else pending_scans_complete()
    scan_figures = (time.perf_counter() - began, time.process_time() - cpu_began, _peak_mb(), scanned)
    left = Person.objects.count()
    label = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    print(
        f"\nRetention sweep, {label}: {args.persons:,} persons, {args.expiring:,} expiring "
        f"(loaded in {load_seconds:.0f} s)"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"{'run':<10} {'seconds':>8} {'CPU s':>7} {'examined':>9} {'erased':>8} {'ms/erased':>10} "
        f"{'CPU ms/erased':>14} {'peak RSS MB':>12}"
    )
    for dry_run, seconds, cpu, result, peak in figures:
        erased = sum(result.by_rule.values()) if dry_run else result.erased
        per = (
            f"{seconds * 1000 / erased:>10.3f} {cpu * 1000 / erased:>14.3f}"
            if erased
            else f"{'-':>10} {'-':>14}"
        )
        print(
            f"{'dry run' if dry_run else 'real run':<10} {seconds:>8.1f} {cpu:>7.1f} {result.examined:>9,} "
            f"{erased:>8,} {per} {peak:>12.0f}"
        )
    print(f"persons left: {left:,} (target: real run under 60 s at 1,000,000 / 100,000)")
    from rekisteri.privacy.erasure_proof import evidence_current

    seconds, cpu, peak, scanned = scan_figures
    scan = evidence_current(figures[-1][3].evidence).get("scan", {})
    if scan.get("performed"):
        files = scan["bytes"] / max(1, scan["performed"]) / 1e6
        print(
            f"byte scan after the sweep (the worker's task): {scanned} batches' proofs completed in "
            f"{seconds:.1f} s ({cpu:.1f} s CPU), peak RSS {peak:.0f} MB; {files:,.0f} MB of files, "
            f"{scan['fragments']:,} probes, result {scan['result']}"
        )
        if scan.get("vacuumed"):
            print(
                f"  the first pass found {scan['found_before_vacuum']:,} fragments: "
                f"VACUUM and a second pass (its time included above), then {scan['result']}"
            )
        if os.environ.get("BENCH_SHOW_FINDINGS"):
            print(json.dumps(evidence_current(figures[-1][3].evidence), indent=1)[:6000])


if __name__ == "__main__":
    main()
