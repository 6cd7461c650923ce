"""Art. 7(3): withdrawal of consent is immediate, recorded with its time; earlier processing stays."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from rekisteri.privacy.models import ProcessingBasis
from rekisteri.privacy.services import basis_set
from rekisteri.rights.fulfilment import request_fulfil
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
def anna(person, system_actor):
    basis_set(
        actor=system_actor,
        person=person,
        purpose="direct_marketing",
        basis="consent",
        valid_from=timezone.localdate() - timedelta(days=300),
    )
    basis_set(actor=system_actor, person=person, purpose="training", basis="consent")
    basis_set(actor=system_actor, person=person, purpose="customer_relationship", basis="contract")
    return person


def test_every_consent_ends_now_and_the_rows_stay(anna, cast):
    before = timezone.now()
    request = verified_request(actor=officer(cast), type=RequestType.CONSENT_WITHDRAWAL, language="en")

    result = request_fulfil(actor=officer(cast), request=request)

    assert result.status == Status.FULFILLED
    today = timezone.localdate()
    marketing = ProcessingBasis.objects.get(person=anna, purpose__slug="direct_marketing")
    assert marketing.valid_until == today
    assert marketing.valid_from == today - timedelta(days=300)  # the history is untouched
    assert marketing.withdrawn_at is not None and marketing.withdrawn_at >= before
    assert ProcessingBasis.objects.get(person=anna, purpose__slug="training").withdrawn_at is not None
    contract = ProcessingBasis.objects.get(person=anna, purpose__slug="customer_relationship")
    assert (contract.valid_until, contract.withdrawn_at) == (None, None)
    assert ProcessingBasis.objects.filter(person=anna).count() == 3
    (message,) = mails_to(ANNA_EMAIL)
    assert "withdrawal of your consent" in message.body
    assert "Targeting advertising and direct marketing" in message.body
    assert "Art. 7(3)" in message.body
    (event,) = events(action="consent_withdraw")
    assert sorted(json.loads(event.detail)["purposes"]) == ["direct_marketing", "training"]
    assert_ids_only("Anna", "Virtanen", ANNA_EMAIL)


def test_a_consent_that_was_to_start_later_ends_without_breaking_its_dates(person, cast, system_actor):
    basis_set(
        actor=system_actor,
        person=person,
        purpose="training",
        basis="consent",
        valid_from=timezone.localdate() + timedelta(days=10),
    )
    request = verified_request(actor=officer(cast), type=RequestType.CONSENT_WITHDRAWAL)
    request_fulfil(actor=officer(cast), request=request)
    basis = ProcessingBasis.objects.get(person=person)
    assert basis.valid_from == basis.valid_until == timezone.localdate()


def test_a_person_without_consents_is_told_there_was_nothing_to_withdraw(person, cast):
    request = verified_request(actor=officer(cast), type=RequestType.CONSENT_WITHDRAWAL, language="en")
    result = request_fulfil(actor=officer(cast), request=request)
    assert result.status == Status.FULFILLED
    (message,) = mails_to(ANNA_EMAIL)
    assert "nothing to withdraw" in message.body


def test_withdrawal_works_for_a_restricted_person_and_a_second_one_changes_nothing(anna, cast):
    from rekisteri.rights.fulfilment import restriction_apply

    restriction_apply(actor=officer(cast), person=anna, reason="Kiistetty")
    first = verified_request(actor=officer(cast), type=RequestType.CONSENT_WITHDRAWAL)
    request_fulfil(actor=officer(cast), request=first)
    stamped = {b.pk: b.withdrawn_at for b in ProcessingBasis.objects.filter(person=anna)}

    second = verified_request(actor=officer(cast), type=RequestType.CONSENT_WITHDRAWAL)
    request_fulfil(actor=officer(cast), request=second)
    assert {b.pk: b.withdrawn_at for b in ProcessingBasis.objects.filter(person=anna)} == stamped
