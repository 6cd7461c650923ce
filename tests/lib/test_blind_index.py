"""Blind indexes: folding, name terms, domain separation, sizing and the re-check."""

import math
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekisteri.lib.blind_index import (
    _INVISIBLE_RE,
    DEFAULT_BITS,
    KIND_NAME_PREFIX,
    KIND_NAME_WORD,
    MAX_BITS,
    MIN_BITS,
    BlindIndexer,
    continuations,
    entries_match,
    expected_collisions,
    fold,
    generate_index_key,
    name_chunks,
    name_forms,
    name_matches,
    phone_query_digits,
    recommended_bits,
)

KEY = bytes(range(32))
# The default width: 3-letter ranges of 18 bits and six 7-bit levels of longer prefixes, so a
# chance collision among these few names is about one in 2**18 or rarer (and fixed by the key).
WIDE = BlindIndexer(KEY, bits=DEFAULT_BITS)


def found(query: str, entries) -> bool:
    return entries_match(WIDE.query_terms(query), entries)


# --------------------------------------------------------------------------- folding


@pytest.mark.parametrize(
    "text,folded",
    [
        ("ÄÄKKÖNEN", "ääkkönen"),
        ("Åsa", "åsa"),
        ("A\u0308A\u0308KKO\u0308NEN", "ääkkönen"),  # decomposed input
        ("\u212bngström", "ångström"),  # the Ångström sign
        ("José Müller", "jose muller"),
        ("Straße", "strasse"),
        ("Søren Ærø", "sören ärö"),
        ("Łukasz Yıldız", "lukasz yildiz"),
        ("  Anna \t\n Liisa  ", "anna liisa"),
        ("Li\u00adsa\u200b", "lisa"),  # soft hyphen and zero-width space
        ("ﬁnn", "finn"),
        ("Йосиф", "йосиф"),  # marks on other scripts are letters, kept
    ],
)
def test_fold_gives_the_documented_canonical_form(text, folded):
    assert fold(text) == folded


def test_fold_keeps_finnish_letters_distinct_from_their_base_letters():
    assert fold("a") != fold("ä")
    assert fold("o") != fold("ö")
    assert fold("a") != fold("å")
    assert fold("Määttä") != fold("Maatta")


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet="aäåoöAÄÅOÖéÉ -'", max_size=20))
def test_fold_agrees_with_lower_case_for_finnish_text(text):
    assert fold(text.upper()) == fold(text.lower())


def test_every_invisible_format_character_is_removed():
    format_chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    assert [c for c in format_chars if not _INVISIBLE_RE.fullmatch(c)] == []


# --------------------------------------------------------------------------- name terms


def test_a_compound_name_yields_its_words_the_whole_and_the_compact_form():
    assert name_forms("Anna-Liisa") == {"anna", "liisa", "anna-liisa", "annaliisa"}
    assert name_forms("O\u2019Brien") == {"o", "brien", "o'brien", "obrien"}  # typographic apostrophe


def test_other_punctuation_separates_words():
    assert name_chunks("J.R.R. Tolkien, Jr") == ["j", "r", "r", "tolkien", "jr"]


def test_prefixes_of_two_or_more_letters_match_and_one_letter_does_not():
    terms = WIDE.index_name_terms("Virtanen", None)
    for prefix in ["vi", "Vi", "vir", "virt", "virtane", "virtanen", "VIRT"]:
        assert found(prefix, terms), prefix
    assert not found("v", terms)  # one letter is a whole word (an initial)
    assert not found("irt", terms)  # prefixes only, not infixes
    assert not found("va", terms)


def test_a_two_letter_chunk_is_the_whole_word_or_any_three_letter_prefix_it_begins():
    [alternatives] = WIDE.query_terms("vi")
    assert alternatives[0] == WIDE.chunk_range("vi")  # the word "Vi" itself
    assert {WIDE.chunk_range("vir"), WIDE.chunk_range("viä"), WIDE.chunk_range("vio")} <= set(alternatives)
    assert len(alternatives) == 1 + len(continuations("vi"))
    assert found("vi", WIDE.index_name_terms("Vi")) and found("vi", WIDE.index_name_terms("Viðar"))


@pytest.mark.parametrize(
    ("chunk", "script"), [("vi", "abcåäöðþ"), ("ив", "абвяё"), ("ελ", "αβγάώ"), ("12", "0129")]
)
def test_continuations_follow_the_script_of_the_chunk(chunk, script):
    assert set(script) <= set(continuations(chunk))


def test_a_two_letter_chunk_of_another_script_is_a_whole_word():
    assert continuations("王伟") == ""
    assert WIDE.query_terms("王伟") == [(WIDE.chunk_range("王伟"),)]


def test_short_words_are_found_as_whole_words():
    terms = WIDE.index_name_terms("Li", "Ek")
    assert found("li", terms)
    assert found("ek li", terms)
    assert not found("e", terms)


def test_finnish_names_are_found_whatever_the_case():
    terms = WIDE.index_name_terms("Åsa", "ÄÄKKÖNEN")
    assert found("åsa ääkkö", terms)
    assert found("ÅSA Ääkkönen", terms)
    assert not found("aakkonen", terms)
    assert not found("asa", terms)


def test_compound_names_are_found_by_part_whole_or_compact_form():
    terms = WIDE.index_name_terms("Anna-Liisa", "Virtanen")
    for query in ["liisa", "anna-li", "annali", "anna liisa", "Anna–Liisa", "virt anna"]:
        assert found(query, terms), query


def test_whole_word_search_finds_candidates_by_prefix_and_the_re_check_decides():
    terms = WIDE.index_name_terms("Virtanen", None)
    assert found("virtanen", terms) and name_matches("virtanen", "Virtanen", prefixes=False)
    assert found("virta", terms) and not name_matches("virta", "Virtanen", prefixes=False)


def test_one_entry_per_name_form():
    assert len(WIDE.index_name_terms("Virtanen", None)) == 1
    assert len(WIDE.index_name_terms("Anna-Liisa", "Virtanen")) == 5  # anna, liisa, anna-liisa, annaliisa


def test_longer_prefixes_narrow_the_range_and_stay_inside_the_shorter_ones():
    ranges = [WIDE.query_terms("virtanen"[:end])[0][0] for end in range(3, 9)]
    for wider, narrower in zip(ranges, ranges[1:], strict=False):
        assert wider.low <= narrower.low <= narrower.high <= wider.high
        assert narrower.high - narrower.low < wider.high - wider.low
    assert not found("virk", WIDE.index_name_terms("Virtanen"))


def test_a_name_shorter_than_the_query_is_not_a_candidate():
    assert found("matti", WIDE.index_name_terms("Matti"))
    assert not found("mattila", WIDE.index_name_terms("Matti"))
    assert found("matti", WIDE.index_name_terms("Mattila"))


def test_a_query_without_letters_or_digits_searches_nothing():
    assert WIDE.query_terms(" -- '' ... ") == []
    assert not name_matches(" -- ", "Anna")


def test_words_longer_than_the_last_level_are_coded_by_their_first_letters():
    assert WIDE.max_prefix == 9  # 18 bits for 3 letters + six levels of 7 bits
    long_name = "a" * 40 + "b"
    terms = WIDE.index_name_terms(long_name)
    assert found(long_name, terms)
    assert found("a" * 40 + "c", terms)  # a false positive the re-check removes
    assert not name_matches("a" * 40 + "c", long_name)


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäöABCÅÄÖéü -'", max_size=25)


@given(first=names, last=names, data=st.data())
def test_the_index_never_misses_a_name_the_re_check_accepts(first, last, data):
    forms = sorted(name_forms(first, last))
    pieces = []
    for _ in range(data.draw(st.integers(0, 3))):
        if forms:
            form = data.draw(st.sampled_from(forms))
            pieces.append(form[: data.draw(st.integers(1, len(form)))].upper())
    query = " ".join(pieces) + data.draw(st.sampled_from(["", " x", " zzz"]))
    if name_matches(query, first, last):
        assert found(query, WIDE.index_name_terms(first, last))
    if pieces and all(len(piece) >= 2 for piece in pieces) and not query.endswith(("x", "zzz")):
        assert name_matches(query, first, last)


@given(first=names, last=names, query=names)
def test_the_re_check_and_the_index_agree_on_arbitrary_queries(first, last, query):
    if name_matches(query, first, last):
        assert found(query, WIDE.index_name_terms(first, last))


# --------------------------------------------------------------------------- keys, kinds, widths


def test_the_same_string_gives_different_values_as_email_phone_and_name():
    value = "anna"
    kinds = {
        WIDE.index_email(value),
        WIDE.index_phone(value),
        WIDE.value(KIND_NAME_WORD, value),
        WIDE.value(KIND_NAME_PREFIX, value),
    }
    assert len(kinds) == 4


def test_values_are_deterministic_under_one_key_and_differ_under_another():
    again = BlindIndexer(bytes(range(32)), bits=DEFAULT_BITS)
    other = BlindIndexer(generate_index_key(), bits=MAX_BITS)
    assert WIDE.index_email("anna@testi.fi") == again.index_email("anna@testi.fi")
    assert WIDE.index_name_terms("Anna", "Virtanen") == again.index_name_terms("Anna", "Virtanen")
    assert WIDE.index_email("anna@testi.fi") != other.index_email("anna@testi.fi")
    assert WIDE.index_phone("+358401234567") != other.index_phone("+358401234567")


def test_email_lookup_ignores_case_and_surrounding_space():
    assert WIDE.index_email(" Anna.Virtanen@Testi.FI ") == WIDE.index_email("anna.virtanen@testi.fi")


@pytest.mark.parametrize("bits", [MIN_BITS, DEFAULT_BITS, 40, MAX_BITS])
def test_values_fit_the_configured_width(bits):
    indexer = BlindIndexer(KEY, bits=bits)
    names = indexer.index_name_terms("Anna-Liisa", "Ääkkönen", "Li")
    assert all(0 <= value < 2**63 for _, value in names)  # fits a signed bigint column
    assert all(value < 2**bits for kind, value in names if kind == KIND_NAME_WORD)
    assert 0 <= indexer.index_email("a@b.fi") < 2 ** (indexer.domain_bits + indexer.address_bits) <= 2**63
    assert 0 <= indexer.index_phone("+358401234567") < 2 ** (bits + 7 * indexer.phone_levels) <= 2**63
    for query in ("ann", "ääkkönen", "li"):
        for term_range in indexer.query_terms(query)[0]:
            assert 0 <= term_range.low <= term_range.high < 2**63


@pytest.mark.parametrize("bits", [MIN_BITS - 1, MAX_BITS + 1])
def test_widths_outside_the_safe_range_are_refused(bits):
    with pytest.raises(ValueError):
        BlindIndexer(KEY, bits=bits)


def test_a_short_key_is_refused():
    with pytest.raises(ValueError):
        BlindIndexer(b"too short", bits=DEFAULT_BITS)


def test_the_default_width_suits_a_million_rows():
    assert DEFAULT_BITS == 18
    assert 2 <= expected_collisions(1_000_000, DEFAULT_BITS) <= math.sqrt(1_000_000)


@pytest.mark.parametrize("rows", [2**17, 300_000, 1_000_000, 15_000_000, 10**9, 2**40])
def test_recommended_bits_keep_between_two_and_sqrt_r_collisions(rows):
    collisions = expected_collisions(rows, recommended_bits(rows))
    assert 2 <= collisions <= math.sqrt(rows)


def test_recommended_bits_have_a_floor_for_small_registers():
    assert recommended_bits(1) == MIN_BITS
    assert recommended_bits(5_000) == MIN_BITS
    with pytest.raises(ValueError):
        recommended_bits(0)


# --------------------------------------------------------------------------- e-mail and phone codes


def test_an_address_is_one_value_inside_its_domains_range():
    domain = WIDE.email_domain_range("testi.fi")
    anna, ville = WIDE.index_email("Anna.Virtanen@Testi.FI"), WIDE.index_email("ville@testi.fi")
    assert anna != ville
    assert domain.low <= anna <= domain.high and domain.low <= ville <= domain.high
    elsewhere = WIDE.index_email("anna.virtanen@testi.com")
    assert not domain.low <= elsewhere <= domain.high


def test_a_phone_prefix_is_a_range_holding_every_number_that_begins_with_it():
    numbers = ["+358407721234", "+358407729999", "+358401234567", "+35845123456"]
    entries = {number: WIDE.index_phone(number) for number in numbers}
    block = WIDE.phone_range("35840772")
    assert {n for n, value in entries.items() if block.low <= value <= block.high} == set(numbers[:2])
    operator = WIDE.phone_range("35840")
    assert {n for n, value in entries.items() if operator.low <= value <= operator.high} == set(numbers[:3])


def test_digits_past_the_ninth_are_left_to_the_re_check():
    assert WIDE.max_phone_prefix == 9
    assert WIDE.index_phone("+358407721234") == WIDE.index_phone("+358407721999")
    assert WIDE.phone_range("358407721234") == WIDE.phone_range("358407721")


@pytest.mark.parametrize(
    ("query", "digits"),
    [
        ("040 772", "35840772"),
        ("+35845", "35845"),
        ("+358 45", "35845"),
        ("00358 45 12", "3584512"),
        ("358 40 772", "35840772"),
        ("(040) 772-12", "3584077212"),
        ("+358 (0)40 772", "35840772"),
        ("+46 70 123", "4670123"),
    ],
)
def test_a_partial_phone_number_in_any_common_format_gives_its_e164_digits(query, digits):
    assert phone_query_digits(query) == digits


@pytest.mark.parametrize("query", ["04", "+358", "40 772", "040 + 772", "Anna 040", "+0401234", "", "1" * 20])
def test_too_short_or_ambiguous_phone_prefixes_are_no_query(query):
    assert phone_query_digits(query) is None
