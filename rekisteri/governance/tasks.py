"""The daily check of the quarterly access review (section 11), run by the worker."""

from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django_tasks import task

from rekisteri.governance.services import access_review_remind
from rekisteri.rights.tasks import once_a_day_enqueue

_REMINDER_LOCK_ID = 0x726B_6172  # "rkar": PostgreSQL advisory lock around the daily enqueue


@task()
def remind_of_access_review() -> dict:
    """Mail the privacy officers if the access review is due; the count is the task's result."""
    return {"mails": access_review_remind()}


def reminder_enqueue_if_due(now: datetime | None = None) -> bool:
    at = time.fromisoformat(settings.ACCESS_REVIEW_REMINDER_AT)
    return once_a_day_enqueue(remind_of_access_review, lock_id=_REMINDER_LOCK_ID, now=now, at=at)
