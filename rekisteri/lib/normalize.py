"""Normalisers for e-mail addresses, phone numbers and business IDs.

Each returns the canonical stored form or raises NormalizationError with a message fit
to show a user. They are pure functions, so property tests can exercise them directly.
"""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import exceptions as stdnum_exceptions
from stdnum import get_cc_module
from stdnum.fi import ytunnus

DEFAULT_PHONE_REGION = "FI"


class NormalizationError(ValueError):
    """The value cannot be normalised; the message explains why, in English."""


def normalize_email(value: str) -> str:
    """Validate syntax and return the address with its domain lower-cased (IDNA-normalised).

    The local part keeps its case as RFC 5321 allows case-sensitive local parts; lookups
    compare case-insensitively through `email_lookup_key`.
    """
    value = (value or "").strip()
    if not value:
        raise NormalizationError("Enter an e-mail address.")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise NormalizationError(f"Enter a valid e-mail address ({exc}).") from None
    return result.normalized


def email_lookup_key(value: str) -> str:
    """The form used for exact lookups: normalised and case-folded."""
    return normalize_email(value).casefold()


def normalize_phone(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """Parse a phone number (Finnish national format accepted) and return it in E.164."""
    value = (value or "").strip()
    if not value:
        raise NormalizationError("Enter a phone number.")
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise NormalizationError(
            "Enter a valid phone number, for example 040 772 3002 or +358 40 772 3002."
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise NormalizationError("This phone number is not valid. Check the digits and the country code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """A readable international form of a stored E.164 number."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


def normalize_business_id(value: str, country: str = "FI") -> str:
    """Validate a business ID for its country and return its canonical form.

    Finland: the Y-tunnus with its check digit, formatted 1234567-1. Other countries: a
    value that starts with the country prefix claims to be a VAT number and is checked with
    python-stdnum's VAT module for that country; other foreign company numbers (which
    stdnum does not cover for every country) are kept compact and upper-cased.
    """
    value = (value or "").strip()
    country = (country or "FI").strip().upper()
    if not value:
        raise NormalizationError("Enter a business ID.")
    if len(country) != 2 or not country.isalpha():
        raise NormalizationError("The country must be a two-letter code such as FI or SE.")
    if country == "FI":
        try:
            return ytunnus.format(ytunnus.validate(value))
        except stdnum_exceptions.ValidationError:
            raise NormalizationError(
                "This is not a valid Finnish business ID (Y-tunnus): use the form 1234567-8 "
                "with a correct check digit."
            ) from None
    compact = "".join(value.split()).upper()
    if not 2 <= len(compact) <= 32 or not all(ch.isalnum() or ch in "-./" for ch in compact):
        raise NormalizationError(
            "A foreign business ID must be 2-32 letters, digits, dots, dashes or slashes."
        )
    vat = get_cc_module(country.lower(), "vat")
    if vat is not None and compact.startswith(country):
        try:
            return vat.compact(vat.validate(compact))
        except stdnum_exceptions.ValidationError:
            raise NormalizationError(f"This is not a valid VAT number for country {country}.") from None
    return compact
