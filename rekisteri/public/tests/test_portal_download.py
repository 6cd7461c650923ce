"""The download link of an answered access or portability request: time-limited, not consumed."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.rights.models import VerificationLink
from rekisteri.rights.services import request_create, verification_link_create

pytestmark = pytest.mark.django_db

PACKAGE = {"person_id": "x", "data": [{"label": "Henkilö", "rows": [{"first_name": "Anna"}]}]}


def _answered(system_actor, person, type: str = "access"):
    from rekisteri.rights.fulfilment.packages import answer_store

    dsr = request_create(
        actor=system_actor,
        type=type,
        channel="portal",
        email="anna.virtanen@testi.fi",
        verification="portal_link",
    )
    assert dsr.person_id == person.pk
    answer_store(
        request=dsr,
        kind=type,
        content_json=json.dumps(PACKAGE, ensure_ascii=False),
        content_csv="dataset,record,field,value\r\nHenkilö,1,first_name,Anna\r\n"
        if type == "portability"
        else "",
    )
    token = verification_link_create(request=dsr, purpose="download", hours=72)
    return dsr, token


def test_the_download_page_offers_json_and_a_readable_page_for_access(system_actor, person):
    dsr, token = _answered(system_actor, person)

    response = Client().get(f"/portal/download/{token}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert f"/portal/download/{token}/json/" in body
    assert f"/portal/download/{token}/html/" in body
    assert f"/portal/download/{token}/csv/" not in body
    assert "Anna" not in body  # the page itself shows no data
    assert response["Referrer-Policy"] == "same-origin"


def test_the_json_download_is_the_stored_answer_and_is_audited(system_actor, person):
    dsr, token = _answered(system_actor, person)

    response = Client().get(f"/portal/download/{token}/json/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="access-{dsr.reference}.json"'
    assert json.loads(response.content) == PACKAGE
    [event] = AuditEvent.objects.filter(action="export", object_type="rights_request")
    assert json.loads(event.object_ids) == [str(dsr.pk)]
    assert json.loads(event.detail)["format"] == "json"
    assert event.origin == "portal"


def test_the_link_is_not_consumed_by_downloading(system_actor, person):
    dsr, token = _answered(system_actor, person)
    client = Client()

    for _ in range(3):
        assert client.get(f"/portal/download/{token}/json/").status_code == 200
    assert client.get(f"/portal/download/{token}/").status_code == 200
    assert VerificationLink.objects.get(purpose="download").used_at is None


def test_portability_offers_json_and_csv(system_actor, person):
    dsr, token = _answered(system_actor, person, type="portability")
    client = Client()

    page = client.get(f"/portal/download/{token}/").content.decode()
    csv = client.get(f"/portal/download/{token}/csv/")

    assert f"/portal/download/{token}/csv/" in page and f"/portal/download/{token}/html/" not in page
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    assert "first_name,Anna" in csv.content.decode()
    assert client.get(f"/portal/download/{token}/html/").status_code == 410


def test_an_expired_download_link_is_gone(system_actor, person):
    dsr, token = _answered(system_actor, person)
    VerificationLink.objects.filter(purpose="download").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    client = Client()

    assert client.get(f"/portal/download/{token}/").status_code == 410
    assert client.get(f"/portal/download/{token}/json/").status_code == 410
    assert not AuditEvent.objects.filter(action="export", object_type="rights_request").exists()


def test_an_unknown_token_or_format_is_gone(system_actor, person):
    dsr, token = _answered(system_actor, person)
    client = Client()

    assert client.get("/portal/download/" + "y" * 43 + "/").status_code == 410
    assert client.get(f"/portal/download/{token}/xml/").status_code == 410


def test_a_verification_link_is_not_a_download_link(system_actor, person):
    dsr, _ = _answered(system_actor, person)
    verify = verification_link_create(request=dsr, purpose="verify", hours=1)

    assert Client().get(f"/portal/download/{verify}/").status_code == 410
    assert Client().get(f"/portal/download/{verify}/json/").status_code == 410


def test_a_download_link_without_a_stored_answer_is_gone(system_actor, person):
    dsr = request_create(
        actor=system_actor,
        type="access",
        channel="portal",
        email="anna.virtanen@testi.fi",
        verification="portal_link",
    )
    token = verification_link_create(request=dsr, purpose="download", hours=1)

    assert Client().get(f"/portal/download/{token}/json/").status_code == 410


def test_the_readable_page_is_rendered_from_the_stored_package(system_actor, person):
    from rekisteri.rights.fulfilment.packages import access_package, answer_store

    dsr = request_create(
        actor=system_actor,
        type="access",
        channel="portal",
        email="anna.virtanen@testi.fi",
        verification="portal_link",
    )
    package = access_package(actor=system_actor, person_id=person.pk)
    answer_store(
        request=dsr, kind="access", content_json=json.dumps(package, ensure_ascii=False, default=str)
    )
    token = verification_link_create(request=dsr, purpose="download", hours=1)

    response = Client().get(f"/portal/download/{token}/html/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Virtanen" in response.content.decode()
