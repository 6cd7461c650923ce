"""Files sent with a mail: stored under the mail's own key, delivered as MIME attachments,
copied by a resend, and gone with the mail's content."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rekisteri.keystore.services import key_destroy
from rekisteri.outbox.models import MailAttachment, MailState, OutgoingMail
from rekisteri.outbox.services import (
    ATTACHMENTS_MAX_BYTES,
    Attachment,
    mail_attachments,
    mail_enqueue,
    mail_resend,
    outbox_content_expire,
    outbox_deliver,
)
from rekisteri.outbox.tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db

REPORT = Attachment(
    filename="koulutusraportti-Łódź.csv",
    content="\ufeffOsallistuja;Arvosana\r\nKurssila Oona;5\r\n".encode(),
    content_type="text/csv",
)
PDF = Attachment(
    filename="raportti.pdf", content=b"%PDF-1.3\n\x00\xff binary\n%%EOF", content_type="application/pdf"
)


def _queue(attachments=(REPORT, PDF), **fields) -> OutgoingMail:
    values = {
        "to": "anna.virtanen@testi.fi",
        "subject": "Raportti",
        "text": "Liitteenä.",
        "kind": "training_report",
    }
    return mail_enqueue(**{**values, **fields}, attachments=attachments)


@pytest.fixture
def server(settings):
    server = SmtpServer()
    server.configure(settings)
    yield server
    server.stop()


def test_attachments_are_stored_under_the_mails_own_key():
    mail = _queue()

    assert mail.has_attachments
    raw = MailAttachment.objects.filter(mail=mail).values_list("filename", "content")
    assert len(raw) == 2
    for filename, content in raw:
        assert b"koulutusraportti" not in bytes(filename) and b"Kurssila" not in bytes(content)
        assert base64.b64encode(REPORT.content)[:16] not in bytes(content)  # nor as base64
    assert mail_attachments(OutgoingMail.objects.get(pk=mail.pk)) == [REPORT, PDF]


def test_a_mail_without_attachments_is_sent_without_any(server):
    server.start()
    plain = _queue(attachments=())
    assert not plain.has_attachments and not MailAttachment.objects.exists()
    assert outbox_deliver().sent == 1
    [message] = server.mailbox.to("anna.virtanen@testi.fi")
    assert list(message.iter_attachments()) == []


def test_the_files_are_delivered_as_attachments(server):
    server.start()
    _queue()

    assert outbox_deliver().sent == 1

    [message] = server.mailbox.to("anna.virtanen@testi.fi")
    assert message.get_body(preferencelist=("plain",)).get_content().strip() == "Liitteenä."
    files = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(files) == {"koulutusraportti-Łódź.csv", "raportti.pdf"}
    assert files["raportti.pdf"].get_content_type() == "application/pdf"
    assert files["raportti.pdf"].get_content() == PDF.content
    assert "Kurssila Oona;5" in files["koulutusraportti-Łódź.csv"].get_content()


def test_too_large_attachments_are_refused_before_anything_is_written():
    big = Attachment(
        filename="x.pdf", content=b"x" * (ATTACHMENTS_MAX_BYTES + 1), content_type="application/pdf"
    )
    with pytest.raises(ValidationError) as refused:
        _queue(attachments=[big])
    assert "attachments" in refused.value.message_dict
    assert not OutgoingMail.objects.exists() and not MailAttachment.objects.exists()


def test_a_resend_carries_the_same_files(server, system_actor):
    server.mailbox.refuse = {"anna.virtanen@testi.fi"}
    server.start()
    failed = _queue()
    outbox_deliver()
    assert OutgoingMail.objects.get(pk=failed.pk).state == MailState.FAILED
    server.mailbox.refuse = set()

    copy = mail_resend(actor=system_actor, mail=OutgoingMail.objects.get(pk=failed.pk))

    assert copy.has_attachments and mail_attachments(copy) == [REPORT, PDF]
    assert outbox_deliver().sent == 1
    [message] = server.mailbox.to("anna.virtanen@testi.fi")
    assert len(list(message.iter_attachments())) == 2


def test_the_files_go_with_the_content_after_sending_or_at_retention(settings):
    settings.MAIL_KEEP_DAYS = 30
    destroyed_when_sent = _queue(destroy_after_sending=True)
    kept = _queue()
    outbox_deliver()
    assert not MailAttachment.objects.filter(mail=destroyed_when_sent).exists()
    assert MailAttachment.objects.filter(mail=kept).count() == 2

    OutgoingMail.objects.filter(pk=kept.pk).update(created_at=timezone.now() - timedelta(days=31))
    assert outbox_content_expire() == 1
    assert not MailAttachment.objects.exists()


def test_an_erased_recipients_mail_is_cancelled_with_its_files(server):
    server.start()
    mail = _queue()
    key_destroy(person_id=mail.pk, reason="erasure_request")

    assert outbox_deliver().cancelled == 1
    assert not MailAttachment.objects.exists()
    assert server.mailbox.messages == []
