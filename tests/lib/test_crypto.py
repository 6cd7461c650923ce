"""Envelope encryption: field ciphertexts, wrapped data keys, rotation and start-up key checks."""

import os
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rekisteri.lib.crypto import (
    DataKeyCache,
    FieldCipher,
    InvalidMasterKey,
    MasterKeyError,
    MasterKeyMissing,
    MasterKeyRing,
    TamperedCiphertext,
    TamperedWrappedKey,
    WrongMasterKey,
    decrypt_field,
    encrypt_field,
    encrypt_fields,
    generate_data_key,
    generate_master_key,
    make_key_check,
    new_data_keys,
    parse_master_key,
    parse_master_keys,
    read_or_create_master_key_file,
    rewrap_data_key,
    rewrap_index_key,
    unwrap_data_key,
    unwrap_index_key,
    verify_key_check,
    wrap_data_key,
    wrap_index_key,
    wrapped_key_id,
    write_master_key_file,
)

DATA_KEY = bytes(range(32))
CIPHER = FieldCipher(DATA_KEY)
ROW = uuid.UUID("7d4c1c56-3f0e-4a43-9b55-2f1e1f7b9a10")
OTHER_ROW = uuid.UUID("0b3f8e2a-5c1d-4e6f-8a7b-9c0d1e2f3a4b")
AT = {"table": "people_person", "column": "first_name", "row_id": ROW}


# --------------------------------------------------------------------------- fields


@given(st.text())
def test_any_text_survives_an_encryption_round_trip(text):
    blob = CIPHER.encrypt(text, **AT)
    assert CIPHER.decrypt(blob, **AT) == text


@given(st.binary())
def test_any_bytes_survive_an_encryption_round_trip(data):
    assert CIPHER.decrypt_bytes(CIPHER.encrypt(data, **AT), **AT) == data


@pytest.mark.parametrize("text", ["", "Ääkkönen", "Åsa Öhman", "😀👩‍👩‍👧", "a\x00b", "x" * 10_000])
def test_edge_case_values_round_trip_through_the_module_functions(text):
    blob = encrypt_field(DATA_KEY, text, **AT)
    assert decrypt_field(DATA_KEY, blob, **AT) == text


def test_none_stays_none_but_the_empty_string_is_encrypted():
    assert CIPHER.encrypt(None, **AT) is None
    assert CIPHER.decrypt(None, **AT) is None
    empty = CIPHER.encrypt("", **AT)
    assert empty is not None and len(empty) == 1 + 12 + 16
    assert CIPHER.decrypt(empty, **AT) == ""


def test_the_same_value_encrypts_differently_each_time():
    assert CIPHER.encrypt("Anna", **AT) != CIPHER.encrypt("Anna", **AT)


def test_a_ciphertext_starts_with_the_format_version():
    assert CIPHER.encrypt("Anna", **AT)[0] == 1


@pytest.mark.parametrize(
    "moved_to",
    [
        {"row_id": OTHER_ROW},
        {"column": "last_name"},
        {"table": "contacts_interaction"},
        {"row_id": str(ROW).upper()},
    ],
    ids=["other row", "other field", "other table", "row id spelled differently"],
)
def test_a_ciphertext_moved_to_another_row_or_field_is_reported_as_tampering(moved_to):
    blob = CIPHER.encrypt("Anna", **AT)
    target = {**AT, **moved_to}
    with pytest.raises(TamperedCiphertext) as caught:
        CIPHER.decrypt(blob, **target)
    assert (caught.value.table, caught.value.column, caught.value.row_id) == (
        target["table"],
        target["column"],
        str(target["row_id"]),
    )


def test_a_ciphertext_under_another_persons_key_is_reported_as_tampering():
    blob = FieldCipher(generate_data_key()).encrypt("Anna", **AT)
    with pytest.raises(TamperedCiphertext):
        CIPHER.decrypt(blob, **AT)


@given(st.data())
def test_flipping_any_bit_is_reported_as_tampering(data):
    blob = bytearray(CIPHER.encrypt("Virtanen", **AT))
    position = data.draw(st.integers(0, len(blob) * 8 - 1))
    blob[position // 8] ^= 1 << (position % 8)
    with pytest.raises(TamperedCiphertext):
        CIPHER.decrypt(bytes(blob), **AT)


@pytest.mark.parametrize("blob", [b"", b"\x01", b"\x01" + b"\x00" * 27, b"\x02" + b"\x00" * 40])
def test_truncated_or_unknown_version_ciphertexts_are_reported_as_tampering(blob):
    with pytest.raises(TamperedCiphertext, match="malformed or of an unknown version"):
        CIPHER.decrypt(blob, **AT)


def test_the_tampering_message_names_the_field_but_never_the_value():
    blob = CIPHER.encrypt("Salainen Sukunimi", **AT)
    with pytest.raises(TamperedCiphertext) as caught:
        CIPHER.decrypt(blob, **{**AT, "row_id": OTHER_ROW})
    message = str(caught.value)
    assert "people_person.first_name" in message and str(OTHER_ROW) in message
    assert "Salainen" not in message


def test_authentic_bytes_read_as_text_are_an_error_not_garbage():
    blob = CIPHER.encrypt(b"\xff\xfe", **AT)
    with pytest.raises(TamperedCiphertext, match="not UTF-8"):
        CIPHER.decrypt(blob, **AT)


@pytest.mark.parametrize("table,column", [("people|person", "x"), ("people_person", "a|b"), ("", "x")])
def test_table_and_column_names_that_could_make_associated_data_ambiguous_are_refused(table, column):
    with pytest.raises(ValueError):
        CIPHER.encrypt("Anna", table=table, column=column, row_id=ROW)


def test_a_data_key_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError):
        FieldCipher(b"short")


def test_integer_and_string_row_ids_bind_like_their_text():
    blob = CIPHER.encrypt("Anna", table="t", column="c", row_id=42)
    assert CIPHER.decrypt(blob, table="t", column="c", row_id="42") == "Anna"


# --------------------------------------------------------------------------- master keys


def test_a_master_key_string_round_trips_and_its_repr_hides_the_key():
    key = generate_master_key("2025-01")
    assert parse_master_key(key.to_string()) == key
    assert key.to_string().startswith("2025-01:")
    assert key.to_string().split(":")[1] not in repr(key)


def test_a_generated_master_key_has_a_fresh_id_and_key():
    first, second = generate_master_key(), generate_master_key()
    assert first.key_id != second.key_id and first.key != second.key
    assert len(first.key) == 32


def test_padded_base64_is_accepted_too():
    key = generate_master_key("k1")
    import base64

    padded = "k1:" + base64.urlsafe_b64encode(key.key).decode()
    assert padded.endswith("=")
    assert parse_master_key(padded) == key


def test_a_key_ring_takes_the_first_key_as_current_and_keeps_the_others():
    new, old = generate_master_key("new"), generate_master_key("old")
    ring = parse_master_keys(f" {new.to_string()} ,\n{old.to_string()} ")
    assert ring.current == new
    assert ring.key_ids == ("new", "old")
    assert ring.old == (old,)
    assert parse_master_keys(ring.to_string()).key_ids == ("new", "old")


@pytest.mark.parametrize(
    "value,message",
    [
        ("", "no master key configured"),
        ("just-a-key-without-id", "ID:BASE64URLKEY"),
        (":" + "A" * 43, "ID:BASE64URLKEY"),
        ("bad id:" + "A" * 43, "1-64 characters"),
        ("k1:" + "A" * 20, "must decode to 32 bytes"),
        ("k1:not*base64!", "not URL-safe base64"),
    ],
)
def test_malformed_master_keys_are_clear_errors(value, message):
    with pytest.raises(InvalidMasterKey, match=message):
        parse_master_keys(value)


def test_a_master_key_error_never_repeats_the_key_material():
    secret_part = "S3cr3tMaterialThatMustNotLeak"
    with pytest.raises(InvalidMasterKey) as caught:
        parse_master_keys("k1:" + secret_part)
    assert secret_part not in str(caught.value)


def test_a_key_ring_refuses_a_duplicate_key_id():
    with pytest.raises(InvalidMasterKey, match="more than once"):
        parse_master_keys(f"{generate_master_key('k').to_string()},{generate_master_key('k').to_string()}")


def test_the_embedded_key_file_is_created_once_with_mode_600(tmp_path):
    path = tmp_path / "master.key"
    ring = read_or_create_master_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_or_create_master_key_file(path).current == ring.current
    assert list(tmp_path.iterdir()) == [path]


def test_a_key_file_readable_by_others_is_refused(tmp_path):
    path = tmp_path / "master.key"
    read_or_create_master_key_file(path)
    path.chmod(0o644)
    with pytest.raises(MasterKeyError, match="mode 600"):
        read_or_create_master_key_file(path)


def test_a_rotated_ring_is_written_back_atomically_with_mode_600(tmp_path):
    path = tmp_path / "master.key"
    old_ring = read_or_create_master_key_file(path)
    new_ring = MasterKeyRing(generate_master_key("new"), [old_ring.current])
    write_master_key_file(path, new_ring)
    assert read_or_create_master_key_file(path).key_ids == ("new", old_ring.current.key_id)
    assert path.stat().st_mode & 0o777 == 0o600


# --------------------------------------------------------------------------- wrapped data keys


def test_a_wrapped_data_key_unwraps_for_its_person_and_names_its_master_key():
    master = generate_master_key("2025-01")
    data_key = generate_data_key()
    wrapped = wrap_data_key(master, data_key, ROW)
    assert wrapped[0] == 1 and wrapped_key_id(wrapped) == "2025-01"
    assert data_key not in wrapped
    assert unwrap_data_key(MasterKeyRing(master), wrapped, ROW) == data_key


def test_data_keys_made_in_bulk_are_distinct_and_unwrap_for_their_own_person_only():
    master = generate_master_key("2025-01")
    people = [str(uuid.uuid4()) for _ in range(50)]
    made = new_data_keys(master, people)
    ring = MasterKeyRing(master)
    keys = [unwrap_data_key(ring, wrapped, person) for person, (_, wrapped) in zip(people, made, strict=True)]
    assert len(set(keys)) == 50 and all(len(key) == 32 for key in keys)
    assert len({wrapped[2 + len("2025-01") :][:12] for _, wrapped in made}) == 50  # one nonce each
    for key, (cipher, wrapped) in zip(keys, made, strict=True):
        assert wrapped_key_id(wrapped) == "2025-01" and key not in wrapped
        assert cipher.decrypt(FieldCipher(key).encrypt("Ääkkönen", **AT), **AT) == "Ääkkönen"
    with pytest.raises(TamperedWrappedKey):
        unwrap_data_key(ring, made[0][1], people[1])
    assert new_data_keys(master, []) == []


@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(), st.binary()),
            st.sampled_from(["first_name", "email"]),
            st.sampled_from(["people_person", "contacts_interaction"]),
        )
    )
)
def test_values_encrypted_in_bulk_are_what_encrypt_would_store(values):
    ciphers = [FieldCipher(DATA_KEY), FieldCipher(bytes(range(1, 33)))]
    # Runs of cells of one cipher and row, as a row's cells come, and changes between them.
    cells = [
        (ciphers[index // 2 % 2], value, table, column, ROW if index // 3 % 2 else OTHER_ROW)
        for index, (value, column, table) in enumerate(values)
    ]
    blobs = encrypt_fields(cells)
    assert len(blobs) == len(cells)
    for (cipher, value, table, column, row_id), blob in zip(cells, blobs, strict=True):
        if value is None:
            assert blob is None
            continue
        at = {"table": table, "column": column, "row_id": row_id}
        expected = value.encode() if isinstance(value, str) else value
        assert cipher.decrypt_bytes(blob, **at) == expected
        assert len(blob) == len(cipher.encrypt(value, **at))
        with pytest.raises(TamperedCiphertext):
            cipher.decrypt_bytes(blob, **{**at, "column": "last_name"})
    nonces = [blob[1:13] for blob in blobs if blob is not None]
    assert len(set(nonces)) == len(nonces)


def test_a_wrapped_data_key_copied_to_another_person_is_reported_as_tampering():
    master = generate_master_key()
    wrapped = wrap_data_key(master, generate_data_key(), ROW)
    with pytest.raises(TamperedWrappedKey) as caught:
        unwrap_data_key(MasterKeyRing(master), wrapped, OTHER_ROW)
    assert isinstance(caught.value, TamperedCiphertext)
    assert caught.value.owner == str(OTHER_ROW)


@given(st.data())
def test_flipping_any_bit_of_a_wrapped_key_is_an_error(data):
    master = generate_master_key("k1")
    blob = bytearray(wrap_data_key(master, DATA_KEY, ROW))
    position = data.draw(st.integers(0, len(blob) * 8 - 1))
    blob[position // 8] ^= 1 << (position % 8)
    with pytest.raises((TamperedWrappedKey, MasterKeyMissing)):
        unwrap_data_key(MasterKeyRing(master), bytes(blob), ROW)


def test_an_unknown_master_key_id_is_reported_by_name():
    wrapped = wrap_data_key(generate_master_key("gone-2024"), DATA_KEY, ROW)
    with pytest.raises(MasterKeyMissing, match="gone-2024") as caught:
        unwrap_data_key(MasterKeyRing(generate_master_key("2025-01")), wrapped, ROW)
    assert caught.value.key_id == "gone-2024"


def test_a_data_key_cannot_be_unwrapped_as_the_index_key():
    master = generate_master_key()
    wrapped = wrap_data_key(master, DATA_KEY, "installation")
    with pytest.raises(TamperedWrappedKey):
        unwrap_index_key(MasterKeyRing(master), wrapped)


def test_rotation_rewraps_data_keys_so_the_old_master_key_is_no_longer_needed():
    old = generate_master_key("2024-01")
    data_key = generate_data_key()
    wrapped = wrap_data_key(old, data_key, ROW)
    field = encrypt_field(data_key, "Ääkkönen", **AT)

    new = generate_master_key("2025-06")
    rotating = MasterKeyRing(new, [old])
    assert unwrap_data_key(rotating, wrapped, ROW) == data_key
    rewrapped = rewrap_data_key(rotating, wrapped, ROW)
    assert wrapped_key_id(rewrapped) == "2025-06"
    assert rewrap_data_key(rotating, rewrapped, ROW) == rewrapped  # already current: unchanged

    new_only = MasterKeyRing(new)
    assert decrypt_field(unwrap_data_key(new_only, rewrapped, ROW), field, **AT) == "Ääkkönen"
    with pytest.raises(MasterKeyMissing, match="2024-01"):
        unwrap_data_key(new_only, wrapped, ROW)


def test_rotation_does_not_bless_a_tampered_wrapped_key():
    master = generate_master_key()
    wrapped = wrap_data_key(master, DATA_KEY, ROW)
    with pytest.raises(TamperedWrappedKey):
        rewrap_data_key(MasterKeyRing(master), wrapped, OTHER_ROW)


def test_the_index_key_wraps_and_rotates_like_a_data_key():
    old, new = generate_master_key("old"), generate_master_key("new")
    index_key = os.urandom(32)
    wrapped = wrap_index_key(old, index_key)
    rewrapped = rewrap_index_key(MasterKeyRing(new, [old]), wrapped)
    assert unwrap_index_key(MasterKeyRing(new), rewrapped) == index_key


# --------------------------------------------------------------------------- start-up key check


def test_the_key_check_accepts_the_right_master_key():
    master = generate_master_key("2025-01")
    assert verify_key_check(MasterKeyRing(master), make_key_check(master)) == "2025-01"


def test_a_wrong_master_key_with_the_same_id_fails_the_key_check():
    check = make_key_check(generate_master_key("2025-01"))
    impostor = MasterKeyRing(generate_master_key("2025-01"))
    with pytest.raises(WrongMasterKey, match="2025-01"):
        verify_key_check(impostor, check)


def test_a_missing_master_key_fails_the_key_check_naming_the_id():
    check = make_key_check(generate_master_key("2025-01"))
    with pytest.raises(MasterKeyMissing, match="2025-01"):
        verify_key_check(MasterKeyRing(generate_master_key("2026-01")), check)


def test_a_key_check_is_not_a_wrapped_data_key():
    master = generate_master_key()
    with pytest.raises(TamperedWrappedKey):
        unwrap_data_key(MasterKeyRing(master), make_key_check(master), "installation")


# --------------------------------------------------------------------------- data key cache


def test_the_cache_unwraps_once_and_reuses_the_cipher():
    ring = MasterKeyRing(generate_master_key())
    cache = DataKeyCache(ring)
    wrapped = wrap_data_key(ring.current, DATA_KEY, ROW)
    cipher = cache.cipher(ROW, wrapped)
    assert cache.cipher(str(ROW), wrapped) is cipher
    assert cipher.decrypt(CIPHER.encrypt("Anna", **AT), **AT) == "Anna"


def test_the_cache_needs_the_current_wrapped_blob_to_hit():
    ring = MasterKeyRing(generate_master_key())
    cache = DataKeyCache(ring)
    cipher, wrapped = cache.new_key(ROW)
    assert cache.cipher(ROW, wrapped) is cipher
    stranger = wrap_data_key(ring.current, generate_data_key(), ROW)
    assert cache.cipher(ROW, stranger) is not cipher
    with pytest.raises(TamperedWrappedKey):
        cache.cipher(OTHER_ROW, wrapped)


def test_the_cache_evicts_the_least_recently_used_key_and_can_forget_a_person():
    ring = MasterKeyRing(generate_master_key())
    cache = DataKeyCache(ring, maxsize=2)
    first, first_wrapped = cache.new_key("a")
    cache.new_key("b")
    cache.cipher("a", first_wrapped)  # "a" is now the most recent
    cache.new_key("c")
    assert len(cache) == 2
    assert cache.cipher("a", first_wrapped) is first
    cache.discard("a")
    assert cache.cipher("a", first_wrapped) is not first


def test_a_data_key_made_in_bulk_is_laid_out_as_one_wrapped_singly():
    master = generate_master_key("2025-01")
    _, bulk = new_data_keys(master, [str(ROW)])[0]
    single = wrap_data_key(master, generate_data_key(), ROW)
    assert len(bulk) == len(single) and bulk[: 2 + len("2025-01")] == single[: 2 + len("2025-01")]
