"""Art. 18: a role other than the privacy officer's reads a restricted person only by stating
a legal reason, which the read's audit event keeps; without it the person stays hidden."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.accounts.services import token_create
from rekisteri.audit.models import AuditEvent
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.people.tests import test_restricted_reads

pytestmark = pytest.mark.django_db

OTHER_ROLES = test_restricted_reads.OTHER_ROLES
pair = test_restricted_reads.pair
REASON = "Oikeudenkäynti KO 12/2026: vastaajan puolustus"


def _ui(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _api(user, system_actor) -> Client:
    raw = token_create(actor=system_actor, user=user, name="t")[1]
    return Client(headers={"Authorization": f"Bearer {raw}"})


def _views_of(person) -> list[dict]:
    events = AuditEvent.objects.filter(
        action="view", object_type="person", person_ids__contains=str(person.pk)
    )
    return [json.loads(event.detail) for event in events.order_by("seq")]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_the_card_asks_for_a_legal_reason_and_opens_with_one_kept_in_the_audit_trail(cast, pair, role):
    restricted, _ = pair
    client = _ui(getattr(cast, role))

    asked = client.get(f"/people/{restricted.pk}/")
    assert asked.status_code == 403
    assert "restricted-read" in asked.content.decode() and "Rauha" not in asked.content.decode()
    assert _views_of(restricted) == []

    too_short = client.post(f"/people/{restricted.pk}/restricted-read/", {"reason": "koska"})
    assert too_short.status_code == 422 and "Rauha" not in too_short.content.decode()

    card = client.post(f"/people/{restricted.pk}/restricted-read/", {"reason": f"  {REASON} "}, follow=True)
    assert card.status_code == 200
    page = card.content.decode()
    assert "Rauha" in page and "message--warning" in page  # shown, marked restricted
    (view,) = _views_of(restricted)
    assert (view["restricted_read"], view["reason"]) == (True, REASON)


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_the_api_reads_a_restricted_person_only_with_a_reason(cast, pair, system_actor, role):
    restricted, _ = pair
    client = _api(getattr(cast, role), system_actor)

    assert client.get(f"/api/v1/persons/{restricted.pk}").status_code == 404
    short = client.get(f"/api/v1/persons/{restricted.pk}", {"reason": "koska"})
    assert short.status_code == 400 and short.json()["code"] == "rule_violation"
    response = client.get(f"/api/v1/persons/{restricted.pk}", {"reason": REASON})

    assert response.status_code == 200
    assert response.json()["restricted"] is True
    (view,) = _views_of(restricted)
    assert view["reason"] == REASON


def test_the_privacy_officer_reads_them_marked_without_a_reason(cast, pair, system_actor):
    restricted, _ = pair

    page = _ui(cast.privacy_officer).get(f"/people/{restricted.pk}/")
    api = _api(cast.privacy_officer, system_actor).get(f"/api/v1/persons/{restricted.pk}")

    assert page.status_code == 200 and "message--warning" in page.content.decode()
    assert api.status_code == 200 and api.json()["restricted"] is True
    assert all("reason" not in view for view in _views_of(restricted))


def test_a_reason_opens_nobody_outside_the_roles_scope(cast, system_actor, organization):
    # Restricted, but no direct-marketing basis: outside the marketer's audience anyway.
    person = person_create(
        actor=system_actor, first_name="Ulla", last_name="Ulkona", organization=organization
    )
    Person.objects.filter(pk=person.pk).update(restricted_at=timezone.now())
    client = _ui(cast.marketing)

    assert client.get(f"/people/{person.pk}/").status_code == 404
    assert client.post(f"/people/{person.pk}/restricted-read/", {"reason": REASON}).status_code == 404
    assert (
        _api(cast.marketing, system_actor).get(f"/api/v1/persons/{person.pk}", {"reason": REASON}).status_code
        == 404
    )
    assert _views_of(person) == []


def test_a_reason_changes_nothing_for_a_person_who_is_not_restricted(cast, pair, system_actor):
    _, free = pair
    client = _ui(cast.sales)

    assert client.post(f"/people/{free.pk}/restricted-read/", {"reason": REASON}).status_code == 404
    response = _api(cast.sales, system_actor).get(f"/api/v1/persons/{free.pk}", {"reason": REASON})
    assert response.status_code == 200
    (view,) = _views_of(free)
    assert "reason" not in view


def test_lists_and_searches_never_show_them_whatever_the_reason(cast, pair, system_actor):
    restricted, free = pair
    client = _api(cast.sales, system_actor)
    items = client.get("/api/v1/persons", {"q": "Rajoitettu", "reason": REASON}).json()["items"]
    assert [item["id"] for item in items] == [str(free.pk)]


@pytest.mark.parametrize("role", ["sales", "crm", "admin"])
def test_a_duplicate_warning_names_no_restricted_person(cast, pair, system_actor, role):
    restricted, _ = pair
    user = getattr(cast, role)
    page = _ui(user).post(
        "/people/new/", {"first_name": "Uusi", "last_name": "Henkilö", "email": "rauha@rajoitus.example"}
    )
    text = page.content.decode()
    assert page.status_code == 200 and "duplicate-warning" in text
    assert "Rauha" not in text and str(restricted.pk) not in text
    response = _api(user, system_actor).post(
        "/api/v1/persons",
        {"first_name": "Uusi", "last_name": "Henkilö", "email": "rauha@rajoitus.example"},
        content_type="application/json",
    )
    assert response.status_code == 409 and response.json()["existing_ids"] == []
    assert _views_of(restricted) == []
    # The privacy officer, who sees restricted persons marked, is shown who it is.
    from rekisteri.audit.actor import Actor
    from rekisteri.people.selectors import persons_shown

    officer = Actor.for_user(cast.privacy_officer, "ui")
    shown = persons_shown(actor=officer, person_ids=[restricted.pk], reason="duplicate_warning")
    assert [person.pk for person in shown] == [restricted.pk]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_the_api_reads_a_restricted_persons_history_only_with_its_own_reason(cast, pair, system_actor, role):
    from rekisteri.contacts.models import Interaction

    restricted, _ = pair
    Interaction.objects.create(person=restricted, kind="event", occurred_at=timezone.now())
    client = _api(getattr(cast, role), system_actor)
    url = f"/api/v1/persons/{restricted.pk}/interactions"

    assert client.get(url).status_code == 404
    short = client.get(url, {"reason": "koska"})
    assert short.status_code == 400 and short.json()["code"] == "rule_violation"
    response = client.get(url, {"reason": REASON})
    assert response.status_code == 200 and response.json()["total"] == 1
    event = AuditEvent.objects.filter(action="list", object_type="interaction").latest("seq")
    assert json.loads(event.detail)["reason"] == REASON
