"""The test results file: what the last runs of the suite said of each test.

The pytest plugin in the project's conftest.py records every run into it (./test.sh names the
file: REKISTERI_TEST_RESULTS_FILE); the promise map's page reads it to show, for each promise
of the privacy notice, whether its tests passed, failed or have not run. Both passes of
./test.sh (SQLite and PostgreSQL) write into the same file at the same time, so a write
merges under a lock and replaces the file in one step.

Format (JSON): {"version": 1, "runs": [{database, started_at, finished_at, commit, dirty,
passed, failed, skipped}], "tests": {node id: {database: {outcome, at, commit}}}}. Node ids are
pytest's ("path::function[param]"); outcomes "passed", "failed" or "skipped".
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
KEEP_RUNS = 50
PASSED, FAILED, SKIPPED, NOT_RUN = "passed", "failed", "skipped", "not_run"
# Worst first: a promise shows the worst state of its tests.
_RANK = {FAILED: 0, NOT_RUN: 1, SKIPPED: 2, PASSED: 3}


def _empty() -> dict[str, Any]:
    return {"version": FORMAT_VERSION, "runs": [], "tests": {}}


def load(path: Path) -> dict[str, Any]:
    """The file's content; an empty record when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _empty()
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION:
        return _empty()
    data.setdefault("runs", [])
    data.setdefault("tests", {})
    return data


def record(
    path: Path,
    outcomes: Mapping[str, str],
    *,
    database: str,
    commit: str,
    dirty: bool,
    started_at: datetime,
    finished_at: datetime,
) -> None:
    """Merge one run's outcomes into the file: each test's entry for this database is replaced,
    other tests and other databases keep theirs (a targeted run updates only what it ran)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = load(path)
        at = finished_at.isoformat(timespec="seconds")
        for nodeid, outcome in outcomes.items():
            data["tests"].setdefault(nodeid, {})[database] = {"outcome": outcome, "at": at, "commit": commit}
        counts = {
            state: sum(1 for o in outcomes.values() if o == state) for state in (PASSED, FAILED, SKIPPED)
        }
        data["runs"] = [
            *data["runs"],
            {
                "database": database,
                "started_at": started_at.isoformat(timespec="seconds"),
                "finished_at": at,
                "commit": commit,
                "dirty": dirty,
                **counts,
            },
        ][-KEEP_RUNS:]
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".test-results-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise


@dataclass(frozen=True)
class ResultStatus:
    """What the recorded runs say of one test (all its parameters, every database)."""

    outcome: str  # passed, failed, skipped or not_run
    at: datetime | None  # when it last ran with that outcome (None: never ran)
    commit: str = ""

    @property
    def rank(self) -> int:
        return _RANK[self.outcome]


def by_test(data: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The recorded entries by test ("path::function"): each parametrised case ("[...]") and
    every database under its test's name. Build it once for many look-ups."""
    index: dict[str, list[dict[str, Any]]] = {}
    for nodeid, by_database in data.get("tests", {}).items():
        index.setdefault(nodeid.split("[", 1)[0], []).extend(by_database.values())
    return index


def status_in(index: Mapping[str, list[dict[str, Any]]], reference: str) -> ResultStatus:
    """What the runs say of one test (worst outcome first: failed, skipped, passed)."""
    entries = index.get(reference, [])
    if not entries:
        return ResultStatus(NOT_RUN, None)
    worst = min(entries, key=lambda entry: (_RANK.get(entry["outcome"], 0), entry["at"]))
    if worst["outcome"] == FAILED:
        # The latest failure is the one to look at.
        worst = max((e for e in entries if e["outcome"] == FAILED), key=lambda entry: entry["at"])
    return ResultStatus(worst["outcome"], datetime.fromisoformat(worst["at"]), worst.get("commit", ""))


def status_of(data: Mapping[str, Any], reference: str) -> ResultStatus:
    return status_in(by_test(data), reference)


def last_run(data: Mapping[str, Any]) -> datetime | None:
    runs = data.get("runs", [])
    return datetime.fromisoformat(max(run["finished_at"] for run in runs)) if runs else None


def latest_runs(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The latest run on each database, newest first, with its end as a datetime ("finished")."""
    latest = {
        run["database"]: run for run in sorted(data.get("runs", []), key=lambda run: run["finished_at"])
    }
    return [
        {**run, "finished": datetime.fromisoformat(run["finished_at"])}
        for run in sorted(latest.values(), key=lambda run: run["finished_at"], reverse=True)
    ]
