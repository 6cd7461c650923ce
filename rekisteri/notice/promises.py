"""The promise map: every promise sentence of the notice, the code that keeps it and the
tests that prove it (promises.toml beside this module).

`promise_report()` checks each entry against the source tree: a test named as
"path::function" or "path::Class::method" must exist, a code reference "path" or
"path::Name" must name a file that defines it. The test suite fails on a promise without a
test or with a test that no longer exists; the privacy officer's page shows each status and,
from the test results file the suite writes (rekisteri.lib.suite_results), whether the
promise's tests passed, failed or have not run, and when.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rekisteri.lib import suite_results
from rekisteri.lib.suite_results import ResultStatus

MAP_FILE = Path(__file__).with_name("promises.toml")
# The repository root: test and code paths in the map are relative to it.
ROOT = Path(__file__).resolve().parents[2]


class Status:
    KEPT = "kept"  # code named, every test found
    NO_CODE = "no_code"  # tested statement, but no code keeps it yet
    NO_TEST = "no_test"
    MISSING_TEST = "missing_test"
    MISSING_CODE = "missing_code"


@dataclass
class Promise:
    id: str
    section: int
    text_fi: str
    text_en: str
    code: list[str]
    tests: list[str]
    note: str = ""
    missing_tests: list[str] = field(default_factory=list)
    missing_code: list[str] = field(default_factory=list)
    # Each named test's outcome in the recorded runs.
    results: dict[str, ResultStatus] = field(default_factory=dict)

    @property
    def result(self) -> ResultStatus | None:
        """The promise's tests together: failed if any failed (when it last did), not run if
        any has no result, else skipped or passed (as of its oldest test's run)."""
        if not self.results:
            return None
        statuses = list(self.results.values())
        worst = min(status.rank for status in statuses)
        same = [status for status in statuses if status.rank == worst]
        if same[0].outcome == suite_results.NOT_RUN:
            return same[0]
        if same[0].outcome == suite_results.PASSED:
            return min(same, key=lambda status: status.at)
        return max(same, key=lambda status: status.at)

    @property
    def failed_tests(self) -> list[str]:
        return [test for test, status in self.results.items() if status.outcome == suite_results.FAILED]

    @property
    def status(self) -> str:
        if not self.tests:
            return Status.NO_TEST
        if self.missing_tests:
            return Status.MISSING_TEST
        if self.missing_code:
            return Status.MISSING_CODE
        if not self.code:
            return Status.NO_CODE
        return Status.KEPT


@lru_cache(maxsize=256)
def _names(path: Path, mtime: float) -> frozenset[str]:
    """Names a Python file defines: top-level functions, classes and assignments, and
    Class::method for methods (mtime keys the cache, so edits are seen)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    names.add(f"{node.name}::{item.name}")
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return frozenset(names)


def reference_exists(reference: str, root: Path = ROOT) -> bool:
    """ "path", "path::name" or "path::Class::name" names something in the tree."""
    path_part, _, name = reference.partition("::")
    path = root / path_part
    if not path.is_file():
        return False
    if not name:
        return True
    if path.suffix != ".py":
        return False
    return name in _names(path, path.stat().st_mtime)


def load(map_file: Path = MAP_FILE) -> list[Promise]:
    data = tomllib.loads(map_file.read_text(encoding="utf-8"))
    return [
        Promise(
            id=item["id"],
            section=int(item["section"]),
            text_fi=item["text_fi"],
            text_en=item.get("text_en", ""),
            code=list(item.get("code", [])),
            tests=list(item.get("tests", [])),
            note=item.get("note", ""),
        )
        for item in data.get("promise", [])
    ]


def promise_report(
    map_file: Path = MAP_FILE, root: Path = ROOT, results: dict[str, Any] | None = None
) -> list[Promise]:
    """Every promise with its references checked against the tree, and with `results` (the
    test results file's content, suite_results.load) each named test's recorded outcome."""
    promises = load(map_file)
    index = suite_results.by_test(results) if results is not None else {}
    for promise in promises:
        promise.missing_tests = [test for test in promise.tests if not reference_exists(test, root)]
        promise.missing_code = [code for code in promise.code if not reference_exists(code, root)]
        if results is not None:
            promise.results = {test: suite_results.status_in(index, test) for test in promise.tests}
    return promises
