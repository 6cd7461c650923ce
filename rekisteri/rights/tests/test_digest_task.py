"""The privacy officer's daily digest of due and overdue requests, and the worker that
enqueues it once a day (`rekisteri worker`, no cron)."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from conftest import make_staff
from rekisteri.accounts.models import Role
from rekisteri.audit.models import AuditEvent
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.models import DataSubjectRequest, Verification
from rekisteri.rights.services import request_create, request_withdraw
from rekisteri.rights.tasks import deadline_digest_send, digest_enqueue_if_due, send_deadline_digest

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _request(actor, *, due_in_days: int, type: str = "access", **fields) -> DataSubjectRequest:
    today = timezone.localdate()
    request = request_create(
        actor=actor,
        type=type,
        channel="email",
        email=fields.pop("email", "pyytaja@example.fi"),
        received_on=today - timedelta(days=5),
        verification=Verification.EMAIL_FROM_KNOWN_ADDRESS,
        **fields,
    )
    DataSubjectRequest.objects.filter(pk=request.pk).update(due_on=today + timedelta(days=due_in_days))
    request.refresh_from_db()
    return request


@pytest.fixture
def officer(db):
    return make_staff("olga.officer", Role.PRIVACY_OFFICER, timezone.localdate(), email="olga@firma.fi")


@pytest.fixture
def register(db, system_actor):
    return {
        "overdue": _request(
            system_actor, due_in_days=-3, type="erasure", name="Salla Salainen", details="Poistakaa kaikki."
        ),
        "today": _request(system_actor, due_in_days=0, type="portability"),
        "week": _request(system_actor, due_in_days=7),
        "later": _request(system_actor, due_in_days=8),
        "closed": request_withdraw(actor=system_actor, request=_request(system_actor, due_in_days=-10)),
    }


# --- the digest ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_digest_lists_overdue_and_due_within_a_week_by_reference_type_and_date(officer, register):
    result = deadline_digest_send()
    assert (result.recipients, result.overdue, result.due_soon) == (1, 1, 2)
    [message] = deliver_outbox()
    assert message.to == ["olga@firma.fi"]
    html = message.alternatives[0][0]
    for part in (message.subject, message.body, html):
        assert part
    for key in ("overdue", "today", "week"):
        assert register[key].reference in message.body
        assert register[key].reference in html
    for key in ("later", "closed"):
        assert register[key].reference not in message.body
        assert register[key].reference not in html
    overdue_due = register["overdue"].due_on
    assert f"{overdue_due.day}.{overdue_due.month}.{overdue_due.year}" in message.body
    # The overdue one comes first, under its own heading.
    assert message.body.index(register["overdue"].reference) < message.body.index(register["today"].reference)


@pytest.mark.django_db
def test_the_digest_carries_no_personal_values(officer, register):
    deadline_digest_send()
    [message] = deliver_outbox()
    text = message.subject + message.body + message.alternatives[0][0]
    for value in ("pyytaja", "example.fi", "Salla", "Salainen", "Poistakaa"):
        assert value not in text


@pytest.mark.django_db
def test_the_digest_is_audited_as_a_system_task_with_ids_only(officer, register):
    deadline_digest_send()
    event = AuditEvent.objects.get(action="digest")
    assert (event.origin, event.actor_label, event.actor_user_id) == ("task", "task:dsr_digest", None)
    for key in ("overdue", "today", "week"):
        assert str(register[key].pk) in event.object_ids
    assert str(register["later"].pk) not in event.object_ids
    assert '"overdue":1' in event.detail and '"due_soon":2' in event.detail
    assert "olga" not in event.detail


@pytest.mark.django_db
def test_nothing_is_sent_when_nothing_is_due(officer, system_actor):
    _request(system_actor, due_in_days=20)
    request_withdraw(actor=system_actor, request=_request(system_actor, due_in_days=-1))
    result = deadline_digest_send()
    assert (result.overdue, result.due_soon) == (0, 0)
    assert deliver_outbox() == []
    assert not AuditEvent.objects.filter(action="digest").exists()


@pytest.mark.django_db
def test_only_an_overdue_request_is_enough_to_send(officer, system_actor):
    overdue = _request(system_actor, due_in_days=-40)
    deadline_digest_send()
    [message] = deliver_outbox()
    assert overdue.reference in message.body


@pytest.mark.django_db
def test_recipients_are_active_privacy_officers_with_an_address_and_the_configured_ones(
    settings, officer, cast, register
):
    settings.PRIVACY_OFFICER_EMAILS = ["tietosuoja@firma.fi", "OLGA@firma.fi"]
    make_staff(
        "ilmari.inactive",
        Role.PRIVACY_OFFICER,
        timezone.localdate(),
        email="ilmari@firma.fi",
        is_active=False,
    )
    make_staff("nelli.noaddress", Role.PRIVACY_OFFICER, timezone.localdate())
    cast.sales.email = "sanna@firma.fi"
    cast.sales.save()
    deadline_digest_send()
    assert sorted(message.to[0] for message in deliver_outbox()) == ["olga@firma.fi", "tietosuoja@firma.fi"]


@pytest.mark.django_db
def test_without_recipients_nothing_is_sent_and_the_command_says_so(register):
    result = deadline_digest_send()
    assert result.recipients == 0 and result.overdue == 1
    assert deliver_outbox() == []
    with pytest.raises(CommandError, match="REKISTERI_PRIVACY_OFFICER_EMAILS"):
        call_command("dsr", "digest", "--now", stdout=io.StringIO())


@pytest.mark.django_db
def test_the_task_sends_the_digest_and_returns_the_counts(officer, register):
    result = send_deadline_digest.enqueue()  # the immediate backend in tests
    assert result.return_value == {"recipients": 1, "overdue": 1, "due_soon": 2}
    assert len(deliver_outbox()) == 1


@pytest.mark.django_db
def test_dsr_digest_sends_now_or_enqueues(officer, register):
    out = io.StringIO()
    call_command("dsr", "digest", "--now", stdout=out)
    assert "Digest queued for 1 address(es): 1 overdue, 2 due within 7 days" in out.getvalue()
    out = io.StringIO()
    call_command("dsr", "digest", stdout=out)
    assert "Enqueued the deadline digest" in out.getvalue()
    assert len(deliver_outbox()) == 2


@pytest.mark.django_db
def test_dsr_digest_now_with_nothing_due_says_so(officer):
    out = io.StringIO()
    call_command("dsr", "digest", "--now", stdout=out)
    assert "no digest sent" in out.getvalue()
    assert deliver_outbox() == []


# --- once a day, without cron ------------------------------------------------------------------------


def _at(day_offset: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _digest_rows():
    return DBTaskResult.objects.filter(task_path=send_deadline_digest.module_path)


@pytest.mark.django_db
def test_the_digest_is_enqueued_once_a_day_after_its_hour(settings):
    settings.TASKS = DB_TASKS
    assert digest_enqueue_if_due(now=_at(0, 6)) is False  # before 07:00
    assert not _digest_rows().exists()
    assert digest_enqueue_if_due(now=_at(0, 8)) is True
    _digest_rows().update(enqueued_at=_at(0, 8))
    assert digest_enqueue_if_due(now=_at(0, 9)) is False
    assert digest_enqueue_if_due(now=_at(0, 23)) is False
    assert _digest_rows().count() == 1
    assert digest_enqueue_if_due(now=_at(1, 6)) is False
    assert digest_enqueue_if_due(now=_at(1, 7)) is True
    assert _digest_rows().count() == 2
    assert digest_enqueue_if_due(now=_at(0, 12), at=time(13, 0)) is False


@pytest.fixture
def db_worker(settings, monkeypatch):
    """The database task backend, and the worker's connection recycling turned off: it would
    close the connection that holds the test's transaction."""
    settings.TASKS = DB_TASKS
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    monkeypatch.setattr("rekisteri.rights.management.commands.worker.close_old_connections", lambda: None)


@pytest.mark.django_db
def test_the_worker_enqueues_and_sends_the_digest_once_a_day(db_worker, officer, register, settings):
    # Due at any hour the suite runs, like --digest-at below.
    settings.RETENTION_SWEEP_AT = settings.ACCESS_REVIEW_REMINDER_AT = "00:00"
    settings.SOURCE_INFORMATION_AT = "00:00"
    out = io.StringIO()
    call_command("worker", "--once", "--digest-at", "00:00", "--interval", "0", stdout=out)
    assert "Enqueued today's deadline digest." in out.getvalue()
    # The daily retention sweep (section 7) runs in the same round.
    assert "Enqueued today's retention sweep." in out.getvalue()
    # And the check of the quarterly access review (section 11).
    assert "Enqueued today's access review reminder." in out.getvalue()
    # And the Art. 14 information to everyone owed it (section 5).
    assert "Enqueued today's Art. 14 information." in out.getvalue()
    assert "after 4 task(s)" in out.getvalue()
    [row] = _digest_rows()
    assert row.status == "SUCCESSFUL"
    assert row.return_value == {"recipients": 1, "overdue": 1, "due_soon": 2}
    # The digest, and the reminder of an access review never done.
    sent = deliver_outbox()
    assert len(sent) == 2
    assert sum("katselmointi" in message.subject for message in sent) == 1
    # The next round on the same day sends nothing more.
    out = io.StringIO()
    call_command("worker", "--once", "--digest-at", "00:00", "--interval", "0", stdout=out)
    assert "Enqueued" not in out.getvalue()
    assert _digest_rows().count() == 1
    assert len(deliver_outbox()) == 2


@pytest.mark.django_db
def test_the_worker_runs_a_digest_enqueued_by_dsr_digest(db_worker, officer, register, monkeypatch):
    # Only the digest: the other daily jobs (the access review reminder mails the officer
    # after 07:00) would make the count below depend on the hour the suite runs.
    monkeypatch.setattr("rekisteri.rights.tasks.daily_jobs_enqueue", lambda: [])
    call_command("dsr", "digest", stdout=io.StringIO())
    assert deliver_outbox() == []  # only enqueued
    call_command("worker", "--once", "--digest-at", "23:59", "--interval", "0", stdout=io.StringIO())
    assert len(deliver_outbox()) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--digest-at", "7am"], "HH:MM"),
        (["--interval", "-1"], "--interval"),
        (["--interval", "x"], "invalid float"),
    ],
)
def test_the_worker_refuses_bad_arguments(settings, args, message):
    settings.TASKS = DB_TASKS
    with pytest.raises(CommandError, match=message):
        call_command("worker", "--once", *args, stdout=io.StringIO())


@pytest.mark.django_db
def test_the_worker_needs_the_database_task_backend():
    with pytest.raises(CommandError, match="not the database backend"):
        call_command("worker", "--once", stdout=io.StringIO())
