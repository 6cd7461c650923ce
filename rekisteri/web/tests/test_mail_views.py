"""The outbox pages: "Sent mail" in the embedded mode (the local mailbox), the outbox with a
mail server, resending, and the audit of reading recipients."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from rekisteri.audit.models import AuditEvent
from rekisteri.outbox.models import MailState, OutgoingMail
from rekisteri.outbox.services import mail_enqueue, outbox_deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def local(settings, tmp_path):
    settings.EMAIL_BACKEND = settings.MAIL_LOCAL_MAILBOX_BACKEND
    settings.MAIL_MAILBOX_DIR = tmp_path / "mailbox"


def _officer(cast) -> Client:
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _verify_mail():
    return mail_enqueue(
        to="anna.virtanen@testi.fi",
        subject="Vahvista tietosuojapyyntösi PR-ABC123",
        text="Vahvista pyyntösi avaamalla linkki:\nhttp://127.0.0.1:8000/portal/verify/tokeni123/\n",
        kind="verify",
    )


def test_sent_mail_shows_the_local_mailbox_with_a_link_to_follow(local, cast):
    mail = _verify_mail()
    outbox_deliver()
    client = _officer(cast)

    listing = client.get("/mail/").content.decode()
    assert "<h1>Lähetetyt viestit</h1>" in listing
    assert "paikalliseen postilaatikkoon" in listing
    assert "Vahvista tietosuojapyyntösi PR-ABC123" in listing and "anna.virtanen@testi.fi" in listing
    assert "Lähetetty" in listing and "Portaalipyynnön vahvistuslinkki" in listing

    detail = client.get(f"/mail/{mail.pk}/").content.decode()
    assert "Viesti paikallisessa postilaatikossa" in detail
    assert re.search(r'<a href="http://127.0.0.1:8000/portal/verify/tokeni123/"[^>]*>', detail)
    assert AuditEvent.objects.filter(
        action="view", object_type="mail", object_ids__contains=str(mail.pk)
    ).exists()
    assert AuditEvent.objects.filter(action="list", object_type="mail").exists()


def test_the_navigation_names_the_page_by_the_mode(local, cast, settings):
    client = _officer(cast)
    assert ">Lähetetyt viestit</a>" in client.get("/").content.decode()

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    page = client.get("/mail/").content.decode()
    assert "<h1>Lähtevät viestit</h1>" in page and ">Lähtevät viestit</a>" in page


def test_with_a_mail_server_the_outbox_shows_states_but_no_message_bodies(cast, settings):
    mail = _verify_mail()
    outbox_deliver()  # the test settings' in-memory backend stands for a mail server
    page = _officer(cast).get(f"/mail/{mail.pk}/").content.decode()

    assert "Lähetetty" in page
    assert "tokeni123" not in page


def test_the_list_filters_by_state(local, cast):
    _verify_mail()
    outbox_deliver()
    queued = mail_enqueue(to="pekka@testi.fi", subject="Toinen", text="x", kind="refused")
    client = _officer(cast)

    page = client.get("/mail/?state=queued").content.decode()
    assert "pekka@testi.fi" in page and "anna.virtanen" not in page
    assert OutgoingMail.objects.get(pk=queued.pk).state == MailState.QUEUED
    assert "anna.virtanen" in client.get("/mail/?state=bogus").content.decode()  # unknown: all


def test_resending_from_the_detail_page(local, cast):
    mail = _verify_mail()
    outbox_deliver()
    client = _officer(cast)

    response = client.post(f"/mail/{mail.pk}/resend/")

    copy = OutgoingMail.objects.exclude(pk=mail.pk).get()
    assert response.status_code == 302 and response["Location"] == f"/mail/{copy.pk}/"
    assert copy.resend_of_id == mail.pk and copy.state == MailState.QUEUED


def test_resending_a_pending_mail_is_refused_with_a_message(local, cast):
    mail = _verify_mail()
    client = _officer(cast)

    response = client.post(f"/mail/{mail.pk}/resend/", follow=True)

    assert "Viesti odottaa vielä lähetystä." in response.content.decode()
    assert OutgoingMail.objects.count() == 1


def test_resend_goes_back_only_to_a_local_address(local, cast):
    mail = _verify_mail()
    outbox_deliver()

    response = _officer(cast).post(f"/mail/{mail.pk}/resend/", {"next": "https://evil.example/"})

    assert response["Location"].startswith("/mail/")


def test_an_erased_mail_shows_its_record_but_no_content(local, cast):
    from rekisteri.keystore.services import key_destroy

    mail = _verify_mail()
    outbox_deliver()
    key_destroy(person_id=mail.pk, reason="erasure_request")
    client = _officer(cast)

    detail = client.get(f"/mail/{mail.pk}/").content.decode()
    assert "Tämän viestin sisältöä ei enää ole" in detail and "anna.virtanen" not in detail
    assert "Lähetä uudelleen" not in detail
    assert "poistettu" in client.get("/mail/").content.decode()


def test_the_detail_page_names_a_mails_attachments(local, cast):
    from rekisteri.outbox.services import Attachment

    mail = mail_enqueue(
        to="kaisa@asiakas.fi",
        subject="Koulutusraportti",
        text="Liitteenä.",
        kind="training_report",
        attachments=[Attachment("koulutusraportti-7.pdf", b"%PDF-1.3\n%%EOF", "application/pdf")],
    )
    outbox_deliver()

    detail = _officer(cast).get(f"/mail/{mail.pk}/").content.decode()
    assert "Liitteet" in detail and "koulutusraportti-7.pdf" in detail
