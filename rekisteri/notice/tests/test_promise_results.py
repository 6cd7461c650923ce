"""The promise map's real status: the suite records each test's outcome in the results file
(conftest.py, rekisteri.lib.suite_results) and the privacy officer's page shows, per promise,
whether its tests passed, failed or did not run, with the date of the run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client

from rekisteri.lib import suite_results
from rekisteri.notice.promises import ROOT, load, promise_report

PAGE = "/notice/promises/"
PUBLICATION = "rekisteri/notice/tests/test_publication.py"
RULES = "rekisteri/retention/tests/test_rules.py"
CEILING_TEST = f"{RULES}::test_the_ceiling_rule_cannot_be_switched_off_or_lengthened"
RUN_AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _plant(path: Path, *, failed: set[str] = frozenset(), left_out: set[str] = frozenset()) -> None:
    """A results file in which every test the map names passed on SQLite at RUN_AT, except the
    failed ones, and the left-out ones never ran."""
    tests = {test for promise in load() for test in promise.tests} - set(left_out)
    outcomes = {test: "failed" if test in failed else "passed" for test in tests}
    suite_results.record(
        path,
        outcomes,
        database="sqlite",
        commit="abcdef1234567890",
        dirty=False,
        started_at=RUN_AT - timedelta(minutes=5),
        finished_at=RUN_AT,
    )


def _row(page: str, promise_id: str) -> str:
    match = re.search(rf'<tr id="{promise_id}">(.*?)</tr>', page, re.S)
    assert match, promise_id
    return match.group(1)


def _page(client_user, settings, path: Path) -> str:
    settings.TEST_RESULTS_FILE = path
    client = Client()
    client.force_login(client_user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(PAGE, headers={"accept-language": "en"})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_a_failed_test_shows_its_promise_as_failed_with_the_date_of_the_run(cast, settings, tmp_path):
    results = tmp_path / "test-results.json"
    _plant(results, failed={CEILING_TEST})
    page = _page(cast.privacy_officer, settings, results)
    row = _row(page, "s7-two-years")
    assert "promise-result--failed" in row and "Failed (2026-11-30)" in row
    assert re.search(rf"{CEILING_TEST}</code> <span class=\"test-result test-result--failed\">failed", row)
    # A promise whose tests all passed says so, with the run's date.
    assert "promise-result--passed" in _row(page, "s12-announce-ahead")
    assert "Passed (2026-11-30)" in _row(page, "s12-announce-ahead")
    assert "commit <code>abcdef123456</code>" in page and "1 failed" in page


@pytest.mark.django_db
def test_a_test_missing_from_the_runs_shows_as_not_run_since_the_last_run(cast, settings, tmp_path):
    results = tmp_path / "test-results.json"
    _plant(results, left_out={CEILING_TEST})
    row = _row(_page(cast.privacy_officer, settings, results), "s7-two-years")
    assert "promise-result--not_run" in row and "Not run since 2026-11-30" in row
    assert "test-result--not_run" in row


@pytest.mark.django_db
def test_without_a_results_file_the_page_says_nothing_has_run(cast, settings, tmp_path):
    page = _page(cast.privacy_officer, settings, tmp_path / "missing.json")
    assert "No run of the test suite is recorded" in page
    assert "promise-result--not_run" in _row(page, "s7-two-years")
    assert "promise-result--passed" not in page


def test_results_of_both_databases_merge_and_a_failure_on_either_wins(tmp_path):
    path = tmp_path / "results.json"
    later = RUN_AT + timedelta(hours=1)
    common = {"commit": "c0ffee", "dirty": False, "started_at": RUN_AT}
    suite_results.record(path, {f"{RULES}::test_x[a]": "passed", f"{RULES}::test_x[b]": "passed"},
                         database="sqlite", finished_at=RUN_AT, **common)  # fmt: skip
    suite_results.record(path, {f"{RULES}::test_x[a]": "failed", f"{RULES}::test_y": "skipped"},
                         database="postgresql", finished_at=later, **common)  # fmt: skip
    data = suite_results.load(path)
    assert suite_results.status_of(data, f"{RULES}::test_x") == suite_results.ResultStatus(
        "failed", later, "c0ffee"
    )
    assert suite_results.status_of(data, f"{RULES}::test_y").outcome == "skipped"
    # A name that is only a prefix of a recorded test is not that test.
    assert suite_results.status_of(data, f"{RULES}::test").outcome == "not_run"
    assert [run["database"] for run in suite_results.latest_runs(data)] == ["postgresql", "sqlite"]
    # A later passing run on the failing database clears the failure.
    suite_results.record(path, {f"{RULES}::test_x[a]": "passed"}, database="postgresql",
                         finished_at=later + timedelta(hours=1), **common)  # fmt: skip
    assert suite_results.status_of(suite_results.load(path), f"{RULES}::test_x").outcome == "passed"


def test_an_unreadable_results_file_counts_as_no_run(tmp_path):
    path = tmp_path / "results.json"
    path.write_text("{not json", encoding="utf-8")
    assert suite_results.load(path) == {"version": 1, "runs": [], "tests": {}}
    [promise, *_] = promise_report(results=suite_results.load(path))
    assert promise.result.outcome == "not_run" and promise.result.at is None


@pytest.mark.slow
def test_a_pytest_run_records_its_outcomes_with_the_commit(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    results = tmp_path / "test-results.json"
    node = "rekisteri/notice/tests/test_promises.py::test_references_name_files_functions_and_methods"
    env = {
        **os.environ,
        "REKISTERI_DATA_DIR": str(data_dir),
        "REKISTERI_TEST_RESULTS_FILE": str(results),
    }
    env.pop("DATABASE_URL", None)
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", node],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["tests"][node]["sqlite"]["outcome"] == "passed"
    [run] = data["runs"]
    assert run["database"] == "sqlite" and run["passed"] == 1 and run["failed"] == 0
    assert re.fullmatch(r"[0-9a-f]{40}", run["commit"])
