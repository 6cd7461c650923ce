"""Art. 20: the data the person provided, as JSON and CSV, where processing rests on consent or contract."""

from __future__ import annotations

import csv
import io
import json

import pytest

from rekisteri.contacts.services import interaction_create
from rekisteri.privacy.services import basis_set
from rekisteri.rights.fulfilment import NotApplicable, answer_content, portability_export, request_fulfil
from rekisteri.rights.models import RefusalKind, RequestAnswer, RequestType, Status
from rekisteri.rights.tests.fulfil_helpers import (
    ANNA_EMAIL,
    assert_ids_only,
    events,
    mails_to,
    officer,
    verified_request,
)


@pytest.fixture
def anna(person, system_actor):
    basis_set(actor=system_actor, person=person, purpose="training", basis="contract")
    interaction_create(actor=system_actor, person=person, kind="call", text="Soitto: kurssin aikataulu")
    return person


def test_the_export_holds_what_the_person_provided_in_json_and_csv(anna, cast):
    json_bytes, csv_bytes = portability_export(actor=officer(cast), person_id=anna.pk)

    document = json.loads(json_bytes)
    (record,) = document["data"]["people.Person"]
    assert record == {
        "first_name": "Anna",
        "last_name": "Virtanen",
        "email": ANNA_EMAIL,
        "phone": "+358401234567",
        "title": "Hankintapäällikkö",
        "self_given_info": "",
    }
    assert document["legal_bases"] == [{"purpose": "training", "basis": "contract"}]
    # Staff notes are not data the person provided (Art. 20(1)).
    assert "Soitto" not in json_bytes.decode()
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8"))))
    assert rows[0] == ["dataset", "record", "field", "value"]
    assert ["people.Person", "1", "email", ANNA_EMAIL] in rows
    assert ["people.Person", "1", "title", "Hankintapäällikkö"] in rows
    (event,) = events(action="export")
    assert json.loads(event.detail)["kind"] == "portability"
    assert_ids_only("Anna", "Virtanen", ANNA_EMAIL)


def test_a_consent_makes_the_right_apply_too(person, cast, system_actor):
    basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    json_bytes, _ = portability_export(actor=officer(cast), person_id=person.pk)
    assert json.loads(json_bytes)["legal_bases"] == [{"purpose": "direct_marketing", "basis": "consent"}]


def test_processing_on_legitimate_interest_alone_gives_no_portability(person, cast, system_actor):
    basis_set(
        actor=system_actor,
        person=person,
        purpose="customer_relationship",
        basis="legitimate_interest",
        interest_ground="contacted_us",
    )
    with pytest.raises(NotApplicable):
        portability_export(actor=officer(cast), person_id=person.pk)
    assert events(action="export") == []


def test_a_portal_request_is_answered_with_a_download_link_to_json_and_csv(anna, cast):
    request = verified_request(actor=officer(cast), type=RequestType.PORTABILITY, language="en")
    result = request_fulfil(actor=officer(cast), request=request)

    assert result.status == Status.FULFILLED
    assert (
        json.loads(answer_content(request=result, fmt="json"))["data"]["people.Person"][0]["first_name"]
        == "Anna"
    )
    assert b"dataset,record,field,value" in answer_content(request=result, fmt="csv")
    assert answer_content(request=result, fmt="html") is None
    assert RequestAnswer.objects.get(request=request).kind == "portability"
    (message,) = mails_to(ANNA_EMAIL)
    assert "machine-readable formats, JSON and CSV" in message.body
    assert "/portal/download/" in message.body


def test_a_request_without_consent_or_contract_is_refused_with_reasons(person, cast):
    request = verified_request(actor=officer(cast), type=RequestType.PORTABILITY, language="en")
    result = request_fulfil(actor=officer(cast), request=request)

    assert result.status == Status.REFUSED
    assert result.refusal_kind == RefusalKind.NOT_APPLICABLE
    assert "Art. 20(1)" in result.decision
    assert not RequestAnswer.objects.exists()
    assert not request.verification_links.filter(purpose="download").exists()
    (message,) = mails_to(ANNA_EMAIL)
    assert "Art. 20(1)" in message.body
    assert "Office of the Data Protection Ombudsman" in message.body
