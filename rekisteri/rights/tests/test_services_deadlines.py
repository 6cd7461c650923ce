"""Art. 12(3) deadlines through the services: one month from receipt, extendable by two
further months only with reasons told to the requester within the first month."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from rekisteri.audit.models import AuditEvent
from rekisteri.rights.models import Status, Verification
from rekisteri.rights.services import (
    TransitionRefused,
    request_create,
    request_extend,
    request_withdraw,
)

pytestmark = pytest.mark.django_db


def _request(system_actor, received: date, **fields):
    return request_create(
        actor=system_actor,
        type="access",
        channel="letter",
        received_on=received,
        verification=Verification.ID_DOCUMENT,
        **fields,
    )


def _extend(system_actor, request, months: int, notified_on: date, reason: str = "Many systems to search."):
    return request_extend(
        actor=system_actor,
        request=request,
        months=months,
        reason=reason,
        notified_on=notified_on,
        notified_via="email",
    )


def _field_errors(excinfo) -> dict:
    with translation.override("en"):  # as the CLI and the API read them
        return excinfo.value.message_dict


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2025, 1, 31), date(2025, 2, 28)),  # month end into a short February
        (date(2024, 1, 31), date(2024, 2, 29)),  # ... of a leap year
        (date(2023, 1, 29), date(2023, 2, 28)),  # no 29 February in 2023
        (date(2024, 1, 29), date(2024, 2, 29)),
        (date(2024, 2, 29), date(2024, 3, 29)),  # from a leap day
        (date(2024, 3, 31), date(2024, 4, 30)),  # into a 30-day month
        (date(2024, 8, 31), date(2024, 9, 30)),
        (date(2024, 12, 15), date(2025, 1, 15)),  # over the year end
        (date(2024, 12, 31), date(2025, 1, 31)),
        (date(2025, 6, 1), date(2025, 7, 1)),
    ],
)
def test_a_request_is_due_one_calendar_month_after_receipt(system_actor, received, due):
    request = _request(system_actor, received)
    request.refresh_from_db()
    assert request.due_on == due
    assert request.extension_months == 0


@pytest.mark.parametrize(
    ("received", "months", "notified_on", "due"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 10), date(2025, 3, 31)),
        (date(2025, 1, 31), 2, date(2025, 2, 28), date(2025, 4, 30)),  # told on the last day
        (date(2024, 1, 31), 1, date(2024, 2, 29), date(2024, 3, 31)),  # leap year
        (date(2023, 11, 30), 2, date(2023, 12, 1), date(2024, 2, 29)),  # into a leap February
        (date(2022, 11, 30), 2, date(2022, 11, 30), date(2023, 2, 28)),  # told on receipt
        (date(2024, 12, 31), 1, date(2025, 1, 2), date(2025, 2, 28)),
    ],
)
def test_an_extension_told_within_the_first_month_moves_the_due_date(
    system_actor, received, months, notified_on, due
):
    request = _extend(system_actor, _request(system_actor, received), months, notified_on)
    request.refresh_from_db()
    assert request.due_on == due
    assert request.extension_months == months
    assert request.extension_notified_on == notified_on


def test_two_extensions_of_one_month_make_two_months(system_actor):
    request = _request(system_actor, date(2025, 1, 31))
    _extend(system_actor, request, 1, date(2025, 2, 3))
    request = _extend(system_actor, request, 1, date(2025, 2, 20), reason="A second system too.")
    request.refresh_from_db()
    assert request.extension_months == 2
    assert request.due_on == date(2025, 4, 30)
    assert request.extension_reason == "Many systems to search.\nA second system too."


def test_it_refuses_a_third_month_after_two(system_actor):
    request = _extend(system_actor, _request(system_actor, date(2025, 1, 31)), 2, date(2025, 2, 3))
    with pytest.raises(ValidationError) as excinfo:
        _extend(system_actor, request, 1, date(2025, 2, 5))
    assert "extension" in _field_errors(excinfo)
    assert "at most 2" in _field_errors(excinfo)["extension"][0]
    request.refresh_from_db()
    assert (request.extension_months, request.due_on) == (2, date(2025, 4, 30))


def test_it_refuses_three_months_at_once(system_actor):
    request = _request(system_actor, date(2025, 1, 31))
    with pytest.raises(ValidationError) as excinfo:
        _extend(system_actor, request, 3, date(2025, 2, 3))
    assert "extension" in _field_errors(excinfo)
    request.refresh_from_db()
    assert (request.extension_months, request.due_on) == (0, date(2025, 2, 28))


def test_it_refuses_a_second_extension_that_would_make_three_months(system_actor):
    request = _extend(system_actor, _request(system_actor, date(2025, 1, 31)), 1, date(2025, 2, 3))
    with pytest.raises(ValidationError) as excinfo:
        _extend(system_actor, request, 2, date(2025, 2, 4))
    assert "extension" in _field_errors(excinfo)
    request.refresh_from_db()
    assert (request.extension_months, request.due_on) == (1, date(2025, 3, 31))


def test_it_refuses_an_extension_of_zero_months(system_actor):
    request = _request(system_actor, date(2025, 1, 31))
    with pytest.raises(ValidationError) as excinfo:
        _extend(system_actor, request, 0, date(2025, 2, 3))
    assert "extension" in _field_errors(excinfo)


@pytest.mark.parametrize(
    ("received", "notified_on"),
    [
        (date(2025, 1, 31), date(2025, 3, 1)),  # the month ended on 28 February
        (date(2024, 1, 31), date(2024, 3, 1)),  # ... on 29 February in a leap year
        (date(2025, 3, 15), date(2025, 4, 16)),
    ],
)
def test_it_refuses_an_extension_told_after_the_first_month(system_actor, received, notified_on):
    request = _request(system_actor, received)
    with pytest.raises(ValidationError) as excinfo:
        _extend(system_actor, request, 1, notified_on)
    assert "first month" in _field_errors(excinfo)["extension"][0]
    request.refresh_from_db()
    assert request.extension_months == 0
    assert request.extension_notified_on is None


def test_it_refuses_an_extension_told_before_the_request_was_received(system_actor):
    request = _request(system_actor, date(2025, 1, 31))
    with pytest.raises(ValidationError) as excinfo:
        _extend(system_actor, request, 1, date(2025, 1, 30))
    assert "extension" in _field_errors(excinfo)


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_it_refuses_an_extension_without_reasons(system_actor, reason):
    request = _request(system_actor, date(2025, 1, 31))
    with pytest.raises(ValidationError) as excinfo:
        _extend(system_actor, request, 1, date(2025, 2, 3), reason=reason)
    assert "reasons" in _field_errors(excinfo)["extension"][0]
    request.refresh_from_db()
    assert request.extension_months == 0
    assert request.extension_reason == ""


def test_it_refuses_a_notification_date_in_the_future(system_actor):
    request = _request(system_actor, date(2025, 1, 31))
    with pytest.raises(ValidationError) as excinfo:
        _extend(system_actor, request, 1, date(2999, 1, 1))
    assert "notified_on" in _field_errors(excinfo)


def test_it_refuses_an_unknown_way_of_telling(system_actor):
    request = _request(system_actor, date(2025, 1, 31))
    with pytest.raises(ValidationError) as excinfo:
        request_extend(
            actor=system_actor,
            request=request,
            months=1,
            reason="Busy.",
            notified_on=date(2025, 2, 1),
            notified_via="pigeon",
        )
    assert "notified_via" in _field_errors(excinfo)


def test_it_records_when_and_how_the_requester_was_told_and_audits_no_reasons(system_actor):
    request = _request(system_actor, date(2025, 1, 31))
    request = request_extend(
        actor=system_actor,
        request=request,
        months=2,
        reason="Archived letters must be searched by hand.",
        notified_on=date(2025, 2, 12),
        notified_via="letter",
    )
    request.refresh_from_db()
    assert request.extension_notified_on == date(2025, 2, 12)
    assert request.extension_notified_via == "letter"
    assert request.extension_reason == "Archived letters must be searched by hand."
    event = AuditEvent.objects.filter(action="extend").get()
    assert event.object_ids == f'["{request.pk}"]'
    assert '"months":2' in event.detail and '"notified_via":"letter"' in event.detail
    assert "Archived" not in event.detail


def test_a_closed_request_cannot_be_extended(system_actor):
    request = request_withdraw(actor=system_actor, request=_request(system_actor, date(2025, 1, 31)))
    with pytest.raises(TransitionRefused):
        _extend(system_actor, request, 1, date(2025, 2, 3))
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN
    assert request.extension_months == 0
