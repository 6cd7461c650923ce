"""The audit key: its own secret, independent of master key rotation, rotatable itself."""

from __future__ import annotations

import base64
import io
import stat

import pytest
from django.core.management import CommandError, call_command

from rekisteri.audit.keys import AuditKeyError, audit_keys
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_checkpoint, audit_record, audit_verify
from rekisteri.keystore.services import reset_state
from rekisteri.lib import crypto
from rekisteri.people.services import person_create

pytestmark = pytest.mark.django_db

AUDIT_1 = "audit-test-1:" + "B" * 43  # conftest.TEST_AUDIT_KEY
AUDIT_2 = "audit-2:" + base64.urlsafe_b64encode(b"\x07" * 32).decode().rstrip("=")
MASTER_2 = "test-2:" + base64.urlsafe_b64encode(b"\x35" * 32).decode().rstrip("=")


def _views(actor, n: int = 3) -> None:
    for _ in range(n):
        audit_record(actor=actor, action="view", object_type="person")


def _verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_events_name_the_audit_key_that_chained_them(system_actor):
    event = audit_record(actor=system_actor, action="view", object_type="person")
    assert AuditEvent.objects.get(pk=event.pk).key_id == "audit-test-1"


def test_a_new_audit_key_put_first_chains_new_events_and_the_old_one_verifies_the_rest(
    settings, system_actor
):
    _views(system_actor)
    audit_checkpoint()
    settings.AUDIT_KEY = f"{AUDIT_2},{AUDIT_1}"
    _views(system_actor)
    audit_checkpoint()

    assert list(AuditEvent.objects.values_list("key_id", flat=True)) == ["audit-test-1"] * 3 + ["audit-2"] * 3
    assert "intact: 6 event(s) checked" in _verify()
    assert "2 checkpoint(s)" in _verify()


def test_dropping_an_audit_key_that_events_name_is_refused_by_verify(settings, system_actor):
    _views(system_actor)
    settings.AUDIT_KEY = AUDIT_2
    _views(system_actor)

    with pytest.raises(CommandError, match="event 1 names audit key 'audit-test-1', which is not configured"):
        _verify()


def test_master_key_rotation_leaves_the_trail_verifiable(settings, system_actor):
    person_create(actor=system_actor, first_name="Eero", last_name="Esimerkki")
    audit_checkpoint()
    settings.MASTER_KEY = f"{MASTER_2},{settings.MASTER_KEY}"
    reset_state()
    call_command("keys", "rotate", stdout=io.StringIO())
    settings.MASTER_KEY = MASTER_2  # the old master key is thrown away
    reset_state()
    _views(system_actor)

    assert "intact" in _verify()


def test_key_file_rotation_of_the_master_key_leaves_the_trail_verifiable(settings, tmp_path, system_actor):
    settings.MASTER_KEY = ""
    settings.MASTER_KEY_FILE = tmp_path / "master.key"
    reset_state()
    person_create(actor=system_actor, first_name="Eero", last_name="Esimerkki")
    old = settings.MASTER_KEY_FILE.read_text()

    call_command("keys", "rotate", stdout=io.StringIO())

    assert settings.MASTER_KEY_FILE.read_text() != old
    reset_state()
    _views(system_actor)
    assert "intact" in _verify()


def test_the_embedded_default_makes_an_audit_key_file_readable_by_its_owner_only(
    settings, tmp_path, system_actor
):
    settings.AUDIT_KEY = ""
    settings.AUDIT_KEY_FILE = tmp_path / "audit.key"
    _views(system_actor, 1)

    assert stat.S_IMODE(settings.AUDIT_KEY_FILE.stat().st_mode) == 0o600
    ring = crypto.parse_master_keys(settings.AUDIT_KEY_FILE.read_text())
    assert AuditEvent.objects.get().key_id == ring.current.key_id
    assert audit_verify().ok


def test_production_without_an_audit_key_refuses_to_append(settings):
    settings.AUDIT_KEY = ""
    settings.PRODUCTION = True
    with pytest.raises(AuditKeyError, match="REKISTERI_AUDIT_KEY must be set"):
        audit_keys()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-a-key", "the audit key cannot be used: an audit key must look like ID:BASE64URLKEY"),
        ("a1:abc", "audit key 'a1' must decode to 32 bytes"),
    ],
)
def test_a_malformed_audit_key_is_a_clear_error(settings, value, message):
    settings.AUDIT_KEY = value
    with pytest.raises(AuditKeyError, match=message):
        audit_keys()


def test_the_master_key_is_refused_as_the_audit_key(settings):
    settings.AUDIT_KEY = "audit-x:" + settings.MASTER_KEY.split(":")[1]
    with pytest.raises(AuditKeyError, match="holds a master key"):
        audit_keys()


def test_public_key_prints_each_signing_key_and_no_secret(settings):
    settings.AUDIT_KEY = f"{AUDIT_2},{AUDIT_1}"
    out = io.StringIO()
    call_command("audit", "public-key", stdout=out)

    lines = out.getvalue().splitlines()
    assert [line.split()[:2] for line in lines] == [["audit-2", "ed25519"], ["audit-test-1", "ed25519"]]
    assert all(len(base64.b64decode(line.split()[2])) == 32 for line in lines)
    assert "B" * 20 not in out.getvalue() and AUDIT_2.split(":")[1] not in out.getvalue()


def test_the_audit_key_never_reaches_the_database(settings, system_actor, person):
    from django.db import connection

    from rekisteri.audit.chain import _EVENT_LABEL, _SEAL_LABEL, _derive

    secret = crypto.parse_master_keys(settings.AUDIT_KEY).current.key
    forms = set()
    for key in (secret, _derive(secret, _EVENT_LABEL), _derive(secret, _SEAL_LABEL)):
        forms |= {
            key.hex(),
            base64.b64encode(key).decode(),
            base64.urlsafe_b64encode(key).decode().rstrip("="),
        }
    sent: list[str] = []

    def capture(execute, sql, params, many, context):
        sent.append(f"{sql} {params!r}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        _views(system_actor)
        audit_checkpoint()
        audit_verify()

    assert sent
    assert not [statement for statement in sent for form in forms if form in statement]
    assert "BBBBBBBBBB" not in " ".join(sent)
