"""The single-write path, side by side (issue 16, section 3).

In one run, on one database: a bare Django insert endpoint (bare_site.py, the same database
settings) and the register's `POST /api/v1/persons`, each served by gunicorn with the same
number of sync workers, each driven for the same time by the same client with a fixed
number of concurrent connections. Prints requests per second, p50 and p99 of each and the
ratio; run.py shows them as a table (`run.py --only writes`).

The client (`hammer`) is asyncio over raw sockets, one connection per request as a sync
gunicorn worker answers (Connection: close), in this process; it shares the machine with
the servers, the same for both sides of the pair.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.35
TARGET_P99_MS = 100.0


# --------------------------------------------------------------------------- the client


def _request(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["Content-Type: application/json", f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode() + body


async def _hammer(
    port: int, requests: Iterator[bytes], concurrency: int, seconds: float, warmup: float
) -> dict:
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    started = time.perf_counter()
    measure_from, stop_at = started + warmup, started + warmup + seconds

    async def connection_loop() -> None:
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            request = next(requests)
            begun = time.perf_counter()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            answer = await reader.read()
            writer.close()
            ended = time.perf_counter()
            if begun >= measure_from and ended <= stop_at:
                latencies.append((ended - begun) * 1000)
                statuses[answer[9:12].decode(errors="replace") or "closed"] += 1

    await asyncio.gather(*(connection_loop() for _ in range(concurrency)))
    latencies.sort()
    ok = sum(count for status, count in statuses.items() if status.startswith("2"))
    return {
        "rate": ok / seconds,
        "p50": statistics.median(latencies) if latencies else 0.0,
        "p99": latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))] if latencies else 0.0,
        "requests": len(latencies),
        "errors": {status: n for status, n in statuses.items() if not status.startswith("2")},
    }


def hammer(port: int, requests: Iterator[bytes], *, concurrency: int, seconds: float, warmup: float) -> dict:
    """Requests per second answered 2xx, p50 and p99 (ms) over `seconds` after `warmup`."""
    return asyncio.run(_hammer(port, requests, concurrency, seconds, warmup))


def person_bodies(prefix: str) -> Iterator[bytes]:
    """New persons, each with an address of their own (a repeated one is a 409 duplicate)."""
    number = 0
    first = ["Anna", "Mikko", "Liisa", "Juha", "Aino", "Matti", "Elina", "Pekka"]
    last = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine"]
    while True:
        number += 1
        yield json.dumps(
            {
                "first_name": first[number % len(first)],
                "last_name": last[number % len(last)],
                "email": f"{prefix}.{number}@kirjoitus.example",
                "categories": ["customer_representative"],
            }
        ).encode()


# --------------------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop; its workers follow
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


_SETUP = """
import django
django.setup()
from datetime import date, timedelta
from django.core.management import call_command
call_command("migrate", verbosity=0)
from rekisteri.accounts.models import Role
from rekisteri.accounts.services import staff_create, token_create
from rekisteri.audit.actor import Actor
system = Actor.system("benchmark", origin="cli")
profile = staff_create(actor=system, username="bench-writer", role=Role.SALES,
                       password="bench-writer-password-1", nda_signed_on=date.today() - timedelta(days=30))
# Section 11: staff reach personal data only after acknowledging the current instructions.
from rekisteri.governance.selectors import current_instruction
from rekisteri.governance.services import instruction_acknowledge
if (current := current_instruction()) is not None:
    instruction_acknowledge(actor=Actor.for_user(profile.user, "cli"), user=profile.user, instruction=current)
print(token_create(actor=system, user=profile.user, name="benchmark")[1])
"""


def _serve(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True)
    _wait_for_port(port, process)
    return process


def measure_pair(
    *,
    database: str,
    workers: int = 3,
    concurrency: int = 16,
    seconds: float = 10.0,
    warmup: float = 2.0,
    rounds: int = 1,
    pg_server: str = "postgres://postgres@127.0.0.1:5432",
    pg_name: str = "rk_write",
    log: Callable[[str], None] = lambda message: None,
) -> dict:
    """The bare insert and the register's create, alternated `rounds` times; the best round
    of each (a shared VM's CPU speed wanders between rounds) and every round."""
    sys.path.insert(0, str(ROOT))
    from rekisteri.lib.crypto import generate_master_key

    tmp = Path(tempfile.mkdtemp(prefix="rekisteri-writes-"))
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "KEYSTORE_DATABASE_URL", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    base_env.update(
        REKISTERI_ENV="embedded",
        REKISTERI_MASTER_KEY=generate_master_key("bench").to_string(),
        REKISTERI_LOG_LEVEL="WARNING",
        REKISTERI_AUDIT_CHECKPOINT_FILE=str(tmp / "checkpoints.jsonl"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        PYTHONPATH=str(ROOT),
    )
    project_env = {
        **base_env,
        "REKISTERI_DATA_DIR": str(tmp / "project"),
        "DJANGO_SETTINGS_MODULE": "rekisteri.settings",
    }
    bare_env = {**base_env, "REKISTERI_DATA_DIR": str(tmp / "bare")}
    for directory in (tmp / "project", tmp / "bare"):
        directory.mkdir(mode=0o700)
    names = [pg_name, pg_name + "_keys", pg_name + "_bare"]
    if database == "postgres":
        _pg(pg_server, names, drop_first=True)
        project_env["DATABASE_URL"] = f"{pg_server}/{pg_name}"
        bare_env["DATABASE_URL"] = f"{pg_server}/{pg_name}_bare"
    servers: list[subprocess.Popen] = []
    try:
        token = _run([sys.executable, "-c", _SETUP], project_env).strip().splitlines()[-1]
        _run([sys.executable, "-c", "import benchmarks.bare_site as site; site.create_table()"], bare_env)
        python_bin = Path(sys.executable).parent
        bare_port, project_port = _free_port(), _free_port()
        gunicorn = [str(python_bin / "gunicorn"), "--workers", str(workers), "--worker-class", "sync"]
        bare_command = [*gunicorn, "--bind", f"127.0.0.1:{bare_port}", "benchmarks.bare_site:application"]
        project_command = [
            str(python_bin / "rekisteri"), "serve", "--workers", str(workers), "--port", str(project_port)
        ]  # fmt: skip
        results: dict[str, list[dict]] = {"bare": [], "project": []}
        bodies = person_bodies(f"w{os.getpid()}")
        auth = {"Authorization": f"Bearer {token}"}
        requests = {
            "bare": (bare_port, (_request("/insert", body, {}) for body in bodies)),
            "project": (project_port, (_request("/api/v1/persons", body, auth) for body in bodies)),
        }
        commands = {"bare": (bare_command, bare_env), "project": (project_command, project_env)}
        for round_number in range(rounds):
            for side in ("bare", "project"):
                command, env = commands[side]
                port, stream = requests[side]
                server = _serve(command, env, port, tmp / f"{side}.log")
                servers.append(server)
                try:
                    figures = hammer(port, stream, concurrency=concurrency, seconds=seconds, warmup=warmup)
                finally:
                    _stop(server)
                results[side].append(figures)
                log(
                    f"round {round_number + 1} {side}: {figures['rate']:,.0f}/s, "
                    f"p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, "
                    f"errors {figures['errors'] or 'none'}"
                )
        best = {side: max(rounds_, key=lambda figures: figures["rate"]) for side, rounds_ in results.items()}
        return {
            "workers": workers,
            "concurrency": concurrency,
            "seconds": seconds,
            "bare": best["bare"],
            "project": best["project"],
            "ratio": best["project"]["rate"] / best["bare"]["rate"] if best["bare"]["rate"] else 0.0,
            "rounds": results,
        }
    finally:
        for server in servers:
            _stop(server)
        if database == "postgres":
            _pg(pg_server, names, drop_first=False)
        shutil.rmtree(tmp, ignore_errors=True)


def _pg(server: str, names: list[str], *, drop_first: bool) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if drop_first:
                admin.execute(f'CREATE DATABASE "{name}"')


def report(figures: dict[str, dict], labels: dict[str, str]) -> str:
    """The pair as a table: one column per database."""
    first = next(iter(figures.values()))
    columns = list(figures)
    lines = [
        f"the single-write path: {first['workers']} gunicorn workers, {first['concurrency']} connections, "
        f"{first['seconds']:g} s per side, best of {len(first['rounds']['bare'])} round(s)",
    ]
    header = (
        f"{'operation':<44} {'target':>11}" + "".join(f" {labels[db]:>11}" for db in columns) + "  result"
    )
    lines += [header, "-" * len(header)]

    def row(label: str, target: str, values: list[str], verdict: str = "") -> None:
        lines.append(f"{label:<44} {target:>11}" + "".join(f" {v:>11}" for v in values) + f"  {verdict}")

    for side, label in (("bare", "bare Django insert"), ("project", "POST /api/v1/persons")):
        row(f"{label}, requests per second", "", [f"{figures[db][side]['rate']:,.0f}/s" for db in columns])
        row("  p50", "", [f"{figures[db][side]['p50']:.1f} ms" for db in columns])
        p99_target = f"< {TARGET_P99_MS:g} ms" if side == "project" else ""
        p99_ok = all(figures[db]["project"]["p99"] < TARGET_P99_MS for db in columns)
        row(
            "  p99",
            p99_target,
            [f"{figures[db][side]['p99']:.1f} ms" for db in columns],
            ("pass" if p99_ok else "FAIL") if side == "project" else "",
        )
    ratio_ok = all(figures[db]["ratio"] >= TARGET_RATIO for db in columns)
    row(
        "create / bare insert, requests per second",
        f">= {TARGET_RATIO:g}",
        [f"{figures[db]['ratio']:.2f}" for db in columns],
        "pass" if ratio_ok else "FAIL",
    )
    errors = {db: figures[db]["project"]["errors"] for db in columns if figures[db]["project"]["errors"]}
    if errors:
        lines.append(f"answers other than 2xx: {errors}")
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description="The write-path pair alone (run.py --only writes runs it too)."
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    result = measure_pair(
        database=args.database,
        seconds=args.seconds,
        rounds=args.rounds,
        log=lambda message: print(f"   {message}", file=sys.stderr, flush=True),
    )
    print(report({args.database: result}, {"sqlite": "SQLite", "postgres": "PostgreSQL"}))
