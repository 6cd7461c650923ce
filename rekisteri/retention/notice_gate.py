"""Section 12: a retention rule applies only from the effective date of the notice version
that announced it.

The notice app sits above this one; when it is ready it installs the reader of what the
notice in force on a day says of each rule (code -> period). A rule the notice in force does
not state yet (a new one) is not applied; a rule whose period changed keeps the period the
notice in force states until the version announcing the new one takes effect. Without the
notice app, or before any version is in force, the live rules apply (the public page then
shows the live configuration too).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

_announced: list[Callable[[date], dict[str, str] | None]] = []


def announced_rules_install(reader: Callable[[date], dict[str, str] | None]) -> None:
    _announced[:] = [reader]


def rules_announced(day: date) -> dict[str, str] | None:
    """{rule code: period} as the notice in force on `day` states them, or None (live rules)."""
    return _announced[0](day) if _announced else None
