"""Art. 16 and 19: a correction records before and after, and lists the recipients to notify."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from rekisteri.errors import codes
from rekisteri.people.models import Person
from rekisteri.people.restriction import ProcessingRestricted
from rekisteri.people.services import person_update
from rekisteri.privacy.disclosure import disclosure_recipients, disclosure_record
from rekisteri.privacy.models import GroupCompany, Rectification
from rekisteri.rights.fulfilment import rectification_apply, request_fulfil, restriction_apply
from rekisteri.rights.models import RequestType, Status
from rekisteri.rights.tests.fulfil_helpers import (
    ANNA_EMAIL,
    assert_ids_only,
    events,
    html_of,
    mails_to,
    officer,
    verified_request,
)


@pytest.fixture
def disclosed(person, system_actor):
    """Anna's name and e-mail went to a group company and to the newsletter processor."""
    defsec = GroupCompany.objects.get(name="Insta DefSec Oy")
    disclosure_record(
        actor=system_actor, person=person, recipient_company=defsec, categories=["name", "email"]
    )
    disclosure_record(
        actor=system_actor, person=person, recipient_name="Uutiskirjepalvelu Oy", categories=["email"]
    )
    return person


def test_a_correction_is_made_and_recorded_with_the_values_before_and_after(disclosed, cast):
    request = verified_request(actor=officer(cast), type=RequestType.RECTIFICATION, language="en")

    result = request_fulfil(
        actor=officer(cast),
        request=request,
        changes={
            "last_name": "Korhonen",
            "email": "anna.korhonen@testi.fi",
            "title": "Hankintapäällikkö",
        },
    )

    assert result.status == Status.FULFILLED
    person = Person.objects.get(pk=disclosed.pk)
    assert (person.last_name, person.email) == ("Korhonen", "anna.korhonen@testi.fi")
    record = Rectification.objects.get(person=person)
    assert record.fields == ["last_name", "email"]  # the title did not change
    assert json.loads(record.before) == {"last_name": "Virtanen", "email": ANNA_EMAIL}
    assert json.loads(record.after) == {"last_name": "Korhonen", "email": "anna.korhonen@testi.fi"}
    assert record.request_id == request.pk
    assert sorted(record.recipients) == ["Insta DefSec Oy", "Uutiskirjepalvelu Oy"]
    assert "Insta DefSec Oy" in result.decision and "Uutiskirjepalvelu Oy" in result.decision
    (message,) = mails_to(ANNA_EMAIL)  # the requester's verified address, not the new one
    assert "We have corrected your data" in message.body
    assert "Last name" in message.body and "E-mail" in message.body
    assert "Uutiskirjepalvelu Oy" in message.body and "Art. 19" in message.body
    assert "Insta DefSec Oy" in html_of(message)
    (event,) = events(action="rectify")
    assert json.loads(event.detail)["fields"] == ["last_name", "email"]
    assert_ids_only("Virtanen", "Korhonen", ANNA_EMAIL, "anna.korhonen")


def test_the_values_before_and_after_are_encrypted_at_rest(person, cast):
    request = verified_request(actor=officer(cast), type=RequestType.RECTIFICATION)
    record = rectification_apply(actor=officer(cast), request=request, changes={"last_name": "Korhonen"})
    with connection.cursor() as cursor:
        cursor.execute("SELECT before, after FROM privacy_rectification WHERE id = %s", [record.pk.hex])
        row = cursor.fetchone()
    if row is None:  # PostgreSQL stores the uuid natively
        with connection.cursor() as cursor:
            cursor.execute("SELECT before, after FROM privacy_rectification WHERE id = %s", [record.pk])
            row = cursor.fetchone()
    assert b"Virtanen" not in bytes(row[0]) and b"Korhonen" not in bytes(row[1])


def test_the_recipients_are_listed_once_each_with_every_category_they_received(disclosed):
    recipients = {item["recipient"]: item for item in disclosure_recipients(disclosed.pk)}
    assert recipients["Insta DefSec Oy"]["categories"] == ["email", "name"]
    assert recipients["Uutiskirjepalvelu Oy"]["categories"] == ["email"]
    assert recipients["Uutiskirjepalvelu Oy"]["group_company_id"] is None


def test_a_disclosure_must_name_its_recipient_and_known_categories(person, system_actor):
    with pytest.raises(ValidationError) as error:
        disclosure_record(actor=system_actor, person=person, categories=["name"])
    assert "recipient" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        disclosure_record(actor=system_actor, person=person, recipient_name="X Oy", categories=["shoe_size"])
    assert "categories" in error.value.message_dict


def test_a_rectification_without_changes_is_refused_and_the_request_stays_open(person, cast):
    request = verified_request(actor=officer(cast), type=RequestType.RECTIFICATION)
    with pytest.raises(ValidationError) as error:
        request_fulfil(actor=officer(cast), request=request)
    assert "changes" in error.value.message_dict
    request.refresh_from_db()
    assert request.status == Status.NEW


def test_values_already_recorded_change_nothing_and_write_nothing(person, cast):
    request = verified_request(actor=officer(cast), type=RequestType.RECTIFICATION)
    with pytest.raises(ValidationError) as error:
        request_fulfil(actor=officer(cast), request=request, changes={"last_name": "Virtanen"})
    assert codes(error.value) == {"changes": ["rectification.unchanged"]}
    assert not Rectification.objects.exists()
    assert events(action="change", object_type="person") == []
    request.refresh_from_db()
    assert request.status == Status.NEW


def test_invalid_values_are_refused_with_the_field_named(person, cast):
    request = verified_request(actor=officer(cast), type=RequestType.RECTIFICATION)
    with pytest.raises(ValidationError) as error:
        request_fulfil(actor=officer(cast), request=request, changes={"email": "not an address"})
    assert "email" in error.value.message_dict
    assert Person.objects.get(pk=person.pk).email == ANNA_EMAIL
    assert not Rectification.objects.exists()


def test_a_restricted_person_can_be_corrected_at_their_own_request_only(person, cast):
    restriction_apply(actor=officer(cast), person=person, reason="Oikeellisuus kiistetty (18(1)(a))")
    with pytest.raises(ProcessingRestricted):
        person_update(actor=officer(cast), person=person, last_name="Korhonen")

    request = verified_request(actor=officer(cast), type=RequestType.RECTIFICATION)
    result = request_fulfil(actor=officer(cast), request=request, changes={"last_name": "Korhonen"})

    assert result.status == Status.FULFILLED
    person = Person.objects.get(pk=person.pk)
    assert person.last_name == "Korhonen"
    assert person.restricted_at is not None  # still restricted: lifting is its own decision
