"""`rekisteri keys`: generating, rotating, inspecting and checking master keys."""

from __future__ import annotations

import base64
import io
import json
import stat

import pytest
from django.core.management import CommandError, call_command

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_verify
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import interaction_create
from rekisteri.encryption.management.commands import keys as keys_command
from rekisteri.keystore.models import DataKey, IndexKey, KeyCheck
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import KeystoreError, keys_rotate, keystore_verify, reset_state
from rekisteri.lib import crypto
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_search
from rekisteri.people.services import person_create

pytestmark = pytest.mark.django_db


def _key(key_id: str, byte: int) -> str:
    """A canonical ID:KEY string (what the key file holds after a rewrite)."""
    return f"{key_id}:" + base64.urlsafe_b64encode(bytes([byte]) * 32).decode().rstrip("=")


OLD = "test-1:" + "A" * 43  # conftest.TEST_MASTER_KEY
NEW = _key("test-2", 0x35)
WRONG_OLD = _key("test-1", 0x42)  # the old id with other key material
ENCRYPTED_COLUMNS = ("first_name", "last_name", "email", "phone", "title", "self_given_info")

PEOPLE = [
    ("Äijä", "Ääkkönen", "aija@testi.fi", "040 111 2233", "Myyjä 🙂"),
    ("Li", "Wang", "li.wang@testi.fi", "+358 50 123 4567", ""),
    ("Örjan", "Ståhlberg", "", "09 123 4567", "Johtaja"),
    ("Anna-Liisa", "O'Brien", "al@testi.fi", "", "Hankintapäällikkö"),
]


def _keys(*args: str) -> str:
    out = io.StringIO()
    call_command("keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _use_key(settings, value: str) -> None:
    settings.MASTER_KEY = value
    reset_state()


@pytest.fixture
def people(system_actor):
    """Persons, each with a note, and what reading them must give."""
    expected = {}
    for first, last, email, phone, title in PEOPLE:
        person = person_create(
            actor=system_actor, first_name=first, last_name=last, email=email, phone=phone, title=title
        )
        interaction_create(actor=system_actor, person=person, kind="note", text=f"Muistio: {last} 🗒")
        expected[person.pk] = {
            "first_name": first,
            "last_name": last,
            "email": person.email,
            "phone": person.phone,
            "title": title,
            "note": f"Muistio: {last} 🗒",
        }
    return expected


@pytest.fixture
def embedded(settings, tmp_path):
    """The embedded default: no REKISTERI_MASTER_KEY, the key file in a fresh data directory."""
    settings.MASTER_KEY = ""
    settings.MASTER_KEY_FILE = tmp_path / "master.key"
    reset_state()
    return settings.MASTER_KEY_FILE


def assert_everyone_readable(expected: dict) -> None:
    """Every person and note reads back, from fresh instances, in a fresh process state."""
    reset_state()
    for pk, values in expected.items():
        person = Person.objects.get(pk=pk)
        assert {field: getattr(person, field) for field in values if field != "note"} == {
            field: value for field, value in values.items() if field != "note"
        }
        assert [i.text for i in Interaction.objects.filter(person_id=pk)] == [values["note"]]


def stored_ciphertexts() -> dict:
    return {
        pk: tuple(bytes(v) if v is not None else None for v in values)
        for pk, *values in Person.objects.values_list("pk", *ENCRYPTED_COLUMNS)
    }


def master_key_ids() -> set[str]:
    return set(DataKey.objects.using(KEYSTORE_DB).values_list("master_key_id", flat=True))


def found_by_name(system_actor, query: str) -> list:
    return [p.pk for p in person_search(actor=system_actor, query=query).results]


# --------------------------------------------------------------------------- generate


def test_generate_prints_one_new_key_that_rekisteri_accepts():
    first, second = _keys("generate").strip(), _keys("generate").strip()

    key = crypto.parse_master_key(first)
    assert len(key.key) == 32
    assert "\n" not in first
    assert first != second
    assert key.key_id != crypto.parse_master_key(second).key_id


def test_generate_takes_an_id_and_refuses_a_bad_one():
    assert crypto.parse_master_key(_keys("generate", "--id", "2026-06").strip()).key_id == "2026-06"
    with pytest.raises(CommandError, match="master key id must be"):
        _keys("generate", "--id", "no spaces please")


# --------------------------------------------------------------------------- the service


def test_rotation_keeps_every_person_readable_and_the_old_key_can_be_thrown_away(
    settings, people, system_actor
):
    before = stored_ciphertexts()
    ring = crypto.parse_master_keys(f"{NEW},{OLD}")
    _use_key(settings, ring.to_string())

    assert keys_rotate(ring=ring) == len(people)

    assert master_key_ids() == {"test-2"}
    assert IndexKey.objects.using(KEYSTORE_DB).get().master_key_id == "test-2"
    assert list(KeyCheck.objects.using(KEYSTORE_DB).values_list("master_key_id", flat=True)) == ["test-2"]
    # Only keys were rewrapped: not one field ciphertext changed.
    assert stored_ciphertexts() == before
    # Now only the new key is configured: everything reads and search still works.
    _use_key(settings, NEW)
    keystore_verify()
    assert_everyone_readable(people)
    assert len(found_by_name(system_actor, "ääkk")) == 1
    # With only the old key, rekisteri refuses to start.
    _use_key(settings, OLD)
    with pytest.raises(KeystoreError, match="missing master key: master key 'test-2'"):
        keystore_verify()


def test_rotation_is_resumable_and_idempotent(settings, people):
    ring = crypto.parse_master_keys(f"{NEW},{OLD}")
    _use_key(settings, ring.to_string())

    assert keys_rotate(ring=ring, batch_size=1) == len(people)
    assert keys_rotate(ring=ring) == 0
    assert master_key_ids() == {"test-2"}


# --------------------------------------------------------------------------- rotate, REKISTERI_MASTER_KEY


def test_env_rotate_rewraps_under_the_first_key_and_says_the_old_one_can_go(settings, people, system_actor):
    _use_key(settings, f"{NEW},{OLD}")

    output = _keys("rotate")

    assert f"Rewrapped {len(people)} data key(s) under master key test-2" in output
    assert "old master key(s) test-1 are no longer needed" in output
    assert NEW.split(":")[1] not in output and "A" * 20 not in output
    assert master_key_ids() == {"test-2"}
    _use_key(settings, NEW)
    assert_everyone_readable(people)
    assert found_by_name(system_actor, "li")  # the blind-index key moved too


def test_env_rotate_with_one_key_changes_nothing_and_explains_how(settings, people):
    output = _keys("rotate")

    assert "Nothing to rotate" in output
    assert "rekisteri keys generate" in output
    assert master_key_ids() == {"test-1"}


def test_env_rotate_refuses_new_key_because_it_cannot_change_the_environment(settings, people):
    with pytest.raises(CommandError, match="put the new key first"):
        _keys("rotate", "--new-key", NEW)
    assert master_key_ids() == {"test-1"}


def test_env_rotate_dry_run_changes_nothing(settings, people):
    _use_key(settings, f"{NEW},{OLD}")

    output = _keys("rotate", "--dry-run")

    assert f"test-1: {len(people)}" in output
    assert f"Would rewrap {len(people) + 1} key(s) under master key test-2" in output
    assert master_key_ids() == {"test-1"}
    assert IndexKey.objects.using(KEYSTORE_DB).get().master_key_id == "test-1"


def test_rotate_refuses_a_wrong_master_key_and_changes_nothing(settings, people):
    _use_key(settings, f"{NEW},{WRONG_OLD}")

    with pytest.raises(CommandError, match="wrong master key"):
        _keys("rotate")
    assert master_key_ids() == {"test-1"}


def test_a_tampered_wrapped_key_stops_the_rotation_and_is_audited(settings, people):
    victim = next(iter(people))
    row = DataKey.objects.using(KEYSTORE_DB).get(person_id=victim)
    blob = bytearray(row.wrapped)
    blob[-3] ^= 1
    DataKey.objects.using(KEYSTORE_DB).filter(person_id=victim).update(wrapped=bytes(blob))
    _use_key(settings, f"{NEW},{OLD}")

    with pytest.raises(CommandError, match="tampering detected") as caught:
        _keys("rotate")

    assert str(victim) in str(caught.value)
    [event] = AuditEvent.objects.filter(action="tamper_detected")
    assert event.origin == "cli"
    assert json.loads(event.object_ids) == [str(victim)]
    assert audit_verify().ok


# --------------------------------------------------------------------------- rotate, key file


def test_key_file_rotate_leaves_only_a_new_key_in_the_file(embedded, system_actor):
    expected = {}
    for first, last, email, phone, title in PEOPLE:
        person = person_create(
            actor=system_actor, first_name=first, last_name=last, email=email, phone=phone, title=title
        )
        expected[person.pk] = {"first_name": first, "last_name": last, "title": title}
    old = crypto.parse_master_keys(embedded.read_text())
    before = stored_ciphertexts()

    output = _keys("rotate")

    ring = crypto.parse_master_keys(embedded.read_text())
    assert ring.old == ()
    assert ring.current.key_id != old.current.key_id
    assert old.current.to_string().split(":")[1] not in embedded.read_text()
    assert stat.S_IMODE(embedded.stat().st_mode) == 0o600
    assert master_key_ids() == {ring.current.key_id}
    assert stored_ciphertexts() == before
    assert f"now holds only that key; the old key {old.current.key_id} is gone" in output
    assert ring.current.to_string().split(":")[1] not in output
    reset_state()
    for pk, values in expected.items():
        person = Person.objects.get(pk=pk)
        assert (person.first_name, person.last_name, person.title) == tuple(values.values())
    assert found_by_name(system_actor, "Ståhl")


def test_key_file_rotate_takes_the_new_key_from_the_option_or_stdin(embedded, system_actor, monkeypatch):
    person = person_create(actor=system_actor, first_name="Eero", last_name="Esimerkki")

    _keys("rotate", "--new-key", NEW)
    assert embedded.read_text().strip() == NEW

    third = _key("test-3", 0x4D)
    monkeypatch.setattr("sys.stdin", io.StringIO(third + "\n"))
    _keys("rotate", "--new-key", "-")
    assert embedded.read_text().strip() == third
    assert master_key_ids() == {"test-3"}
    reset_state()
    assert Person.objects.get(pk=person.pk).last_name == "Esimerkki"


def test_an_interrupted_key_file_rotation_keeps_both_keys_and_resumes(embedded, system_actor, monkeypatch):
    pks = [person_create(actor=system_actor, first_name="Eero", last_name=f"Esim{i}").pk for i in range(3)]
    old_id = crypto.parse_master_keys(embedded.read_text()).current.key_id

    def power_cut(*, ring, batch_size, progress):
        def cut(done):
            raise KeyboardInterrupt

        return keys_rotate(ring=ring, batch_size=1, progress=cut)

    monkeypatch.setattr(keys_command, "keys_rotate", power_cut)
    with pytest.raises(KeyboardInterrupt):
        _keys("rotate", "--new-key", NEW)
    monkeypatch.undo()

    # Half done: the file holds both keys, the keys are split between them, everyone reads.
    assert crypto.parse_master_keys(embedded.read_text()).key_ids == ("test-2", old_id)
    assert master_key_ids() == {"test-2", old_id}
    reset_state()
    assert [Person.objects.get(pk=pk).last_name for pk in pks] == ["Esim0", "Esim1", "Esim2"]
    # A different new key is refused until the rotation is finished.
    with pytest.raises(CommandError, match="unfinished"):
        _keys("rotate", "--new-key", "test-9:" + "Z" * 43)

    output = _keys("rotate")

    assert "Finishing the interrupted rotation to master key test-2" in output
    assert embedded.read_text().strip() == NEW
    assert master_key_ids() == {"test-2"}
    reset_state()
    assert [Person.objects.get(pk=pk).last_name for pk in pks] == ["Esim0", "Esim1", "Esim2"]


def test_key_file_dry_run_changes_nothing(embedded, system_actor):
    person_create(actor=system_actor, first_name="Eero", last_name="Esimerkki")
    before = embedded.read_text()

    output = _keys("rotate", "--dry-run")

    assert "Dry run: nothing was changed" in output
    assert embedded.read_text() == before
    assert master_key_ids() == {crypto.parse_master_keys(before).current.key_id}


@pytest.mark.parametrize(
    ("new_key", "message"),
    [
        ("garbage", "--new-key: a master key must look like ID:BASE64URLKEY"),
        ("test-2:" + "A" * 10, "--new-key: master key 'test-2' must decode to 32 bytes"),
    ],
)
def test_a_malformed_new_key_is_refused(embedded, new_key, message):
    with pytest.raises(CommandError, match=message):
        _keys("rotate", "--new-key", new_key)
    assert not embedded.exists()  # refused before anything was read or written


def test_a_new_key_with_the_id_in_use_is_refused(embedded, system_actor):
    person_create(actor=system_actor, first_name="Eero", last_name="Esimerkki")
    current = crypto.parse_master_keys(embedded.read_text()).current

    with pytest.raises(CommandError, match="must have an id of its own"):
        _keys("rotate", "--new-key", f"{current.key_id}:" + "Q" * 43)
    assert crypto.parse_master_keys(embedded.read_text()).current == current


def test_batch_size_must_be_positive(people):
    with pytest.raises(CommandError, match="--batch-size must be at least 1"):
        _keys("rotate", "--batch-size", "0")


# --------------------------------------------------------------------------- status and check


def test_status_shows_ids_and_counts_but_never_key_material(settings, people):
    _use_key(settings, f"{NEW},{OLD}")

    output = _keys("status")

    assert "Master keys from REKISTERI_MASTER_KEY: current test-2" in output
    assert "older keys still configured: test-1" in output
    assert f"Data keys: {len(people)}" in output
    assert f"wrapped by test-1: {len(people)}" in output
    assert "Blind-index key: wrapped by test-1" in output
    assert "Check: the configured master key opens every key." in output
    assert NEW.split(":")[1][:12] not in output and "AAAA" not in output


def test_status_of_a_fresh_embedded_installation_creates_no_key(embedded):
    output = _keys("status")

    assert "created on first start" in output
    assert "Data keys: 0" in output
    assert not embedded.exists()


def test_status_fails_with_the_reason_when_the_key_is_wrong(settings, people):
    _use_key(settings, WRONG_OLD)

    out = io.StringIO()
    with pytest.raises(CommandError, match="wrong master key"):
        call_command("keys", "status", stdout=out)
    assert f"Data keys: {len(people)}" in out.getvalue()


def test_check_passes_with_the_right_key(people):
    assert f"Master key test-1 is correct: {len(people)} data key(s)" in _keys("check")


@pytest.mark.parametrize(
    ("master_key", "message"),
    [
        (WRONG_OLD, "wrong master key"),
        (_key("test-2", 0x42), "missing master key: master key 'test-1' is needed"),
        ("test-1", "the master key cannot be used"),
    ],
)
def test_check_fails_with_a_clear_message(settings, people, master_key, message):
    _use_key(settings, master_key)

    with pytest.raises(CommandError, match=message):
        _keys("check")


# ------------------------------------------------------------------ processes started before a rotation


@pytest.fixture
def stale_process():
    """Capture this process's loaded keys and put them back later, as in a server that kept running."""
    from rekisteri.keystore import services

    def capture():
        services._state()
        loaded = (services._ring, services._cache)

        def restore():
            services._ring, services._cache = loaded

        return restore

    return capture


def test_a_server_running_through_a_key_file_rotation_reads_and_creates_under_the_new_key(
    embedded, system_actor, stale_process
):
    before = person_create(actor=system_actor, first_name="Eero", last_name="Ennen")
    back_to_stale = stale_process()

    _keys("rotate")
    new_id = crypto.parse_master_keys(embedded.read_text()).current.key_id
    back_to_stale()

    # Its cached key of `before` no longer matches the rewrapped blob: it reloads the key file.
    assert Person.objects.get(pk=before.pk).last_name == "Ennen"
    back_to_stale()
    after = person_create(actor=system_actor, first_name="Eero", last_name="Jälkeen")

    # Never wrapped under the key that has just been thrown away.
    assert DataKey.objects.using(KEYSTORE_DB).get(person_id=after.pk).master_key_id == new_id
    reset_state()
    keystore_verify()
    assert Person.objects.get(pk=after.pk).last_name == "Jälkeen"


def test_a_process_left_with_only_the_retired_key_refuses_to_write_rather_than_lose_data(
    settings, people, system_actor, stale_process
):
    back_to_stale = stale_process()
    # Another process, configured with REKISTERI_MASTER_KEY="NEW,OLD", rotates.
    keys_rotate(ring=crypto.parse_master_keys(f"{NEW},{OLD}"))
    back_to_stale()

    with pytest.raises(KeystoreError, match="missing master key: master key 'test-2'"):
        person_create(actor=system_actor, first_name="Eero", last_name="Hukassa")

    assert master_key_ids() == {"test-2"}
    assert not [p for p in Person.objects.all() if p.pk not in people]
