"""A wrong or missing master key stops rekisteri at start-up with a clear message, never garbage."""

from __future__ import annotations

import base64
import os
import socket
import sqlite3
import stat
import subprocess
import sys

import pytest

from rekisteri.keystore.models import KeyCheck
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.keystore.services import KeystoreError, keystore_verify, load_master_ring, reset_state
from rekisteri.lib import crypto
from rekisteri.people.models import Person
from tests.live import copy_template_files

# Same id as conftest.TEST_MASTER_KEY ("test-1"), other key material.
SAME_ID_OTHER_KEY = "test-1:" + "B" * 43
OTHER_ID_KEY = "test-2:" + "C" * 43


def _configure(settings, master_key: str) -> None:
    settings.MASTER_KEY = master_key
    reset_state()


@pytest.fixture
def embedded(settings, tmp_path):
    """The embedded default: no REKISTERI_MASTER_KEY, a key file in the data directory."""
    settings.MASTER_KEY = ""
    settings.MASTER_KEY_FILE = tmp_path / "master.key"
    reset_state()
    return settings.MASTER_KEY_FILE


# --------------------------------------------------------------------------- in process


@pytest.mark.django_db
def test_the_right_key_passes_and_records_a_key_check(person):
    ring = keystore_verify()

    assert ring.current.key_id == "test-1"
    assert list(KeyCheck.objects.using(KEYSTORE_DB).values_list("master_key_id", flat=True)) == ["test-1"]


@pytest.mark.django_db
def test_a_different_key_with_the_same_id_is_refused_as_wrong(settings, person):
    _configure(settings, SAME_ID_OTHER_KEY)

    with pytest.raises(KeystoreError, match="wrong master key") as caught:
        keystore_verify()
    assert "B" * 10 not in str(caught.value)  # never echoes key material


@pytest.mark.django_db
def test_a_wrong_key_is_caught_even_before_a_key_check_was_stored(settings, person):
    # A key store written before key checks existed: one data key is unwrapped as proof.
    KeyCheck.objects.using(KEYSTORE_DB).all().delete()
    _configure(settings, SAME_ID_OTHER_KEY)

    with pytest.raises(KeystoreError, match="wrong master key"):
        keystore_verify()
    assert not KeyCheck.objects.using(KEYSTORE_DB).exists()


@pytest.mark.django_db
def test_data_keys_under_an_unconfigured_key_are_refused_as_missing(settings, person):
    _configure(settings, OTHER_ID_KEY)

    with pytest.raises(KeystoreError, match="missing master key: master key 'test-1' is needed"):
        keystore_verify()


@pytest.mark.django_db
def test_reading_a_person_with_a_wrong_key_raises_instead_of_returning_garbage(settings, person):
    _configure(settings, SAME_ID_OTHER_KEY)
    fresh = Person.objects.get(pk=person.pk)

    with pytest.raises(KeystoreError, match="wrong master key"):
        fresh.first_name  # noqa: B018


@pytest.mark.django_db
def test_a_wrong_old_key_in_the_ring_is_refused_too(settings, person):
    # During a rotation both keys are configured; a typo in the old one must not pass.
    _configure(settings, f"{OTHER_ID_KEY},{SAME_ID_OTHER_KEY}")

    with pytest.raises(KeystoreError, match="wrong master key: master key 'test-1'"):
        keystore_verify()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("no-colon-here", "must look like ID:BASE64URLKEY"),
        ("k1:" + "A" * 40, "must decode to 32 bytes"),
        ("k1:not*base64*at*all*", "is not URL-safe base64"),
        ("bad id!:" + "A" * 43, "id must be 1-64 characters"),
        ("k1:" + "A" * 43 + ",k1:" + "B" * 43, "appears more than once"),
    ],
)
def test_a_malformed_master_key_is_refused_without_echoing_it(settings, value, message):
    _configure(settings, value)

    with pytest.raises(KeystoreError, match=message) as caught:
        load_master_ring()
    assert "AAAAAAAAAA" not in str(caught.value)


def test_production_without_a_master_key_is_refused(settings, tmp_path):
    settings.PRODUCTION = True
    settings.MASTER_KEY = ""
    settings.MASTER_KEY_FILE = tmp_path / "master.key"
    reset_state()

    with pytest.raises(KeystoreError, match="REKISTERI_MASTER_KEY must be set"):
        load_master_ring()
    assert not settings.MASTER_KEY_FILE.exists()  # production never falls back to a key file


def test_the_embedded_key_file_is_created_with_mode_600_and_reused(embedded):
    first = load_master_ring()

    assert stat.S_IMODE(embedded.stat().st_mode) == 0o600
    assert load_master_ring().current == first.current
    assert crypto.parse_master_keys(embedded.read_text()).current == first.current
    # No temporary files are left next to it.
    assert [path.name for path in embedded.parent.iterdir()] == ["master.key"]


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_file_readable_by_others_is_refused(embedded, mode):
    load_master_ring()
    embedded.chmod(mode)

    with pytest.raises(KeystoreError, match="mode 600"):
        load_master_ring()


@pytest.mark.django_db
def test_a_replaced_key_file_is_refused_once_data_exists(embedded, system_actor):
    from rekisteri.people.services import person_create

    person_create(actor=system_actor, first_name="Eero", last_name="Esimerkki")
    original = crypto.parse_master_keys(embedded.read_text()).current
    # Someone deletes the key file; the next start creates a fresh key under a new id.
    embedded.unlink()
    reset_state()

    with pytest.raises(KeystoreError, match=f"missing master key: master key '{original.key_id}'"):
        keystore_verify()


# --------------------------------------------------------------------------- real processes


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _random_key(key_id: str) -> str:
    return f"{key_id}:" + base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


# The parent's database and key settings must not leak into the child installation.
_FOREIGN_ENV = {
    "DATABASE_URL",
    "KEYSTORE_DATABASE_URL",
    "REKISTERI_ENV",
    "REKISTERI_MASTER_KEY",
    "SECRET_KEY",
}


class Installation:
    """An embedded installation in its own data directory, driven through the `rekisteri` script."""

    def __init__(self, data_dir):
        self.data_dir = data_dir

    def run(self, *args: str, master_key: str | None = None, **env_overrides: str):
        env = {
            key: value
            for key, value in os.environ.items()
            if key
            not in {
                "DATABASE_URL",
                "KEYSTORE_DATABASE_URL",
                "REKISTERI_ENV",
                "REKISTERI_MASTER_KEY",
                "SECRET_KEY",
            }
        }
        env["REKISTERI_DATA_DIR"] = str(self.data_dir)
        if master_key is not None:
            env["REKISTERI_MASTER_KEY"] = master_key
        env.update(env_overrides)
        return subprocess.run(
            [sys.executable, "-m", "rekisteri.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """Migrated (a copy of the session's template, tests/live.py), with a few demo persons
    under a known master key."""
    site = Installation(tmp_path_factory.mktemp("installation"))
    copy_template_files(site.data_dir)
    site.key = _random_key("site-1")
    result = site.run("demo", "--organizations", "1", "--persons", "3", master_key=site.key)
    assert result.returncode == 0, result.stderr
    return site


def _assert_refused(result, message: str, returncode: int = 1) -> None:
    assert result.returncode == returncode, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_keys_check_passes_with_the_right_key(installation):
    result = installation.run("keys", "check", master_key=installation.key)

    # Every key in the store is counted: the three demo persons' and those of the mails the
    # demo queued (each mail has a key of its own; Art. 14 information among them).
    with sqlite3.connect(installation.data_dir / "keystore.sqlite3") as store:
        (keys,) = store.execute("SELECT COUNT(*) FROM keystore_datakey").fetchone()
    assert keys >= 3
    assert result.returncode == 0, result.stderr
    assert f"Master key site-1 is correct: {keys} data key(s)" in result.stdout


@pytest.mark.slow
def test_keys_check_and_serve_refuse_a_wrong_key_with_the_same_id(installation):
    wrong = _random_key("site-1")

    _assert_refused(installation.run("keys", "check", master_key=wrong), "wrong master key")
    _assert_refused(
        installation.run("serve", "--port", str(_free_port()), master_key=wrong), "wrong master key"
    )


@pytest.mark.slow
def test_keys_check_and_serve_refuse_a_key_with_another_id(installation):
    other = _random_key("site-2")

    _assert_refused(installation.run("keys", "check", master_key=other), "missing master key")
    _assert_refused(
        installation.run("serve", "--port", str(_free_port()), master_key=other),
        "master key 'site-1' is needed but not configured",
    )


@pytest.mark.slow
def test_production_without_a_master_key_refuses_to_start(installation):
    production = {
        "REKISTERI_ENV": "production",
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "rekisteri.example",
        "EMAIL_HOST": "smtp.example",
    }

    for args in (["keys", "check"], ["serve", "--port", str(_free_port())]):
        result = installation.run(*args, **production)
        _assert_refused(
            result, "REKISTERI_MASTER_KEY must be set when REKISTERI_ENV=production", returncode=2
        )


@pytest.mark.slow
def test_the_embedded_key_file_is_created_mode_600_and_a_world_readable_one_is_refused(tmp_path):
    # A migrated installation that has never started: no key file yet (the migration makes none).
    site = Installation(tmp_path)
    copy_template_files(tmp_path)
    key_file = tmp_path / "master.key"
    assert not key_file.exists()

    result = site.run("keys", "check")

    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_file.chmod(0o644)
    _assert_refused(site.run("keys", "check"), "must be readable by its owner only (mode 600)")
    _assert_refused(site.run("serve", "--port", str(_free_port())), "mode 600")


@pytest.mark.django_db
def test_an_empty_key_store_beside_a_register_with_persons_refuses_to_start(person):
    from rekisteri.keystore.models import DataKey, IndexKey, KeyCheck
    from rekisteri.keystore.router import KEYSTORE_DB
    from rekisteri.keystore.services import KeystoreError, keystore_verify, reset_state

    for model in (DataKey, IndexKey, KeyCheck):
        model.objects.using(KEYSTORE_DB).all().delete()
    reset_state()
    with pytest.raises(KeystoreError, match="key store is empty"):
        keystore_verify()


@pytest.mark.django_db
def test_a_changed_blind_index_width_is_a_clear_error(person, settings):
    from rekisteri.keystore.services import KeystoreError, indexer, reset_state

    settings.BLIND_INDEX_BITS = 24
    reset_state()
    with pytest.raises(KeystoreError, match="built with 20 bits"):
        indexer()


@pytest.mark.django_db
def test_the_suppression_hash_is_full_width(person):
    from rekisteri.keystore.services import email_suppression_hash

    digest = email_suppression_hash("anna.virtanen@testi.fi")
    assert len(digest) == 64 and digest != email_suppression_hash("anna.virtanen@testi.com")
