"""Time-ordered person ids (RFC 9562 version 7)."""

import time
import uuid

from rekisteri.lib.ids import uuid7, uuid7_many


def test_a_uuid7_has_version_7_the_rfc_variant_and_the_current_time():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_ids_made_later_sort_after_earlier_ones():
    first = uuid7()
    time.sleep(0.002)
    second = uuid7()
    assert first < second
    assert first.hex < second.hex  # the form SQLite stores: its indexes append, too


def test_ids_within_one_millisecond_are_still_unique():
    values = [uuid7() for _ in range(20_000)]
    assert len(set(values)) == len(values)


def test_new_persons_get_time_ordered_ids(db, system_actor):
    from rekisteri.people.services import person_create

    person = person_create(actor=system_actor, first_name="Anna", last_name="Virtanen")
    assert person.pk.version == 7


def test_ids_made_in_bulk_are_version_7_of_now_and_unique():
    before = time.time_ns() // 1_000_000
    values = uuid7_many(20_000)
    after = time.time_ns() // 1_000_000
    assert len(values) == len(set(values)) == 20_000
    assert {value.version for value in values} == {7}
    assert {value.variant for value in values} == {uuid.RFC_4122}
    assert all(before <= value.int >> 80 <= after for value in values)
    # 74 random bits each: the bits below the time differ between ids.
    assert len({value.int & ((1 << 74) - 1) for value in values}) == 20_000
    assert values == sorted(values)  # appended to the indexes in order
    assert uuid7_many(0) == []


def test_ids_made_in_bulk_sort_after_earlier_ones():
    first = uuid7()
    time.sleep(0.002)
    assert all(first.hex < value.hex for value in uuid7_many(100))


def test_ids_made_in_bulk_behave_as_plain_uuids_with_their_spellings_made_once():
    import copy
    import pickle

    from rekisteri.lib.ids import SpelledUUID

    for value in uuid7_many(500):
        plain = uuid.UUID(int=value.int)
        assert isinstance(value, SpelledUUID)
        assert value == plain and hash(value) == hash(plain) and not value != plain
        assert str(value) == str(plain) and value.hex == plain.hex
        assert value.bytes == plain.bytes and value.urn == plain.urn and repr(value) == repr(plain)
        assert uuid.UUID(str(value)) == value
        for duplicate in (copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
            assert type(duplicate) is uuid.UUID and duplicate == plain and str(duplicate) == str(plain)
