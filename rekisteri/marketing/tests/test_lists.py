"""Newsletter lists: double opt-in from the public form, and the lists API."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from rekisteri.marketing.models import Consent, Signup, Subscription
from rekisteri.outbox.models import OutgoingMail
from rekisteri.people.models import Person

pytestmark = pytest.mark.database


def _link(mail: OutgoingMail) -> str:
    return re.search(r"https?://\S+/newsletter/confirm/\S+/", mail.body_text).group(0)


def _sign_up(client: Client, email: str) -> str:
    response = client.post(
        "/newsletter/uutiset/", {"first_name": "Mikko", "last_name": "Tilaaja", "email": email}
    )
    assert response.status_code == 200
    mail = OutgoingMail.objects.get(kind="newsletter_confirm")
    assert mail.person_id is None  # nothing of the register was looked at
    path = _link(mail).split("://", 1)[1].split("/", 1)[1]
    return "/" + path


def test_a_sign_up_starts_only_when_its_link_is_confirmed_by_post(newsletter):
    client = Client()
    path = _sign_up(client, "mikko.tilaaja@example.fi")
    assert not Subscription.objects.exists() and not Person.objects.exists()
    # A mail scanner opening the link changes nothing.
    assert client.get(path).status_code == 200
    assert not Subscription.objects.exists()
    assert client.post(path, REMOTE_ADDR="192.0.2.7").status_code == 200
    subscription = Subscription.objects.get()
    assert subscription.state == "active" and subscription.channel == "web_form"
    consent = Consent.objects.get()
    evidence = json.loads(consent.evidence)
    assert consent.given_channel == "web_form" and consent.wording.version == 1
    assert evidence["form"] == "public_subscribe" and evidence["confirm_client_address"] == "192.0.2.7"
    person = Person.objects.get()
    assert person.email == "mikko.tilaaja@example.fi" and person.first_name == "Mikko"
    # The link works once; the sign-up keeps nothing readable.
    assert client.post(path).status_code == 410
    assert Signup.objects.get().email == ""


def test_a_confirmed_sign_up_joins_the_person_already_in_the_register(newsletter, person):
    client = Client()
    path = _sign_up(client, person.email.upper())
    client.post(path)
    assert Person.objects.count() == 1
    assert Subscription.objects.get().person_id == person.pk


def test_an_objected_person_is_not_subscribed_and_sees_the_same_page(newsletter, person):
    Person.objects.filter(pk=person.pk).update(marketing_objection_at="2025-01-01T00:00:00Z")
    client = Client()
    path = _sign_up(client, person.email)
    assert client.post(path).status_code == 200
    assert not Subscription.objects.exists() and not Consent.objects.exists()


def test_an_unknown_link_is_gone(newsletter):
    assert Client().get("/newsletter/confirm/nonsense/").status_code == 410
    assert Client().post("/newsletter/confirm/nonsense/").status_code == 410


def test_the_form_of_an_unknown_list_is_404(db):
    assert Client().get("/newsletter/ei-ole/").status_code == 404


def test_marketing_creates_a_list_and_adds_a_subscriber_through_the_api(cast, api_as, person):
    client = api_as(cast.marketing)
    created = client.post("/lists", {"slug": "koulutus", "name_fi": "Koulutus", "name_en": "Training"})
    assert created.status_code == 201, created.content
    assert created.json()["wording_version"] == 1
    assert client.post("/lists", {"slug": "koulutus", "name_fi": "K", "name_en": "T"}).status_code == 409
    assert client.post("/lists", {"slug": "Bad Slug", "name_fi": "K", "name_en": "T"}).status_code == 422
    # Marketing sees the person only once a direct-marketing basis is in force.
    from rekisteri.privacy.services import basis_set

    basis_set(actor=_system(), person=person, purpose="direct_marketing", basis="consent")
    added = client.post("/lists/koulutus/subscribers", {"person_id": str(person.pk)})
    assert added.status_code == 201, added.content
    assert added.json()["state"] == "active"
    assert client.get("/lists").json()[0]["subscribers"] == 1
    missing = client.post("/lists/ei-ole/subscribers", {"person_id": str(person.pk)})
    assert missing.status_code == 404


def _system():
    from rekisteri.audit.actor import Actor

    return Actor.system("test", origin="cli")


def test_the_preference_centre_changes_lists_and_tracking_as_consent_records(
    newsletter, person, system_actor
):
    from rekisteri.marketing.services.lists import subscription_add

    subscription_add(actor=system_actor, person=person, topic=newsletter)
    client = Client()
    assert client.post("/newsletter/preferences/", {"email": person.email}).status_code == 200
    mail = OutgoingMail.objects.get(kind="newsletter_preferences")
    path = "/" + re.search(r"https?://[^/]+/(newsletter/preferences/open/\S+/)", mail.body_text).group(1)
    assert client.get(path).status_code == 200  # a scanner's GET uses nothing
    opened = client.post(path)
    assert opened.status_code == 302
    page = opened["Location"]
    assert client.post(path).status_code == 410  # single use
    shown = client.get(page)
    assert shown.status_code == 200 and b'value="uutiset"' in shown.content
    client.post(page, {"list": ["uutiset"], "tracking": "on"})
    consents = Consent.objects.filter(person=person, withdrawn_at=None)
    assert {c.topic.slug for c in consents} == {"uutiset", "tracking"}
    assert {c.given_channel for c in consents} == {"preferences"}
    client.post(page, {})
    assert not Consent.objects.filter(person=person, withdrawn_at=None).exists()
    assert Subscription.objects.get(person=person).state == "unsubscribed"


def test_the_preference_request_answers_the_same_for_an_unknown_address(db):
    client = Client()
    known = client.post("/newsletter/preferences/", {"email": "nobody@nowhere.example"})
    assert (
        known.status_code == 200 and OutgoingMail.objects.filter(kind="newsletter_preferences").count() == 1
    )


def test_an_unconfirmed_sign_up_keeps_its_address_only_while_its_link_lives(newsletter):
    from datetime import timedelta

    from django.utils import timezone

    from rekisteri.marketing.tasks import campaigns_dispatch

    _sign_up(Client(), "mikko.tilaaja@example.fi")
    campaigns_dispatch()
    assert Signup.objects.get().email == "mikko.tilaaja@example.fi"
    Signup.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    campaigns_dispatch()
    assert Signup.objects.get().email == ""
