"""Scheduling a campaign: a send time in the future through the API and the staff page; the
worker starts it when due, never before; a cancel before then means nobody gets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.test import Client
from django.utils import timezone

from rekisteri.marketing.models import Campaign
from rekisteri.marketing.services.campaigns import campaign_cancel, campaign_create, campaign_schedule
from rekisteri.marketing.services.consents import consent_give
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.marketing.tasks import campaigns_dispatch

pytestmark = pytest.mark.database


@pytest.fixture
def reader(system_actor, newsletter, person):
    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    subscription_add(actor=system_actor, person=person, topic=newsletter)
    return person


def _later(**kwargs):
    return (timezone.localtime() + timedelta(**kwargs)).replace(microsecond=0)


def test_the_api_creates_a_scheduled_campaign_the_worker_starts_when_due(cast, api_as, reader):
    client = api_as(cast.marketing)
    created = client.post(
        "/campaigns",
        {
            "list": "uutiset",
            "subject": "Hei",
            "body_markdown": "Moi",
            "scheduled_at": _later(hours=2).isoformat(),
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "scheduled" and body["scheduled_at"] is not None
    assert campaigns_dispatch() == 0 and django_mail.outbox == []
    Campaign.objects.filter(pk=body["id"]).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    assert campaigns_dispatch() == 1
    assert client.get(f"/campaigns/{body['id']}").json()["status"] == "sent"
    assert [m.to for m in django_mail.outbox] == [[reader.email]]


def test_the_schedule_endpoint_moves_the_time_and_refuses_the_past(cast, api_as, reader, system_actor):
    campaign = campaign_create(actor=system_actor, topic="uutiset", subject="Hei", body_markdown="Moi")
    client = api_as(cast.marketing)
    past = client.post(f"/campaigns/{campaign.pk}/schedule", {"scheduled_at": _later(hours=-1).isoformat()})
    assert past.status_code == 422 and past.json()["code"] == "rule_violation"
    at = _later(days=1)
    scheduled = client.post(f"/campaigns/{campaign.pk}/schedule", {"scheduled_at": at.isoformat()})
    assert scheduled.status_code == 200, scheduled.content
    campaign.refresh_from_db()
    assert campaign.status == "scheduled" and campaign.scheduled_at == at
    # Without an offset the time is the register's own (Helsinki).
    naive = _later(days=2).replace(tzinfo=None)
    moved = client.post(f"/campaigns/{campaign.pk}/schedule", {"scheduled_at": naive.isoformat()})
    assert moved.status_code == 200
    campaign.refresh_from_db()
    assert timezone.localtime(campaign.scheduled_at).replace(tzinfo=None) == naive
    assert client.post(f"/campaigns/{campaign.pk}/schedule", {"scheduled_at": 1234}).status_code == 422
    assert client.post("/campaigns/999999/schedule", {"scheduled_at": at.isoformat()}).status_code == 404
    assert (
        api_as(cast.privacy_officer)
        .post(f"/campaigns/{campaign.pk}/schedule", {"scheduled_at": at.isoformat()})
        .status_code
        == 403
    )
    client.post(f"/campaigns/{campaign.pk}/send")
    again = client.post(f"/campaigns/{campaign.pk}/schedule", {"scheduled_at": at.isoformat()})
    assert again.status_code == 409


def test_a_campaign_cancelled_before_its_time_is_never_sent(system_actor, reader):
    campaign = campaign_create(actor=system_actor, topic="uutiset", subject="Hei", body_markdown="Moi")
    campaign_schedule(actor=system_actor, campaign=campaign, at=timezone.now() + timedelta(hours=1))
    campaign_cancel(actor=system_actor, campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    assert campaigns_dispatch() == 0
    campaign.refresh_from_db()
    assert campaign.status == "cancelled" and django_mail.outbox == []


def test_the_staff_form_schedules_and_the_detail_page_reschedules(cast, reader):
    client = Client()
    client.force_login(cast.marketing, backend="django.contrib.auth.backends.ModelBackend")
    at = _later(days=1).replace(second=0)
    response = client.post(
        "/marketing/new/",
        {
            "topic": "uutiset",
            "subject": "Hei",
            "body_markdown": "Moi",
            "basis": "opt_in",
            "language": "fi",
            "scheduled_at": at.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and campaign.status == "scheduled" and campaign.scheduled_at == at
    page = client.get(f"/marketing/{campaign.pk}/")
    assert b'name="scheduled_at"' in page.content
    later = at + timedelta(days=1)
    client.post(f"/marketing/{campaign.pk}/schedule/", {"scheduled_at": later.strftime("%Y-%m-%dT%H:%M")})
    campaign.refresh_from_db()
    assert campaign.scheduled_at == later
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(f"/marketing/{campaign.pk}/schedule/", {"scheduled_at": past})
    campaign.refresh_from_db()
    assert campaign.scheduled_at == later
    refused = client.post(
        "/marketing/new/",
        {
            "topic": "uutiset",
            "subject": "Hei",
            "body_markdown": "Moi",
            "basis": "opt_in",
            "language": "fi",
            "scheduled_at": past,
        },
    )
    assert refused.status_code == 200 and Campaign.objects.count() == 1
