"""new_owner_key: a server makes new persons' data keys ahead, many in one key-store commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from rekisteri.keystore import services as keystore
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.people.selectors import person_get
from rekisteri.people.services import person_create


def _keys() -> set[str]:
    return {str(pid) for pid in DataKey.objects.using(KEYSTORE_DB).values_list("person_id", flat=True)}


@pytest.fixture
def pool_of_four():
    keystore.key_pool_enable(4)
    yield
    keystore.key_pool_enable(0)


@pytest.mark.django_db(transaction=True, databases=["default", KEYSTORE_DB])
def test_a_server_commits_four_keys_at_once_and_hands_them_out_in_order(pool_of_four, system_actor):
    first = person_create(actor=system_actor, first_name="Anna", last_name="Virtanen")
    stored = _keys()
    assert len(stored) == 4 and str(first.pk) in stored  # durable before the person's row
    later = [person_create(actor=system_actor, first_name="Anna", last_name=f"Nimi{n}") for n in range(3)]
    assert _keys() == stored  # no commit to the key store for these three
    assert {str(p.pk) for p in [first, *later]} == stored
    assert [p.pk for p in [first, *later]] == sorted(p.pk for p in [first, *later])
    fifth = person_create(actor=system_actor, first_name="Anna", last_name="Viides")
    assert len(_keys()) == 8 and str(fifth.pk) in _keys()
    keystore.reset_state()  # a fresh process: the keys are read back from the key store
    assert person_get(actor=system_actor, person_id=fifth.pk).last_name == "Viides"


@pytest.mark.django_db(transaction=True, databases=["default", KEYSTORE_DB])
def test_inside_a_key_store_transaction_nothing_is_pooled(pool_of_four, system_actor):
    with transaction.atomic(using=KEYSTORE_DB):
        person = person_create(actor=system_actor, first_name="Anna", last_name="Virtanen")
    assert _keys() == {str(person.pk)}


@pytest.mark.django_db(transaction=True, databases=["default", KEYSTORE_DB])
def test_the_unused_rest_of_a_pool_is_deleted_at_exit(pool_of_four, system_actor):
    person = person_create(actor=system_actor, first_name="Anna", last_name="Virtanen")
    keystore._pool_release()
    assert _keys() == {str(person.pk)}


def test_commands_make_keys_one_by_one_unless_serving():
    assert keystore._pool_size[0] == 0


_CREATE_THEN_WAIT = """
import sys, django
django.setup()
from rekisteri.audit.actor import Actor
from rekisteri.keystore.services import key_pool_enable
from rekisteri.people.services import person_create
key_pool_enable(8)
actor = Actor.system("test:kill", origin="cli")
for name in ("Virtanen", "Korhonen", "Nieminen"):
    print(person_create(actor=actor, first_name="Anna", last_name=name).pk, flush=True)
sys.stdin.read()  # acknowledged: wait to be killed
"""

_READ_BACK = """
import sys, django
django.setup()
from rekisteri.audit.actor import Actor
from rekisteri.people.selectors import person_get
actor = Actor.system("test:kill", origin="cli")
for person_id in sys.argv[1:]:
    print(person_get(actor=actor, person_id=person_id).last_name)
"""


@pytest.mark.slow
def test_persons_acknowledged_before_a_kill_9_are_readable_after_it(tmp_path):
    """Pooled keys are committed before they are handed out: a server killed right after
    answering loses no person it acknowledged, and no key of one."""
    import os
    import signal
    import subprocess
    import sys

    from conftest import TEST_MASTER_KEY
    from tests.live import copy_template_files

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KEYSTORE_DATABASE_URL", "DEBUG"}}
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    env.update(
        REKISTERI_DATA_DIR=str(data),
        DJANGO_SETTINGS_MODULE="rekisteri.settings",
        REKISTERI_MASTER_KEY=TEST_MASTER_KEY,
        REKISTERI_AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
        REKISTERI_ENV="embedded",
    )
    copy_template_files(data)  # a migrated installation (tests/live.py)
    child = subprocess.Popen(
        [sys.executable, "-c", _CREATE_THEN_WAIT],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        ids = [child.stdout.readline().strip() for _ in range(3)]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert all(ids), ids
    read = subprocess.run(
        [sys.executable, "-c", _READ_BACK, *ids], env=env, capture_output=True, text=True, timeout=120
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == ["Virtanen", "Korhonen", "Nieminen"]
