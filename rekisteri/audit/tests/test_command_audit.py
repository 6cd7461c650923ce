import io
import json

import pytest
from django.core.management import CommandError, call_command

from rekisteri.audit.models import AuditEvent, AuditHead, AuditSubject
from rekisteri.audit.services import audit_record
from rekisteri.audit.testing import append_only_triggers_dropped

pytestmark = pytest.mark.django_db


def _audit(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue()


def _events(actor, n=5):
    for i in range(n):
        audit_record(
            actor=actor,
            action="view",
            object_type="person",
            object_ids=[i],
            person_ids=[f"3f1c1a52-8f8e-4a61-9c7a-1f6a0b1d2e3{i}"],
        )


def test_verify_reports_an_intact_trail(system_actor):
    _events(system_actor)
    output = _audit("verify")
    assert "intact: 5 event(s) checked, head at event 5" in output
    assert "No checkpoints in" in output


def test_verify_fails_and_names_the_first_changed_event(system_actor):
    _events(system_actor)
    with append_only_triggers_dropped():
        AuditEvent.objects.filter(seq=3).update(action="search")
    with pytest.raises(CommandError, match="broken at event 3: event 3 was changed"):
        _audit("verify")


def test_checkpoint_writes_the_head_outside_the_database(system_actor, settings):
    _events(system_actor)
    output = _audit("checkpoint")

    head = AuditHead.objects.get()
    lines = settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    assert [(json.loads(line)["seq"], json.loads(line)["head"]) for line in lines] == [(5, head.hash)]
    assert f"event 5, hash {head.hash}, audit key audit-test-1" in output
    assert "1 checkpoint(s)" in _audit("verify")


def test_verify_detects_truncation_below_a_checkpoint(system_actor):
    _events(system_actor)
    _audit("checkpoint")
    third = AuditEvent.objects.get(seq=3)
    with append_only_triggers_dropped():
        # An attacker removes the newest events and rewinds the head consistently.
        AuditSubject.objects.filter(event__seq__gt=3).delete()
        AuditEvent.objects.filter(seq__gt=3).delete()
        AuditHead.objects.update(seq=3, hash=third.hash)
    with pytest.raises(CommandError, match="events 4-5 were removed"):
        _audit("verify")


def test_checkpoint_refuses_to_vouch_for_a_broken_trail(system_actor, settings):
    _events(system_actor)
    with append_only_triggers_dropped():
        AuditEvent.objects.filter(seq=2).update(object_type="organization")
    with pytest.raises(CommandError, match="broken at event 2"):
        _audit("checkpoint")
    assert not settings.AUDIT_CHECKPOINT_FILE.exists()


def test_a_malformed_checkpoint_file_is_a_clear_error(system_actor, settings):
    _events(system_actor, 1)
    settings.AUDIT_CHECKPOINT_FILE.write_text("not json\n")
    with pytest.raises(CommandError, match="checkpoint file cannot be trusted.*line 1 is not a valid"):
        _audit("verify")


def test_an_empty_trail_verifies_and_can_be_checkpointed(settings):
    assert "0 event(s) checked" in _audit("verify")
    _audit("checkpoint")
    assert json.loads(settings.AUDIT_CHECKPOINT_FILE.read_text())["seq"] == 0


@pytest.mark.parametrize("args", [[], ["repair"]])
def test_a_missing_or_unknown_subcommand_is_an_error(args):
    with pytest.raises(CommandError):
        _audit(*args)
