"""`rekisteri mail` and `dsr extend --mail`: the outbox from the command line."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from rekisteri.audit.models import AuditEvent
from rekisteri.outbox.models import MailState, OutgoingMail
from rekisteri.outbox.services import mail_enqueue, outbox_deliver
from rekisteri.outbox.tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db


def _mail(*args) -> str:
    out = io.StringIO()
    call_command("mail", *args, stdout=out)
    return out.getvalue()


def _queue(to="anna.virtanen@testi.fi"):
    return mail_enqueue(to=to, subject="Päätös pyyntöösi", text="Hei", kind="refused")


def test_list_and_show_tell_where_each_mail_stands():
    mail = _queue()

    listing = _mail("list")
    assert str(mail.pk) in listing and "queued" in listing and "anna.virtanen@testi.fi" in listing
    assert "1 of 1 mail(s)." in listing
    shown = json.loads(_mail("show", str(mail.pk), "--json"))
    assert (shown["state"], shown["to"], shown["subject"]) == (
        "queued",
        "anna.virtanen@testi.fi",
        "Päätös pyyntöösi",
    )
    assert AuditEvent.objects.filter(actor_label="cli:mail", action="view").exists()
    assert "queued" not in _mail("list", "--state", "sent").split("\n")[0]


def test_deliver_sends_what_is_due_and_fails_loudly_when_the_server_is_down(settings):
    server = SmtpServer()
    server.configure(settings)
    _queue()

    with pytest.raises(CommandError, match="could not be delivered"):
        _mail("deliver")
    assert OutgoingMail.objects.get().attempts == 1

    server.start()
    try:
        OutgoingMail.objects.update(next_attempt_at=OutgoingMail.objects.get().created_at)
        assert "1 sent" in _mail("deliver")
    finally:
        server.stop()


def test_resend_queues_a_copy_of_a_sent_mail():
    mail = _queue()
    outbox_deliver()

    output = _mail("resend", str(mail.pk))

    copy = OutgoingMail.objects.exclude(pk=mail.pk).get()
    assert str(copy.pk) in output and copy.state == MailState.QUEUED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "not-a-uuid"], "is not a mail id"),
        (["show", "01234567-89ab-cdef-0123-456789abcdef"], "No mail"),
        (["resend", "01234567-89ab-cdef-0123-456789abcdef"], "No mail"),
        (["list", "--limit", "0"], "--limit must be between"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(args, message):
    with pytest.raises(CommandError, match=message):
        _mail(*args)


def test_resending_a_pending_mail_is_refused():
    mail = _queue()
    with pytest.raises(CommandError, match="still waiting"):
        _mail("resend", str(mail.pk))


def test_dsr_extend_mail_tells_the_requester_through_the_outbox(cast):
    from rekisteri.audit.actor import Actor
    from rekisteri.rights.services import request_create

    request = request_create(
        actor=Actor.system("test", origin="cli"), type="access", channel="email", email="pyytaja@testi.fi"
    )
    out = io.StringIO()
    call_command(
        "dsr", "extend", request.reference, "--months", "1", "--reason", "Arkistot.", "--mail", stdout=out
    )

    assert "The mail telling the requester is queued." in out.getvalue()
    request.refresh_from_db()
    assert request.extension_notified_via == "email" and request.extension_notified_on is not None
    [mail] = OutgoingMail.objects.filter(kind="extended")
    assert mail.to_address == "pyytaja@testi.fi" and "Arkistot." in mail.body_text

    with pytest.raises(CommandError, match="--mail tells the requester by e-mail"):
        call_command(
            "dsr", "extend", request.reference, "--months", "1", "--reason", "x", "--mail", "--via", "phone"
        )
