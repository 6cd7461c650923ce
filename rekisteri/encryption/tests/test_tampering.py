"""A ciphertext that was moved, altered or truncated in the database is reported, never shown.

The database is changed with raw SQL, as an attacker with database access (or a broken
restore) would, and the value is then read through the models, the person card and the API.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from rekisteri.accounts.services import token_create
from rekisteri.audit.models import AuditEvent
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import interaction_create
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import reset_state
from rekisteri.lib.crypto import TamperedCiphertext, TamperedWrappedKey
from rekisteri.people.models import Person
from rekisteri.people.services import person_create

pytestmark = pytest.mark.django_db


def _where_pk(model, pk) -> tuple[str, object]:
    qn = connection.ops.quote_name
    return f"{qn(model._meta.pk.column)} = %s", model._meta.pk.get_db_prep_value(pk, connection)


def raw_get(model, pk, column: str) -> bytes | None:
    """The stored bytes of one column, read with plain SQL."""
    qn = connection.ops.quote_name
    where, param = _where_pk(model, pk)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {qn(column)} FROM {qn(model._meta.db_table)} WHERE {where}", [param])
        value = cursor.fetchone()[0]
    return None if value is None else bytes(value)


def raw_set(model, pk, column: str, value: bytes | None) -> None:
    """Overwrite one column with plain SQL, bypassing the encryption layer."""
    qn = connection.ops.quote_name
    where, param = _where_pk(model, pk)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(model._meta.db_table)} SET {qn(column)} = %s WHERE {where}", [value, param]
        )
        assert cursor.rowcount == 1


def flip_bit(blob: bytes, index: int, bit: int = 0) -> bytes:
    data = bytearray(blob)
    data[index] ^= 1 << bit
    return bytes(data)


def fresh(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)


@pytest.fixture
def anna(person):
    return person


@pytest.fixture
def bertta(system_actor, organization):
    return person_create(
        actor=system_actor,
        first_name="Bertta",
        last_name="Mäkinen",
        email="bertta.makinen@testi.fi",
        phone="050 765 4321",
        organization=organization,
    )


# --------------------------------------------------------------------------- through the models


def test_a_first_name_copied_to_another_persons_row_fails_instead_of_showing_either_name(anna, bertta):
    raw_set(Person, bertta.pk, "first_name", raw_get(Person, anna.pk, "first_name"))

    person = fresh(bertta)

    with pytest.raises(TamperedCiphertext) as caught:
        person.first_name  # noqa: B018 - reading is the test
    assert (caught.value.table, caught.value.column, caught.value.row_id) == (
        "people_person",
        "first_name",
        str(bertta.pk),
    )
    # Untouched fields of the same row still read.
    assert person.last_name == "Mäkinen"


def test_a_value_copied_to_another_field_of_the_same_row_fails(anna):
    # Same person, same data key: only the associated data (the column) tells them apart.
    raw_set(Person, anna.pk, "last_name", raw_get(Person, anna.pk, "first_name"))

    person = fresh(anna)

    assert person.first_name == "Anna"
    with pytest.raises(TamperedCiphertext, match="people_person.last_name"):
        person.last_name  # noqa: B018


def test_swapping_two_fields_of_a_row_fails_for_both(anna):
    first, last = raw_get(Person, anna.pk, "first_name"), raw_get(Person, anna.pk, "last_name")
    raw_set(Person, anna.pk, "first_name", last)
    raw_set(Person, anna.pk, "last_name", first)

    person = fresh(anna)

    for field in ("first_name", "last_name"):
        with pytest.raises(TamperedCiphertext):
            getattr(person, field)


def test_a_note_copied_to_another_note_of_the_same_person_fails(anna, system_actor):
    # Both rows are under Anna's one data key: the row id in the associated data catches it.
    secret = interaction_create(actor=system_actor, person=anna, kind="note", text="Salainen muistiinpano")
    other = interaction_create(actor=system_actor, person=anna, kind="call", text="Soitto")
    raw_set(Interaction, other.pk, "text", raw_get(Interaction, secret.pk, "text"))

    with pytest.raises(TamperedCiphertext, match=str(other.pk)):
        Interaction.objects.get(pk=other.pk).text  # noqa: B018
    assert Interaction.objects.get(pk=secret.pk).text == "Salainen muistiinpano"


@pytest.mark.parametrize(
    "position",
    [
        pytest.param(0, id="version byte"),
        pytest.param(1, id="nonce"),
        pytest.param(13, id="first ciphertext byte"),
        pytest.param(-1, id="last tag byte"),
    ],
)
def test_one_flipped_bit_anywhere_is_detected(anna, position):
    blob = raw_get(Person, anna.pk, "email")
    raw_set(Person, anna.pk, "email", flip_bit(blob, position, bit=3))

    with pytest.raises(TamperedCiphertext):
        fresh(anna).email  # noqa: B018


@pytest.mark.parametrize("length", [0, 1, 28, -1])
def test_a_truncated_ciphertext_is_detected(anna, length):
    blob = raw_get(Person, anna.pk, "phone")
    raw_set(Person, anna.pk, "phone", blob[:length])

    with pytest.raises(TamperedCiphertext):
        fresh(anna).phone  # noqa: B018


def test_every_bit_of_a_short_ciphertext_is_protected(anna):
    blob = raw_get(Person, anna.pk, "first_name")
    person = fresh(anna)
    field = Person._meta.get_field("first_name")
    from rekisteri.encryption.fields import cipher_of

    cipher = cipher_of(person, field)
    for index in range(len(blob)):
        for bit in range(8):
            with pytest.raises(TamperedCiphertext):
                cipher.decrypt(
                    flip_bit(blob, index, bit), table="people_person", column="first_name", row_id=anna.pk
                )


def test_a_tampered_wrapped_data_key_is_detected(anna):
    row = DataKey.objects.using(KEYSTORE_DB).get(person_id=anna.pk)
    DataKey.objects.using(KEYSTORE_DB).filter(person_id=anna.pk).update(
        wrapped=flip_bit(bytes(row.wrapped), -5)
    )
    reset_state()  # a new process: nothing cached

    with pytest.raises(TamperedWrappedKey):
        fresh(anna).first_name  # noqa: B018


def test_data_keys_swapped_between_persons_are_detected(anna, bertta):
    keys = DataKey.objects.using(KEYSTORE_DB)
    wrapped_a = bytes(keys.get(person_id=anna.pk).wrapped)
    wrapped_b = bytes(keys.get(person_id=bertta.pk).wrapped)
    keys.filter(person_id=anna.pk).update(wrapped=wrapped_b)
    keys.filter(person_id=bertta.pk).update(wrapped=wrapped_a)
    reset_state()

    for person in (anna, bertta):
        with pytest.raises(TamperedCiphertext):
            fresh(person).first_name  # noqa: B018


def test_a_tampered_value_that_is_never_read_is_written_back_unchanged(anna, system_actor):
    # Saving a person whose other field was tampered must not launder it with a fresh ciphertext.
    blob = flip_bit(raw_get(Person, anna.pk, "title"), 20)
    raw_set(Person, anna.pk, "title", blob)

    person = fresh(anna)
    person.first_name = "Anne"
    person.save()

    assert raw_get(Person, anna.pk, "title") == blob
    with pytest.raises(TamperedCiphertext):
        fresh(anna).title  # noqa: B018


# --------------------------------------------------------------------------- through the UI and API


def _tamper_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="tamper_detected").order_by("seq"))


def _assert_ids_only(event: AuditEvent, *plaintexts: str) -> None:
    stored = json.dumps(
        [event.object_type, event.object_ids, event.person_ids, event.detail], ensure_ascii=False
    )
    for text in plaintexts:
        assert text not in stored


def test_the_person_card_shows_an_integrity_error_page_and_records_the_event(anna, bertta, cast):
    raw_set(Person, anna.pk, "first_name", raw_get(Person, bertta.pk, "first_name"))
    client = Client()
    client.force_login(cast.sales, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(reverse("web:person_card", args=[anna.pk]), headers={"accept-language": "en"})

    body = response.content.decode()
    assert response.status_code == 500
    assert "failed its integrity check" in body
    assert f"people_person.first_name of row {anna.pk}" in body
    for value in ("Anna", "Bertta", "Virtanen", "anna.virtanen@testi.fi"):
        assert value not in body
    [event] = _tamper_events()
    assert event.origin == "ui"
    assert event.actor_user_id == cast.sales.pk
    assert event.object_type == "people_person"
    assert json.loads(event.object_ids) == [str(anna.pk)]
    assert json.loads(event.detail) == {"column": "first_name", "reason": "failed authentication"}
    _assert_ids_only(event, "Anna", "Bertta", "Virtanen")


def test_a_tampered_note_on_the_card_is_reported_too(anna, cast, system_actor):
    note = interaction_create(actor=system_actor, person=anna, kind="note", text="Tarjous lähetetty")
    raw_set(Interaction, note.pk, "text", flip_bit(raw_get(Interaction, note.pk, "text"), 15))
    client = Client()
    client.force_login(cast.sales, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(reverse("web:person_card", args=[anna.pk]))

    assert response.status_code == 500
    assert "Tarjous" not in response.content.decode()
    [event] = _tamper_events()
    assert event.object_type == "contacts_interaction"
    assert json.loads(event.object_ids) == [str(note.pk)]


def _api_get(user, system_actor, path: str, **params):
    raw_token = token_create(actor=system_actor, user=user, name="test")[1]
    return Client().get(path, params, headers={"authorization": f"Bearer {raw_token}"})


def test_the_api_answers_500_tampered_and_records_the_event(anna, bertta, cast, system_actor):
    raw_set(Person, anna.pk, "email", raw_get(Person, bertta.pk, "email"))

    response = _api_get(cast.sales, system_actor, f"/api/v1/persons/{anna.pk}")

    assert response.status_code == 500
    body = response.json()
    assert body["code"] == "tampered"
    assert set(body) == {"detail", "errors", "code"}
    assert "people_person.email" in body["detail"]
    assert str(anna.pk) in body["detail"]
    for value in ("anna.virtanen@testi.fi", "bertta.makinen@testi.fi", "Anna", "Bertta"):
        assert value not in response.content.decode()
    [event] = _tamper_events()
    assert event.origin == "api"
    assert event.actor_user_id == cast.sales.pk
    assert json.loads(event.object_ids) == [str(anna.pk)]
    assert json.loads(event.detail)["column"] == "email"
    _assert_ids_only(event, "anna.virtanen", "bertta.makinen")


def test_an_api_search_that_decrypts_a_tampered_name_answers_500_tampered(anna, bertta, cast, system_actor):
    raw_set(Person, anna.pk, "last_name", raw_get(Person, bertta.pk, "last_name"))

    response = _api_get(cast.sales, system_actor, "/api/v1/persons", q="Virtanen")

    assert response.status_code == 500
    assert response.json()["code"] == "tampered"
    assert "Virtanen" not in response.content.decode()
    [event] = _tamper_events()
    assert event.origin == "api"
    assert json.loads(event.object_ids) == [str(anna.pk)]
    assert json.loads(event.detail)["column"] == "last_name"


def test_the_api_person_list_reports_a_tampered_title_too(anna, cast, system_actor):
    raw_set(Person, anna.pk, "title", flip_bit(raw_get(Person, anna.pk, "title"), 20))

    response = _api_get(cast.sales, system_actor, "/api/v1/persons")

    assert response.status_code == 500
    assert response.json()["code"] == "tampered"
    assert "Hankinta" not in response.content.decode()
    [event] = _tamper_events()
    assert json.loads(event.detail)["column"] == "title"


def test_an_intact_person_is_served_normally_next_to_a_tampered_one(anna, bertta, cast):
    raw_set(Person, anna.pk, "first_name", raw_get(Person, bertta.pk, "first_name"))
    client = Client()
    client.force_login(cast.sales, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get(reverse("web:person_card", args=[bertta.pk]))

    assert response.status_code == 200
    assert "Bertta" in response.content.decode()
    assert _tamper_events() == []
