import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_verify
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import interaction_create
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.selectors import person_get, person_ids_matching_email, person_search
from rekisteri.people.services import person_create, person_delete, person_update
from rekisteri.privacy.models import DataSource, ProcessingBasis
from rekisteri.privacy.services import basis_set, source_add

pytestmark = pytest.mark.django_db


def test_it_normalises_email_and_phone_on_create(system_actor):
    person = person_create(
        actor=system_actor,
        first_name=" Tero ",
        last_name="Leppänen",
        email="Tero.Leppanen@INSTA.FI",
        phone="040-772 3002",
    )
    person.refresh_from_db()
    assert person.first_name == "Tero"
    assert person.email == "Tero.Leppanen@insta.fi"
    assert person_ids_matching_email("TERO.leppanen@insta.fi") == [person.pk]
    assert person.phone == "+358407723002"


def test_it_refuses_an_invalid_phone_and_saves_nothing(system_actor):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        person_create(actor=system_actor, first_name="A", last_name="B", phone="12", email="bad")
    assert set(excinfo.value.message_dict) == {"phone", "email"}
    assert Person.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_names_are_required(system_actor):
    with pytest.raises(ValidationError) as excinfo:
        person_create(actor=system_actor, first_name="", last_name=" ")
    assert set(excinfo.value.message_dict) == {"first_name", "last_name"}


def test_create_is_audited_with_ids_only(system_actor, person):
    event = AuditEvent.objects.filter(action="create", object_type="person").get()
    assert str(person.pk) in event.object_ids
    assert "Anna" not in event.detail and "Virtanen" not in event.detail


def test_update_records_changed_field_names(system_actor, person):
    person_update(
        actor=system_actor,
        person=person,
        title="Toimitusjohtaja",
        phone="+358 40 123 4567",
        categories=["customer_representative", "student"],
    )
    event = AuditEvent.objects.filter(action="change", object_type="person").get()
    assert '"categories"' in event.detail and '"title"' in event.detail
    assert '"phone"' not in event.detail  # same number in another format is no change
    assert set(person.categories.values_list("category", flat=True)) == {"customer_representative", "student"}


def test_unknown_category_is_refused(system_actor):
    with pytest.raises(ValidationError) as excinfo:
        person_create(actor=system_actor, first_name="A", last_name="B", categories=["vip"])
    assert "categories" in excinfo.value.message_dict


def test_legitimate_interest_needs_its_connection(system_actor, person):
    with pytest.raises(ValidationError) as excinfo:
        basis_set(
            actor=system_actor, person=person, purpose="customer_relationship", basis="legitimate_interest"
        )
    assert "interest_ground" in excinfo.value.message_dict
    record = basis_set(
        actor=system_actor,
        person=person,
        purpose="customer_relationship",
        basis="legitimate_interest",
        interest_ground="employer_relationship",
        justification="Employer is a customer",
    )
    assert record.interest_ground == "employer_relationship"
    replaced = basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
    assert ProcessingBasis.objects.filter(person=person).count() == 1
    assert replaced.interest_ground == ""


def test_unknown_purpose_or_basis_is_refused(system_actor, person):
    with pytest.raises(ValidationError) as excinfo:
        basis_set(actor=system_actor, person=person, purpose="espionage", basis="whim")
    assert set(excinfo.value.message_dict) == {"purpose", "basis"}


def test_sources_are_recorded_several_per_person(system_actor, person):
    source_add(actor=system_actor, person=person, kind="data_subject", detail="Business card at a fair")
    source_add(actor=system_actor, person=person, kind="asiakastieto", report_date=timezone.localdate())
    assert DataSource.objects.filter(person=person).count() == 2
    with pytest.raises(ValidationError):
        source_add(actor=system_actor, person=person, kind="rumour")


def test_delete_removes_every_registered_row_and_keeps_the_audit_event(system_actor, person):
    # A consent, not a contract: a contract in force refuses the deletion (Art. 17(3)).
    basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="consent")
    source_add(actor=system_actor, person=person, kind="data_subject")
    interaction_create(actor=system_actor, person=person, kind="call", text="Soitto tarjouksesta")
    person_id = person.pk
    person_delete(actor=system_actor, person=person, reason="erasure_request")
    assert not Person.objects.filter(pk=person_id).exists()
    for model in (PersonCategory, ProcessingBasis, DataSource, Interaction):
        assert not model.objects.filter(person_id=person_id).exists()
    assert AuditEvent.objects.filter(action="erase", object_type="person").exists()
    assert audit_verify().ok


@pytest.mark.parametrize(
    "query",
    [
        "anna",
        "VIRT",
        "ann virt",
        "Anna Virtanen",
        "anna.virtanen@TESTI.fi",
        "040 123 4567",
        "+358401234567",
        "040-1234567",
    ],
)
def test_search_finds_by_name_prefix_email_and_phone(system_actor, person, query):
    page = person_search(actor=system_actor, query=query)
    assert [p.pk for p in page.results] == [person.pk]
    assert page.total == 1


@pytest.mark.parametrize("query", ["", "zzz", "nna", "anna.virtanen@testi.com", "040 999 9999", "a@"])
def test_search_does_not_return_non_matches(system_actor, person, query):
    assert person_search(actor=system_actor, query=query).results == []


def test_search_is_audited_without_the_search_terms(system_actor, person):
    person_search(actor=system_actor, query="Virtanen")
    event = AuditEvent.objects.filter(action="search").get()
    assert "Virtanen" not in event.detail and "Virtanen" not in event.object_ids
    assert str(person.pk) in event.person_ids


def test_viewing_a_person_is_audited(system_actor, person):
    assert person_get(actor=system_actor, person_id=person.pk, purpose="customer_relationship") == person
    event = AuditEvent.objects.filter(action="view").get()
    assert event.purpose == "customer_relationship"


def test_interaction_updates_last_activity(system_actor, person):
    interaction = interaction_create(actor=system_actor, person=person, kind="meeting", text="Tapaaminen")
    person.refresh_from_db()
    assert person.last_activity_at == interaction.occurred_at
    with pytest.raises(ValidationError) as excinfo:
        interaction_create(actor=system_actor, person=person, kind="telepathy", text="")
    assert set(excinfo.value.message_dict) == {"kind", "text"}
