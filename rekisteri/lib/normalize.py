"""Normalisers for e-mail addresses, phone numbers and business IDs.

Each returns the canonical stored form or raises NormalizationError with a message fit
to show a user. They are pure functions, so property tests can exercise them directly.

E-mail addresses and phone numbers are normalised on the hot path of bulk person
creation, where email_validator and phonenumbers would dominate (their cost per call is in
benchmarks/README.md). Each therefore has a fast path for the common shape (a plain ASCII address, a
Finnish number) that gives exactly the library's answer and hands everything else, every
error included, to the unchanged library path (`_normalize_email_slow`,
`_normalize_phone_slow`). tests/lib/test_normalize_fast_paths.py proves the equality with
property tests over the fast-path grammars and their near misses.
"""

from __future__ import annotations

import functools
import re

import email_validator
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from stdnum import exceptions as stdnum_exceptions
from stdnum import get_cc_module
from stdnum.fi import ytunnus

from rekisteri.lib.errors import CodedError, gettext_noop

DEFAULT_PHONE_REGION = "FI"


class NormalizationError(CodedError):
    """The value cannot be normalised: a stable `code` and a message, in English, that says why."""


# RFC 5322 3.2.3 atext, the characters of an unquoted local part besides the dots.
_ATEXT = "A-Za-z0-9!#$%&'*+\\-/=?^_`{|}~"
# A conservative subset of what email_validator accepts unchanged: a dot-atom local part
# and a domain of ASCII labels, each at most 63 characters (the lookahead), with inner
# hyphens only and never "--" (so no Punycode "xn--" and no RFC 5890 R-LDH labels, which
# the library decodes or refuses), ending in an alphabetic top-level label.
_FAST_EMAIL = re.compile(
    "(?P<local>[" + _ATEXT + "]+(?:\\.[" + _ATEXT + "]+)*)"
    "@(?P<domain>(?:(?![A-Za-z0-9-]{64})[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\\.)+[A-Za-z]{2,63})"
)
_EMAIL_MAX_LENGTH = 254  # RFC 5321 4.5.3.1.3; for ASCII, characters are octets
_LOCAL_PART_MAX_LENGTH = 64  # RFC 5321 4.5.3.1.1; the library checks it only when strict


def normalize_email(value: str) -> str:
    """Validate syntax and return the address with its domain lower-cased (IDNA-normalised).

    The local part keeps its case as RFC 5321 allows case-sensitive local parts; lookups
    compare case-insensitively through `email_lookup_key`. A plain ASCII address takes a
    fast path that returns what email_validator would; anything else goes to the library.
    """
    fast = _normalize_email_fast((value or "").strip())
    return fast if fast is not None else _normalize_email_slow(value)


def _normalize_email_fast(value: str) -> str | None:
    """The normalised form of a plain ASCII address, or None to let the library decide.

    Only returns for addresses email_validator accepts; every check below mirrors one of
    its rules for ASCII input. Its module-level options can only relax those rules, except
    `STRICT`, whose local-part length limit is enforced here anyway.
    """
    if len(value) > _EMAIL_MAX_LENGTH:
        return None
    match = _FAST_EMAIL.fullmatch(value)
    if match is None:
        return None
    local, domain = match.group("local", "domain")
    if len(local) > _LOCAL_PART_MAX_LENGTH:
        return None
    # UTS 46 mapping, which the library applies to the domain, only lower-cases ASCII.
    domain = domain.lower()
    if _is_special_use_domain(domain):
        return None
    # RFC 2142 role mailboxes are case-insensitive; the library lower-cases them.
    if local.lower() in CASE_INSENSITIVE_MAILBOX_NAMES:
        local = local.lower()
    return local + "@" + domain


def _is_special_use_domain(domain: str) -> bool:
    """Whether the library refuses the domain as special-use (the name or a subdomain of it).

    The list is read from the library on every call because it is public and may be
    changed; "." + domain ending in "." + name is the library's test, in one endswith.
    """
    names = email_validator.SPECIAL_USE_DOMAIN_NAMES
    if names != _special_use[0]:  # a list compare: cheaper than a tuple and a cache lookup
        _special_use[:] = [list(names), tuple("." + name for name in names)]
    return ("." + domain).endswith(_special_use[1])


# [the library's list as last seen, its names with a leading dot]
_special_use: list = [None, ()]


def _normalize_email_slow(value: str) -> str:
    """The library path: every address the fast path does not take, and every error."""
    value = (value or "").strip()
    if not value:
        raise NormalizationError("email.required", gettext_noop("Enter an e-mail address."))
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        # The library's reason is English only; the message names the form expected.
        raise NormalizationError(
            "email.invalid",
            gettext_noop("Enter a valid e-mail address, for example anna.virtanen@example.fi."),
        ) from None
    return result.normalized


def email_lookup_key(value: str) -> str:
    """The form used for exact lookups: normalised and case-folded."""
    return normalize_email(value).casefold()


# Formatting characters phonenumbers ignores anywhere in a number: all are in its valid
# punctuation and none can start an extension. (A tab, say, is not, so it stays slow.)
_PHONE_SEPARATORS = str.maketrans("", "", " -.()/")
# "+358" or the national prefix "0", then a national number of FI's lengths 5-12 that does
# not start with 0: after "+358" phonenumbers would strip or keep such a 0 depending on
# the rest, and "00" is the international prefix.
_FAST_FINNISH_PHONE = re.compile(r"(?:\+358|0)([1-9][0-9]{4,11})")
# Far below phonenumbers' 250-character input limit, and above any real formatted number.
_FAST_PHONE_MAX_INPUT = 40


def normalize_phone(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """Parse a phone number (Finnish national format accepted) and return it in E.164.

    A Finnish number takes a fast path that returns what phonenumbers would; anything else
    goes to the library.
    """
    fast = _normalize_phone_fast((value or "").strip(), region)
    return fast if fast is not None else _normalize_phone_slow(value, region)


def _normalize_phone_fast(value: str, region: str) -> str | None:
    """The E.164 form of a valid Finnish number, or None to let the library decide.

    For these inputs phonenumbers.parse yields country code 358 and exactly these national
    digits: "+358" needs no national prefix, and it strips a leading "0" whenever the rest
    has a possible length, which every valid number has. Validity still comes from
    phonenumbers, which also picks Åland (AX, +358 18) from the digits.
    """
    if region != "FI" or len(value) > _FAST_PHONE_MAX_INPUT:
        return None
    match = _FAST_FINNISH_PHONE.fullmatch(value.translate(_PHONE_SEPARATORS))
    if match is None:
        return None
    digits = match.group(1)
    if not _is_valid_358(digits):
        return None  # the library path words the error
    return "+358" + digits


def _is_valid_358(digits: str) -> bool:
    """phonenumbers.is_valid_number(PhoneNumber(358, int(digits))) for digits not starting
    with 0, from the library's own metadata and in its own order, with fewer regex calls.

    is_valid_number picks the region by leading digits (FI, then AX: +358 18 is Åland) and
    asks _number_type_helper for a type, which holds when the general pattern matches and
    then any type's pattern does (premium rate ... fixed line, then mobile unless it shares
    fixed line's pattern): up to eleven descriptions, each a length check and a regex. Here
    the descriptions that allow the number's length are one alternation, built once per
    region and length (_validity_patterns). The property tests of
    tests/lib/test_normalize_fast_paths.py hold it to is_valid_number.
    """
    for region, leading in _REGIONS_OF_358:
        if leading is not None and not leading.match(digits):
            continue
        general, types = _validity_patterns(region, len(digits))
        valid = (
            general is not None
            and types is not None
            and bool(general.fullmatch(digits) and types.fullmatch(digits))
        )
        # A region with leading digits claims the number by them alone; one without claims it
        # only where it is valid there, else the next region is asked (as the library does).
        if valid or leading is not None:
            return valid
    return False


# The library's region order for +358 with each region's leading-digits pattern.
_REGIONS_OF_358 = [
    (region, re.compile(metadata.leading_digits) if metadata.leading_digits is not None else None)
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[358]
    if (metadata := phonenumbers.PhoneMetadata.metadata_for_region(region)) is not None
]


@functools.lru_cache(maxsize=64)
def _validity_patterns(region: str, length: int) -> tuple[re.Pattern | None, re.Pattern | None]:
    """(general pattern, alternation of the type patterns) that can match `length` digits."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)

    def usable(desc) -> str | None:
        # As _is_number_matching_desc: no description, a length it does not allow or an
        # empty pattern never match; an empty list of lengths allows any length.
        if desc is None or not desc.national_number_pattern:
            return None
        if desc.possible_length and length not in desc.possible_length:
            return None
        return desc.national_number_pattern

    general = usable(metadata.general_desc)
    descs = [
        metadata.premium_rate,
        metadata.toll_free,
        metadata.shared_cost,
        metadata.voip,
        metadata.personal_number,
        metadata.pager,
        metadata.uan,
        metadata.voicemail,
        metadata.fixed_line,
    ]
    if not metadata.same_mobile_and_fixed_line_pattern:
        descs.append(metadata.mobile)
    types = [pattern for pattern in map(usable, descs) if pattern is not None]
    return (
        re.compile(general) if general is not None else None,
        re.compile("|".join(f"(?:{pattern})" for pattern in types)) if types else None,
    )


def _normalize_phone_slow(value: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """The library path: every number the fast path does not take, and every error."""
    value = (value or "").strip()
    if not value:
        raise NormalizationError("phone.required", gettext_noop("Enter a phone number."))
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise NormalizationError(
            "phone.unparsable",
            gettext_noop("Enter a valid phone number, for example 040 772 3002 or +358 40 772 3002."),
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise NormalizationError(
            "phone.invalid",
            gettext_noop("This phone number is not valid. Check the digits and the country code."),
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """A readable international form of a stored E.164 number."""
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


def _shown(value: str, limit: int = 40) -> str:
    """The user's own value, as typed, cut to a length an error message can carry."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def normalize_business_id(value: str, country: str = "FI") -> str:
    """Validate a business ID for its country and return its canonical form.

    Finland: the Y-tunnus with its check digit, formatted 0154088-5. Other countries: a
    value that starts with the country prefix claims to be a VAT number and is checked with
    python-stdnum's VAT module for that country; other foreign company numbers (which
    stdnum does not cover for every country) are kept compact and upper-cased.
    """
    value = (value or "").strip()
    country = (country or "FI").strip().upper()
    if not value:
        raise NormalizationError("business_id.required", gettext_noop("Enter a business ID."))
    if len(country) != 2 or not country.isalpha():
        raise NormalizationError(
            "business_id.country", gettext_noop("The country must be a two-letter code such as FI or SE.")
        )
    if country == "FI":
        try:
            return ytunnus.format(ytunnus.validate(value))
        except stdnum_exceptions.InvalidChecksum:
            # Name the value and the rule it breaks; an example here would invite a copy of it.
            raise NormalizationError(
                "business_id.check_digit",
                gettext_noop(
                    "The check digit of the business ID (Y-tunnus) %(value)s does not match: "
                    "check the digits."
                ),
                value=_shown(value),
            ) from None
        except stdnum_exceptions.ValidationError:
            raise NormalizationError(
                "business_id.form",
                gettext_noop(
                    "%(value)s is not in the form of a Finnish business ID (Y-tunnus): seven digits, "
                    "a dash and a check digit, for example 0154088-5."
                ),
                value=_shown(value),
            ) from None
    compact = "".join(value.split()).upper()
    if not 2 <= len(compact) <= 32 or not all(ch.isalnum() or ch in "-./" for ch in compact):
        raise NormalizationError(
            "business_id.foreign_form",
            gettext_noop("A foreign business ID must be 2-32 letters, digits, dots, dashes or slashes."),
        )
    vat = get_cc_module(country.lower(), "vat")
    if vat is not None and compact.startswith(country):
        try:
            return vat.compact(vat.validate(compact))
        except stdnum_exceptions.ValidationError:
            raise NormalizationError(
                "business_id.vat",
                gettext_noop("This is not a valid VAT number for country %(country)s."),
                country=country,
            ) from None
    return compact
