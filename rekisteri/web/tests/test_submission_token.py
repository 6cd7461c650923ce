"""Forms that create something carry a one-time token: sending them again creates nothing."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rekisteri.accounts.models import IdempotencyKey
from rekisteri.contacts.models import Interaction
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person

pytestmark = pytest.mark.django_db


def _token(body: str) -> str:
    match = re.search(r'name="submission_token" value="([^"]+)"', body)
    assert match, "the form carries no token"
    return match.group(1)


def _new_person_form(client) -> dict:
    token = _token(client.get(reverse("web:person_new")).content.decode())
    return {"first_name": "Kalle", "last_name": "Kaksoisklikki", "submission_token": token}


def test_sending_the_person_form_twice_creates_one_person_and_shows_it_both_times(login, cast):
    client = login(cast.sales)
    form = _new_person_form(client)

    first = client.post(reverse("web:person_new"), form)
    second = client.post(reverse("web:person_new"), form, follow=True)

    person = Person.objects.get()
    assert first["Location"] == reverse("web:person_card", args=[person.pk])
    assert second.redirect_chain[-1][0] == reverse("web:person_card", args=[person.pk])
    assert "Lomake oli jo lähetetty" in second.content.decode()
    assert IdempotencyKey.objects.get().result_id == str(person.pk)


def test_the_token_is_stored_only_as_a_hash(login, cast):
    client = login(cast.sales)
    form = _new_person_form(client)
    client.post(reverse("web:person_new"), form)

    row = IdempotencyKey.objects.get()
    assert form["submission_token"] not in row.key_hash
    assert len(row.key_hash) == 64


def test_a_refused_submission_does_not_use_up_the_token(login, cast):
    client = login(cast.sales)
    form = _new_person_form(client)

    refused = client.post(reverse("web:person_new"), {**form, "last_name": ""})
    assert refused.status_code == 200
    assert _token(refused.content.decode()) == form["submission_token"]  # kept for the retry

    saved = client.post(reverse("web:person_new"), form)

    assert saved.status_code == 302
    assert Person.objects.count() == 1


def test_two_forms_opened_separately_create_two_persons(login, cast):
    client = login(cast.sales)

    client.post(reverse("web:person_new"), _new_person_form(client))
    client.post(reverse("web:person_new"), _new_person_form(client))

    assert Person.objects.count() == 2


def test_the_same_token_of_another_user_is_not_theirs(login, cast):
    form = _new_person_form(login(cast.sales))

    login(cast.sales).post(reverse("web:person_new"), form)
    login(cast.crm).post(reverse("web:person_new"), form)

    assert Person.objects.count() == 2


def test_a_token_older_than_a_day_counts_as_new(login, cast):
    client = login(cast.sales)
    form = _new_person_form(client)
    client.post(reverse("web:person_new"), form)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    client.post(reverse("web:person_new"), form)

    assert Person.objects.count() == 2


def test_a_form_sent_without_a_token_still_saves(login, cast):
    client = login(cast.sales)

    client.post(reverse("web:person_new"), {"first_name": "Ilman", "last_name": "Tunnistetta"})

    assert Person.objects.count() == 1
    assert not IdempotencyKey.objects.exists()


def test_sending_the_organization_form_twice_creates_one_organization(login, cast):
    client = login(cast.sales)
    body = client.get(reverse("web:organization_new")).content.decode()
    form = {
        "name": "Tuplaklikki Oy",
        "business_id": "0245974-7",
        "business_id_country": "FI",
        "country": "FI",
        "status": "prospect",
        "owner_company": re.search(r'<option value="(\d+)" selected', body).group(1),
        "submission_token": _token(body),
    }

    first = client.post(reverse("web:organization_new"), form)
    second = client.post(reverse("web:organization_new"), form)

    organization = Organization.objects.get(name="Tuplaklikki Oy")
    assert first.status_code == second.status_code == 302
    assert second["Location"] == reverse("web:organization_detail", args=[organization.pk])


def test_sending_an_interaction_twice_adds_it_to_the_history_once(login, cast, person):
    client = login(cast.sales)
    card = client.get(reverse("web:person_card", args=[person.pk])).content.decode()
    form = {"kind": "call", "text": "Soitto tarjouksesta", "submission_token": _token(card)}
    url = reverse("web:interaction_new", args=[person.pk])

    client.post(url, form)
    second = client.post(url, form)

    assert second.status_code == 302
    assert Interaction.objects.filter(person=person).count() == 1
