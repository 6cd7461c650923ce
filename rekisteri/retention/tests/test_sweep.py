"""The sweep: the dry run lists what the real run then erases; the deletion report; requests."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from rekisteri.audit.models import AuditEvent
from rekisteri.keystore.models import DataKey, ErasureTombstone
from rekisteri.keystore.router import KEYSTORE_DB
from rekisteri.people.models import Person
from rekisteri.retention.models import RetentionRule, SweepErasure, SweepRun
from rekisteri.retention.selectors import runs_recent
from rekisteri.retention.services import backlog_confirm, retention_sweep
from rekisteri.retention.tests.helpers import ACTOR, aged_person, moment
from rekisteri.rights.models import DataSubjectRequest

TODAY = date(2026, 12, 6)
OLD = date(2023, 1, 10)


@pytest.fixture
def mixed(db):
    expired = [aged_person(created=OLD, last_contact=OLD) for _ in range(3)]
    expired.append(aged_person(created=OLD, last_contact=OLD, categories=["prospect_contact"]))
    kept = [aged_person(created=OLD, last_contact=timezone.localdate() - timedelta(days=30))]
    return expired, kept


def test_the_dry_run_lists_exactly_what_the_real_run_then_erases(mixed):
    expired, kept = mixed

    dry = retention_sweep(actor=ACTOR, dry_run=True)
    assert Person.objects.count() == len(expired) + len(kept)  # nothing erased
    real = retention_sweep(actor=ACTOR)

    listed = [(v.person_id, v.rule, v.anchor_on) for v in dry.verdicts if v.outcome == "erase"]
    erased = [(v.person_id, v.rule, v.anchor_on) for v in real.verdicts if v.outcome == "erase"]
    assert listed == erased
    assert {pid for pid, _, _ in erased} == {p.pk for p in expired}
    assert set(Person.objects.values_list("pk", flat=True)) == {p.pk for p in kept}
    for person in expired:
        assert not DataKey.objects.using(KEYSTORE_DB).filter(person_id=person.pk).exists()
        assert ErasureTombstone.objects.using(KEYSTORE_DB).get(person_id=person.pk).reason == "retention"
    # The deletion report: ids, rules, counts.
    run = SweepRun.objects.get(pk=real.run_id)
    assert (run.erased, run.by_rule, run.dry_run) == (4, {"ceiling": 3, "prospect_contact": 1}, False)
    assert run.finished_at is not None
    assert {e.person_id for e in SweepErasure.objects.filter(run=run)} == {p.pk for p in expired}
    # A second run finds nothing left.
    assert retention_sweep(actor=ACTOR).erased == 0


def test_the_batch_erasure_leaves_no_row_of_any_registered_model(mixed, system_actor):
    from rekisteri.contacts.services import interaction_create
    from rekisteri.privacy.registry import personal_data_models
    from rekisteri.privacy.services import basis_set, source_add

    expired, _ = mixed
    for person in expired:
        basis = basis_set(actor=system_actor, person=person, purpose="direct_marketing", basis="consent")
        type(basis).objects.filter(pk=basis.pk).update(withdrawn_at=moment(OLD))
        source_add(actor=system_actor, person=person, kind="data_subject", detail="Messut")
        interaction_create(actor=system_actor, person=person, kind="note", text="Muistiinpano")
        Person.objects.filter(pk=person.pk).update(last_activity_at=moment(OLD))
    retention_sweep(actor=ACTOR)
    for entry in personal_data_models():
        for person in expired:
            assert not entry.rows_by_lookup(person.pk).exists(), entry.label


def test_the_erasure_is_audited_with_ids_only(mixed):
    expired, _ = mixed
    retention_sweep(actor=ACTOR)
    erase = AuditEvent.objects.get(action="erase")
    detail = json.loads(erase.detail)
    assert (detail["reason"], detail["persons"]) == ("retention", 4)
    assert AuditEvent.objects.filter(action="retention_sweep").count() == 1
    for person in expired:
        assert str(person.pk) in erase.object_ids


def test_a_future_day_is_a_dry_run_only(db):
    with pytest.raises(ValidationError):
        retention_sweep(actor=ACTOR, as_of=timezone.localdate() + timedelta(days=1))
    assert retention_sweep(actor=ACTOR, as_of=timezone.localdate() + timedelta(days=800), dry_run=True)


def test_a_rule_without_auto_confirmation_waits_for_the_privacy_officer(mixed):
    expired, _ = mixed
    RetentionRule.objects.filter(code="ceiling").update(auto_confirm=False)

    first = retention_sweep(actor=ACTOR)
    assert (first.erased, first.awaiting) == (1, 3)  # the prospect's rule confirms itself
    backlog_confirm(actor=ACTOR, rule=RetentionRule.objects.get(code="ceiling"), through=timezone.localdate())
    second = retention_sweep(actor=ACTOR)
    assert (second.erased, second.awaiting) == (3, 0)


def test_closed_requests_are_deleted_when_their_rule_runs_out(db):
    long_ago = timezone.now() - timedelta(days=3 * 366 + 5)
    old = DataSubjectRequest.objects.create(
        reference="DSR-OLD",
        type="access",
        channel="letter",
        received_on=long_ago.date(),
        due_on=long_ago.date(),
        status="fulfilled",
        closed_at=long_ago,
    )
    recent = DataSubjectRequest.objects.create(
        reference="DSR-NEW",
        type="access",
        channel="letter",
        received_on=TODAY,
        due_on=TODAY,
        status="fulfilled",
        closed_at=timezone.now(),
    )
    assert retention_sweep(actor=ACTOR, dry_run=True).requests_deleted == 1
    assert retention_sweep(actor=ACTOR).requests_deleted == 1
    assert list(DataSubjectRequest.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not DataSubjectRequest.objects.filter(pk=old.pk).exists()


def test_the_command_lists_ids_rules_and_anchor_days_as_json(mixed):
    expired, _ = mixed
    out = StringIO()
    call_command("retention", "sweep", "--dry-run", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert {item["person_id"] for item in data["expired"]} == {str(p.pk) for p in expired}
    assert set(data["expired"][0]) >= {"person_id", "rule", "anchor_on", "expired_on"}
    assert data["counts"]["erase"] == 4
    assert "Testi" not in out.getvalue() and "retention.example" not in out.getvalue()
    assert Person.objects.count() == 5


def test_the_command_erases_without_dry_run_and_reports(mixed):
    out = StringIO()
    call_command("retention", "sweep", stdout=out)
    assert "erased 4 person(s)" in out.getvalue()
    assert Person.objects.count() == 1


def test_the_command_refuses_bad_input(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("retention", "sweep", "--as-of", "1.1.2026")
    with pytest.raises(CommandError, match="future"):
        call_command("retention", "sweep", "--as-of", "2999-01-01")


def test_the_rules_command_shows_each_rule_with_its_reason(db):
    out = StringIO()
    call_command("retention", "rules", "--json", stdout=out)
    rules = {rule["code"]: rule for rule in json.loads(out.getvalue())}
    assert rules["ceiling"]["period"] == "P2Y"
    assert "section 7" in rules["ceiling"]["legal_reason"]


def test_the_worker_enqueues_the_sweep_once_a_day(db, settings):
    from rekisteri.rights.tasks import daily_jobs_enqueue

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    # The task row's enqueue time is the real clock's, so the day asked about is today.
    now = timezone.localtime().replace(hour=4, minute=0, second=0, microsecond=0)
    assert "retention sweep" in daily_jobs_enqueue(now=now)
    assert "retention sweep" not in daily_jobs_enqueue(now=now + timedelta(hours=5))


def test_the_deletion_report_keeps_the_proof_of_every_batch(mixed, tmp_path, monkeypatch):
    from rekisteri.privacy import erasure_proof

    expired, _ = mixed
    path = tmp_path / "rekisteri.sqlite3"
    # A leftover the erasure would have missed: the first expired person's wrapped key.
    wrapped = bytes(DataKey.objects.using(KEYSTORE_DB).get(person_id=expired[0].pk).wrapped)
    path.write_bytes(bytes(1000) + wrapped + bytes(1000))
    monkeypatch.setattr(erasure_proof, "database_files", lambda: ([("rekisteri.sqlite3", path)], []))

    result = retention_sweep(actor=ACTOR)

    run = SweepRun.objects.get(pk=result.run_id)
    assert run.evidence == result.evidence == json.loads(json.dumps(result.as_dict()))["evidence"]
    assert (run.evidence["persons"], run.evidence["keys"]["destroyed"]) == (4, 4)
    assert run.evidence["rows"]["people.Person"] == 4
    # Kept at the end of the run with the scan pending; the worker scanned after the sweep
    # (tests run tasks eagerly), once for all its batches, and the page shows the result.
    assert (run.evidence["scan"]["result"], run.evidence["scan"]["pending"]) == ("pending", 1)
    assert json.loads(AuditEvent.objects.get(action="retention_sweep").detail)["scan"] == "pending"
    assert AuditEvent.objects.filter(action="erase_evidence", object_type="erasure_record").count() == 1
    (shown,) = runs_recent()
    scan = shown.evidence["scan"]
    assert (scan["performed"], scan["result"], scan["found_count"], scan["pending"]) == (1, "found", 1, 0)
    assert scan["found"] == [{"owner": str(expired[0].pk), "kind": "data_key", "file": "rekisteri.sqlite3"}]


def test_a_run_that_erased_nobody_has_no_proof(db):
    result = retention_sweep(actor=ACTOR)
    assert SweepRun.objects.get(pk=result.run_id).evidence == {} and "evidence" not in result.as_dict()


def test_the_sweep_leaves_an_art_19_task_for_each_recipient_of_an_erased_persons_data(mixed, system_actor):
    from rekisteri.privacy.disclosure import disclosure_record
    from rekisteri.privacy.models import GroupCompany, RecipientNotification
    from rekisteri.privacy.recipients import recipient_notifications_create

    expired, kept = mixed
    company = GroupCompany.objects.get(name="Insta DefSec Oy")
    for person in (expired[0], expired[1], kept[0]):
        disclosure_record(actor=system_actor, person=person, recipient_company=company, categories=["name"])
    disclosure_record(
        actor=system_actor, person=expired[0], recipient_name="Uutiskirjepalvelu", categories=["email"]
    )
    disclosure_record(actor=system_actor, person=expired[0], recipient_company=company, categories=["email"])
    # What the request path would create for the first person, kept aside to compare with.
    expected = {
        (t.recipient_name, tuple(t.categories), t.recipient_id, t.due_on)
        for t in recipient_notifications_create(actor=system_actor, person_id=expired[0].pk, event="erasure")
    }
    RecipientNotification.objects.all().delete()

    result = retention_sweep(actor=ACTOR)

    tasks = RecipientNotification.objects.filter(event="erasure", completed_at=None)
    assert {(t.person_id, t.recipient_name) for t in tasks} == {
        (expired[0].pk, "Insta DefSec Oy"),
        (expired[0].pk, "Uutiskirjepalvelu"),
        (expired[1].pk, "Insta DefSec Oy"),
    }
    first = {
        (t.recipient_name, tuple(t.categories), t.recipient_id, t.due_on)
        for t in tasks.filter(person_id=expired[0].pk)
    }
    assert first == expected
    assert result.notifications == 3 == SweepRun.objects.get(pk=result.run_id).recipient_notifications
    event = AuditEvent.objects.filter(action="create", object_type="recipient_notification").latest("seq")
    assert json.loads(event.detail) == {"event": "erasure", "recipients": 3, "persons": 2}
    assert set(json.loads(event.person_ids)) == {str(expired[0].pk), str(expired[1].pk)}


def test_a_sweep_told_to_scan_no_batch_says_so_in_its_proof(mixed, settings):
    settings.SWEEP_SCAN_EVERY = 0
    result = retention_sweep(actor=ACTOR)
    scan = SweepRun.objects.get(pk=result.run_id).evidence["scan"]
    assert (scan["performed"], scan["result"], scan["not_performed"]) == (
        0,
        "not_performed",
        ["not_this_batch"],
    )
    assert result.erased == 4
