"""Property tests for the normalisers: canonical forms are stable and errors are clean."""

import re
import string

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rekisteri.lib.normalize import (
    NormalizationError,
    email_lookup_key,
    normalize_business_id,
    normalize_email,
    normalize_phone,
)
from tests.thoroughness import examples

local_parts = st.text(alphabet=string.ascii_letters + string.digits + "._-+", min_size=1, max_size=30).filter(
    lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s
)
domains = st.sampled_from(["insta.fi", "Example.COM", "yritys.fi", "sub.domain.org", "ÄÄKKÖSET.fi"])


@given(local=local_parts, domain=domains)
def test_email_normalisation_is_idempotent(local, domain):
    normalized = normalize_email(f"{local}@{domain}")
    assert normalize_email(normalized) == normalized
    assert normalized.split("@")[1] == normalized.split("@")[1].lower()


@given(local=local_parts, domain=domains)
def test_email_lookup_key_ignores_case_and_surrounding_space(local, domain):
    address = f"{local}@{domain}"
    assert email_lookup_key(f"  {address.upper()} ") == email_lookup_key(address)


@given(st.text(max_size=40))
def test_email_normaliser_either_returns_an_address_or_a_clean_error(text):
    try:
        result = normalize_email(text)
    except NormalizationError as exc:
        assert str(exc)
    else:
        assert "@" in result


@pytest.mark.parametrize("raw", ["no-at-sign", "a@b", "@insta.fi", "tero@", "two@@insta.fi", ""])
def test_malformed_addresses_are_refused(raw):
    with pytest.raises(NormalizationError):
        normalize_email(raw)


finnish_mobile = st.builds(
    lambda prefix, rest: f"04{prefix}{rest:07d}", st.sampled_from("0123456789"), st.integers(0, 9_999_999)
)


@given(number=finnish_mobile, style=st.sampled_from(["plain", "dash", "spaces", "intl", "intl00"]))
def test_finnish_mobile_numbers_in_any_common_format_give_one_e164(number, style):
    national = number
    formatted = {
        "plain": national,
        "dash": f"{national[:3]}-{national[3:]}",
        "spaces": f"{national[:3]} {national[3:6]} {national[6:]}",
        "intl": "+358 " + national[1:],
        "intl00": "00358" + national[1:],
    }[style]
    try:
        canonical = normalize_phone(national)
    except NormalizationError:
        return  # not every generated prefix is an allocated range
    assert normalize_phone(formatted) == canonical
    assert canonical.startswith("+358")
    assert normalize_phone(canonical) == canonical
    assert phonenumbers.is_valid_number(phonenumbers.parse(canonical))


def test_the_notice_s_representative_number_is_accepted():
    assert normalize_phone("040-772 3002") == "+358407723002"
    assert normalize_phone("020 771 7111") == "+358207717111"


@given(st.text(max_size=25))
def test_phone_normaliser_never_raises_anything_but_a_clean_error(text):
    try:
        result = normalize_phone(text)
    except NormalizationError as exc:
        assert str(exc)
    else:
        assert result.startswith("+") and result[1:].isdigit()


def _y_tunnus_check_digit(digits: str) -> str | None:
    """The rule from the field notes, written independently of python-stdnum."""
    remainder = sum(w * int(d) for w, d in zip((7, 9, 10, 5, 8, 4, 2), digits, strict=True)) % 11
    if remainder == 1:
        return None  # no valid check digit exists for this body
    return "0" if remainder == 0 else str(11 - remainder)


@given(st.integers(0, 9_999_999))
@settings(max_examples=examples(300))
def test_every_y_tunnus_with_its_check_digit_is_accepted_and_others_refused(body):
    digits = f"{body:07d}"
    check = _y_tunnus_check_digit(digits)
    for candidate in "0123456789":
        value = f"{digits}-{candidate}"
        if candidate == check:
            assert normalize_business_id(value) == value
            assert normalize_business_id(digits + candidate) == value
        else:
            with pytest.raises(NormalizationError):
                normalize_business_id(value)


@pytest.mark.parametrize("valid", ["0154088-5", "2077474-0", "0245974-7"])
def test_known_valid_business_ids(valid):
    assert normalize_business_id(valid) == valid


def test_the_issue_s_invalid_business_id_is_refused():
    with pytest.raises(NormalizationError, match="Y-tunnus"):
        normalize_business_id("1234567-8")


def test_a_wrong_check_digit_names_the_value_and_suggests_no_example():
    with pytest.raises(NormalizationError) as excinfo:
        normalize_business_id(" 1234567-8 ")

    assert str(excinfo.value) == (
        "The check digit of the business ID (Y-tunnus) 1234567-8 does not match: check the digits."
    )


@pytest.mark.parametrize("typed", ["123456-7", "abc", "1234567_8", "1234567-88"])
def test_a_malformed_business_id_names_the_value_and_a_valid_example(typed):
    with pytest.raises(NormalizationError) as excinfo:
        normalize_business_id(typed)

    message = str(excinfo.value)
    assert message.startswith(f"{typed} is not in the form of a Finnish business ID (Y-tunnus)")
    example = re.search(r"for example (\d{7}-\d)", message)[1]
    assert normalize_business_id(example) == example  # the example itself is valid


def test_a_very_long_value_is_cut_in_the_message():
    with pytest.raises(NormalizationError) as excinfo:
        normalize_business_id("9" * 200)

    assert len(str(excinfo.value)) < 200 and "…" in str(excinfo.value)


def test_foreign_business_ids_keep_their_country():
    assert normalize_business_id("556036-0793", "SE") == "556036-0793"
    with pytest.raises(NormalizationError):
        normalize_business_id("SE000000000000", "SE")
    with pytest.raises(NormalizationError):
        normalize_business_id("123", "Finland")
