"""ISO 8601 retention periods (rekisteri.lib.deadlines.parse_period)."""

from datetime import date

import pytest

from rekisteri.lib.deadlines import parse_period


@pytest.mark.parametrize(
    "text, start, end",
    [
        ("P2Y", date(2024, 2, 29), date(2026, 2, 28)),  # a leap day clamps to the month's end
        ("P6M", date(2025, 8, 31), date(2026, 2, 28)),
        ("P1Y6M", date(2025, 1, 15), date(2026, 7, 15)),
        ("P30D", date(2025, 1, 15), date(2025, 2, 14)),
        ("P2W", date(2025, 1, 1), date(2025, 1, 15)),
        ("p3y", date(2020, 5, 5), date(2023, 5, 5)),
    ],
)
def test_a_period_ends_on_the_calendar_day(text, start, end):
    period = parse_period(text)
    assert period.after(start) == end
    assert period.before(end) <= start or period.after(period.before(end)) <= end


@pytest.mark.parametrize("text", ["", "P", "2Y", "PT5H", "P1.5Y", "P-1Y", "two years", "P2Y junk"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError):
        parse_period(text)


def test_periods_compare_by_calendar():
    assert parse_period("P25M").longer_than(parse_period("P2Y"))
    assert not parse_period("P24M").longer_than(parse_period("P2Y"))
    assert not parse_period("P730D").longer_than(parse_period("P2Y"))
