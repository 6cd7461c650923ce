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


# Each query matches the restricted Rauha Rajoitettu; the marked ones also Riitta.
@pytest.mark.parametrize(
    ("query", "finds_free"),
    [
        ("Rajoitettu", True),  # one word: the index's ranges read in turn
        ("ra rajo", True),  # a two-letter word: its entries tested as a subquery
        ("rau rajo", False),  # two words: found at once from the smaller word, or walked
        ("ra", True),  # two letters: some forty ranges, the empty ones found first
        ("rauha@rajoitus.example", False),  # an exact address
        ("@rajoitus.example", True),  # a domain
    ],
)
def test_a_salesperson_finds_no_restricted_person_by_any_kind_of_search(
    cast, pair, query, finds_free, monkeypatch
):
    """Every role but the privacy officer leaves the restricted out by testing the candidates
    against the few restricted persons (people.selectors.search._within): on every path."""
    from rekisteri.encryption import search as index_search

    restricted, free = pair
    salesperson = Actor.for_user(cast.sales, "ui")
    officer = Actor.for_user(cast.privacy_officer, "ui")
    for walked in (False, True):
        if walked:  # every word large: the narrowest walked, a row a statement
            monkeypatch.setattr(index_search, "SMALL_CHUNK", 0)
            monkeypatch.setattr(index_search, "_WALK_BATCH", 1)
        first = person_search(actor=salesperson, query=query, limit=1)
        assert [p.pk for p in first.results] == ([free.pk] if finds_free else []), (query, walked)
        found = person_search(actor=salesperson, query=query, limit=50)
        assert [p.pk for p in found.results] == ([free.pk] if finds_free else []), (query, walked)
        assert found.total == (1 if finds_free else 0), (query, walked)
        by_name = person_search(actor=salesperson, query=query, sort="name")
        assert [p.pk for p in by_name.results] == ([free.pk] if finds_free else []), (query, walked)
        assert restricted.pk in {p.pk for p in person_search(actor=officer, query=query, limit=50).results}


def test_only_the_restriction_alone_takes_the_restricted_persons_index(cast):
    from rekisteri.people.restriction import leaves_out_only_restricted, persons_processable
    from rekisteri.people.visibility import marketing_audience, students

    assert leaves_out_only_restricted(persons_processable())
    assert leaves_out_only_restricted(Person.objects.filter(restricted_at__isnull=True))
    assert not leaves_out_only_restricted(Person.objects.all())
    assert not leaves_out_only_restricted(Person.objects.filter(restricted_at__isnull=False))
    assert not leaves_out_only_restricted(Person.objects.exclude(restricted_at__isnull=True))
    assert not leaves_out_only_restricted(persons_processable().filter(organization__isnull=True))
    assert not leaves_out_only_restricted(persons_processable()[:10])
    assert not leaves_out_only_restricted(students(cast.trainer, Person.objects.all()))
    assert not leaves_out_only_restricted(marketing_audience(cast.marketing, Person.objects.all()))


def test_a_salespersons_total_leaves_the_restricted_out(cast, system_actor, monkeypatch):
    """The count of a page that does not reach the end comes from the index and the share of
    a sample that is not restricted: exact when the sample covers every entry."""
    from rekisteri.encryption import search as index_search

    for n in range(30):
        person_create(actor=system_actor, first_name="Anna", last_name="Virtanen", email=f"v{n}@testi.fi")
    restricted = list(Person.objects.order_by("pk").values_list("pk", flat=True)[:10])
    Person.objects.filter(pk__in=restricted).update(restricted_at=timezone.now())
    salesperson = Actor.for_user(cast.sales, "ui")

    page = person_search(actor=salesperson, query="virtanen", limit=5)
    assert (len(page.results), page.total, page.total_is_estimate) == (5, 20, True)
    assert not set(restricted) & {p.pk for p in page.results}
    officer_page = person_search(actor=Actor.for_user(cast.privacy_officer, "ui"), query="virtanen", limit=5)
    assert officer_page.total == 30
    # A sample of 10 entries: the total is estimated from their share, never below what was read.
    monkeypatch.setattr(index_search, "_SAMPLE", 10)
    estimated = person_search(actor=salesperson, query="virtanen", limit=5).total
    assert 7 <= estimated <= 30
