"""Art. 14(3): the worker informs everyone owed the source information once a day."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from rekisteri.audit.models import AuditEvent
from rekisteri.notice.informing import information_send_scheduled, send_due_source_information
from rekisteri.notice.models import SourceInformation
from rekisteri.outbox.models import OutgoingMail
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.privacy.services import source_add
from rekisteri.rights.tasks import daily_jobs_enqueue

pytestmark = pytest.mark.django_db

JOB = "Art. 14 information"


@pytest.fixture
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    settings.SOURCE_INFORMATION_AT = "06:00"


def _queued():
    return DBTaskResult.objects.filter(task_path=send_due_source_information.module_path)


def test_the_worker_enqueues_the_run_once_a_day_after_the_configured_time(queue, settings):
    # The task row's enqueue time is the real clock's, so the day asked about is today.
    day = timezone.localtime().replace(second=0, microsecond=0)
    assert JOB not in daily_jobs_enqueue(now=day.replace(hour=5, minute=59))
    assert not _queued().exists()
    assert JOB in daily_jobs_enqueue(now=day.replace(hour=6, minute=0))
    assert JOB not in daily_jobs_enqueue(now=day.replace(hour=23, minute=0))
    [queued] = _queued()
    assert queued.status == "READY"


def test_the_time_comes_from_the_setting(queue, settings):
    settings.SOURCE_INFORMATION_AT = "21:30"
    day = timezone.localtime().replace(second=0, microsecond=0)
    assert JOB not in daily_jobs_enqueue(now=day.replace(hour=21, minute=29))
    assert JOB in daily_jobs_enqueue(now=day.replace(hour=21, minute=30))


def test_the_run_informs_everyone_due_and_leaves_the_rest_audited(system_actor, person, organization):
    today = timezone.localdate()
    source_add(actor=system_actor, person=person, kind="employer_or_partner", obtained_on=today)
    posti = person_create(
        actor=system_actor, first_name="Pekka", last_name="Posti", organization=organization
    )
    # Collected 25 days ago, without an address: due within a week, left for the privacy officer.
    source_add(actor=system_actor, person=posti, kind="public_source", obtained_on=today - timedelta(days=25))
    rajattu = person_create(
        actor=system_actor,
        first_name="Rauha",
        last_name="Rajattu",
        email="rauha@testi.fi",
        organization=organization,
    )
    source_add(actor=system_actor, person=rajattu, kind="public_source", obtained_on=today)
    Person.objects.filter(pk=rajattu.pk).update(restricted_at=timezone.now())

    assert send_due_source_information.call() == {"sent": 1, "no_address": 1, "restricted": 1}

    mail = OutgoingMail.objects.get(kind="source_information")
    assert mail.person_id == person.pk
    assert SourceInformation.objects.get().person_id == person.pk
    sent = AuditEvent.objects.get(object_type="source_information", action="create")
    assert sent.actor_label == "task:source_information" and sent.origin == "task"
    run = AuditEvent.objects.get(action="inform_due")
    assert json.loads(run.detail) == {
        "sent": 1,
        "no_address": 1,
        "restricted": 1,
        "due_within_a_week_or_overdue": 1,
    }
    assert json.loads(run.person_ids) == [str(posti.pk)]
    # The next day's run finds nothing new to send.
    again = information_send_scheduled(today=today + timedelta(days=1))
    assert again.sent == [] and OutgoingMail.objects.filter(kind="source_information").count() == 1


def test_a_malformed_time_stops_the_process_with_a_clear_message(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "REKISTERI_SOURCE_INFORMATION_AT": "kuudelta", "REKISTERI_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='rekisteri.settings'; django.setup()",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "REKISTERI_SOURCE_INFORMATION_AT must be a time HH:MM" in done.stderr
