"""The requester's and the privacy officer's mails: language, reasons, complaint route, no personal values."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.mail import queue_templated_mail
from rekisteri.rights.services import request_create, request_refuse

pytestmark = pytest.mark.django_db


def _request(actor, **fields):
    values = {
        "type": "erasure",
        "channel": "email",
        "email": "requester@example.com",
        "name": "Rita Requester",
        "verification": "email_known_address",
        "language": "en",
        **fields,
    }
    return request_create(actor=actor, **values)


def test_a_refusal_in_english_carries_the_reasons_the_kind_and_the_complaint_route(system_actor):
    dsr = _request(system_actor)

    request_refuse(actor=system_actor, request=dsr, kind="excessive", reason="The tenth request this month.")

    [message] = deliver_outbox()
    assert message.subject == f"Decision on your data protection request {dsr.reference}"
    body = message.body
    assert "The tenth request this month." in body
    assert "Excessive, in particular repetitive (Art. 12(5))" in body
    assert "Office of the Data Protection Ombudsman" in body
    for value in (
        "Lintulahdenkuja 4, 00530 Helsinki",
        "PL 800, 00531 Helsinki",
        "029 566 6700",
        "tietosuoja@om.fi",
    ):
        assert value in body
    assert "court" in body
    html = message.alternatives[0][0]
    assert 'href="mailto:tietosuoja@om.fi"' in html and "Office of the Data Protection Ombudsman" in html


def test_the_complaint_route_comes_from_configuration(system_actor, settings):
    settings.SUPERVISORY_AUTHORITY = {**settings.SUPERVISORY_AUTHORITY, "phone": "012 345 678"}
    dsr = _request(system_actor, language="fi")

    request_refuse(actor=system_actor, request=dsr, kind="other", reason="Ei perusteita.")

    body = deliver_outbox()[0].body
    assert "012 345 678" in body and "Tietosuojavaltuutetun toimisto" in body
    assert "Peruste:" in body and "Muut syyt" in body


def test_the_text_bodies_are_not_html_escaped(system_actor):
    dsr = _request(system_actor)

    request_refuse(actor=system_actor, request=dsr, kind="other", reason='Smith & Sons <ltd> "quoted"')

    message = deliver_outbox()[0]
    assert 'Smith & Sons <ltd> "quoted"' in message.body
    assert "Smith &amp; Sons &lt;ltd&gt;" in message.alternatives[0][0]


def test_an_extension_mail_in_english_tells_the_new_date_and_reasons(cast, system_actor):
    dsr = _request(system_actor)
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")

    client.post(
        f"/requests/{dsr.pk}/extend/",
        {
            "months": "1",
            "reason": "We are checking the archives of three group companies.",
            "notified_on": timezone.localdate().isoformat(),
            "notified_via": "email",
        },
    )

    [message] = deliver_outbox()
    dsr.refresh_from_db()
    assert message.subject == f"More time needed for your data protection request {dsr.reference}"
    assert "We are checking the archives of three group companies." in message.body
    assert f"We will answer by {dsr.due_on:%-d.%-m.%Y} at the latest." in message.body


def test_the_verification_mail_in_english(system_actor):
    dsr = _request(system_actor, type="access")

    queue_templated_mail(
        to="requester@example.com",
        template="verify",
        context={"request": dsr, "link": "https://example.fi/portal/verify/abc/", "hours": 24},
        language="en",
    )

    body = deliver_outbox()[0].body
    assert "https://example.fi/portal/verify/abc/" in body
    assert "expires in 24 hours" in body
    assert "ignore this message" in body


def test_the_digest_lists_overdue_and_due_soon_references_without_personal_values(
    system_actor, cast, settings
):
    from rekisteri.rights.tasks import deadline_digest_send

    settings.PRIVACY_OFFICER_EMAILS = ["tietosuoja@example.fi"]
    today = timezone.localdate()
    overdue = _request(system_actor, received_on=today - timedelta(days=40))
    soon = _request(system_actor, received_on=today - timedelta(days=28), type="access")
    later = _request(system_actor, received_on=today)

    deadline_digest_send(today=today)

    [message] = deliver_outbox()
    assert message.to == ["tietosuoja@example.fi"]
    assert "1" in message.subject
    body = message.body
    assert overdue.reference in body and soon.reference in body and later.reference not in body
    assert body.index(overdue.reference) < body.index(soon.reference)
    assert overdue.due_on.strftime("%-d.%-m.%Y") in body
    assert "/requests/" in body
    for personal in ("requester@example.com", "Rita"):
        assert personal not in body and personal not in message.alternatives[0][0]
