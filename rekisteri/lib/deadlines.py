"""Deadline arithmetic for data-subject requests (GDPR Art. 12(3)).

"Without undue delay and in any event within one month of receipt", extendable "by two
further months where necessary", the extension to be told to the requester, with its
reasons, within the first month. A month is a calendar month: a request received on
31 January is due on the last day of February (28th, or 29th in a leap year), the rule
of Regulation 1182/71 art. 3(2)(c) that the EU applies to periods in months.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from rekisteri.lib.errors import CodedError, gettext_noop

MAX_EXTENSION_MONTHS = 2


def add_months(start: date, months: int) -> date:
    """The same day `months` calendar months later, clamped to the end of a shorter month."""
    if months < 0:
        raise ValueError("months must not be negative")
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def response_due(received: date, extension_months: int = 0) -> date:
    """The last day to answer: one month from receipt, plus any extension (Art. 12(3))."""
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"an extension is 0 to {MAX_EXTENSION_MONTHS} months")
    return add_months(received, 1 + extension_months)


class ExtensionRefused(CodedError):
    """The extension breaks a rule of Art. 12(3); the message says which."""


@dataclass(frozen=True)
class Extension:
    months: int
    reason: str
    notified_on: date
    due: date


def check_extension(
    *, received: date, months: int, reason: str, notified_on: date, already_extended_months: int = 0
) -> Extension:
    """Validate an extension and return the new due date, or raise ExtensionRefused."""
    total = already_extended_months + months
    if months < 1:
        raise ExtensionRefused("extension.too_short", gettext_noop("An extension is at least one month."))
    if total > MAX_EXTENSION_MONTHS:
        raise ExtensionRefused(
            "extension.too_long",
            # Art. 12(3) fixes the two months (MAX_EXTENSION_MONTHS).
            gettext_noop("The deadline can be extended by at most 2 further months in all (Art. 12(3))."),
        )
    if not reason or not reason.strip():
        raise ExtensionRefused(
            "extension.reason_required",
            gettext_noop("An extension needs its reasons, which the requester must be told (Art. 12(3))."),
        )
    first_month_ends = response_due(received)
    if notified_on < received:
        raise ExtensionRefused(
            "extension.told_before_received",
            gettext_noop("The requester cannot have been told before the request was received."),
        )
    if notified_on > first_month_ends:
        raise ExtensionRefused(
            "extension.told_late",
            gettext_noop(
                "The requester must be told of an extension within the first month, by %(day)s (Art. 12(3))."
            ),
            day=first_month_ends.isoformat(),
        )
    return Extension(
        months=months, reason=reason.strip(), notified_on=notified_on, due=response_due(received, total)
    )


# --- Retention periods (section 7) -------------------------------------------------------

_PERIOD = re.compile(r"^P(?:(\d{1,3})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?$")


@dataclass(frozen=True)
class Period:
    """An ISO 8601 duration of whole calendar units (PnYnMnWnD), as retention rules state them.

    Times of day (PT...) are not accepted: a retention period ends on a day.
    """

    months: int
    days: int
    text: str

    def after(self, start: date) -> date:
        """The day the period ends when it starts on `start` (months clamp to a shorter month)."""
        return add_months(start, self.months) + timedelta(days=self.days)

    def before(self, end: date) -> date:
        """The earliest start whose period ends on or before `end`, give or take the clamping
        of months: callers use it to narrow a search, then check each start with `after`."""
        month_index = end.year * 12 + end.month - 1 - self.months
        year, month = divmod(month_index, 12)
        day = min(end.day, calendar.monthrange(year, month + 1)[1])
        return date(year, month + 1, day) - timedelta(days=self.days)

    def longer_than(self, other: Period) -> bool:
        # Compared from a fixed day: a month is not a fixed number of days.
        reference = date(2000, 1, 1)
        return self.after(reference) > other.after(reference)

    def __str__(self) -> str:
        return self.text


def parse_period(text: str) -> Period:
    """Parse an ISO 8601 period such as P2Y, P6M, P1Y6M, P30D; ValueError otherwise."""
    match = _PERIOD.match((text or "").strip().upper())
    if match is None or not any(match.groups()):
        raise ValueError(f"not an ISO 8601 period of years, months, weeks and days: {text!r}")
    years, months, weeks, days = (int(value or 0) for value in match.groups())
    return Period(months=years * 12 + months, days=weeks * 7 + days, text=match.group(0))
