"""How many examples property tests try: a fraction on every run, all of them when asked.

Every run (./test.sh, CI) tries a tenth of each test's thorough count, at least 25; a
scheduled or pre-release run sets REKISTERI_THOROUGH=1 for the full counts. The full counts
found the bugs the fast paths once had (tests/lib/test_normalize_fast_paths.py); a tenth
still covers each grammar's branches on every run.
"""

from __future__ import annotations

import os

THOROUGH = os.environ.get("REKISTERI_THOROUGH", "").lower() in {"1", "true", "yes"}


def examples(thorough: int) -> int:
    return thorough if THOROUGH else max(25, thorough // 10)
