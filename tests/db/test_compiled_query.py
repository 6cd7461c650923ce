"""Compiled queries give exactly what their querysets give (rekisteri.db.compiled_query)."""

from uuid import UUID

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from rekisteri.db.compiled_query import CompiledQuery, padded_to_power_of_two, sample_ids
from rekisteri.encryption.models import SearchTerm
from rekisteri.keystore.services import indexer
from rekisteri.organizations.models import Organization
from rekisteri.people import selectors
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.privacy.services import basis_set, source_add

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {key: value for key, value in instance.__dict__.items() if not key.startswith("_")}


@pytest.fixture
def persons(system_actor, organization):
    made = [
        person_create(
            actor=system_actor,
            first_name="Anna",
            last_name=f"Virtanen{n}",
            email=f"anna{n}@testi.fi",
            organization=organization if n % 2 else None,
            categories=["customer_representative"] if n % 3 else [],
        )
        for n in range(6)
    ]
    return [Person.objects.get(pk=person.pk) for person in made]


def test_persons_by_id_equal_the_querysets_rows_with_organizations_joined(persons):
    for ids in ([persons[0].pk], [p.pk for p in persons], [persons[1].pk, persons[1].pk, UUID(int=7)]):
        padded = padded_to_power_of_two(ids)
        assert len(padded) in (1, 2, 4, 8) and set(padded) == set(ids)
        compiled = {p.pk: p for p in selectors._PERSONS_BY_ID.run(padded)}
        expected = {p.pk: p for p in Person.objects.select_related("organization").filter(pk__in=ids)}
        assert {pk: _fields(p) for pk, p in compiled.items()} == {
            pk: _fields(p) for pk, p in expected.items()
        }
        with CaptureQueriesContext(connection) as queries:
            organizations = {pk: p.organization for pk, p in compiled.items()}
        assert len(queries) == 0  # joined, not fetched one by one
        assert organizations == {pk: p.organization for pk, p in expected.items()}


def test_the_card_person_and_its_lists_need_no_further_queries(system_actor, persons):
    person = persons[1]
    basis_set(
        actor=system_actor,
        person=person,
        purpose="customer_relationship",
        basis="contract",
        justification="x",
    )
    source_add(actor=system_actor, person=person, kind="employer_or_partner", detail="y")
    [card] = selectors._CARD_PERSON.run([person.pk])
    for name, query in selectors._CARD_LISTS.items():
        selectors._prefetched(card, name, query.run([card.pk]))
    with CaptureQueriesContext(connection) as queries:
        owner = card.organization.owner_company
        lists = {name: list(getattr(card, name).all()) for name in selectors._CARD_LISTS}
        purposes = [basis.purpose for basis in lists["bases"]]
    assert len(queries) == 0
    assert (
        owner
        == Organization.objects.select_related("owner_company").get(pk=card.organization_id).owner_company
    )
    for name in selectors._CARD_LISTS:
        assert [_fields(item) for item in lists[name]] == [
            _fields(item) for item in getattr(person, name).all()
        ]
    assert purposes == [basis.purpose for basis in person.bases.all()]
    assert lists["categories"] and lists["bases"] and lists["sources"]
    assert selectors._CARD_PERSON.run([UUID(int=12345)]) == []


def test_persons_by_index_entry_are_those_the_index_names(persons):
    entry = (SearchTerm.Kind.EMAIL, indexer().index_email("anna3@testi.fi"))
    found = selectors._PERSONS_BY_TERM.run(entry)
    assert [p.pk for p in found] == [persons[3].pk]
    assert selectors._PERSONS_BY_TERM.run((SearchTerm.Kind.EMAIL, 12345)) == []


def test_a_sample_value_that_is_not_unique_in_the_query_is_refused(persons):
    twice = CompiledQuery(
        lambda ids: Person.objects.filter(pk=ids[0]) | Person.objects.filter(pk=ids[0]),
        field=Person._meta.pk,
        samples=sample_ids,
    )
    with pytest.raises(ValueError, match="appears 2 times"):
        twice.run([persons[0].pk])


def test_annotations_are_set_as_the_queryset_sets_them(persons):
    annotated = CompiledQuery(
        lambda ids: Person.objects.annotate(n=Count("categories")).filter(pk__in=ids).order_by("pk"),
        field=Person._meta.pk,
        samples=sample_ids,
    )
    ids = [p.pk for p in persons[:4]]
    expected = Person.objects.annotate(n=Count("categories")).filter(pk__in=ids).order_by("pk")
    assert [_fields(p) for p in annotated.run(ids)] == [_fields(p) for p in expected]
    assert {p.n for p in expected} == {0, 1}


def test_values_querysets_are_refused(persons):
    values = CompiledQuery(
        lambda ids: Person.objects.filter(pk=ids[0]).values("pk"),
        field=Person._meta.pk,
        samples=sample_ids,
    )
    with pytest.raises(ValueError, match="no values"):
        values.run([persons[0].pk])


def test_a_malformed_id_fails_as_the_orm_fails():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        Person.objects.filter(pk="not-a-uuid").first()
    with pytest.raises(ValidationError):
        selectors._CARD_PERSON.run(["not-a-uuid"])


def test_a_token_found_by_the_compiled_lookup_is_the_active_one(cast, system_actor):
    from django.utils import timezone

    from rekisteri.accounts.models import ApiToken
    from rekisteri.accounts.services import token_authenticate, token_create

    _, raw = token_create(actor=system_actor, user=cast.sales, name="compiled")
    token = token_authenticate(raw)
    assert token is not None and token.user == cast.sales and token.user.staff_profile.role == "sales"
    assert token_authenticate(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert token_authenticate(raw) is None


def test_pending_instructions_read_by_the_compiled_query(cast, system_actor):
    from rekisteri.audit.actor import Actor
    from rekisteri.governance.selectors import current_instruction, instructions_pending
    from rekisteri.governance.services import instruction_acknowledge

    current = current_instruction()
    assert current is not None  # the cast's members acknowledged it
    assert instructions_pending(cast.sales) is False
    StaffInstruction = type(current)
    newer = StaffInstruction.objects.create(
        version=current.version + 1,
        title_fi="Uusi",
        title_en="New",
        body_fi="Uusi ohje.",
        body_en="New text.",
    )
    assert instructions_pending(cast.sales) is True
    instruction_acknowledge(actor=Actor.for_user(cast.sales, "ui"), user=cast.sales, instruction=newer)
    assert instructions_pending(cast.sales) is False
