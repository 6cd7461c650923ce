"""Every personal value survives the trip through encryption, and only ciphertext is stored.

Property tests: whatever text a person's fields hold (Finnish letters, emoji, control
characters, long texts), writing it through the services and reading it back from the
database in a fresh instance gives the same text, while the column holds bytes that do not
contain it.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import MAX_TEXT, interaction_create
from rekisteri.encryption.fields import Ciphertext
from rekisteri.keystore.services import create_keys, reset_state
from rekisteri.lib.crypto import NONCE_BYTES, TAG_BYTES, FieldCipher, TamperedCiphertext
from rekisteri.people.models import Person
from rekisteri.people.services import person_create, person_update
from tests.thoroughness import examples

OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES
DB_EXAMPLES = settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text that leans on what goes wrong in encodings: Finnish and Sámi letters, emoji with
# joiners and skin tones, combining marks, right-to-left text, and any other code point.
_TRICKY = "åäöÅÄÖšžŠŽčđŋŧʒǯǩáÁ€ßẞ 🙂👩🏽‍💻🇫🇮\u0301\u200d\ufeff\u202e"
characters = st.one_of(st.sampled_from(_TRICKY), st.characters(codec="utf-8"))


def text(*, min_size: int = 0, max_size: int) -> st.SearchStrategy[str]:
    # Services strip surrounding whitespace, so generate values that are already stripped.
    return (
        st.text(characters, min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda value: len(value) >= min_size)
    )


LONG_FINNISH = ("Hyvää päivää, Åbo Akademi ja Ääkkösten Öljy Oy! 🙂 " * 100)[:5000].strip()


def stored(model, pk, *columns: str) -> tuple[bytes | None, ...]:
    """The raw column values (values_list skips the decrypting attribute)."""
    row = model.objects.filter(pk=pk).values_list(*columns).get()
    return tuple(None if value is None else bytes(value) for value in row)


def assert_ciphertext_of(blob: bytes | None, plaintext: str) -> None:
    if plaintext == "":
        assert blob is None  # empty values are stored as NULL, not as an encrypted ""
        return
    encoded = plaintext.encode("utf-8")
    assert isinstance(blob, bytes)
    assert len(blob) == OVERHEAD + len(encoded)
    if len(encoded) >= 8:  # shorter strings can occur in random bytes by chance
        assert encoded not in blob


# --------------------------------------------------------------------------- the cipher itself


@given(value=st.text(characters, max_size=300), row=st.uuids(), column=st.sampled_from(["a", "first_name"]))
@settings(max_examples=examples(300))
def test_any_text_round_trips_through_the_cipher(value, row, column):
    cipher = FieldCipher(b"k" * 32)

    blob = cipher.encrypt(value, table="people_person", column=column, row_id=row)

    assert cipher.decrypt(blob, table="people_person", column=column, row_id=row) == value
    assert len(blob) == OVERHEAD + len(value.encode())


@given(value=st.text(characters, max_size=50), rows=st.lists(st.uuids(), min_size=2, max_size=2, unique=True))
@settings(max_examples=examples(100))
def test_a_ciphertext_never_opens_for_another_row_or_column(value, rows):
    cipher = FieldCipher(b"k" * 32)
    blob = cipher.encrypt(value, table="people_person", column="first_name", row_id=rows[0])

    for table, column, row in [
        ("people_person", "first_name", rows[1]),
        ("people_person", "last_name", rows[0]),
        ("contacts_interaction", "first_name", rows[0]),
    ]:
        with pytest.raises(TamperedCiphertext):
            cipher.decrypt(blob, table=table, column=column, row_id=row)


def test_the_same_value_encrypts_differently_every_time():
    cipher = FieldCipher(b"k" * 32)
    blobs = {cipher.encrypt("Anna", table="t", column="c", row_id=1) for _ in range(50)}
    assert len(blobs) == 50


# --------------------------------------------------------------------------- through the models


@pytest.mark.django_db
@DB_EXAMPLES
@given(
    first_name=text(min_size=1, max_size=100),
    last_name=text(min_size=1, max_size=100),
    title=text(max_size=200),
    self_given_info=text(max_size=5000),
)
@example(first_name="Äijä", last_name="Ääkkönen-Öhman", title="", self_given_info=LONG_FINNISH)
@example(first_name="👩🏽‍💻", last_name="🇫🇮", title="🙂" * 200, self_given_info="")
@example(first_name="x", last_name="Ω", title="a\x00b\nc", self_given_info="\u202eevil\u202c")
def test_person_fields_round_trip_and_are_stored_encrypted(
    system_actor, first_name, last_name, title, self_given_info
):
    person = person_create(
        actor=system_actor,
        first_name=first_name,
        last_name=last_name,
        title=title,
        self_given_info=self_given_info,
        email="anna.virtanen@testi.fi",
        phone="040 123 4567",
        allow_duplicate=True,  # every example writes the same address into one database
    )
    values = {
        "first_name": first_name,
        "last_name": last_name,
        "title": title,
        "self_given_info": self_given_info,
        "email": "anna.virtanen@testi.fi",
        "phone": "+358401234567",
    }

    reloaded = Person.objects.get(pk=person.pk)

    assert {field: getattr(reloaded, field) for field in values} == values
    for field, blob in zip(values, stored(Person, person.pk, *values), strict=True):
        assert_ciphertext_of(blob, values[field])


@pytest.mark.django_db
@DB_EXAMPLES
@given(note=text(min_size=1, max_size=MAX_TEXT))
@example(note=LONG_FINNISH * 2)
@example(note="Soitti: tarjous 🙂 ok ✅")
def test_interaction_text_round_trips_and_is_stored_encrypted(person, system_actor, note):
    interaction = interaction_create(actor=system_actor, person=person, kind="note", text=note)

    reloaded = Interaction.objects.get(pk=interaction.pk)

    assert reloaded.text == note
    [blob] = stored(Interaction, interaction.pk, "text")
    assert_ciphertext_of(blob, note)


@pytest.mark.django_db
def test_values_read_back_after_the_process_forgets_every_key(person, system_actor):
    interaction_create(actor=system_actor, person=person, kind="call", text="Soitti tarjouksesta")
    reset_state()  # as in a newly started process: keys are unwrapped from the key store again

    fresh = Person.objects.get(pk=person.pk)

    assert (fresh.first_name, fresh.last_name, fresh.title) == ("Anna", "Virtanen", "Hankintapäällikkö")
    assert [i.text for i in fresh.interactions.all()] == ["Soitti tarjouksesta"]


@pytest.mark.django_db
def test_an_empty_value_is_stored_as_null_and_reads_as_empty(person, system_actor):
    person_update(actor=system_actor, person=person, title="", email="", phone="")

    fresh = Person.objects.get(pk=person.pk)

    assert (fresh.title, fresh.email, fresh.phone) == ("", "", "")
    assert stored(Person, person.pk, "title", "email", "phone") == (None, None, None)


@pytest.mark.django_db
def test_an_empty_interaction_text_is_a_real_ciphertext(person):
    # Interaction.text keeps "" distinct from NULL (empty_as_null=False).
    interaction = Interaction.objects.create(person=person, kind="note", text="")

    assert Interaction.objects.get(pk=interaction.pk).text == ""
    [blob] = stored(Interaction, interaction.pk, "text")
    assert blob is not None and len(blob) == OVERHEAD


@pytest.mark.django_db
def test_an_update_re_encrypts_only_what_changed(person, system_actor):
    before = stored(Person, person.pk, "first_name", "last_name", "email")

    person_update(actor=system_actor, person=Person.objects.get(pk=person.pk), last_name="Virtanen-Koski")

    after = stored(Person, person.pk, "first_name", "last_name", "email")
    assert after[0] == before[0] and after[2] == before[2]  # never read, so written back byte for byte
    assert after[1] != before[1]
    assert Person.objects.get(pk=person.pk).last_name == "Virtanen-Koski"


@pytest.mark.django_db
def test_instances_show_plain_strings_never_ciphertext(person):
    fresh = Person.objects.get(pk=person.pk)

    for field in ("first_name", "last_name", "email", "phone", "title", "self_given_info"):
        value = getattr(fresh, field)
        assert type(value) is str and not isinstance(value, Ciphertext)


@pytest.mark.django_db
def test_encrypted_columns_cannot_be_filtered_in_sql(person):
    with pytest.raises(TypeError, match="encrypted and cannot be compared in SQL"):
        list(Person.objects.filter(last_name="Virtanen"))
    with pytest.raises(TypeError):
        Person.objects.filter(pk=person.pk).update(first_name="Plain text")


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", [str, lambda pk: pk.hex, lambda pk: str(pk).upper(), lambda pk: pk])
def test_a_person_id_given_in_any_uuid_spelling_stays_readable(system_actor, spelling):
    pk = uuid.uuid4()
    create_keys([spelling(pk)])  # as person_create does, before the row
    person = Person.objects.create(id=spelling(pk), first_name="Anna", last_name="Virtanen")
    interaction_create(actor=system_actor, person=person, kind="note", text="Muistio")
    Interaction.objects.create(person_id=spelling(pk), kind="call", text="Soitto")
    reset_state()

    fresh = Person.objects.get(pk=pk)

    assert (fresh.first_name, fresh.last_name) == ("Anna", "Virtanen")
    assert sorted(i.text for i in fresh.interactions.all()) == ["Muistio", "Soitto"]
