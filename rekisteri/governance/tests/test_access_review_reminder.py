"""The quarterly access review reminds the privacy officers by mail when it falls due."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent
from rekisteri.governance.models import AccessReviewReminder
from rekisteri.governance.selectors import REVIEW_EVERY_DAYS
from rekisteri.governance.services import REMINDER_REPEAT_DAYS, access_review_record, access_review_remind
from rekisteri.governance.tasks import remind_of_access_review
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.tasks import daily_jobs_enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(cast):
    cast.privacy_officer.email = "tero.privacy@insta.fi"
    cast.privacy_officer.save(update_fields=["email"])
    return cast.privacy_officer


def _review(officer, at):
    review = access_review_record(actor=Actor.for_user(officer, "ui"), period_days=90)
    review.reviewed_at = at
    review.save(update_fields=["reviewed_at"])


def test_a_review_never_done_is_due_and_the_officer_gets_one_mail_in_finnish(officer, settings):
    settings.PUBLIC_BASE_URL = "https://rekisteri.example.fi"
    assert access_review_remind() == 1
    [sent] = deliver_outbox()
    assert sent.to == ["tero.privacy@insta.fi"]
    assert sent.subject == "Neljännesvuosittainen käyttöoikeuksien katselmointi erääntyy tänään"
    assert "https://rekisteri.example.fi/governance/access-review/" in sent.body
    assert "tietosuojaselosteen (kohta 11)".casefold() in sent.body.casefold()
    event = AuditEvent.objects.get(action="remind", object_type="access_review")
    assert json.loads(event.detail)["recipients"] == 1


def test_the_reminder_comes_once_and_again_a_week_later_while_the_review_stays_undone(officer):
    now = timezone.now()
    assert access_review_remind(now=now) == 1
    assert access_review_remind(now=now + timedelta(days=1)) == 0
    assert access_review_remind(now=now + timedelta(days=REMINDER_REPEAT_DAYS - 1)) == 0
    assert access_review_remind(now=now + timedelta(days=REMINDER_REPEAT_DAYS)) == 1
    assert AccessReviewReminder.objects.count() == 2
    sent = deliver_outbox()
    assert "7 päivää myöhässä" in sent[-1].subject


def test_a_review_done_silences_the_reminder_until_the_next_quarter(officer):
    now = timezone.now()
    _review(officer, now - timedelta(days=10))
    assert access_review_remind(now=now) == 0
    assert access_review_remind(now=now + timedelta(days=REVIEW_EVERY_DAYS - 11)) == 0
    assert access_review_remind(now=now + timedelta(days=REVIEW_EVERY_DAYS - 10)) == 1
    reviewed_on = timezone.localdate(now - timedelta(days=10))
    assert AccessReviewReminder.objects.get().due_on == reviewed_on + timedelta(days=REVIEW_EVERY_DAYS)


def test_without_an_officers_address_nothing_is_queued_but_the_reminder_is_recorded(cast):
    assert access_review_remind() == 0
    assert deliver_outbox() == []
    assert AccessReviewReminder.objects.get().recipients == 0


def test_the_worker_checks_the_review_once_a_day(officer, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    # The task row's enqueue time is the real clock's, so the day asked about is today.
    morning = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    assert "access review reminder" in daily_jobs_enqueue(now=morning)
    assert "access review reminder" not in daily_jobs_enqueue(now=morning + timedelta(hours=1))
    [queued] = DBTaskResult.objects.filter(task_path=remind_of_access_review.module_path)
    assert queued.status == "READY"
    # What the worker then runs.
    assert remind_of_access_review.call() == {"mails": 1}
    assert AccessReviewReminder.objects.count() == 1
