"""Art. 21: direct marketing stops at once and for good; legitimate interest goes to a decision."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from rekisteri.contacts.services import tracking_event_record
from rekisteri.people.models import Person
from rekisteri.people.restriction import MarketingObjected, persons_marketable
from rekisteri.privacy.models import ProcessingBasis
from rekisteri.privacy.services import basis_set
from rekisteri.rights.fulfilment import objection_decide, request_fulfil
from rekisteri.rights.models import ObjectionDecision, ObjectionStatus, RefusalKind, RequestType, Status
from rekisteri.rights.services import TransitionRefused
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
def anna(person, system_actor):
    basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    basis_set(
        actor=system_actor,
        person=person,
        purpose="customer_relationship",
        basis="legitimate_interest",
        interest_ground="employer_relationship",
    )
    basis_set(
        actor=system_actor,
        person=person,
        purpose="products_and_services",
        basis="legitimate_interest",
        interest_ground="prospect_interest",
    )
    basis_set(actor=system_actor, person=person, purpose="training", basis="contract")
    return person


def _basis(person, slug) -> ProcessingBasis:
    return ProcessingBasis.objects.get(person=person, purpose__slug=slug)


def test_an_objection_to_direct_marketing_stops_it_at_once_and_for_good(anna, cast, system_actor):
    request = verified_request(actor=officer(cast), type=RequestType.OBJECTION, language="en")

    result = request_fulfil(actor=officer(cast), request=request, objection_to=["direct_marketing"])

    assert result.status == Status.FULFILLED
    person = Person.objects.get(pk=anna.pk)
    assert person.marketing_objection_at is not None
    marketing = _basis(anna, "direct_marketing")
    assert marketing.valid_until == timezone.localdate()
    assert _basis(anna, "customer_relationship").valid_until is None  # not objected to
    assert not ObjectionDecision.objects.exists()
    assert list(persons_marketable()) == []
    # For good: no new consent, no other basis, no tracking for marketing.
    with pytest.raises(MarketingObjected):
        basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
    with pytest.raises(ValidationError):
        basis_set(
            actor=system_actor,
            person=person,
            purpose="direct_marketing",
            basis="legitimate_interest",
            interest_ground="contacted_us",
        )
    with pytest.raises(MarketingObjected):
        tracking_event_record(actor=system_actor, person=person, kind="newsletter_open")
    (message,) = mails_to(ANNA_EMAIL)
    assert "no longer process your data for direct marketing" in message.body
    (event,) = events(action="marketing_objection")
    assert json.loads(event.detail)["bases_ended"] == [str(marketing.pk)]
    assert_ids_only("Anna", "Virtanen", ANNA_EMAIL)


def test_an_objection_to_legitimate_interest_waits_for_the_privacy_officer(anna, cast):
    request = verified_request(actor=officer(cast), type=RequestType.OBJECTION)

    result = request_fulfil(actor=officer(cast), request=request)

    # By default: marketing stops at once, legitimate interest goes to a decision.
    assert result.status == Status.IN_PROGRESS
    assert Person.objects.get(pk=anna.pk).marketing_objection_at is not None
    decision = ObjectionDecision.objects.get(request=request)
    assert decision.status == ObjectionStatus.PENDING
    assert decision.purposes == ["customer_relationship", "products_and_services"]
    assert decision.person_id == anna.pk
    assert _basis(anna, "customer_relationship").valid_until is None
    assert mails_to(ANNA_EMAIL) == []


def test_the_officer_stops_the_processing_and_the_requester_gets_the_reasons(anna, cast):
    request = verified_request(actor=officer(cast), type=RequestType.OBJECTION, language="en")
    request_fulfil(actor=officer(cast), request=request, objection_to=["products_and_services"])
    decision = ObjectionDecision.objects.get(request=request)
    assert decision.purposes == ["products_and_services"]

    decided = objection_decide(
        actor=officer(cast),
        decision=decision,
        outcome=ObjectionStatus.PROCESSING_STOPPED,
        reasons="Ei painavia perusteita jatkaa.",
    )

    assert decided.status == ObjectionStatus.PROCESSING_STOPPED
    assert decided.decided_by == cast.privacy_officer and decided.decided_at is not None
    assert decided.reasons == "Ei painavia perusteita jatkaa."
    assert _basis(anna, "products_and_services").valid_until == timezone.localdate()
    assert _basis(anna, "customer_relationship").valid_until is None
    assert _basis(anna, "direct_marketing").valid_until is None  # not objected to this time
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    (message,) = mails_to(ANNA_EMAIL)
    assert "stopped processing your data" in message.body
    assert "Developing, offering, delivering" in message.body
    assert "Ei painavia perusteita jatkaa." in message.body
    assert "Ei painavia" in html_of(message)
    assert_ids_only("Ei painavia", ANNA_EMAIL)


def test_compelling_grounds_keep_the_processing_and_the_requester_gets_the_complaint_route(anna, cast):
    request = verified_request(actor=officer(cast), type=RequestType.OBJECTION, language="en")
    request_fulfil(actor=officer(cast), request=request, objection_to=["customer_relationship"])
    decision = ObjectionDecision.objects.get(request=request)

    objection_decide(
        actor=officer(cast),
        decision=decision,
        outcome=ObjectionStatus.COMPELLING_GROUNDS,
        reasons="Voimassa oleva toimitussopimus työnantajan kanssa.",
    )

    assert _basis(anna, "customer_relationship").valid_until is None
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    assert request.decision == "Voimassa oleva toimitussopimus työnantajan kanssa."
    (message,) = mails_to(ANNA_EMAIL)
    assert "compelling legitimate grounds" in message.body
    assert "Office of the Data Protection Ombudsman" in message.body
    with pytest.raises(TransitionRefused):
        objection_decide(
            actor=officer(cast), decision=decision, outcome=ObjectionStatus.PROCESSING_STOPPED, reasons="X"
        )


def test_a_decision_needs_an_outcome_and_reasons(anna, cast):
    request = verified_request(actor=officer(cast), type=RequestType.OBJECTION)
    request_fulfil(actor=officer(cast), request=request, objection_to=["customer_relationship"])
    decision = ObjectionDecision.objects.get(request=request)
    with pytest.raises(ValidationError):
        objection_decide(actor=officer(cast), decision=decision, outcome="maybe", reasons="x")
    with pytest.raises(ValidationError):
        objection_decide(
            actor=officer(cast), decision=decision, outcome=ObjectionStatus.COMPELLING_GROUNDS, reasons=""
        )
    decision.refresh_from_db()
    assert decision.status == ObjectionStatus.PENDING


def test_an_objection_to_processing_on_a_contract_is_refused_with_reasons(anna, cast):
    request = verified_request(actor=officer(cast), type=RequestType.OBJECTION, language="en")
    result = request_fulfil(actor=officer(cast), request=request, objection_to=["training"])

    assert result.status == Status.REFUSED
    assert result.refusal_kind == RefusalKind.NOT_APPLICABLE
    assert _basis(anna, "training").valid_until is None
    assert Person.objects.get(pk=anna.pk).marketing_objection_at is None
    (message,) = mails_to(ANNA_EMAIL)
    assert "Art. 21" in message.body
