"""Campaigns: compose, send through the outbox, RFC 8058 unsubscribe, resume, tracking."""

from __future__ import annotations

import re

import pytest
from django.core import mail as django_mail
from django.test import Client
from django.utils import timezone

from rekisteri.contacts.models import TrackingEvent
from rekisteri.marketing.models import Campaign, Delivery, ReadCount, Subscription
from rekisteri.marketing.sending import campaign_run
from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
from rekisteri.marketing.services.consents import consent_give
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.outbox.models import OutgoingMail
from rekisteri.people.services import person_create

pytestmark = pytest.mark.database

BODY = "# Hei\n\nLue [lisää](https://example.fi/uutiset?a=1&b=2).\n\n<script>alert(1)</script>"


def _subscriber(actor, topic, name, *, tracking=False):
    person = person_create(
        actor=actor, first_name=name, last_name="Lukija", email=f"{name.lower()}@lukija.example"
    )
    consent_give(actor=actor, person=person, topic=topic, channel="paper")
    subscription_add(actor=actor, person=person, topic=topic)
    if tracking:
        consent_give(actor=actor, person=person, topic="tracking", channel="paper")
    return person


def _campaign(actor, topic, **kwargs):
    return campaign_create(actor=actor, topic=topic, subject="Uutiset 1/2027", body_markdown=BODY, **kwargs)


def _token(message) -> str:
    return re.search(r"/newsletter/u/([^/>]+)/one-click/", message.extra_headers["List-Unsubscribe"]).group(1)


def test_every_message_has_rfc8058_headers_and_both_parts(system_actor, newsletter):
    _subscriber(system_actor, newsletter, "Aino")
    campaign = _campaign(system_actor, newsletter)
    campaign_send(actor=system_actor, campaign=campaign)
    assert len(django_mail.outbox) == 1
    message = django_mail.outbox[0]
    headers = message.extra_headers
    assert re.fullmatch(
        r"<https?://\S+/newsletter/u/\S+/one-click/>, <mailto:\S+\?subject=unsubscribe-\S+>",
        headers["List-Unsubscribe"],
    )
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0][0]
    assert "<h1>Hei</h1>" in html and "<script>" not in html  # raw HTML is never passed through
    assert "/newsletter/u/" in message.body and "Lue [lisää]" in message.body
    campaign.refresh_from_db()
    assert campaign.status == "sent" and campaign.audience_counts["audience"] == 1
    assert OutgoingMail.objects.get(about_type="campaign").state == "sent"


def test_one_click_takes_post_only_without_login_or_csrf_and_stops_the_next_campaign(
    system_actor, newsletter
):
    person = _subscriber(system_actor, newsletter, "Aino")
    campaign_send(actor=system_actor, campaign=_campaign(system_actor, newsletter))
    token = _token(django_mail.outbox[0])
    client = Client(enforce_csrf_checks=True)
    assert client.get(f"/newsletter/u/{token}/one-click/").status_code == 405
    assert Subscription.objects.get(person=person).state == "active"
    response = client.post(
        f"/newsletter/u/{token}/one-click/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Subscription.objects.get(person=person).state == "unsubscribed"
    django_mail.outbox.clear()
    second = _campaign(system_actor, newsletter)
    campaign_send(actor=system_actor, campaign=second)
    assert django_mail.outbox == []
    second.refresh_from_db()
    assert second.audience_counts["excluded"]["unsubscribed"] == 1


def test_the_visible_link_offers_stopping_all_marketing(system_actor, newsletter):
    person = _subscriber(system_actor, newsletter, "Aino")
    campaign_send(actor=system_actor, campaign=_campaign(system_actor, newsletter))
    token = _token(django_mail.outbox[0])
    client = Client()
    page = client.get(f"/newsletter/u/{token}/")
    assert page.status_code == 200 and b'value="stop"' in page.content
    assert Subscription.objects.get(person=person).state == "active"  # a GET changes nothing
    assert client.post(f"/newsletter/u/{token}/", {"choice": "stop"}).status_code == 200
    person.refresh_from_db()
    assert person.marketing_objection_at is not None
    assert Subscription.objects.get(person=person).state == "unsubscribed"


def test_a_resumed_send_sends_nobody_twice_and_misses_nobody(system_actor, newsletter):
    people = [_subscriber(system_actor, newsletter, f"Lukija{i}") for i in range(7)]
    campaign = _campaign(system_actor, newsletter)
    Campaign.objects.filter(pk=campaign.pk).update(status="sending")
    # A worker queued the first batch and died: its lease has run out.
    from rekisteri.marketing import sending

    audience_first = sending.audience_compute(topic=newsletter, basis="opt_in").recipients[:3]
    sending._queue_batch(campaign, sending.compose(campaign), audience_first, system_actor)
    Campaign.objects.filter(pk=campaign.pk).update(lease_until=timezone.now() - timezone.timedelta(seconds=1))
    report = campaign_run(campaign.pk, batch=2)
    assert report.finished
    recipients = sorted(address for message in django_mail.outbox for address in message.to)
    assert recipients == sorted(p.email for p in people)
    assert Delivery.objects.filter(campaign=campaign).count() == 7


def test_a_campaign_claimed_by_a_live_worker_is_left_alone(system_actor, newsletter):
    _subscriber(system_actor, newsletter, "Aino")
    campaign = _campaign(system_actor, newsletter)
    Campaign.objects.filter(pk=campaign.pk).update(
        status="sending", lease_until=timezone.now() + timezone.timedelta(minutes=1)
    )
    assert campaign_run(campaign.pk).claimed is False
    assert django_mail.outbox == []


def test_opens_are_individual_only_with_tracking_consent(system_actor, newsletter):
    tracked = _subscriber(system_actor, newsletter, "Seurattu", tracking=True)
    _subscriber(system_actor, newsletter, "Anonyymi")
    campaign = _campaign(system_actor, newsletter)
    campaign_send(actor=system_actor, campaign=campaign)
    client = Client()
    for message in django_mail.outbox:
        pixel = re.search(r'src="https?://[^/]+(/newsletter/o/[^"]+)"', message.alternatives[0][0]).group(1)
        assert client.get(pixel).status_code == 200
    events = TrackingEvent.objects.all()
    assert [e.person_id for e in events] == [tracked.pk]
    assert ReadCount.objects.get(campaign=campaign, kind="open").count == 2


def test_click_redirect_is_signed(system_actor, newsletter):
    _subscriber(system_actor, newsletter, "Aino")
    campaign_send(actor=system_actor, campaign=_campaign(system_actor, newsletter))
    html = django_mail.outbox[0].alternatives[0][0]
    link = re.search(r'href="https?://[^/]+(/newsletter/c/[^"]+)"', html).group(1).replace("&amp;", "&")
    response = Client().get(link)
    assert response.status_code == 302 and response["Location"] == "https://example.fi/uutiset?a=1&b=2"
    forged = link.replace("example.fi", "evil.example")
    assert Client().get(forged).status_code == 404


def test_campaign_api_creates_previews_sends_and_reports(cast, api_as, newsletter, system_actor):
    _subscriber(system_actor, newsletter, "Aino")
    client = api_as(cast.marketing)
    created = client.post(
        "/campaigns", {"list": "uutiset", "subject": "Hei", "body_markdown": "Moi", "basis": "opt_in"}
    )
    assert created.status_code == 201, created.content
    campaign_id = created.json()["id"]
    audience = client.get(f"/campaigns/{campaign_id}/audience").json()
    assert audience["audience"] == 1 and audience["excluded"]["no_basis"] == 0
    sent = client.post(f"/campaigns/{campaign_id}/send")
    assert sent.status_code == 200, sent.content
    shown = client.get(f"/campaigns/{campaign_id}").json()
    assert shown["status"] == "sent" and shown["deliveries"]["sent"] == 1
    assert client.post(f"/campaigns/{campaign_id}/send").status_code == 409
    assert client.get("/campaigns/999999").status_code == 404
    assert api_as(cast.sales).post(f"/campaigns/{campaign_id}/send").status_code == 403


def test_tracking_event_record_refuses_a_newsletter_read_without_consent(system_actor, person):
    from rekisteri.contacts.services import TrackingNotConsented, tracking_event_record

    with pytest.raises(TrackingNotConsented):
        tracking_event_record(actor=system_actor, person=person, kind="newsletter_open")
    consent_give(actor=system_actor, person=person, topic="tracking", channel="paper")
    assert tracking_event_record(actor=system_actor, person=person, kind="newsletter_open").pk


def test_the_worker_round_starts_due_campaigns_and_resumes_abandoned_ones(system_actor, newsletter):
    from datetime import timedelta

    from rekisteri.marketing.services.campaigns import campaign_schedule
    from rekisteri.marketing.tasks import campaigns_dispatch

    _subscriber(system_actor, newsletter, "Aino")
    scheduled = campaign_schedule(
        actor=system_actor,
        campaign=_campaign(system_actor, newsletter),
        at=timezone.now() + timedelta(hours=1),
    )
    abandoned = _campaign(system_actor, newsletter)
    Campaign.objects.filter(pk=abandoned.pk).update(
        status="sending", lease_until=timezone.now() - timedelta(1)
    )
    assert campaigns_dispatch() == 1  # the scheduled one is not due yet
    assert Campaign.objects.get(pk=abandoned.pk).status == "sent"
    Campaign.objects.filter(pk=scheduled.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    assert campaigns_dispatch() == 1
    assert Campaign.objects.get(pk=scheduled.pk).status == "sent"
    assert len(django_mail.outbox) == 2
