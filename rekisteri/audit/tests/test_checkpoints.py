"""Signed checkpoints: their lines, the worker's schedule, syslog copies."""

from __future__ import annotations

import io
import json
import logging
import socket
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from rekisteri.audit.chain import GENESIS_HASH
from rekisteri.audit.checkpoints import line_hash
from rekisteri.audit.models import AuditEvent, AuditHead
from rekisteri.audit.services import (
    CHECKPOINT_EVERY,
    audit_checkpoint,
    audit_record,
    audit_verify,
    checkpoint_if_due,
)
from rekisteri.audit.testing import append_only_triggers_dropped

pytestmark = pytest.mark.django_db


def _views(actor, n: int = 3) -> None:
    for _ in range(n):
        audit_record(actor=actor, action="view", object_type="person")


def _lines(settings) -> list[dict]:
    return [json.loads(line) for line in settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()]


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def test_a_checkpoint_holds_the_head_the_counts_and_a_link_to_the_line_before(settings, person, system_actor):
    audit_checkpoint()
    _views(system_actor)
    audit_checkpoint()

    first, second = _lines(settings)
    head = AuditHead.objects.get()
    assert (second["seq"], second["head"], second["events"]) == (head.seq, head.hash, head.seq)
    assert (second["persons"], second["data_keys"]) == (1, 1)
    assert second["key_id"] == "audit-test-1" and second["v"] == 2 and second["sig"]
    assert first["prev"] == GENESIS_HASH
    assert second["prev"] == line_hash(settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()[0])
    assert settings.AUDIT_CHECKPOINT_FILE.stat().st_mode & 0o777 == 0o600
    assert "2 checkpoint(s)" in _verify()


def test_unsigned_checkpoints_of_the_first_format_still_verify_before_signed_ones(settings, system_actor):
    _views(system_actor)
    event = AuditEvent.objects.get(seq=2)
    settings.AUDIT_CHECKPOINT_FILE.write_text(json.dumps({"seq": 2, "hash": event.hash, "at": "x"}) + "\n")
    audit_checkpoint()

    assert "2 checkpoint(s)" in _verify()
    with settings.AUDIT_CHECKPOINT_FILE.open("a") as handle:
        handle.write(json.dumps({"seq": 3, "hash": AuditEvent.objects.get(seq=3).hash}) + "\n")
    with pytest.raises(CommandError, match="line 3 is not signed, but follows signed checkpoints"):
        _verify()


def test_verify_compares_with_a_copy_of_the_checkpoints_given_on_the_command_line(
    settings, tmp_path, system_actor
):
    _views(system_actor)
    audit_checkpoint()
    copy = tmp_path / "copy.jsonl"
    copy.write_text(settings.AUDIT_CHECKPOINT_FILE.read_text())
    settings.AUDIT_CHECKPOINT_FILE.unlink()

    assert f"1 checkpoint(s) in {copy} agree" in _verify("--checkpoint-file", str(copy))
    with pytest.raises(CommandError, match="is not a file"):
        _verify("--checkpoint-file", str(tmp_path / "missing.jsonl"))


def test_a_checkpoint_that_cannot_be_written_is_a_clear_error(settings, tmp_path, system_actor):
    _views(system_actor)
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "a-file" / "checkpoints.jsonl"
    (tmp_path / "a-file").write_text("not a directory")

    with pytest.raises(CommandError, match="No checkpoint was written to"):
        call_command("audit", "checkpoint", stdout=io.StringIO())


# --------------------------------------------------------------------------- the worker's schedule


def test_the_first_round_checkpoints_and_the_next_waits_five_minutes(settings, system_actor):
    _views(system_actor)
    now = timezone.now()

    written = checkpoint_if_due(now=now)

    assert written is not None and written.seq == 3
    _views(system_actor)
    assert checkpoint_if_due(now=now + timedelta(minutes=4)) is None
    later = checkpoint_if_due(now=now + CHECKPOINT_EVERY + timedelta(seconds=1))
    assert later is not None and later.seq == 6
    assert [line["seq"] for line in _lines(settings)] == [3, 6]
    assert audit_verify().ok


def test_an_unchanged_trail_gets_no_new_checkpoint(settings, system_actor):
    _views(system_actor)
    now = timezone.now()
    checkpoint_if_due(now=now)

    assert checkpoint_if_due(now=now + timedelta(hours=1)) is None
    assert len(_lines(settings)) == 1


def test_a_worker_started_again_reads_the_time_of_the_last_checkpoint_from_the_file(settings, system_actor):
    _views(system_actor)
    now = timezone.now()
    audit_checkpoint(now=now)
    _views(system_actor)

    assert checkpoint_if_due(now=now + timedelta(minutes=2)) is None
    assert checkpoint_if_due(now=now + timedelta(minutes=5, seconds=1)).seq == 6


def test_a_broken_trail_gets_no_checkpoint_and_the_reason_is_logged(settings, system_actor, caplog):
    _views(system_actor)
    now = timezone.now()
    checkpoint_if_due(now=now)
    _views(system_actor)
    with append_only_triggers_dropped():
        AuditEvent.objects.filter(seq=5).update(action="delete")

    with caplog.at_level(logging.ERROR, logger="rekisteri.audit"):
        assert checkpoint_if_due(now=now + timedelta(minutes=6)) is None

    assert "broken at event 5: event 5 was changed" in caplog.text
    assert len(_lines(settings)) == 1


def test_an_unwritable_checkpoint_file_is_logged_and_the_round_goes_on(
    settings, tmp_path, system_actor, caplog
):
    _views(system_actor)
    (tmp_path / "a-file").write_text("not a directory")
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "a-file" / "checkpoints.jsonl"

    with caplog.at_level(logging.ERROR, logger="rekisteri.audit"):
        assert checkpoint_if_due() is None

    assert "No audit checkpoint was written" in caplog.text


@pytest.fixture
def worker_in_test_transaction(settings, monkeypatch):
    """The database task backend, and the worker's connection recycling off (it would close
    the connection holding the test's transaction)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    monkeypatch.setattr("rekisteri.rights.management.commands.worker.close_old_connections", lambda: None)


def test_a_worker_round_writes_a_signed_checkpoint(worker_in_test_transaction, settings, system_actor):
    # Every daily job due, whatever the hour the suite runs: the Art. 14 run records an event
    # of its own, so the checkpoint is taken at the head the round leaves, after the tasks.
    settings.RETENTION_SWEEP_AT = settings.ACCESS_REVIEW_REMINDER_AT = "00:00"
    settings.SOURCE_INFORMATION_AT = "00:00"
    _views(system_actor)
    out = io.StringIO()

    call_command("worker", "--once", "--digest-at", "00:00", "--interval", "0", stdout=out)

    head = AuditHead.objects.get().seq
    assert head > 3  # the three views and what the daily tasks recorded
    assert f"Audit checkpoint written at event {head}." in out.getvalue()
    assert [line["seq"] for line in _lines(settings)] == [head]
    assert "1 checkpoint(s)" in _verify()


# --------------------------------------------------------------------------- syslog


def test_each_checkpoint_is_also_sent_to_a_syslog_host(settings, system_actor):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.AUDIT_SYSLOG = ("127.0.0.1", receiver.getsockname()[1], "udp")
    _views(system_actor)
    try:
        audit_checkpoint()
        message = receiver.recv(65536).decode("utf-8")
    finally:
        receiver.close()

    line = settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()[0]
    assert message.startswith("<")  # the syslog priority
    assert message.endswith(f"rekisteri-audit: checkpoint {line}")


def test_a_syslog_host_that_cannot_be_reached_is_logged_and_the_file_keeps_the_checkpoint(
    settings, system_actor, caplog
):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nobody listens there: a TCP connection is refused
    settings.AUDIT_SYSLOG = ("127.0.0.1", port, "tcp")
    _views(system_actor)

    with caplog.at_level(logging.ERROR, logger="rekisteri.audit"):
        audit_checkpoint()

    assert "was not sent to syslog" in caplog.text
    assert len(_lines(settings)) == 1
