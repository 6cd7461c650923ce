"""The register's benchmarks: one command, one table (issue 3, section 5).

Run:
    .venv/bin/python benchmarks/run.py [--persons 100000] [--database sqlite|postgres|both]
                                       [--encryption on|off|both] [--profile]
                                       [--only load|writes] [--write-seconds 10] [--write-rounds 2]

For each database and encryption setting a child process gets a throwaway register of its
own: SQLite files in a temporary directory, or on PostgreSQL the databases rk_bench and
rk_bench_keys, created before and dropped after. ./var and the configured databases are
never touched. The child loads the persons through the bulk service, with every
encryption, index and audit event, then times each operation (scenarios.py); the parent
prints the figures beside their targets. "off" runs the same code with encryption switched
off in that child only (scenarios.encryption_switched_off), so its cost shows as a ratio.
Then the single-write pair (writes.py): the register's create through the API beside a bare
Django insert, each under gunicorn, in one run per database.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_PG_NAME = "rk_bench"
DATABASE_LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--encryption", choices=["on", "off", "both"], default="both")
    parser.add_argument("--reads", type=int, default=200, help="samples per read operation (default 200)")
    parser.add_argument("--erasures", type=int, default=50, help="persons erased (default 50)")
    parser.add_argument("--batch-size", type=int, default=20_000)  # person_bulk_create's default
    parser.add_argument("--seed", type=int, default=20250601)
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER, help="PostgreSQL server URL, no database")
    parser.add_argument("--pg-name", default=DEFAULT_PG_NAME, help="database name (the key store gets _keys)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the bulk load")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--only",
        choices=["load", "writes"],
        help="only the loaded register's table (load), or only the single-write pair (writes)",
    )
    parser.add_argument("--write-seconds", type=float, default=10.0, help="per side of the write pair")
    parser.add_argument("--write-rounds", type=int, default=2, help="bare/project alternations")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # internal: one run, figures to file
    args = parser.parse_args()
    # A stopped run still drops its databases and removes its files (the finally blocks).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.child:
        child(args)
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    modes = ["on", "off"] if args.encryption == "both" else [args.encryption]
    if args.only != "writes":
        load_tables(args, databases, modes)
    if args.only != "load":
        write_pair(args, databases)


def write_pair(args: argparse.Namespace, databases: list[str]) -> None:
    """Issue 16, section 3: the register's create beside a bare Django insert (writes.py)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks import writes

    figures = {}
    for database in databases:
        print(f"== the single-write path, {DATABASE_LABELS[database]}", file=sys.stderr, flush=True)
        load_before = os.getloadavg()[0]
        figures[database] = writes.measure_pair(
            database=database,
            seconds=args.write_seconds,
            rounds=args.write_rounds,
            pg_server=args.pg_server,
            pg_name=args.pg_name + "_write",
            log=lambda message: print(f"   {message}", file=sys.stderr, flush=True),
        )
        figures[database]["load_average"] = [load_before, os.getloadavg()[0]]
    loads = ", ".join(
        f"{DATABASE_LABELS[db]} {result['load_average'][0]:.1f} -> {result['load_average'][1]:.1f}"
        for db, result in figures.items()
    )
    print(f"\n{writes.report(figures, DATABASE_LABELS)}\nload average during the pairs: {loads}")
    if args.json:
        path = args.json.with_name(args.json.stem + "-writes.json")
        path.write_text(json.dumps(figures, indent=2))


def load_tables(args: argparse.Namespace, databases: list[str], modes: list[str]) -> None:
    """The loaded register's table: one child per database and encryption setting."""
    figures: dict[str, dict[str, dict]] = {}
    with tempfile.TemporaryDirectory(prefix="rekisteri-bench-") as tmp:
        for database in databases:
            for mode in modes:
                result_file = Path(tmp) / f"{database}-{mode}.json"
                print(f"== {DATABASE_LABELS[database]}, encryption {mode}", file=sys.stderr, flush=True)
                command = [
                    sys.executable,
                    __file__,
                    *_child_args(args, database, mode),
                    "--child",
                    result_file,
                ]
                process = subprocess.Popen([str(part) for part in command], cwd=ROOT)
                try:
                    if process.wait() != 0:
                        sys.exit(f"the {DATABASE_LABELS[database]} run with encryption {mode} failed")
                except BaseException:
                    process.terminate()  # let the child drop its databases and files
                    process.wait()
                    raise
                figures.setdefault(database, {})[mode] = json.loads(result_file.read_text())
    print(report(figures, args))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


def _child_args(args: argparse.Namespace, database: str, mode: str) -> list:
    flags = ["--database", database, "--encryption", mode, "--persons", args.persons, "--reads", args.reads]
    flags += ["--erasures", args.erasures, "--batch-size", args.batch_size, "--seed", args.seed]
    flags += ["--pg-server", args.pg_server, "--pg-name", args.pg_name]
    return flags + (["--profile"] if args.profile else [])


# --------------------------------------------------------------------------- one run


def child(args: argparse.Namespace) -> None:
    """One database, one encryption setting, in a fresh register; figures go to args.child."""
    data_dir = tempfile.mkdtemp(prefix="rekisteri-bench-data-")
    postgres = args.database == "postgres"
    names = [args.pg_name, args.pg_name + "_keys"]
    sys.path.insert(0, str(ROOT))
    from rekisteri.lib.crypto import generate_master_key

    os.environ.update(
        DJANGO_SETTINGS_MODULE="rekisteri.settings",
        REKISTERI_ENV="embedded",
        REKISTERI_DATA_DIR=data_dir,
        REKISTERI_MASTER_KEY=generate_master_key("bench").to_string(),
        REKISTERI_LOG_LEVEL="WARNING",
        # Portal intake mails a link: keep the mail in memory, as a local relay would.
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    for name in ("DATABASE_URL", "KEYSTORE_DATABASE_URL", "REKISTERI_AUDIT_CHECKPOINT_FILE", "DEBUG"):
        os.environ.pop(name, None)
    if postgres:
        _pg_recreate(args.pg_server, names)
        os.environ["DATABASE_URL"] = f"{args.pg_server}/{args.pg_name}"
    try:
        figures = _measure(args)
        args.child.write_text(json.dumps(figures))
    finally:
        from django.db import connections

        connections.close_all()
        if postgres:
            _pg_drop(args.pg_server, names)
        shutil.rmtree(data_dir, ignore_errors=True)


def _measure(args: argparse.Namespace) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from benchmarks import scenarios

    def log(message: str) -> None:
        print(f"   {message}", file=sys.stderr, flush=True)

    options = dict(
        persons=args.persons,
        reads=args.reads,
        erasures=args.erasures,
        seed=args.seed,
        batch_size=args.batch_size,
    )

    def run() -> dict:
        if not args.profile:
            return scenarios.run_all(**options, log=log)
        import cProfile
        import pstats

        # Profile the load only: wrap the bulk service while run_all calls it.
        original = scenarios.person_bulk_create
        profiler = cProfile.Profile()

        def profiled(**kwargs):
            profiler.enable()
            try:
                return original(**kwargs)
            finally:
                profiler.disable()

        scenarios.person_bulk_create = profiled
        try:
            return scenarios.run_all(**options, log=log)
        finally:
            scenarios.person_bulk_create = original
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(45)

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    commit_before, cpu_before = scenarios.commit_latency(), scenarios.cpu_probe()
    # The table's lines and targets travel with the figures, so OPERATIONS is their one source.
    table = {
        "bulk_target": scenarios.BULK_TARGET,
        "operations": [(op.key, op.label, op.target_ms, op.target_on) for op in scenarios.OPERATIONS],
    }
    if args.encryption == "off":
        with scenarios.encryption_switched_off():
            figures = run()
    else:
        figures = run()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    commit_ms = [commit_before, scenarios.commit_latency()]
    cpu_ms = [cpu_before, scenarios.cpu_probe()]
    figures["table"] = table
    figures["meta"] = {
        "version": version,
        "seconds": time.perf_counter() - started,
        "commit_ms": commit_ms,
        "cpu_probe_ms": cpu_ms,
        # Other processes on the machine slow every figure: the table shows how busy it was.
        "load_average": [load_before, os.getloadavg()[0]],
    }
    return figures


def _pg_admin(server: str):
    import psycopg

    return psycopg.connect(f"{server}/postgres", autocommit=True)


def _pg_recreate(server: str, names: list[str]) -> None:
    _pg_drop(server, names)
    with _pg_admin(server) as admin:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')


def _pg_drop(server: str, names: list[str]) -> None:
    with _pg_admin(server) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- the table


def report(figures: dict[str, dict[str, dict]], args: argparse.Namespace) -> str:
    lines = [
        f"rekisteri benchmark: {args.persons:,} persons, batch {args.batch_size:,}, "
        f"{args.reads} samples per read, {args.erasures} erasures",
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, one benchmark process (a PostgreSQL "
        "server runs beside it). 'cost' = encrypted / plain.",
    ]
    for database, modes in figures.items():
        on, off = modes.get("on"), modes.get("off")
        first = on or off
        loads = ", ".join(
            f"{'encrypted' if mode == 'on' else 'plain'} {before:.1f} -> {after:.1f}"
            for mode, result in modes.items()
            for before, after in [result["meta"]["load_average"]]
        )
        version = first["meta"]["version"].split(" (")[0]
        commits = ", ".join(
            f"{'encrypted' if mode == 'on' else 'plain'} {before:.2f} -> {after:.2f}"
            for mode, result in modes.items()
            for before, after in [result["meta"]["commit_ms"]]
        )
        probes = ", ".join(
            f"{'encrypted' if mode == 'on' else 'plain'} {before:.0f} -> {after:.0f}"
            for mode, result in modes.items()
            for before, after in [result["meta"].get("cpu_probe_ms", [0.0, 0.0])]
        )
        lines += [
            "",
            f"{DATABASE_LABELS[database]} {version}; load average during the runs: {loads}",
            f"a durable commit of one row, before and after (ms): {commits}; every audited read pays one",
            f"a fixed Python workload, before and after (ms; lower is a faster CPU): {probes}",
        ]
        header = f"{'operation':<42} {'target':>11} {'encrypted':>11} {'plain':>11} {'cost':>6}  result"
        lines += [header, "-" * len(header)]
        for key, label, metric, target, higher in _rows(first["table"]):
            enc = on[key][metric] if on else None
            plain = off[key][metric] if off else None
            cost = f"{(plain / enc if higher else enc / plain):.1f}x" if enc and plain else ""
            verdict = ""
            if target is not None and enc is not None:
                verdict = "pass" if (enc >= target if higher else enc < target) else "FAIL"
            target_text = "" if target is None else (f">= {target:,}/s" if higher else f"< {target:g} ms")
            lines.append(
                f"{label:<42} {target_text:>11} {_fmt(enc, higher):>11} {_fmt(plain, higher):>11} "
                f"{cost:>6}  {verdict}"
            )
    return "\n".join(lines)


def _fmt(value: float | None, rate: bool) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}/s" if rate else f"{value:.2f} ms"


def _rows(table: dict) -> list[tuple[str, str, str, float | None, bool]]:
    """(key, label, metric, target, higher is better) for every line, from scenarios.OPERATIONS."""
    rows: list[tuple[str, str, str, float | None, bool]] = [
        ("bulk_create", "bulk creation, persons per second", "rate", table["bulk_target"], True),
        ("bulk_create", "  the same per CPU second of this process", "cpu_rate", None, True),
    ]
    for key, label, target, *on in table["operations"]:
        on_p95 = on == ["p95"]
        rows.append((key, f"{label}, median", "median", None if on_p95 else target, False))
        rows.append((key, f"{label}, p95", "p95", target if on_p95 else None, False))
    return rows


if __name__ == "__main__":
    main()
