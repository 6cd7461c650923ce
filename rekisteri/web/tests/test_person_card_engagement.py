"""Newsletter engagement on the person card (section 9): individual opens and clicks only
where the person consented to tracking, shown to the marketing role and the privacy officer,
never to sales."""

from __future__ import annotations

import re

import pytest
from django.core import mail as django_mail
from django.test import Client

from rekisteri.audit.models import AuditEvent
from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
from rekisteri.marketing.services.consents import consent_give, topic_create
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.people.services import person_create

pytestmark = pytest.mark.database


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def readers(system_actor):
    topic = topic_create(actor=system_actor, slug="uutiset", name_fi="Uutiset", name_en="News")
    people = {}
    for name, tracking in (("Seurattu", True), ("Anonyymi", False)):
        person = person_create(
            actor=system_actor, first_name=name, last_name="Lukija", email=f"{name.lower()}@lukija.example"
        )
        consent_give(actor=system_actor, person=person, topic=topic, channel="paper")
        subscription_add(actor=system_actor, person=person, topic=topic)
        if tracking:
            consent_give(actor=system_actor, person=person, topic="tracking", channel="paper")
        people[name] = person
    campaign = campaign_create(
        actor=system_actor,
        topic=topic,
        subject="Syksyn uutiskirje",
        body_markdown="[Lue](https://example.fi/)",
    )
    campaign_send(actor=system_actor, campaign=campaign)
    client = Client()
    for message in django_mail.outbox:  # both open the message; each also clicks its link
        html = message.alternatives[0][0]
        client.get(re.search(r'src="https?://[^/]+(/newsletter/o/[^"]+)"', html).group(1))
        client.get(
            re.search(r'href="https?://[^/]+(/newsletter/c/[^"]+)"', html).group(1).replace("&amp;", "&")
        )
    return people


def _engagement(response) -> str:
    match = re.search(r'<section class="panel" id="engagement".*?</section>', response.content.decode(), re.S)
    return match.group(0) if match else ""


@pytest.mark.parametrize("role", ["marketing", "privacy_officer"])
def test_marketing_and_the_privacy_officer_see_individual_engagement_where_consented(cast, readers, role):
    client = _client(getattr(cast, role))
    tracked = _engagement(client.get(f"/people/{readers['Seurattu'].pk}/"))
    assert "Syksyn uutiskirje" in tracked
    assert re.search(r"<td>1</td><td>1 ", tracked), tracked  # one open, one click
    untracked = _engagement(client.get(f"/people/{readers['Anonyymi'].pk}/"))
    assert "Syksyn uutiskirje" in untracked and "<td>1</td>" not in untracked
    assert 'colspan="2"' in untracked  # not tracked individually
    assert AuditEvent.objects.filter(object_type="tracking_event", action="view").exists()


@pytest.mark.parametrize("role", ["sales", "trainer"])
def test_staff_without_a_marketing_need_do_not_see_it(cast, readers, role):
    response = _client(getattr(cast, role)).get(f"/people/{readers['Seurattu'].pk}/")
    assert response.status_code in (200, 404)
    assert _engagement(response) == "" and b"Syksyn uutiskirje" not in response.content
