import pytest

from rekisteri.rights.models import Channel, RequestType, Verification
from rekisteri.rights.services import (
    TransitionRefused,
    request_assign,
    request_charge_fee,
    request_create,
    request_withdraw,
)

pytestmark = pytest.mark.django_db


def _closed_request(actor):
    request = request_create(
        actor=actor,
        type=RequestType.ACCESS,
        channel=Channel.LETTER,
        name="Kirje",
        verification=Verification.ID_DOCUMENT,
    )
    return request_withdraw(actor=actor, request=request)


def test_a_closed_request_cannot_be_charged_a_fee(system_actor):
    request = _closed_request(system_actor)
    with pytest.raises(TransitionRefused):
        request_charge_fee(actor=system_actor, request=request, cents=1500, reason="Repetitive requests")
    request.refresh_from_db()
    assert request.fee_cents is None


def test_a_closed_request_cannot_be_reassigned(system_actor, cast):
    request = _closed_request(system_actor)
    with pytest.raises(TransitionRefused):
        request_assign(actor=system_actor, request=request, assignee=cast.privacy_officer)
    request.refresh_from_db()
    assert request.assignee is None
