"""Opening the verification link: GET shows a button, POST verifies once, expired links are gone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.models import DataSubjectRequest, Status, Verification, VerificationLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(person):
    """A portal request for Anna's address; returns (client, token)."""
    client = Client()
    response = client.post("/portal/", {"type": "access", "email": "anna.virtanen@testi.fi"})
    assert response.status_code == 200
    token = re.search(r"/portal/verify/([\w-]+)/", deliver_outbox()[-1].body)[1]
    return client, token


def _request() -> DataSubjectRequest:
    return DataSubjectRequest.objects.get()


def test_opening_the_link_shows_a_confirm_button_and_verifies_nothing(submitted):
    client, token = submitted

    for _ in range(2):  # a mail scanner, then the person
        response = client.get(f"/portal/verify/{token}/")
        assert response.status_code == 200
        assert '<form method="post"' in response.content.decode()

    dsr = _request()
    assert dsr.status == Status.AWAITING_VERIFICATION
    assert dsr.verified_at is None
    assert VerificationLink.objects.get().used_at is None


def test_confirming_verifies_the_request_and_tells_the_due_date(submitted):
    client, token = submitted

    response = client.post(f"/portal/verify/{token}/")

    assert response.status_code == 200
    dsr = _request()
    assert dsr.status == Status.NEW
    assert dsr.verification == Verification.PORTAL_LINK
    assert dsr.verified_at is not None
    body = response.content.decode()
    assert dsr.due_on.strftime("%-d.%-m.%Y") in body
    assert dsr.reference in body
    [event] = AuditEvent.objects.filter(action="verify", object_type="rights_request")
    assert event.origin == "portal"


def test_a_second_confirmation_of_the_same_link_is_refused_with_410(submitted):
    client, token = submitted
    assert client.post(f"/portal/verify/{token}/").status_code == 200

    again = client.post(f"/portal/verify/{token}/")

    assert again.status_code == 410
    assert client.get(f"/portal/verify/{token}/").status_code == 410
    assert AuditEvent.objects.filter(action="verify").count() == 1


def test_an_expired_link_is_refused_and_the_request_stays_unverified(submitted):
    client, token = submitted
    VerificationLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert client.get(f"/portal/verify/{token}/").status_code == 410
    assert client.post(f"/portal/verify/{token}/").status_code == 410
    assert _request().status == Status.AWAITING_VERIFICATION


def test_a_link_just_before_expiry_still_works(submitted):
    client, token = submitted
    VerificationLink.objects.update(expires_at=timezone.now() + timedelta(minutes=1))

    assert client.post(f"/portal/verify/{token}/").status_code == 200


def test_unknown_used_and_expired_links_get_the_same_page(submitted, person):
    client, token = submitted
    unknown = Client().post("/portal/verify/" + "x" * 43 + "/")
    client.post(f"/portal/verify/{token}/")
    used = Client().post(f"/portal/verify/{token}/")
    Client().post("/portal/", {"type": "erasure", "email": "other@example.fi"})
    other = re.search(r"/portal/verify/([\w-]+)/", deliver_outbox()[-1].body)[1]
    VerificationLink.objects.filter(used_at__isnull=True).update(expires_at=timezone.now())
    expired = Client().post(f"/portal/verify/{other}/")

    assert unknown.status_code == used.status_code == expired.status_code == 410
    # The same page but for the token itself (the language switch returns to the path it is on).
    strip = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"|/portal/verify/[\w-]+/')
    assert strip.sub(b"", unknown.content) == strip.sub(b"", used.content) == strip.sub(b"", expired.content)


def test_a_download_link_does_not_verify_a_request(submitted):
    from rekisteri.rights.services import verification_link_create

    download = verification_link_create(request=_request(), purpose="download", hours=1)

    assert Client().post(f"/portal/verify/{download}/").status_code == 410
    assert _request().status == Status.AWAITING_VERIFICATION


def test_a_request_withdrawn_meanwhile_cannot_be_verified(submitted, system_actor):
    from rekisteri.rights.services import request_withdraw

    client, token = submitted
    request_withdraw(actor=system_actor, request=_request())

    assert client.post(f"/portal/verify/{token}/").status_code == 410
    assert _request().status == Status.WITHDRAWN


def test_the_link_pages_are_not_cached_and_send_no_referrer_to_other_sites(submitted):
    client, token = submitted

    response = client.get(f"/portal/verify/{token}/")

    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


def test_verify_accepts_only_get_and_post(submitted):
    client, token = submitted

    assert client.put(f"/portal/verify/{token}/").status_code == 405


def test_a_link_opened_after_staff_verified_the_request_says_it_is_verified(submitted, system_actor):
    from rekisteri.rights.services import request_verify

    client, token = submitted
    request_verify(actor=system_actor, request=_request(), method=Verification.PHONE_CALLBACK)

    response = client.post(f"/portal/verify/{token}/")

    assert response.status_code == 200
    assert _request().verification == Verification.PHONE_CALLBACK
    assert AuditEvent.objects.filter(action="verify").count() == 1
    assert VerificationLink.objects.get().used_at is not None
