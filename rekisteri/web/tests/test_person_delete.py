import json

import pytest
from django.urls import reverse

from rekisteri.contacts.services import interaction_create
from rekisteri.people.models import Person
from rekisteri.web.tests.conftest import events

pytestmark = pytest.mark.django_db


def test_the_card_offers_deletion_only_to_roles_allowed_to_delete(login, cast, person):
    url = reverse("web:person_delete", args=[person.pk])
    card = reverse("web:person_card", args=[person.pk])

    assert url in login(cast.privacy_officer).get(card).content.decode()
    assert url not in login(cast.sales).get(card).content.decode()


def test_deleting_needs_a_confirmation(login, cast, person):
    url = reverse("web:person_delete", args=[person.pk])
    client = login(cast.privacy_officer)
    assert client.get(url).status_code == 200

    response = client.post(url, {"reason": "erasure_request"})

    assert response.status_code == 200
    assert 'id="id_confirm_error"' in response.content.decode()
    assert Person.objects.filter(pk=person.pk).exists()


def test_a_confirmed_delete_removes_the_person_and_their_history_and_is_audited(
    login, cast, person, system_actor
):
    interaction_create(actor=system_actor, person=person, kind="note", text="Poistettava.")

    response = login(cast.privacy_officer).post(
        reverse("web:person_delete", args=[person.pk]), {"reason": "erasure_request", "confirm": "on"}
    )

    assert response.status_code == 302
    assert not Person.objects.filter(pk=person.pk).exists()
    [event] = events(action="erase", object_type="person")
    assert event.actor_user_id == cast.privacy_officer.pk
    assert json.loads(event.detail)["reason"] == "erasure_request"


def test_a_role_without_delete_permission_gets_403_and_the_person_stays(login, cast, person):
    response = login(cast.sales).post(
        reverse("web:person_delete", args=[person.pk]), {"reason": "duplicate", "confirm": "on"}
    )

    assert response.status_code == 403
    assert Person.objects.filter(pk=person.pk).exists()


def test_deletion_is_a_post_with_a_fixed_reason(login, cast, person):
    response = login(cast.admin).post(
        reverse("web:person_delete", args=[person.pk]), {"reason": "Anna asked by phone", "confirm": "on"}
    )

    assert response.status_code == 200
    assert Person.objects.filter(pk=person.pk).exists()
