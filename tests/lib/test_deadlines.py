from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekisteri.lib.deadlines import ExtensionRefused, add_months, check_extension, response_due


@pytest.mark.parametrize(
    ("received", "extension", "due"),
    [
        (date(2026, 1, 15), 0, date(2026, 2, 15)),
        (date(2026, 1, 31), 0, date(2026, 2, 28)),  # month end, common year
        (date(2028, 1, 31), 0, date(2028, 2, 29)),  # leap year
        (date(2028, 1, 29), 0, date(2028, 2, 29)),
        (date(2026, 1, 29), 0, date(2026, 2, 28)),
        (date(2026, 3, 31), 0, date(2026, 4, 30)),
        (date(2026, 12, 31), 0, date(2027, 1, 31)),  # over the year end
        (date(2026, 2, 28), 0, date(2026, 3, 28)),
        (date(2026, 1, 31), 1, date(2026, 3, 31)),
        (date(2026, 1, 31), 2, date(2026, 4, 30)),
        (date(2027, 11, 30), 2, date(2028, 2, 29)),  # extension into a leap February
        (date(2026, 11, 30), 2, date(2027, 2, 28)),
    ],
)
def test_deadline_table(received, extension, due):
    assert response_due(received, extension) == due


@pytest.mark.parametrize("months", [-1, 3])
def test_the_deadline_cannot_be_extended_beyond_two_months(months):
    with pytest.raises(ValueError):
        response_due(date(2026, 1, 1), months)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)), st.integers(0, 30))
def test_adding_months_never_goes_backwards_and_lands_in_the_right_month(start, months):
    result = add_months(start, months)
    assert result >= start
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    assert result.day <= start.day


def test_an_extension_told_on_the_last_day_of_the_first_month_is_accepted():
    extension = check_extension(
        received=date(2026, 1, 31), months=2, reason="Complex request", notified_on=date(2026, 2, 28)
    )
    assert extension.due == date(2026, 4, 30)


def test_it_refuses_extension_after_first_month():
    with pytest.raises(ExtensionRefused, match="within the first month"):
        check_extension(received=date(2026, 1, 31), months=1, reason="Complex", notified_on=date(2026, 3, 1))


def test_it_refuses_an_extension_without_reasons():
    with pytest.raises(ExtensionRefused, match="reasons"):
        check_extension(received=date(2026, 1, 1), months=1, reason="  ", notified_on=date(2026, 1, 5))


def test_it_refuses_more_than_two_months_in_all():
    check_extension(
        received=date(2026, 1, 1),
        months=1,
        reason="Volume",
        notified_on=date(2026, 1, 5),
        already_extended_months=1,
    )
    with pytest.raises(ExtensionRefused, match="at most 2"):
        check_extension(
            received=date(2026, 1, 1),
            months=1,
            reason="Volume",
            notified_on=date(2026, 1, 5),
            already_extended_months=2,
        )
    with pytest.raises(ExtensionRefused, match="at most 2"):
        check_extension(received=date(2026, 1, 1), months=3, reason="Volume", notified_on=date(2026, 1, 5))


def test_it_refuses_a_notification_before_receipt():
    with pytest.raises(ExtensionRefused):
        check_extension(received=date(2026, 1, 10), months=1, reason="x", notified_on=date(2026, 1, 9))
