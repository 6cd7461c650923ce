"""The register's source files parsed once per test run, for the tests that read its code.

Several tests walk the syntax trees of every module (service errors, audit codes, purposes,
translations): parsing them again in each test cost about 20,000 parses a run. The trees are
only read, never changed, so one parse per file serves them all.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path


@functools.cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
