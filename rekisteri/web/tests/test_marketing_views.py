"""Staff pages of campaigns and of a person's consents."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.test import Client

from rekisteri.marketing.models import Campaign, Consent
from rekisteri.marketing.services.consents import consent_give, topic_create
from rekisteri.marketing.services.lists import subscription_add

pytestmark = pytest.mark.database


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def newsletter(system_actor):
    return topic_create(actor=system_actor, slug="uutiset", name_fi="Uutiset", name_en="News")


def test_marketing_composes_previews_and_sends_a_campaign(cast, newsletter, person, system_actor):
    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    subscription_add(actor=system_actor, person=person, topic=newsletter)
    client = _client(cast.marketing)
    response = client.post(
        "/marketing/new/",
        {
            "topic": "uutiset",
            "subject": "Hei",
            "body_markdown": "# Otsikko",
            "basis": "opt_in",
            "language": "fi",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/marketing/{campaign.pk}/"
    page = client.get(f"/marketing/{campaign.pk}/")
    assert page.status_code == 200 and b"Ei suostumusta" in page.content and b"Otsikko" in page.content
    assert client.post(f"/marketing/{campaign.pk}/send/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == "sent" and len(django_mail.outbox) == 1
    assert client.get("/marketing/").status_code == 200


def test_sales_records_and_withdraws_a_consent_on_the_persons_page(cast, newsletter, person):
    client = _client(cast.sales)
    page = client.get(f"/people/{person.pk}/marketing/")
    assert page.status_code == 200
    response = client.post(
        f"/people/{person.pk}/marketing/", {"consent-topic": "uutiset", "consent-channel": "phone"}
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.given_channel == "phone" and consent.recorded_by == cast.sales
    client.post(f"/people/{person.pk}/marketing/", {"withdraw": str(consent.pk)})
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_channel == "staff"


def test_sales_cannot_send_campaigns(cast, newsletter):
    assert _client(cast.sales).get("/marketing/").status_code == 403
