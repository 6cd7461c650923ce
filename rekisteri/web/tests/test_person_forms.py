import json

import pytest
from django.urls import reverse

from conftest import persons_named
from rekisteri.people.models import Person
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db

NEW = reverse("web:person_new")


def _data(**changes):
    data = {
        "first_name": "Mikko",
        "last_name": "Koskinen",
        "email": "mikko.koskinen@example.fi",
        "phone": "040 772 3002",
        "organization": "",
        "title": "Ostaja",
        "categories": ["prospect_contact"],
        "self_given_info": "",
    }
    data.update(changes)
    return data


def test_the_new_person_form_renders_with_labels_tied_to_inputs(login, cast):
    body = login(cast.sales).get(NEW).content.decode()

    assert '<label for="id_phone">' in body
    assert 'id="id_phone"' in body
    assert 'aria-describedby="id_phone_help"' in body


def test_an_invalid_phone_number_is_shown_inline_and_nothing_is_saved(login, cast):
    count = Person.objects.count()

    response = login(cast.sales).post(NEW, _data(phone="040 12"))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Puhelinnumero ei kelpaa" in body
    assert 'id="id_phone_error"' in body
    assert 'aria-invalid="true"' in body
    assert "id_phone_help id_phone_error" in body
    assert Person.objects.count() == count
    assert events(action="create", object_type="person") == []


def test_a_valid_person_is_saved_normalised_and_audited(login, cast, organization):
    response = login(cast.sales).post(NEW, _data(organization="Tampereen Testi Oy (2077474-0)"))

    person = persons_named("Koskinen")[0]
    assert response.status_code == 302
    assert response.url == reverse("web:person_card", args=[person.pk])
    assert person.phone == "+358407723002"
    assert person.organization == organization
    assert person.created_by == cast.sales
    assert list(person.categories.values_list("category", flat=True)) == ["prospect_contact"]
    [event] = events(action="create", object_type="person")
    assert event.actor_user_id == cast.sales.pk
    assert json.loads(event.person_ids) == [str(person.pk)]


def test_an_organization_can_be_named_by_name_alone_when_unique(login, cast, organization):
    login(cast.sales).post(NEW, _data(organization="tampereen testi oy"))

    assert persons_named("Koskinen")[0].organization == organization


def test_an_unknown_organization_is_a_form_error(login, cast):
    response = login(cast.sales).post(NEW, _data(organization="Olematon Oy"))

    assert "Mikään organisaatio ei vastaa" in response.content.decode()
    assert not persons_named("Koskinen")


def test_missing_names_and_a_bad_email_are_all_reported_at_once(login, cast):
    response = login(cast.sales).post(NEW, _data(first_name="", email="not-an-address"))

    body = response.content.decode()
    assert 'id="id_first_name_error"' in body
    assert 'id="id_email_error"' in body
    assert not persons_named("Koskinen")


def test_the_form_prefills_the_organization_from_the_organization_page(login, cast, organization):
    body = login(cast.sales).get(NEW + f"?organization={organization.pk}").content.decode()

    assert 'value="Tampereen Testi Oy (2077474-0)"' in body


def test_a_role_without_add_permission_gets_403_and_nothing_is_saved(login, cast):
    client = login(cast.marketing)

    assert client.get(NEW).status_code == 403
    assert client.post(NEW, _data()).status_code == 403
    assert not persons_named("Koskinen")


def test_editing_changes_the_person_and_records_the_changed_fields(login, cast, person):
    url = reverse("web:person_edit", args=[person.pk])
    client = login(cast.sales)
    assert 'value="anna.virtanen@testi.fi"' in client.get(url).content.decode()

    response = client.post(
        url,
        _data(
            first_name="Anna",
            last_name="Virtanen",
            phone="050 123 4567",
            email="anna.virtanen@testi.fi",
            title="Hankintapäällikkö",
            organization="Tampereen Testi Oy (2077474-0)",
            categories=["customer_representative"],
        ),
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.phone == "+358501234567"
    [event] = events(action="change", object_type="person")
    assert json.loads(event.detail)["fields"] == ["phone"]


def test_an_invalid_edit_changes_nothing(login, cast, person):
    response = login(cast.sales).post(
        reverse("web:person_edit", args=[person.pk]), _data(phone="123", first_name="Anni")
    )

    assert response.status_code == 200
    assert "Puhelinnumero ei kelpaa" in response.content.decode()
    person.refresh_from_db()
    assert person.first_name == "Anna"
    assert person.phone == "+358401234567"


def test_the_privacy_officer_may_edit_but_a_trainer_may_not(login, cast, person):
    url = reverse("web:person_edit", args=[person.pk])

    assert login(cast.privacy_officer).get(url).status_code == 200
    assert login(cast.trainer).get(url).status_code == 403
