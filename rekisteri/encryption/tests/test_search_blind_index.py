"""Finding encrypted persons through the blind index, and never showing a false positive.

The index stores truncated keyed hashes, so unrelated persons share index values by design
(CipherSweet's sizing). person_search decrypts every candidate and re-checks it; these tests
force real collisions at the narrowest width (16 bits) and forge index rows to prove it.
"""

from __future__ import annotations

import itertools
import json

import pytest

from rekisteri.audit.models import AuditEvent
from rekisteri.encryption.models import PersonSearchTerms, SearchTerm
from rekisteri.encryption.search import candidates_by_email, candidates_by_name, candidates_by_phone
from rekisteri.encryption.services import pack_terms, unpack_terms
from rekisteri.keystore.services import indexer, reset_state
from rekisteri.lib.blind_index import KIND_NAME_PREFIX, MIN_BITS
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_search
from rekisteri.people.services import person_create, person_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def add(system_actor):
    def make(first_name: str, last_name: str, **fields) -> Person:
        return person_create(actor=system_actor, first_name=first_name, last_name=last_name, **fields)

    return make


@pytest.fixture
def search(system_actor):
    """search(query) -> the ids person_search returns, as a set (its order is by name)."""

    def run(query: str, **kwargs) -> set:
        return {person.pk for person in person_search(actor=system_actor, query=query, **kwargs).results}

    return run


@pytest.fixture
def narrow(settings):
    """The narrowest index the settings allow: collisions become likely (and findable)."""
    settings.BLIND_INDEX_BITS = MIN_BITS
    reset_state()
    blind = indexer()
    assert blind.bits == 16
    return blind


def _candidates(queryset) -> set:
    return {row["person_id"] for row in queryset}


# --------------------------------------------------------------------------- what is found


def test_a_name_prefix_finds_the_person_with_a_a_o_folded_consistently(add, search):
    aakkonen = add("Äijä", "Ääkkönen")
    add("Aaro", "Aakkonen")  # a and ä are different letters in Finnish

    for query in ["ÄÄKK", "ääkk", "Ääk", "Ääkkö", "ÄÄKKÖNEN", "äij ääkk"]:
        assert search(query) == {aakkonen.pk}, query
    for query in ["ääkkonen", "Ääkkönenkin", "ääkk aaro"]:
        assert search(query) == set(), query
    assert aakkonen.pk not in search("aakk")


def test_case_and_other_accents_fold_but_finnish_letters_stay(add, search):
    ostlund = add("Åsa", "Östlund")
    zoe = add("Zoë", "Müller-Lüdenscheidt")

    assert search("ÅSA ÖST") == {ostlund.pk}
    assert search("asa") == set()  # å is not a
    assert search("zoe muller") == {zoe.pk}
    assert search("lüdensch") == {zoe.pk}


def test_two_letters_are_a_prefix_and_one_letter_a_whole_word(add, search):
    li = add("Li", "Wang")
    lisa = add("Lisa", "Lindqvist")
    ek = add("Eva", "Ek")
    j = add("J", "Virtanen")

    assert search("Li") == {li.pk, lisa.pk}  # the word "li" and every name beginning with it
    assert search("li wang") == {li.pk}
    assert search("LI") == {li.pk, lisa.pk}
    assert search("Lis") == {lisa.pk}
    assert search("Ek") == {ek.pk}
    assert search("Wa") == {li.pk}
    assert search("Vi") == {j.pk}
    assert search("j vi") == {j.pk}  # one letter: a whole word (an initial)
    assert search("e ek") == set()


def test_two_letters_find_names_continuing_in_any_finnish_or_nordic_letter(add, search):
    vaisanen, vardo, voyri, vaara = (add("Ville", name) for name in ["Väisänen", "Vårdö", "Vöyri", "Vaara"])
    thor = add("Þór", "Guðmundsson")

    assert search("vä") == {vaisanen.pk}
    assert search("vå") == {vardo.pk}
    assert search("vö") == {voyri.pk}
    assert search("va") == {vaara.pk}
    assert search("gu") == search("þó") == {thor.pk}


def test_two_letters_of_cyrillic_or_greek_find_names_of_that_script(add, search):
    ivan = add("Иван", "Петров")
    eleni = add("Ελένη", "Παπαδοπούλου")

    assert search("ив") == {ivan.pk}
    assert search("пе") == {ivan.pk}
    assert search("ελ") == {eleni.pk}
    assert search("πα") == {eleni.pk}


def test_every_word_of_the_query_must_match(add, search):
    anna = add("Anna", "Virtanen")
    add("Anna", "Mäkinen")

    assert search("ann virt") == {anna.pk}
    assert search("virtanen anna") == {anna.pk}
    assert search("ann mäk virt") == set()


def test_hyphenated_and_apostrophe_names_are_found_by_their_parts(add, search):
    anna_liisa = add("Anna-Liisa", "O'Brien")

    for query in ["liisa", "anna-liisa", "annaliisa", "anna-li", "brien", "o'brien", "obrien", "O’Brien"]:
        assert search(query) == {anna_liisa.pk}, query


def test_an_email_is_found_in_any_case_and_only_exactly(add, search):
    anna = add("Anna", "Virtanen", email="Anna.Virtanen@Testi.fi")

    for query in ["anna.virtanen@testi.fi", "ANNA.VIRTANEN@TESTI.FI", " Anna.Virtanen@testi.FI "]:
        assert search(query) == {anna.pk}, query
    for query in ["anna.virtanen@testi.com", "anna@testi.fi", "virtanen@testi.fi"]:
        assert search(query) == set(), query


def test_a_phone_is_found_in_national_and_international_format(add, search):
    anna = add("Anna", "Virtanen", phone="040 123 4567")
    office = add("Olli", "Oksanen", phone="+358 9 123 4567")

    for query in ["040 123 4567", "0401234567", "040-123 4567", "+358 40 123 4567", "+358401234567"]:
        assert search(query) == {anna.pk}, query
    assert search("00358 40 123 4567") == {anna.pk}
    assert search("09 123 4567") == {office.pk}
    assert search("040 123 4568") == set()


def test_the_search_audit_event_names_persons_not_the_query(add, search):
    anna = add("Anna", "Virtanen", email="anna.virtanen@testi.fi")

    search("anna.virtanen@testi.fi")

    event = AuditEvent.objects.filter(action="search").latest("seq")
    assert json.loads(event.person_ids) == [str(anna.pk)]
    assert "anna" not in (event.detail + event.object_ids).lower()


# --------------------------------------------------------------------------- false positives


def _colliding(value_of, target: int, candidates) -> str:
    """The first candidate string whose index value equals ``target`` (a real HMAC collision)."""
    for candidate in itertools.islice(candidates, 3_000_000):
        if value_of(candidate) == target:
            return candidate
    raise AssertionError("no collision found; is the index really 16 bits wide?")


def _three_letter_words():
    # Lower-case letters that fold to themselves (no final sigma): 90**3 = 729,000 words for
    # the 65,536 values of a 16-bit index.
    letters = "abcdefghijklmnopqrstuvwxyz" + "абвгдежзийклмнопрстуфхцчшщъыьэюя" + "αβγδεζηθικλμνξοπρστυφχψω"
    for chars in itertools.product(letters, repeat=3):
        yield "".join(chars)


def test_a_real_name_collision_is_a_candidate_but_never_a_result(narrow, add, search, system_actor):
    aakkonen = add("Äijä", "Ääkkönen")
    target = narrow.value(KIND_NAME_PREFIX, "ääk")
    # A made-up surname whose first three letters hash to the same 16-bit value as "ääk".
    prefix = _colliding(lambda w: narrow.value(KIND_NAME_PREFIX, w), target, _three_letter_words())
    # ...and whose 4-letter prefix does not also collide with "ääkk" (7 more bits: 1 in 128).
    [(four_letters,)] = narrow.query_terms("ääkk")
    word = next(
        prefix + c + "nen" for c in "abcdefgh" if not four_letters.matches(*narrow.name_entry(prefix + c))
    )
    impostor = add("Ilmari", word.capitalize())

    assert _candidates(candidates_by_name("ääk")) == {aakkonen.pk, impostor.pk}
    page = person_search(actor=system_actor, query="ääk")
    assert [p.pk for p in page.results] == [aakkonen.pk]
    assert page.total == 1
    assert search(word) == {impostor.pk}
    # The longer prefix levels tell the two apart: "ääkk" does not even make the impostor a candidate.
    assert _candidates(candidates_by_name("ääkk")) == {aakkonen.pk}


def test_a_real_email_collision_is_a_candidate_but_never_a_result(narrow, add, search):
    anna = add("Anna", "Virtanen", email="anna.virtanen@testi.fi")
    target = narrow.index_email("anna.virtanen@testi.fi")
    # The address level is 16 bits here: another address at the same domain hashing alike.
    email = _colliding(narrow.index_email, target, (f"x{n}@testi.fi" for n in itertools.count()))
    other = add("Eero", "Esimerkki", email=email)

    assert _candidates(candidates_by_email("anna.virtanen@testi.fi")) == {anna.pk, other.pk}
    assert search("ANNA.VIRTANEN@testi.fi") == {anna.pk}
    assert search(email) == {other.pk}


def test_a_number_sharing_the_coded_digits_is_a_candidate_but_never_a_result(narrow, add, search):
    anna = add("Anna", "Virtanen", phone="040 123 4567")
    # The index codes the first nine digits (358 40 123 4): this number has the same code.
    other = add("Eero", "Esimerkki", phone="040 123 4599")
    assert narrow.index_phone("+358401234567") == narrow.index_phone("+358401234599")

    assert _candidates(candidates_by_phone("358401234567")) == {anna.pk, other.pk}
    assert search("040 123 4567") == {anna.pk}
    assert search("040 123 45") == {anna.pk, other.pk}
    assert search("040 123 459") == {other.pk}


def test_many_persons_in_a_narrow_index_give_exactly_the_right_results(narrow, add, search):
    # 60 persons with ~20 name terms each in 65,536 buckets: collisions among them are
    # plausible; whatever the index returns, the results must be exactly the matches.
    first_names = ["Aino", "Eino", "Ilona", "Onni", "Ukko", "Yrjö", "Äni", "Öljy", "Aada", "Eetu"]
    last_names = ["Korhonen", "Koskinen", "Kettunen", "Kinnunen", "Karjalainen", "Kärkkäinen"]
    people = {
        add(first, last, email=f"{first}.{last}.{i}@testi.fi".lower()).pk: (first, last)
        for i, (first, last) in enumerate(itertools.product(first_names, last_names))
    }

    for query in ["kos", "korh", "kär", "kar", "ain kett", "yrjö kinn", "öljy", "aad kar", "eet kärk"]:
        expected = {
            pk
            for pk, (first, last) in people.items()
            if all(
                any(word.lower().startswith(part) for word in (first, last)) for part in query.lower().split()
            )
        }
        assert search(query, limit=200) == expected, query


def test_forged_index_rows_pointing_at_other_persons_never_reach_the_results(add, system_actor):
    anna = add("Anna", "Virtanen", email="anna.virtanen@testi.fi", phone="040 123 4567")
    others = [add(f"Muu{i}", f"Henkilö{i}", email=f"muu{i}@testi.fi") for i in range(5)]
    blind = indexer()
    forged = [
        SearchTerm(person=other, kind=kind, term=term)
        for other in others
        for kind, term in [
            (SearchTerm.Kind.NAME, blind.query_terms("virt")[0][0].low),
            (SearchTerm.Kind.NAME, blind.query_terms("ann")[0][0].low),
            (SearchTerm.Kind.EMAIL, blind.index_email("anna.virtanen@testi.fi")),
            (SearchTerm.Kind.PHONE, blind.index_phone("+358401234567")),
        ]
    ]
    SearchTerm.objects.bulk_create(forged)
    # The persons' lists of entries forged alike: a query of several words tests them.
    for other in others:
        listed = PersonSearchTerms.objects.get(person_id=other.pk)
        own = unpack_terms(listed.terms)
        listed.terms = pack_terms(own + [(row.kind, row.term) for row in forged if row.person_id == other.pk])
        listed.save()

    assert len(_candidates(candidates_by_name("ann virt"))) == 6
    for query in ["virt", "ann virt", "anna.virtanen@testi.fi", "040 123 4567"]:
        page = person_search(actor=system_actor, query=query)
        assert [p.pk for p in page.results] == [anna.pk], query
        assert page.total == 1


# --------------------------------------------------------------------------- keeping the index current


def test_changing_a_name_updates_the_index(add, search, system_actor):
    person = add("Anna", "Virtanen")

    person_update(actor=system_actor, person=person, last_name="Koskinen")

    assert search("virt") == set()
    assert search("kosk") == {person.pk}
    assert search("anna kosk") == {person.pk}
    assert _candidates(candidates_by_name("virt")) == set()  # the old terms are gone, not just filtered


def test_changing_email_and_phone_updates_the_index(add, search, system_actor):
    person = add("Anna", "Virtanen", email="anna@vanha.fi", phone="040 123 4567")

    person_update(actor=system_actor, person=person, email="anna@uusi.fi", phone="")

    assert search("anna@vanha.fi") == set()
    assert search("anna@uusi.fi") == {person.pk}
    assert search("040 123 4567") == set()
    assert not SearchTerm.objects.filter(person=person, kind=SearchTerm.Kind.PHONE).exists()


def test_the_index_holds_numbers_within_its_width_and_nothing_else(narrow, add):
    person = add("Anna", "Virtanen", email="anna.virtanen@testi.fi", phone="040 123 4567")

    terms = list(SearchTerm.objects.filter(person=person).values_list("kind", "term"))

    assert {kind for kind, _ in terms} == {
        SearchTerm.Kind.NAME,
        SearchTerm.Kind.EMAIL,
        SearchTerm.Kind.PHONE,
        SearchTerm.Kind.ADDRESS_HASH,
    }
    # The address hash (for the suppression list) is as wide as an e-mail code.
    [address_hash] = [term for kind, term in terms if kind == SearchTerm.Kind.ADDRESS_HASH]
    assert 0 <= address_hash < 2**32
    # An e-mail code: 16 bits of the domain, then 16 of the address. A phone code: 16 bits of
    # the first five digits, then 7 bits for each of the next four.
    [email] = [term for kind, term in terms if kind == SearchTerm.Kind.EMAIL]
    [phone] = [term for kind, term in terms if kind == SearchTerm.Kind.PHONE]
    assert 0 <= email < 2**32 and email >> 16 == narrow.email_domain_range("testi.fi").low >> 16
    assert 0 <= phone < 2 ** (16 + 28) and phone >> 28 == narrow.phone_range("35840").low >> 28
    # One prefix code per name form (anna, virtanen): 16 bits of the first three letters, then
    # 7 bits per longer prefix, in a signed 64-bit column.
    name_terms = [term for kind, term in terms if kind == SearchTerm.Kind.NAME]
    assert len(name_terms) == 2
    assert all(0 <= term < 2**63 and term >> (7 * narrow.levels) < 2**16 for term in name_terms)


# --------------------------------------------------------------------------- several words


def _pages(system_actor, query: str, limit: int) -> list[list]:
    """Every page of a search, in order, as the ids each one shows."""
    pages, offset = [], 0
    while True:
        page = person_search(actor=system_actor, query=query, limit=limit, offset=offset)
        if not page.results:
            return pages
        pages.append([person.pk for person in page.results])
        offset += limit


@pytest.mark.parametrize("query", ["ann virt", "anna virtanen", "anna-liisa vir", "korh ann", "an virt"])
def test_words_found_at_once_walked_or_by_subquery_give_the_same_pages(add, system_actor, monkeypatch, query):
    from rekisteri.encryption import search as module

    for n, (first, last) in enumerate(
        itertools.product(
            ["Anna", "Anneli", "Anna-Liisa", "Antti", "Aino"], ["Virtanen", "Virta", "Korhonen"]
        )
    ):
        for copy in range(3):
            add(first, last, email=f"h{n}.{copy}@testi.fi")
    at_once = _pages(system_actor, query, limit=4)
    assert at_once, query
    # Every word large: the narrowest is walked, a few entries a statement.
    monkeypatch.setattr(module, "SMALL_CHUNK", 0)
    monkeypatch.setattr(module, "_WALK_BATCH", 4)
    walked = _pages(system_actor, query, limit=4)
    # Lists not used: the subquery of the other words, as before.
    monkeypatch.setattr(module, "_LIST_RANGES", 0)
    by_subquery = _pages(system_actor, query, limit=4)
    assert at_once == walked == by_subquery, query


def test_a_walked_search_estimates_its_total_and_says_more_than_beyond_the_cap(
    add, system_actor, monkeypatch
):
    from rekisteri.encryption import search as module

    for n in range(30):
        add("Anna", "Virtanen" if n % 3 else "Virta", email=f"v{n}@testi.fi")
    monkeypatch.setattr(module, "SMALL_CHUNK", 0)
    monkeypatch.setattr(module, "_WALK_BATCH", 4)  # the walk stops with the page
    page = person_search(actor=system_actor, query="ann virt", limit=5)
    assert (len(page.results), page.total, page.total_is_estimate, page.total_capped) == (5, 30, True, False)
    # Only the first 10 entries counted: "more than" 10 (the page read 7: 5 and 2 spare).
    monkeypatch.setattr(module, "COUNT_CAP", 10)
    page = person_search(actor=system_actor, query="ann virt", limit=5)
    assert (page.total, page.total_is_estimate, page.total_capped) == (10, True, True)
    # More read than the cap counts: "more than" those read.
    page = person_search(actor=system_actor, query="ann virt", limit=12)
    assert (len(page.results), page.total, page.total_is_estimate, page.total_capped) == (12, 14, True, True)


def test_a_one_word_total_is_counted_up_to_the_cap_and_then_says_more_than(add, system_actor, monkeypatch):
    from rekisteri.encryption import search as module

    for n in range(12):
        add("Anna", "Virtanen", email=f"c{n}@testi.fi")
    page = person_search(actor=system_actor, query="virtanen", limit=5)
    assert (len(page.results), page.total, page.total_capped) == (5, 12, False)
    monkeypatch.setattr(module, "COUNT_CAP", 8)
    page = person_search(actor=system_actor, query="virtanen", limit=5)
    assert (len(page.results), page.total, page.total_is_estimate, page.total_capped) == (5, 8, True, True)
    # Read to the end: exact, whatever the cap.
    page = person_search(actor=system_actor, query="virtanen", limit=50)
    assert (len(page.results), page.total, page.total_capped) == (12, 12, False)
