"""Individual tracking only with the person's tracking consent (section 9, CNIL 2026): every
kind of tracking event, and through a campaign's pixel and links, where anyone else counts
only in the campaign's aggregate."""

from __future__ import annotations

import re

import pytest
from django.core import mail as django_mail
from django.test import Client
from django.utils import timezone

from rekisteri.contacts.models import TrackingEvent
from rekisteri.contacts.services import TrackingNotConsented, tracking_event_record
from rekisteri.marketing.models import Consent, ReadCount
from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
from rekisteri.marketing.services.consents import consent_give, consent_withdraw
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.people.models import Person
from rekisteri.people.restriction import MarketingObjected, ProcessingRestricted
from rekisteri.people.services import person_create

pytestmark = pytest.mark.database

KINDS = sorted(TrackingEvent.Kind.values)


def _tracking_consent(actor, person) -> Consent:
    return consent_give(actor=actor, person=person, topic="tracking", channel="web_form")


def test_every_kind_of_event_is_known_here():
    # A new kind must get its row in the parametrized tests below.
    assert KINDS == ["newsletter_click", "newsletter_open", "web_visit"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_event_of_any_kind_is_refused_without_the_tracking_consent(system_actor, person, kind):
    with pytest.raises(TrackingNotConsented):
        tracking_event_record(actor=system_actor, person=person, kind=kind, reference="/hinnasto")
    assert not TrackingEvent.objects.filter(person=person).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_an_event_of_any_kind_is_recorded_with_the_tracking_consent(system_actor, person, kind):
    _tracking_consent(system_actor, person)
    event = tracking_event_record(actor=system_actor, person=person, kind=kind, reference="/hinnasto")
    assert TrackingEvent.objects.get(person=person).pk == event.pk


@pytest.mark.parametrize("kind", KINDS)
def test_an_event_of_any_kind_is_refused_once_the_consent_is_withdrawn(system_actor, person, kind):
    consent = _tracking_consent(system_actor, person)
    consent_withdraw(actor=system_actor, consent=consent, channel="email")
    with pytest.raises(TrackingNotConsented):
        tracking_event_record(actor=system_actor, person=person, kind=kind)
    assert not TrackingEvent.objects.filter(person=person).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_a_consent_to_another_topic_does_not_allow_tracking(system_actor, person, newsletter, kind):
    consent_give(actor=system_actor, person=person, topic=newsletter, channel="paper")
    with pytest.raises(TrackingNotConsented):
        tracking_event_record(actor=system_actor, person=person, kind=kind)


@pytest.mark.parametrize("kind", KINDS)
def test_an_objection_ends_individual_tracking_despite_the_consent(system_actor, person, kind):
    _tracking_consent(system_actor, person)
    Person.objects.filter(pk=person.pk).update(marketing_objection_at=timezone.now())
    person.refresh_from_db()
    with pytest.raises(MarketingObjected):
        tracking_event_record(actor=system_actor, person=person, kind=kind)


@pytest.mark.parametrize("kind", KINDS)
def test_a_restriction_ends_individual_tracking_despite_the_consent(system_actor, person, kind):
    _tracking_consent(system_actor, person)
    Person.objects.filter(pk=person.pk).update(restricted_at=timezone.now())
    person.refresh_from_db()
    with pytest.raises(ProcessingRestricted):
        tracking_event_record(actor=system_actor, person=person, kind=kind)


# Through a campaign: the pixel (opens) and the signed redirect (clicks).


def _reader(actor, topic, name, *, tracking):
    person = person_create(
        actor=actor, first_name=name, last_name="Lukija", email=f"{name.lower()}@seuranta.example"
    )
    consent_give(actor=actor, person=person, topic=topic, channel="paper")
    subscription_add(actor=actor, person=person, topic=topic)
    if tracking:
        _tracking_consent(actor, person)
    return person


def _read(message, kind: str) -> None:
    html = message.alternatives[0][0]
    if kind == "open":
        path = re.search(r'src="https?://[^/]+(/newsletter/o/[^"]+)"', html).group(1)
        assert Client().get(path).status_code == 200
    else:
        path = re.search(r'href="https?://[^/]+(/newsletter/c/[^"]+)"', html).group(1).replace("&amp;", "&")
        assert Client().get(path).status_code == 302


def _send(actor, topic):
    campaign = campaign_create(
        actor=actor, topic=topic, subject="Uutiset", body_markdown="Lue [lisää](https://example.fi/a)."
    )
    campaign_send(actor=actor, campaign=campaign)
    return campaign


@pytest.mark.parametrize("kind", ["open", "click"])
def test_a_campaign_read_is_individual_only_for_the_consented(system_actor, newsletter, kind):
    tracked = _reader(system_actor, newsletter, "Seurattu", tracking=True)
    _reader(system_actor, newsletter, "Anonyymi", tracking=False)
    campaign = _send(system_actor, newsletter)
    for message in django_mail.outbox:
        _read(message, kind)
    events = TrackingEvent.objects.all()
    assert [(e.person_id, e.kind) for e in events] == [(tracked.pk, f"newsletter_{kind}")]
    assert ReadCount.objects.get(campaign=campaign, kind=kind).count == 2


@pytest.mark.parametrize("kind", ["open", "click"])
def test_a_read_after_the_consent_is_withdrawn_is_only_counted(system_actor, newsletter, kind):
    tracked = _reader(system_actor, newsletter, "Seurattu", tracking=True)
    campaign = _send(system_actor, newsletter)
    # The message carries the person's own tracking id; the consent ends after it went.
    consent = Consent.objects.get(person=tracked, topic__slug="tracking")
    consent_withdraw(actor=system_actor, consent=consent, channel="preferences")
    _read(django_mail.outbox[0], kind)
    assert not TrackingEvent.objects.exists()
    assert ReadCount.objects.get(campaign=campaign, kind=kind).count == 1


@pytest.mark.parametrize("kind", ["open", "click"])
def test_a_read_of_a_restricted_person_is_only_counted(system_actor, newsletter, kind):
    tracked = _reader(system_actor, newsletter, "Seurattu", tracking=True)
    campaign = _send(system_actor, newsletter)
    Person.objects.filter(pk=tracked.pk).update(restricted_at=timezone.now())
    _read(django_mail.outbox[0], kind)
    assert not TrackingEvent.objects.exists()
    assert ReadCount.objects.get(campaign=campaign, kind=kind).count == 1
