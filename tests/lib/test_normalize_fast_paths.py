"""The fast paths of normalize_email and normalize_phone give exactly the library's answer.

Each property test draws inputs from a fast path's grammar and from its near misses and
checks that the public normaliser returns the same value, or raises NormalizationError
with the same message, as the library path it short-cuts (`_normalize_*_slow`).
"""

import string

import email_validator
import phonenumbers
import pytest
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rekisteri.lib import normalize
from rekisteri.lib.normalize import (
    NormalizationError,
    _normalize_email_fast,
    _normalize_email_slow,
    _normalize_phone_fast,
    _normalize_phone_slow,
    normalize_email,
    normalize_phone,
)
from tests.thoroughness import examples

# The grammars get the most examples; near misses also have the exhaustive single-edit tests.
MANY = settings(max_examples=examples(2000))
SOME = settings(max_examples=examples(1000))


def outcome(function, *args):
    """The result or the error message, so a value and an error compare as different."""
    try:
        return "ok", function(*args)
    except NormalizationError as exc:
        return "error", str(exc)


def assert_email_matches_library(value):
    assert outcome(normalize_email, value) == outcome(_normalize_email_slow, value)


def assert_phone_matches_library(value, region="FI"):
    assert outcome(normalize_phone, value, region) == outcome(_normalize_phone_slow, value, region)


# --- e-mail -------------------------------------------------------------------------

ATEXT = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~"
LABEL_CHARS = string.ascii_letters + string.digits + "-"

atoms = st.text(alphabet=ATEXT, min_size=1, max_size=20)
plain_locals = st.lists(atoms, min_size=1, max_size=4).map(".".join)
edge_locals = st.one_of(
    st.sampled_from(CASE_INSENSITIVE_MAILBOX_NAMES).flatmap(
        lambda name: st.sampled_from([name, name.upper(), name.title(), name[:-1] + name[-1].upper()])
    ),
    # Around the 64-character limit the fast path enforces (the library does not).
    st.integers(60, 68).flatmap(lambda n: st.text(alphabet=ATEXT, min_size=n, max_size=n)),
)
plain_labels = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=8), min_size=1, max_size=3
).map("-".join)
edge_labels = st.one_of(
    st.text(alphabet=LABEL_CHARS, min_size=1, max_size=12),
    st.integers(61, 66).flatmap(lambda n: st.text(alphabet=LABEL_CHARS, min_size=n, max_size=n)),
    st.integers(61, 66).map(lambda n: "b" * n),  # around the 63-character label limit
    st.sampled_from(["xn--bcher-kva", "XN--p1ai", "ab--cd", "a-b", "-ab", "ab-", "a--b", "0", "123"]),
)
plain_tops = st.text(alphabet=string.ascii_letters, min_size=2, max_size=6)
edge_tops = st.one_of(
    st.text(alphabet=LABEL_CHARS, min_size=1, max_size=6),
    st.integers(62, 65).map(lambda n: "c" * n),
    st.sampled_from(email_validator.SPECIAL_USE_DOMAIN_NAMES).map(str.upper),
    st.sampled_from(email_validator.SPECIAL_USE_DOMAIN_NAMES + ["f", "xn--p1ai", "museum"]),
)


@st.composite
def addresses(draw):
    """Mostly fast-path addresses; each part is an edge case one time in four."""

    def part(plain, edge):
        return draw(edge if draw(st.integers(0, 3)) == 0 else plain)

    local = part(plain_locals, edge_locals)
    labels = [part(plain_labels, edge_labels) for _ in range(draw(st.integers(0, 3)))]
    return local + "@" + ".".join([*labels, part(plain_tops, edge_tops)])


@st.composite
def addresses_near_the_length_limit(draw):
    """Addresses of 250-258 characters, of labels short enough to pass on their own."""
    total = draw(st.integers(250, 258))
    local = draw(st.text(alphabet=ATEXT, min_size=1, max_size=64))
    remaining = total - len(local) - len("@") - len(".fi")
    labels = []
    while remaining > 63:
        size = 62 if remaining == 64 else 63  # 64 would leave an empty label after the dot
        labels.append(draw(st.sampled_from("dD7")) * size)
        remaining -= size + 1
    labels.append("e" * remaining)
    return local + "@" + ".".join(labels) + ".fi"


@st.composite
def mutated_addresses(draw):
    """A plausible address with one character inserted, deleted, replaced or re-cased."""
    value = draw(addresses())
    position = draw(st.integers(0, len(value)))
    noise = draw(st.sampled_from(list(' .@-_"<>[]()\\,;:\t\n') + ["ä", "\u200b", "＠", "\u0301", "ß"]))
    kind = draw(st.sampled_from(["insert", "delete", "replace", "swapcase", "pad"]))
    if kind == "insert":
        return value[:position] + noise + value[position:]
    if kind == "delete":
        return value[:position] + value[position + 1 :]
    if kind == "replace":
        return value[:position] + noise + value[position + 1 :]
    if kind == "swapcase":
        return value.swapcase()
    return f" {value}\t"


@MANY
@given(addresses())
@example("Matti.Virtanen@Example-Yritys.fi")
@example("Postmaster@Example.FI")
@example("a@b.c")
@example("a@b.TEST")
@example("a@sub.localhost")
@example("a@local")
@example("a@xn--bcher-kva.de")
@example("a@ab--cd.fi")
@example("a@" + "b" * 63 + ".fi")
@example("a@" + "b" * 64 + ".fi")
@example("a" * 64 + "@x.fi")
@example("a" * 65 + "@x.fi")
def test_email_fast_path_agrees_with_the_library_on_its_grammar(value):
    assert_email_matches_library(value)


@MANY
@given(addresses_near_the_length_limit())
def test_email_fast_path_agrees_with_the_library_at_the_length_limit(value):
    assert 250 <= len(value) <= 258
    assert_email_matches_library(value)


@SOME
@given(mutated_addresses())
def test_email_fast_path_agrees_with_the_library_on_near_misses(value):
    assert_email_matches_library(value)


@SOME
@given(st.text(alphabet=string.printable, max_size=60) | st.text(max_size=30))
def test_email_fast_path_agrees_with_the_library_on_random_text(value):
    assert_email_matches_library(value)


ODD_CHARACTERS = string.printable + "äÄß\u00a0\u200b\u0301＠﹫。．"


def single_character_edits(value):
    """Every character of ODD_CHARACTERS inserted at, and substituted for, every position."""
    for position in range(len(value) + 1):
        for character in ODD_CHARACTERS:
            yield value[:position] + character + value[position:]
            yield value[:position] + character + value[position + 1 :]


def test_email_fast_path_agrees_with_the_library_on_every_single_character_edit():
    for value in single_character_edits("Ab.c@De-f.Gh"):
        assert_email_matches_library(value)


def test_a_typical_address_takes_the_fast_path(monkeypatch):
    def refuse(value):
        raise AssertionError("the library path was taken")

    monkeypatch.setattr(normalize, "_normalize_email_slow", refuse)
    assert normalize_email(" Matti.Virtanen@Example-Yritys.fi ") == "Matti.Virtanen@example-yritys.fi"
    assert normalize_email("INFO@Yritys.FI") == "info@yritys.fi"


@pytest.mark.parametrize(
    "value", ["a@b.test", "a@x.invalid", "ä@x.fi", "a@xn--bcher-kva.de", "a@[127.0.0.1]", "a" * 65 + "@x.fi"]
)
def test_the_fast_path_leaves_unusual_addresses_to_the_library(value):
    assert _normalize_email_fast(value) is None


def test_the_special_use_list_is_read_from_the_library_each_time(monkeypatch):
    monkeypatch.setattr(email_validator, "SPECIAL_USE_DOMAIN_NAMES", ["yritys.fi"])
    assert _normalize_email_fast("a@Sub.Yritys.FI") is None
    assert _normalize_email_fast("a@yritys.fi") is None
    assert _normalize_email_fast("a@myyritys.fi") == "a@myyritys.fi"


# --- phone --------------------------------------------------------------------------

# Separators the fast path strips, and others that phonenumbers treats in its own ways.
PLAIN_SEPARATORS = ["", "", " ", "-", ".", "(", ")", "/", " - "]
ODD_SEPARATORS = ["\t", "\u00a0", "x", "#", ",", ";", "~", "+", "*", "[", "\u2013", "a"]
PLAIN_PREFIXES = ["+358", "0"]
ODD_PREFIXES = ["00358", "358", "+3580", "+358 (0)", "00", "000", "+", "+35", "+359", "", "99358", "0358"]

digit_strings = st.text(alphabet=string.digits, min_size=5, max_size=15)
# Starts of allocated Finnish ranges (mobile, Helsinki, service, toll-free) and Åland (18).
finnish_starts = st.sampled_from(
    ["40", "41", "44", "45", "46", "50", "9", "20", "800", "18", "181", "1", "3"]
)
plausible_national = st.builds(
    lambda start, rest: start + rest, finnish_starts, st.text(alphabet=string.digits, min_size=3, max_size=9)
)


@st.composite
def formatted_numbers(draw, national=digit_strings, odd=False):
    """A prefix and national digits with separators between characters; odd ones if asked."""
    prefixes = PLAIN_PREFIXES + ODD_PREFIXES if odd else PLAIN_PREFIXES
    separators = PLAIN_SEPARATORS + ODD_SEPARATORS if odd else PLAIN_SEPARATORS
    raw = draw(st.sampled_from(prefixes)) + draw(national)
    pieces = [draw(st.sampled_from(separators)) if draw(st.integers(0, 3)) == 0 else "" for _ in raw]
    lead = draw(st.sampled_from(["", "", " ", "("]))
    return lead + "".join(c + s for c, s in zip(raw, pieces, strict=True))


@MANY
@given(formatted_numbers(plausible_national))
@example("040 772 3002")
@example("+358 40 772 3002")
@example("(09) 1234 5678")
@example("018 123 45")
@example("+358 18 123 45")
@example("040/772.3002")
@example("+358 (0)40 772 3002")
def test_phone_fast_path_agrees_with_the_library_on_finnish_numbers(value):
    assert_phone_matches_library(value)


@SOME
@given(formatted_numbers() | formatted_numbers(odd=True) | formatted_numbers(plausible_national, odd=True))
def test_phone_fast_path_agrees_with_the_library_on_random_digits_and_near_misses(value):
    assert_phone_matches_library(value)


@settings(max_examples=examples(500))
@given(
    formatted_numbers(plausible_national),
    st.sampled_from(["SE", "AX", "fi", "US", None]),
)
def test_phone_fast_path_leaves_other_regions_to_the_library(value, region):
    assert _normalize_phone_fast(value, region) is None
    assert_phone_matches_library(value, region)


@SOME
@given(st.text(alphabet=string.digits + " -.()/+x#\t", max_size=30) | st.text(max_size=20))
def test_phone_fast_path_agrees_with_the_library_on_random_text(value):
    assert_phone_matches_library(value)


def test_long_padding_is_left_to_the_library():
    padded = "040" + " " * 300 + "7723002"
    assert _normalize_phone_fast(padded, "FI") is None
    assert_phone_matches_library(padded)


def test_phone_fast_path_agrees_with_the_library_on_every_single_character_edit():
    for value in [*single_character_edits("040 7723002"), *single_character_edits("+358 18 1234")]:
        assert_phone_matches_library(value)


def test_a_typical_number_takes_the_fast_path(monkeypatch):
    def refuse(value, region="FI"):
        raise AssertionError("the library path was taken")

    monkeypatch.setattr(normalize, "_normalize_phone_slow", refuse)
    assert normalize_phone("040 772 3002") == "+358407723002"
    assert normalize_phone("+358 40 772 3002") == "+358407723002"
    assert normalize_phone("018 123 45") == "+3581812345"  # Åland shares +358


@pytest.mark.parametrize(
    "value", ["+358 (0)40 772 3002", "00358 40 772 3002", "0040 772 3002", "040\t7723002"]
)
def test_the_fast_path_leaves_unusual_forms_to_the_library(value):
    assert _normalize_phone_fast(value, "FI") is None


def _library_says_valid(digits):
    return phonenumbers.is_valid_number(
        phonenumbers.PhoneNumber(country_code=358, national_number=int(digits))
    )


@MANY
@given(plausible_national | st.text(alphabet=string.digits, min_size=1, max_size=17).map(lambda d: "1" + d))
def test_the_finnish_validity_check_is_the_librarys(digits):
    assert normalize._is_valid_358(digits) == _library_says_valid(digits)


def test_the_finnish_validity_check_is_the_librarys_for_every_start_and_length():
    # Every 1-4 digit start of every length 5-12, the rest zeros and nines: each pattern's
    # decisions lie in its first digits and the length.
    for length in range(5, 13):
        for start in range(1, 10_000):
            head = str(start)
            if len(head) > length:
                break
            for fill in "09":
                digits = head + fill * (length - len(head))
                assert normalize._is_valid_358(digits) == _library_says_valid(digits), digits
