"""Art. 18 on every read path: a restricted person is left out of lists, searches, cards,
exports and the API for every role but the privacy officer, who sees them marked."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from rekisteri.accounts.services import token_create
from rekisteri.audit.actor import Actor
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_get, person_list, person_search, visible_persons
from rekisteri.people.services import person_create
from rekisteri.privacy.services import basis_set

pytestmark = pytest.mark.django_db

OTHER_ROLES = ["sales", "crm", "marketing", "trainer", "admin"]


@pytest.fixture
def pair(system_actor, organization):
    """Two students with a direct-marketing consent, so every role's scope covers both; one
    of them restricted."""
    persons = []
    for first in ("Rauha", "Riitta"):
        person = person_create(
            actor=system_actor,
            first_name=first,
            last_name="Rajoitettu",
            email=f"{first.lower()}@rajoitus.example",
            organization=organization,
            categories=["student"],
        )
        basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
        persons.append(person)
    Person.objects.filter(pk=persons[0].pk).update(restricted_at=timezone.now())
    return persons[0], persons[1]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_role_but_the_privacy_officer_never_finds_a_restricted_person(cast, pair, role):
    restricted, free = pair
    actor = Actor.for_user(getattr(cast, role), "ui")

    assert set(visible_persons(actor).filter(pk__in=[restricted.pk, free.pk])) == {free}
    assert [p.pk for p in person_search(actor=actor, query="Rajoitettu").results] == [free.pk]
    assert restricted.pk not in {
        p.pk for p in person_list(actor=actor, organization_id=restricted.organization_id).results
    }
    assert person_get(actor=actor, person_id=restricted.pk) is None
    assert person_get(actor=actor, person_id=free.pk) is not None


def test_the_privacy_officer_finds_them_marked(cast, pair):
    restricted, free = pair
    actor = Actor.for_user(cast.privacy_officer, "ui")
    found = person_search(actor=actor, query="Rajoitettu").results
    assert {p.pk for p in found} == {restricted.pk, free.pk}
    assert person_get(actor=actor, person_id=restricted.pk) is not None

    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/people/?q=Rajoitettu").content.decode()
    assert page.count("tag--restricted") == 1


@pytest.mark.parametrize("role", OTHER_ROLES + ["privacy_officer"])
def test_the_api_lists_and_reads_as_the_role_may(cast, pair, system_actor, role):
    restricted, free = pair
    raw = token_create(actor=system_actor, user=getattr(cast, role), name="t")[1]
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    items = client.get("/api/v1/persons?q=Rajoitettu").json()["items"]
    card = client.get(f"/api/v1/persons/{restricted.pk}")
    if role == "privacy_officer":
        assert {(i["id"], i["restricted"]) for i in items} == {
            (str(restricted.pk), True),
            (str(free.pk), False),
        }
        assert card.status_code == 200 and card.json()["restricted"] is True
    else:
        assert [i["id"] for i in items] == [str(free.pk)]
        assert card.status_code == 404


def test_an_export_leaves_restricted_persons_out_even_for_the_privacy_officer(cast, pair, system_actor):
    restricted, free = pair
    raw = token_create(actor=system_actor, user=cast.privacy_officer, name="t")[1]
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    response = client.post(
        "/api/v1/persons/export",
        {
            "q": "Rajoitettu",
            "format": "csv",
            "disclosure_purpose": "customer_relationship",
            "recipient_name": "Palveluntarjoaja Oy",
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.content.decode("utf-8-sig")
    assert "Riitta" in body and "Rauha" not in body
