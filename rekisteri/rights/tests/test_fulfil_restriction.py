"""Art. 18: a restricted person's data is only stored until the restriction is lifted with reasons."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from rekisteri.accounts.services import token_create
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import interaction_create, tracking_event_record
from rekisteri.people.models import Person
from rekisteri.people.restriction import ProcessingRestricted, persons_marketable, persons_processable
from rekisteri.people.services import person_update
from rekisteri.privacy.services import basis_set, source_add
from rekisteri.rights.fulfilment import access_package, request_fulfil, restriction_apply, restriction_lift
from rekisteri.rights.models import RequestType, Status
from rekisteri.rights.tests.fulfil_helpers import (
    ANNA_EMAIL,
    assert_ids_only,
    events,
    mails_to,
    officer,
    verified_request,
)


@pytest.fixture
def restricted(person, cast):
    request = verified_request(
        actor=officer(cast),
        type=RequestType.RESTRICTION,
        language="en",
        details="Puhelinnumeroni on väärä, selvittäkää se ensin.",
    )
    result = request_fulfil(actor=officer(cast), request=request)
    assert result.status == Status.FULFILLED
    return Person.objects.get(pk=person.pk)


def test_the_person_is_marked_restricted_with_the_reasons_and_the_requester_is_told(restricted):
    assert restricted.restricted_at is not None
    assert restricted.is_restricted
    assert "Art. 18" in restricted.restriction_reason
    assert "Puhelinnumeroni on väärä" in restricted.restriction_reason
    (message,) = mails_to(ANNA_EMAIL)
    assert "We have restricted the processing of your data" in message.body
    (event,) = events(action="restrict")
    assert json.loads(event.person_ids) == [str(restricted.pk)]
    assert_ids_only("Puhelinnumeroni", "Virtanen", ANNA_EMAIL)


def test_every_processing_path_refuses_a_restricted_person(restricted, system_actor):
    with pytest.raises(ProcessingRestricted):
        person_update(actor=system_actor, person=restricted, title="Johtaja")
    with pytest.raises(ProcessingRestricted):
        interaction_create(actor=system_actor, person=restricted, kind="call", text="Soitto")
    with pytest.raises(ProcessingRestricted):
        basis_set(actor=system_actor, person=restricted, purpose="training", basis="contract")
    with pytest.raises(ProcessingRestricted):
        source_add(actor=system_actor, person=restricted, kind="public_source")
    with pytest.raises(ProcessingRestricted):
        tracking_event_record(actor=system_actor, person=restricted, kind="web_visit")
    assert Person.objects.get(pk=restricted.pk).title == "Hankintapäällikkö"
    assert not Interaction.objects.exists()


def test_a_stale_copy_of_the_person_can_neither_skip_nor_undo_the_restriction(person, cast, system_actor):
    stale = Person.objects.get(pk=person.pk)
    restriction_apply(actor=officer(cast), person=person, reason="Kiistetty")
    with pytest.raises(ProcessingRestricted):
        person_update(actor=system_actor, person=stale, title="Johtaja")
    assert Person.objects.get(pk=person.pk).restricted_at is not None


def test_the_person_is_left_out_of_exports_and_marketing_but_gets_their_access_package(
    restricted, organization, system_actor, cast
):
    from rekisteri.people.services import person_create

    other = person_create(actor=system_actor, first_name="Olli", last_name="Muu", organization=organization)
    assert list(persons_processable().values_list("pk", flat=True)) == [other.pk]
    assert list(persons_marketable(Person.objects.all()).values_list("pk", flat=True)) == [other.pk]
    package = access_package(actor=officer(cast), person_id=restricted.pk)
    assert package["person_id"] == str(restricted.pk)


def test_lifting_needs_reasons_and_tells_the_requester(restricted, cast, system_actor):
    with pytest.raises(ValidationError):
        restriction_lift(actor=officer(cast), person=restricted, reason="  ")

    lifted = restriction_lift(
        actor=officer(cast), person=restricted, reason="Numero tarkistettu ja korjattu."
    )

    assert lifted.restricted_at is None
    assert lifted.restriction_lifted_at is not None
    assert lifted.restriction_lift_reason == "Numero tarkistettu ja korjattu."
    notice = mails_to(ANNA_EMAIL)[-1]
    assert "has been lifted" in notice.subject
    assert "Numero tarkistettu ja korjattu." in notice.body  # Art. 18(3)
    person_update(actor=system_actor, person=lifted, title="Johtaja")  # processing works again
    assert events(action="restriction_lift")
    with pytest.raises(ValidationError):
        restriction_lift(actor=officer(cast), person=lifted, reason="Uudestaan")


def test_the_api_answers_409_restricted_for_a_processing_action(restricted, cast, system_actor):
    # Only the privacy officer still finds a restricted person; even they may not process it.
    raw = token_create(actor=system_actor, user=cast.privacy_officer, name="test")[1]
    client = Client()
    response = client.patch(
        f"/api/v1/persons/{restricted.pk}",
        json.dumps({"title": "Johtaja"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "restricted"
    assert "Art. 18" in body["detail"]
    assert Person.objects.get(pk=restricted.pk).title == "Hankintapäällikkö"


def test_the_person_card_shows_the_privacy_officer_a_banner_and_others_nothing(restricted, cast):
    client = Client()
    client.force_login(cast.privacy_officer, backend="django.contrib.auth.backends.ModelBackend")

    card = client.get(reverse("web:person_card", args=[restricted.pk]))
    assert card.status_code == 200
    assert "message--warning" in card.content.decode()
    assert "tietosuoja-asetuksen 18 artikla" in card.content.decode()  # Finnish by default

    # Art. 18: for every other role the person is only stored: no card without a stated legal
    # reason (the page asks for one and shows nothing of the person), no form.
    sales = Client()
    sales.force_login(cast.sales, backend="django.contrib.auth.backends.ModelBackend")
    asked = sales.get(reverse("web:person_card", args=[restricted.pk]))
    assert asked.status_code == 403 and "restricted-read" in asked.content.decode()
    assert restricted.last_name not in asked.content.decode()
    response = sales.post(
        reverse("web:interaction_new", args=[restricted.pk]), {"kind": "call", "text": "Soitto"}
    )
    assert response.status_code == 404
    assert not Interaction.objects.exists()
