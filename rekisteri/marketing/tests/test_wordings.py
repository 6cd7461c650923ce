"""Consent wordings (Art. 7(1)): versions in Finnish and English, created and listed by the
marketing role and the privacy officer through the API and the staff pages."""

from __future__ import annotations

import pytest
from django.test import Client

from rekisteri.audit.models import AuditEvent
from rekisteri.marketing.models import Wording
from rekisteri.marketing.services.consents import consent_give

pytestmark = pytest.mark.database


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("role", ["marketing", "privacy_officer"])
def test_a_new_version_is_created_and_listed_through_the_api(
    cast, api_as, person, newsletter, role, system_actor
):
    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    client = api_as(getattr(cast, role))
    created = client.post(
        "/topics/uutiset/wordings", {"text_fi": "Haluan uutiset.", "text_en": "I want news."}
    )
    assert created.status_code == 201, created.content
    assert created.json()["version"] == 2 and created.json()["used"] is False
    listed = client.get("/topics/uutiset/wordings")
    assert [(w["version"], w["used"]) for w in listed.json()] == [(2, False), (1, True)]
    assert Wording.objects.get(topic=newsletter, version=1).text_fi.startswith("Haluan saada")
    assert AuditEvent.objects.filter(object_type="consent_wording", action="create").exists()
    topics = {t["slug"]: t for t in client.get("/topics").json()}
    assert topics["uutiset"]["wording_version"] == 2 and topics["tracking"]["kind"] == "tracking"


def test_the_tracking_topic_gets_versions_too(cast, api_as, db):
    client = api_as(cast.privacy_officer)
    created = client.post(
        "/topics/tracking/wordings", {"text_fi": "Seuranta sallittu.", "text_en": "Tracking."}
    )
    assert created.status_code == 201, created.content


def test_the_api_refuses_empty_texts_unknown_topics_and_roles_without_the_right(cast, api_as, newsletter):
    client = api_as(cast.marketing)
    assert client.post("/topics/uutiset/wordings", {"text_fi": "", "text_en": "x"}).status_code == 422
    assert client.post("/topics/uutiset/wordings", {"text_fi": " ", "text_en": "x"}).status_code == 422
    assert client.post("/topics/nope/wordings", {"text_fi": "x", "text_en": "x"}).status_code == 404
    sales = api_as(cast.sales)
    assert sales.get("/topics/uutiset/wordings").status_code == 200  # they record consents
    assert sales.post("/topics/uutiset/wordings", {"text_fi": "x", "text_en": "x"}).status_code == 403
    assert Wording.objects.filter(topic=newsletter).count() == 1


def test_the_staff_page_lists_versions_and_adds_one(cast, person, newsletter, system_actor):
    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    client = _client(cast.privacy_officer)
    assert client.get("/marketing/topics/").status_code == 200
    response = client.post("/marketing/topics/uutiset/", {"text_fi": "Uusi teksti", "text_en": "New text"})
    assert response.status_code == 302
    page = client.get("/marketing/topics/uutiset/")
    assert b"Uusi teksti" in page.content and b"v2" in page.content
    assert Wording.objects.filter(topic=newsletter).count() == 2
    refused = client.post("/marketing/topics/uutiset/", {"text_fi": "", "text_en": "New text"})
    assert refused.status_code == 200 and Wording.objects.filter(topic=newsletter).count() == 2
    sales = _client(cast.sales)
    assert sales.get("/marketing/topics/uutiset/").status_code == 200
    assert sales.post("/marketing/topics/uutiset/", {"text_fi": "x", "text_en": "y"}).status_code == 403
    assert _client(cast.trainer).get("/marketing/topics/").status_code == 403
