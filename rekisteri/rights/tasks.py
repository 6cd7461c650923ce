"""Background tasks of the request register: the privacy officer's daily deadline digest.

Run by `rekisteri worker`, which also enqueues the digest once a day (digest_enqueue_if_due),
so no cron is needed; `rekisteri dsr digest` enqueues or sends it on demand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_tasks import task

from rekisteri.accounts.selectors import privacy_officer_addresses
from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.rights.models import DataSubjectRequest, RequestType
from rekisteri.rights.services import requests_due_soon

logger = logging.getLogger("rekisteri.rights")

DIGEST_DAYS = 7

# Work the apps above this one want done every worker round (campaigns to start or resume),
# installed from their AppConfig.ready: the worker lives here and knows none of them.
_round_hooks: list = []


def worker_round_hook_install(hook) -> None:
    if hook not in _round_hooks:
        _round_hooks.append(hook)


def worker_round_hooks() -> list:
    return list(_round_hooks)


# A stable number for PostgreSQL's advisory lock around "enqueue today's digest once".
_DIGEST_LOCK_ID = 0x726B_6467  # "rkdg"


@dataclass(frozen=True)
class DigestResult:
    recipients: int
    overdue: int
    due_soon: int

    @property
    def sent(self) -> bool:
        return self.recipients > 0 and (self.overdue + self.due_soon) > 0


def _item(request: DataSubjectRequest, today: date) -> dict:
    # References, types and dates only: the digest carries no personal values.
    return {
        "reference": request.reference,
        "type": request.type,
        "type_label": RequestType(request.type).label,
        "status": request.status,
        "due_on": request.due_on,
        "days": (request.due_on - today).days,
    }


def _requests_url() -> str:
    try:
        path = reverse("rights:request_list")
    except NoReverseMatch:
        path = "/"
    return f"{settings.PUBLIC_BASE_URL}{path}"


def deadline_digest_send(*, today: date | None = None) -> DigestResult:
    """Mail the privacy officers the open requests due within 7 days and the overdue ones.

    Nothing is sent when nothing is due. Art. 12(3): the month runs from receipt, so the
    officer hears of a deadline a week ahead and every day after it has passed.
    """
    today = today or timezone.localdate()
    overdue_qs, due_soon_qs = requests_due_soon(days=DIGEST_DAYS, today=today)
    overdue = list(overdue_qs)
    due_soon = list(due_soon_qs)
    recipients = privacy_officer_addresses()
    result = DigestResult(recipients=len(recipients), overdue=len(overdue), due_soon=len(due_soon))
    if not overdue and not due_soon:
        return result
    if not recipients:
        logger.warning(
            "Deadline digest: %d overdue and %d due soon, but no privacy officer has an address "
            "(set REKISTERI_PRIVACY_OFFICER_EMAILS).",
            len(overdue),
            len(due_soon),
        )
        return result
    from rekisteri.outbox.services import privacy_officers_mail
    from rekisteri.rights.authority import supervisory_authority

    context = {
        "authority": supervisory_authority(),
        "public_url": settings.PUBLIC_BASE_URL,
        "today": today,
        "days": DIGEST_DAYS,
        "overdue": [_item(request, today) for request in overdue],
        "due_soon": [_item(request, today) for request in due_soon],
        "requests_url": _requests_url(),
    }
    with transaction.atomic():
        queued = privacy_officers_mail(
            template="rights/mail/digest", context=context, kind="digest", purpose="rights_and_obligations"
        )
        audit_record(
            actor=Actor.system("task:dsr_digest", origin="task"),
            action="digest",
            object_type="rights_request",
            object_ids=[request.pk for request in overdue + due_soon],
            purpose="rights_and_obligations",
            detail={"overdue": len(overdue), "due_soon": len(due_soon), "recipients": queued},
        )
    return result


@task()
def send_deadline_digest() -> dict:
    """The daily digest as a background task; returns the counts (kept in the task result)."""
    result = deadline_digest_send()
    return {"recipients": result.recipients, "overdue": result.overdue, "due_soon": result.due_soon}


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def once_a_day_enqueue(task, *, lock_id: int, now: datetime | None = None, at: time = time(7, 0)) -> bool:
    """Enqueue `task` unless it already was today (or it is not yet `at` o'clock).

    The database task-result table is the record of what ran: the task enqueued since local
    midnight means today's is done. Workers on several hosts may ask at once, so the check
    and the insert run under one lock (PostgreSQL advisory lock; on SQLite the IMMEDIATE
    transaction already holds the database's single write lock).
    """
    from django_tasks_db.models import DBTaskResult

    now = timezone.localtime(now or timezone.now())
    if now.time() < at:
        return False
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
        already = DBTaskResult.objects.filter(
            task_path=task.module_path,
            enqueued_at__gte=_day_start(now.date()),
            enqueued_at__lt=_day_start(now.date() + timedelta(days=1)),
        ).exists()
        if already:
            return False
        task.enqueue()
    return True


def digest_enqueue_if_due(*, now: datetime | None = None, at: time = time(7, 0)) -> bool:
    """Enqueue today's digest unless it already was (or it is not yet `at` o'clock)."""
    return once_a_day_enqueue(send_deadline_digest, lock_id=_DIGEST_LOCK_ID, now=now, at=at)


# Daily jobs of the apps above this one (the retention sweep), installed when they are ready:
# name -> function(now) that enqueues the day's run once and says whether it did.
_DAILY_JOBS: dict[str, Callable[[datetime | None], bool]] = {}


def daily_job_install(name: str, enqueue_if_due: Callable[[datetime | None], bool]) -> None:
    _DAILY_JOBS[name] = enqueue_if_due


def daily_jobs_enqueue(*, now: datetime | None = None) -> list[str]:
    """Run each installed daily job's schedule; the names of those enqueued now."""
    return [name for name, enqueue in _DAILY_JOBS.items() if enqueue(now)]
