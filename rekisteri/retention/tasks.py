"""The daily retention sweep as a background task (section 7: "at the latest every two
years"; the worker runs it every day, so nothing outlives its rule by more than a day)."""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django_tasks import task

from rekisteri.audit.actor import Actor
from rekisteri.retention.services import retention_sweep
from rekisteri.rights.tasks import once_a_day_enqueue

_SWEEP_LOCK_ID = 0x726B_7274  # "rkrt": PostgreSQL advisory lock around the daily enqueue


@task()
def run_retention_sweep() -> dict:
    """Erase what has outlived its rules today; returns the counts (kept in the task result)."""
    result = retention_sweep(actor=Actor.system("task:retention_sweep", origin="task"), collect=False)
    return result.as_dict()["counts"]


def sweep_enqueue_if_due(now: datetime | None = None) -> bool:
    at = time.fromisoformat(getattr(settings, "RETENTION_SWEEP_AT", "03:00"))
    return once_a_day_enqueue(run_retention_sweep, lock_id=_SWEEP_LOCK_ID, now=now, at=at)
