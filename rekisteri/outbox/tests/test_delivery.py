"""Delivering the outbox: retries while the server is down, giving up with an alert, leases,
erased recipients, the content's retention and resending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.db import transaction
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.outbox.models import MailState, OutgoingMail
from rekisteri.outbox.services import (
    ALERT_KIND,
    RETRY_DELAYS,
    MailNotResendable,
    mail_enqueue,
    mail_resend,
    outbox_content_expire,
    outbox_deliver,
)
from rekisteri.outbox.tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db


def _queue(to="anna.virtanen@testi.fi", **fields) -> OutgoingMail:
    values = {"subject": "Hei", "text": "Viesti Annalle.", "html": "<p>Viesti Annalle.</p>", "kind": "verify"}
    return mail_enqueue(to=to, **{**values, **fields})


@pytest.fixture
def server(settings):
    server = SmtpServer()
    server.configure(settings)
    yield server
    server.stop()


def test_a_mail_is_written_with_its_decision_or_not_at_all():
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue()
        raise RuntimeError("the decision failed")

    assert not OutgoingMail.objects.exists()


def test_the_content_is_stored_encrypted_under_the_mails_own_key():
    mail = _queue()

    raw = OutgoingMail.objects.filter(pk=mail.pk).values_list("to_address", "subject", "body_text").get()
    assert all(b"anna" not in bytes(value).lower() and b"Annalle" not in bytes(value) for value in raw)
    assert DataKey.objects.using(KEYSTORE_DB).filter(person_id=mail.pk).exists()
    assert OutgoingMail.objects.get(pk=mail.pk).to_address == "anna.virtanen@testi.fi"


def test_a_malformed_address_is_refused_before_anything_is_written():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        _queue(to="not an address")
    assert not OutgoingMail.objects.exists()


def test_delivery_sends_each_due_mail_once_with_its_parts(server):
    server.start()
    mail = _queue()

    report = outbox_deliver()

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [message] = server.mailbox.to("anna.virtanen@testi.fi")
    assert message["Subject"] == "Hei"
    assert message["Message-ID"] == f"<{mail.pk}@127.0.0.1>"
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Viesti Annalle."
    assert "<p>Viesti Annalle.</p>" in message.get_body(preferencelist=("html",)).get_content()
    mail.refresh_from_db()
    assert (mail.state, mail.attempts, mail.delivered_via) == (MailState.SENT, 1, "smtp")
    assert mail.sent_at is not None
    assert not outbox_deliver().claimed
    assert len(server.mailbox.messages) == 1


def test_a_server_that_is_down_leaves_the_mail_queued_and_it_goes_when_the_server_is_back(server):
    first, second = _queue(), _queue(to="pekka@testi.fi")
    started = timezone.now()

    report = outbox_deliver(now=started)

    assert (report.sent, report.retrying, report.failed) == (0, 2, 0)
    for mail in (first, second):
        mail.refresh_from_db()
        assert mail.state == MailState.QUEUED and mail.attempts == 1
        assert mail.last_error_code == 0 and "ConnectionRefusedError" in mail.last_error
        # Art. 12(3) deadlines run: the first retry comes within a minute.
        assert started < mail.next_attempt_at <= started + timedelta(minutes=1)
    assert not outbox_deliver(now=started + timedelta(seconds=5)).claimed  # not yet due

    server.start()
    report = outbox_deliver(now=started + timedelta(minutes=1))

    assert report.sent == 2
    assert (
        len(server.mailbox.to("anna.virtanen@testi.fi")) == 1
        and len(server.mailbox.to("pekka@testi.fi")) == 1
    )
    first.refresh_from_db()
    assert (first.state, first.attempts) == (MailState.SENT, 2)


def test_the_waits_between_attempts_grow(server):
    mail = _queue()
    now = timezone.now()
    waits = []
    for _ in range(5):
        outbox_deliver(now=now)
        mail.refresh_from_db()
        waits.append(mail.next_attempt_at - now)
        now = mail.next_attempt_at

    assert waits == list(RETRY_DELAYS[:5])
    assert waits == sorted(waits) and waits[0] <= timedelta(minutes=1)


def test_a_permanent_refusal_fails_at_once_and_alerts_the_privacy_officer_once(server, cast, settings):
    settings.PRIVACY_OFFICER_EMAILS = ["tietosuoja@firma.fi"]
    server.mailbox.refuse = {"poissa@testi.fi"}
    server.start()
    refused = _queue(to="poissa@testi.fi")

    report = outbox_deliver()

    assert (report.sent, report.failed) == (0, 1)
    refused.refresh_from_db()
    assert refused.state == MailState.FAILED and refused.attempts == 1
    assert refused.last_error_code == 550 and "User unknown" in refused.last_error
    assert refused.alerted_at is not None
    [alert] = OutgoingMail.objects.filter(kind=ALERT_KIND)
    assert alert.to_address == "tietosuoja@firma.fi"
    assert "poissa@testi.fi" not in alert.body_text  # ids and kinds, never addresses
    assert str(refused.pk) in alert.body_text
    event = AuditEvent.objects.get(action="delivery_failed")
    assert str(refused.pk) in event.object_ids

    outbox_deliver()  # the alert itself goes out; the failure is not reported again
    assert len(server.mailbox.to("tietosuoja@firma.fi")) == 1
    assert OutgoingMail.objects.filter(kind=ALERT_KIND).count() == 1


def test_a_mail_the_server_never_takes_is_given_up_after_the_configured_time(server, settings, cast):
    settings.MAIL_GIVE_UP_HOURS = 2
    settings.PRIVACY_OFFICER_EMAILS = ["tietosuoja@firma.fi"]
    mail = _queue()
    now = timezone.now()
    while True:
        report = outbox_deliver(now=now)
        mail.refresh_from_db()
        if mail.state == MailState.FAILED:
            break
        assert report.retrying == 1
        now = mail.next_attempt_at

    assert mail.failed_at - mail.created_at <= timedelta(hours=2)
    # Waits of 30 s, 2, 5, 15, 30 min and 1 h; the next (2 h) would pass the two hours.
    assert mail.attempts == 7
    assert OutgoingMail.objects.filter(kind=ALERT_KIND, state=MailState.QUEUED).count() == 1


def test_a_claimed_mail_is_left_to_its_worker_until_the_lease_ends(server):
    server.start()
    mail = _queue()
    now = timezone.now()
    OutgoingMail.objects.filter(pk=mail.pk).update(
        state=MailState.SENDING, lease_until=now + timedelta(minutes=5)
    )

    assert not outbox_deliver(now=now).claimed

    # The worker holding it was killed: after the lease it is sent by the next one.
    assert outbox_deliver(now=now + timedelta(minutes=6)).sent == 1


def test_a_mail_whose_recipient_was_erased_before_it_went_is_cancelled(server):
    from rekisteri.keystore.services import key_destroy

    server.start()
    mail = _queue()
    key_destroy(person_id=mail.pk, reason="erasure_request")

    report = outbox_deliver()

    assert (report.sent, report.cancelled) == (0, 1)
    mail = OutgoingMail.objects.get(pk=mail.pk)  # refresh_from_db would read the erased values
    assert mail.state == MailState.CANCELLED and mail.content_destroyed_at is not None
    assert server.mailbox.messages == []


def test_the_content_goes_after_its_retention_and_the_delivery_record_stays(settings):
    settings.MAIL_KEEP_DAYS = 30
    mail = _queue()
    outbox_deliver()
    old = _queue(to="vanha@testi.fi")
    outbox_deliver()
    OutgoingMail.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))

    assert outbox_content_expire() == 1

    old.refresh_from_db()
    assert old.state == MailState.SENT and old.content_destroyed_at is not None
    assert old.to_address == "" and old.subject == ""
    assert not DataKey.objects.using(KEYSTORE_DB).filter(person_id=old.pk).exists()
    assert OutgoingMail.objects.get(pk=mail.pk).to_address == "anna.virtanen@testi.fi"
    assert outbox_content_expire() == 0


def test_a_pending_mail_is_not_expired_however_old(settings):
    mail = _queue()
    OutgoingMail.objects.filter(pk=mail.pk).update(created_at=timezone.now() - timedelta(days=400))

    assert outbox_content_expire() == 0


def test_resending_queues_a_copy_and_is_audited(server, cast, system_actor):
    server.mailbox.refuse = {"anna.virtanen@testi.fi"}
    server.start()
    failed = _queue()
    outbox_deliver()
    server.mailbox.refuse = set()

    copy = mail_resend(actor=system_actor, mail=OutgoingMail.objects.get(pk=failed.pk))

    assert copy.pk != failed.pk and copy.resend_of_id == failed.pk and copy.state == MailState.QUEUED
    assert AuditEvent.objects.filter(action="resend", object_ids__contains=str(copy.pk)).exists()
    assert outbox_deliver().sent == 1
    assert len(server.mailbox.to("anna.virtanen@testi.fi")) == 1


def test_a_pending_or_erased_mail_cannot_be_resent(system_actor):
    from rekisteri.keystore.services import key_destroy

    pending = _queue()
    with pytest.raises(MailNotResendable):
        mail_resend(actor=system_actor, mail=pending)

    outbox_deliver()
    key_destroy(person_id=pending.pk, reason="erasure_request")
    with pytest.raises(MailNotResendable):
        mail_resend(actor=system_actor, mail=OutgoingMail.objects.get(pk=pending.pk))
    assert OutgoingMail.objects.count() == 1


def test_delivery_uses_one_connection_for_a_round(server, monkeypatch):
    from django.core.mail.backends import smtp

    server.start()
    opened = []
    original = smtp.EmailBackend.open

    def counting_open(self):
        created = original(self)
        if created:
            opened.append(self)
        return created

    monkeypatch.setattr(smtp.EmailBackend, "open", counting_open)
    for index in range(5):
        _queue(to=f"henkilo{index}@testi.fi")

    assert outbox_deliver().sent == 5
    assert len(opened) == 1


def test_the_test_settings_deliver_to_djangos_memory_outbox():
    # The fixture's locmem backend: what the other apps' tests read through deliver_outbox.
    _queue()
    outbox_deliver()
    assert [message.to for message in django_mail.outbox] == [["anna.virtanen@testi.fi"]]
