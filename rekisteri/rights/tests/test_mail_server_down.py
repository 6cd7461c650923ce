"""A mail server that refuses connections, then comes back: no request, action or command
fails, every decision stands, the request's history says where its mail is, and each mail
arrives exactly once when the server is back (a real SMTP server, aiosmtpd)."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rekisteri.outbox.models import MailState, OutgoingMail
from rekisteri.outbox.services import outbox_deliver
from rekisteri.outbox.tests.smtp import SmtpServer
from rekisteri.rights.models import DataSubjectRequest, RequestType, Status
from rekisteri.rights.tests.fulfil_helpers import ANNA_EMAIL, officer, verified_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def server(settings):
    """Configured, but not running: connections to its port are refused until start()."""
    server = SmtpServer()
    server.configure(settings)
    yield server
    server.stop()


def _deliver_while_down() -> None:
    report = outbox_deliver()
    assert report.claimed and report.sent == 0 and report.failed == 0


def _deliver_when_back(server) -> None:
    server.start()
    report = outbox_deliver(now=timezone.now() + timedelta(minutes=1))
    assert report.sent == report.claimed > 0
    assert outbox_deliver(now=timezone.now() + timedelta(hours=1)).claimed == 0


def _staff(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _only_mail(dsr: DataSubjectRequest) -> OutgoingMail:
    [mail] = OutgoingMail.objects.filter(about_type="rights_request", about_id=str(dsr.pk))
    return mail


def test_a_portal_request_is_answered_and_its_link_arrives_when_the_server_is_back(server, person):
    response = Client().post("/portal/", {"type": "access", "email": ANNA_EMAIL, "details": ""})

    assert response.status_code == 200
    assert "Tarkista sähköpostisi" in response.content.decode() or "sähköposti" in response.content.decode()
    dsr = DataSubjectRequest.objects.get()
    assert dsr.status == Status.AWAITING_VERIFICATION
    _deliver_while_down()
    mail = _only_mail(dsr)
    assert mail.state == MailState.QUEUED and mail.attempts == 1 and mail.last_error_code == 0

    _deliver_when_back(server)

    [message] = server.mailbox.to(ANNA_EMAIL)
    token = re.search(r"/portal/verify/([\w-]+)/", message.get_body(preferencelist=("plain",)).get_content())[
        1
    ]
    assert Client().post(f"/portal/verify/{token}/").status_code == 200
    dsr.refresh_from_db()
    assert dsr.verified_at is not None


def test_fulfilment_stands_the_history_shows_the_mail_and_it_arrives_once(server, cast, person):
    dsr = verified_request(actor=officer(cast), type=RequestType.ACCESS, person=person)
    client = _staff(cast.privacy_officer)

    response = client.post(f"/requests/{dsr.pk}/fulfil/", {"confirm": "on"})

    assert response.status_code == 302
    dsr.refresh_from_db()
    assert dsr.status == Status.FULFILLED
    # The decision does not claim a mail was sent: whether it was is the mail's own record.
    assert "lähetettiin" not in dsr.decision and "was sent" not in dsr.decision
    _deliver_while_down()
    page = client.get(f"/requests/{dsr.pk}/").content.decode()
    assert "Vastaus tietojen tarkastuspyyntöön" in page
    assert "Jonossa" in page and "Ei yhteyttä postipalvelimeen" in page
    shown = json.loads(_dsr("show", dsr.reference, "--json"))
    [mail] = shown["mails"]
    assert (mail["kind"], mail["state"], mail["attempts"], mail["smtp_reply_code"]) == (
        "fulfilled_access",
        "queued",
        1,
        0,
    )
    assert "ConnectionRefusedError" in mail["smtp_reply"]

    _deliver_when_back(server)

    [message] = server.mailbox.to(ANNA_EMAIL)
    assert "/portal/download/" in message.get_body(preferencelist=("plain",)).get_content()
    page = client.get(f"/requests/{dsr.pk}/").content.decode()
    assert "Lähetetty" in page
    [mail] = json.loads(_dsr("show", dsr.reference, "--json"))["mails"]
    assert mail["state"] == "sent" and mail["sent_at"]


def _dsr(*args) -> str:
    out = io.StringIO()
    call_command("dsr", *args, stdout=out)
    return out.getvalue()


def test_a_refusal_from_the_command_line_exits_cleanly_and_is_told_when_the_server_is_back(server, cast):
    dsr = verified_request(actor=officer(cast), type=RequestType.ERASURE, email="pyytaja@testi.fi")

    output = _dsr("refuse", dsr.reference, "--reason", "Sama pyyntö joka päivä.", "--kind", "excessive")

    assert "queued" in output
    dsr.refresh_from_db()
    assert dsr.status == Status.REFUSED
    _deliver_while_down()
    assert "queued" in _dsr("show", dsr.reference)

    _deliver_when_back(server)

    [message] = server.mailbox.to("pyytaja@testi.fi")
    assert "Sama pyyntö joka päivä." in message.get_body(preferencelist=("plain",)).get_content()


def test_the_digest_waits_for_the_server_and_arrives_once(server, cast, settings):
    from rekisteri.rights.services import request_create
    from rekisteri.rights.tasks import deadline_digest_send

    settings.PRIVACY_OFFICER_EMAILS = ["tietosuoja@firma.fi"]
    request_create(
        actor=officer(cast),
        type="access",
        channel="email",
        email="pyytaja@testi.fi",
        received_on=timezone.localdate() - timedelta(days=40),
    )

    result = deadline_digest_send()

    assert result.recipients == 1 and result.overdue == 1
    _deliver_while_down()
    _deliver_when_back(server)
    [message] = server.mailbox.to("tietosuoja@firma.fi")
    assert "pyytaja" not in message.as_string()


def test_an_extension_told_by_mail_is_recorded_even_while_the_server_is_down(server, cast):
    dsr = verified_request(actor=officer(cast), type=RequestType.ACCESS, email="pyytaja@testi.fi")
    response = _staff(cast.privacy_officer).post(
        f"/requests/{dsr.pk}/extend/",
        {
            "months": "1",
            "reason": "Tietoja haetaan kolmen yhtiön arkistoista.",
            "notified_on": timezone.localdate().isoformat(),
            "notified_via": "email",
        },
    )

    assert response.status_code == 302
    dsr.refresh_from_db()
    assert dsr.extension_months == 1
    _deliver_while_down()
    _deliver_when_back(server)
    [message] = server.mailbox.to("pyytaja@testi.fi")
    assert (
        "Tietoja haetaan kolmen yhtiön arkistoista."
        in message.get_body(preferencelist=("plain",)).get_content()
    )


def test_the_privacy_officer_resends_a_mail_the_server_refused_for_good(server, cast, person):
    server.mailbox.refuse = {ANNA_EMAIL}
    server.start()
    dsr = verified_request(actor=officer(cast), type=RequestType.ACCESS, person=person)
    client = _staff(cast.privacy_officer)
    client.post(f"/requests/{dsr.pk}/fulfil/", {"confirm": "on"})
    outbox_deliver()
    failed = _only_mail(dsr)
    assert failed.state == MailState.FAILED and failed.last_error_code == 550
    page = client.get(f"/requests/{dsr.pk}/").content.decode()
    assert "Epäonnistui" in page and "Palvelimen vastaus 550" in page and "User unknown" in page

    server.mailbox.refuse = set()
    response = client.post(f"/mail/{failed.pk}/resend/", {"next": f"/requests/{dsr.pk}/"})

    assert response.status_code == 302 and response["Location"] == f"/requests/{dsr.pk}/"
    assert outbox_deliver().sent == 1
    assert len(server.mailbox.to(ANNA_EMAIL)) == 1


def test_an_erasure_is_confirmed_when_the_server_is_back_and_then_nothing_of_the_address_stays(
    server, cast, person
):
    from rekisteri.keystore.models import DataKey
    from rekisteri.keystore.router import KEYSTORE_DB

    dsr = verified_request(actor=officer(cast), type=RequestType.ERASURE, person=person)
    client = _staff(cast.privacy_officer)

    assert client.post(f"/requests/{dsr.pk}/fulfil/", {"confirm": "on"}).status_code == 302
    _deliver_while_down()
    # Erased: neither the request nor its mails show the address, even while the confirmation waits.
    shown = _dsr("show", dsr.reference, "--json")
    assert ANNA_EMAIL not in shown and ANNA_EMAIL not in client.get(f"/requests/{dsr.pk}/").content.decode()

    _deliver_when_back(server)

    [message] = server.mailbox.to(ANNA_EMAIL)
    assert "Olemme poistaneet" in message.get_body(preferencelist=("plain",)).get_content()
    mail = _only_mail(dsr)
    assert mail.state == MailState.SENT and mail.content_destroyed_at is not None
    assert not DataKey.objects.using(KEYSTORE_DB).filter(person_id=mail.pk).exists()
