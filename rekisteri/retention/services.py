"""Writes of the retention register: rules, holds, confirmations, and the sweep (section 7).

The sweep erases through the erasure primitive (rekisteri.privacy.erasure.persons_erase, the
batch form of person_erase): keys destroyed and journalled first, rows through the
personal-data registry, one audit event per batch, the WAL checkpointed at the end. Its
deletion report (SweepRun, SweepErasure) holds ids, rule codes and dates only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.db.bulk_insert import insert_rows
from rekisteri.errors import ServiceError, choose_one, too_long, unknown_field
from rekisteri.lib.deadlines import parse_period
from rekisteri.privacy.erasure import owner_keys_destroy, persons_erase
from rekisteri.privacy.erasure_proof import evidence_summary
from rekisteri.privacy.models import Purpose
from rekisteri.privacy.notice_gate import notice_configuration_changed
from rekisteri.privacy.recipients import recipient_notifications_create_many
from rekisteri.privacy.tasks import erasure_scans_enqueue
from rekisteri.retention.engine import Evaluator, Verdict
from rekisteri.retention.models import (
    CEILING_RULE,
    Category,
    Confirmation,
    LegalHold,
    RetentionRule,
    SweepErasure,
    SweepRun,
)
from rekisteri.retention.selectors import rules_effective
from rekisteri.rights.models import CLOSED_STATUSES, DataSubjectRequest

PURPOSE = "rights_and_obligations"  # section 2: the controller's obligations (section 7)
RULE_FIELDS = ("period", "legal_reason_fi", "legal_reason_en", "auto_confirm", "statutory", "active")
# What section 7 of the notice states of a rule: a change to one of these makes a notice draft,
# and the sweep applies it from the effective date of the version announcing it.
NOTICE_FIELDS = {"period", "legal_reason_fi", "legal_reason_en", "active"}


# --- rules ------------------------------------------------------------------------------


def rule_update(*, actor: Actor, rule: RetentionRule, **fields) -> RetentionRule:
    """Change a rule's period, legal reason or confirmation mode; the ceiling stays in place."""
    unknown = set(fields) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({name: unknown_field() for name in unknown})
    for name, value in fields.items():
        setattr(rule, name, value)
    if rule.code == CEILING_RULE and not rule.active:
        raise ServiceError(
            _("The ceiling rule keeps the notice's two-year promise."),
            code="retention_rule.ceiling",
            field="active",
        )
    rule.clean()
    with transaction.atomic():
        rule.updated_at = timezone.now()
        rule.updated_by = actor.recorded_user
        rule.save()
        audit_record(
            actor=actor,
            action="change",
            object_type="retention_rule",
            object_ids=[rule.pk],
            purpose=PURPOSE,
            detail={"fields": sorted(fields), "period": rule.period},
        )
        if NOTICE_FIELDS & set(fields):
            notice_configuration_changed(actor=actor, reason="retention_rule")
    return rule


def rule_create(
    *,
    actor: Actor,
    code: str,
    category: str,
    period: str,
    anchor: str,
    legal_reason_fi: str,
    legal_reason_en: str,
    purpose: str = "",
    statutory: bool = False,
    auto_confirm: bool = True,
    position: int = 0,
) -> RetentionRule:
    """A new retention rule (purpose: a Purpose slug, blank for every purpose). The notice
    states it in its next version; the sweep applies it from that version's effective date."""
    if RetentionRule.objects.filter(code=code).exists():
        raise ServiceError(
            _("A rule with this code exists already."), code="retention_rule.code_taken", field="code"
        )
    purpose_row = None
    if purpose:
        purpose_row = Purpose.objects.filter(slug=purpose).first()
        if purpose_row is None:
            raise ServiceError(
                _("No purpose %(purpose)s."),
                code="retention_rule.purpose",
                params={"purpose": repr(purpose)},
                field="purpose",
            )
    rule = RetentionRule(
        code=code,
        purpose=purpose_row,
        category=category,
        period=period,
        anchor=anchor,
        legal_reason_fi=legal_reason_fi.strip(),
        legal_reason_en=legal_reason_en.strip(),
        statutory=statutory,
        auto_confirm=auto_confirm,
        position=position,
        updated_by=actor.recorded_user,
    )
    rule.clean()
    rule.full_clean(exclude=["updated_by"])
    with transaction.atomic():
        rule.save()
        audit_record(
            actor=actor,
            action="create",
            object_type="retention_rule",
            object_ids=[rule.pk],
            purpose=PURPOSE,
            detail={"code": rule.code, "period": rule.period},
        )
        notice_configuration_changed(actor=actor, reason="retention_rule")
    return rule


# --- holds ------------------------------------------------------------------------------


def hold_create(
    *,
    actor: Actor,
    kind: str,
    reason: str,
    ends_on: date,
    person=None,
    organization=None,
    starts_on: date | None = None,
) -> LegalHold:
    """Put a person or an organization (all its contacts) under a legal hold until `ends_on`."""
    errors: dict[str, str] = {}
    if (person is None) == (organization is None):
        errors["subject"] = ServiceError(
            _("A hold names a person or an organization."), code="legal_hold.subject"
        )
    if kind not in LegalHold.Kind.values:
        errors["kind"] = choose_one(LegalHold.Kind.values)
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ServiceError(
            _("State the reason (a case number, a statute)."), code="legal_hold.reason_required"
        )
    elif len(reason) > 500:
        errors["reason"] = too_long(500)
    starts_on = starts_on or timezone.localdate()
    if ends_on < starts_on:
        errors["ends_on"] = ServiceError(_("A hold ends on or after it starts."), code="legal_hold.dates")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        hold = LegalHold.objects.create(
            person=person,
            organization=organization,
            kind=kind,
            reason=reason,
            starts_on=starts_on,
            ends_on=ends_on,
            created_by=actor.recorded_user,
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="legal_hold",
            object_ids=[hold.pk],
            person_ids=[person.pk] if person is not None else [],
            purpose=PURPOSE,
            detail={"kind": kind, "organization": organization.pk if organization is not None else None},
        )
    return hold


def hold_release(*, actor: Actor, hold: LegalHold) -> LegalHold:
    """End a hold before its end date (the claim was settled)."""
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is not None:
            raise ServiceError(_("The hold was already released."), code="legal_hold.released", field="hold")
        hold.released_at = timezone.now()
        hold.save(update_fields=["released_at"])
        audit_record(
            actor=actor,
            action="release",
            object_type="legal_hold",
            object_ids=[hold.pk],
            person_ids=[hold.person_id] if hold.person_id else [],
            purpose=PURPOSE,
        )
    return hold


# --- backlog ----------------------------------------------------------------------------


def backlog_confirm(*, actor: Actor, rule: RetentionRule, through: date) -> Confirmation:
    """Confirm a rule's backlog: what it let expire on or before `through` may be erased."""
    if rule.auto_confirm:
        raise ServiceError(
            _("This rule confirms itself."), code="retention_rule.confirms_itself", field="rule"
        )
    if through > timezone.localdate():
        raise ServiceError(
            _("A backlog is confirmed up to today at most."), code="retention_backlog.future", field="through"
        )
    count = sum(
        1
        for chunk in Evaluator(through).chunks()
        for verdict in chunk
        if verdict.rule == rule.code and verdict.outcome == "awaiting"
    )
    with transaction.atomic():
        confirmation = Confirmation.objects.create(
            rule=rule, through=through, count=count, confirmed_by=actor.recorded_user
        )
        audit_record(
            actor=actor,
            action="confirm",
            object_type="retention_rule",
            object_ids=[rule.pk],
            purpose=PURPOSE,
            detail={"through": through.isoformat(), "persons": count},
        )
    return confirmation


# --- the sweep --------------------------------------------------------------------------


@dataclass
class SweepResult:
    as_of: date
    dry_run: bool
    run_id: UUID | None = None
    examined: int = 0
    # Every verdict, in person-id order (when collected); the report of a real run keeps
    # the erased ones.
    verdicts: list[Verdict] = field(default_factory=list)
    by_rule: Counter = field(default_factory=Counter)
    erased: int = 0
    held: int = 0
    awaiting: int = 0
    requests_deleted: int = 0
    # Art. 19 tasks created for the recipients of the erased persons' data.
    notifications: int = 0
    # The erasure's evidence over every batch (erasure_proof.evidence_summary); real runs only.
    evidence: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "run_id": str(self.run_id) if self.run_id else None,
            "expired": [v.as_dict() for v in self.verdicts],
            "counts": {
                "examined": self.examined,
                "erase": sum(self.by_rule.values()),
                "held": self.held,
                "awaiting_confirmation": self.awaiting,
                "erased": self.erased,
                "requests": self.requests_deleted,
                "recipient_notifications": self.notifications,
                "by_rule": dict(sorted(self.by_rule.items())),
            },
            **({"evidence": self.evidence} if self.evidence else {}),
        }


def _report_rows(run: SweepRun, erased: list[Verdict]) -> None:
    """The deletion report's rows of one chunk, in one statement below the ORM (the ORM's
    bulk_create spent more time building SQL than SQLite spent writing); written inside the
    transaction that records the chunk's erasure evidence (persons_erase's with_evidence)."""
    connection = transaction.get_connection()
    fields = {f.name: f for f in SweepErasure._meta.concrete_fields}
    prep = {name: fields[name].get_db_prep_save for name in ("run", "person_id", "anchor_on", "expired_on")}
    run_id = prep["run"](run.pk, connection)
    rows = [
        (
            run_id,
            prep["person_id"](v.person_id, connection),
            v.rule,
            prep["anchor_on"](v.anchor_on, connection),
            prep["expired_on"](v.expired_on, connection),
        )
        for v in erased
    ]
    columns = [fields[name].column for name in ("run", "person_id", "rule_code", "anchor_on", "expired_on")]
    insert_rows(connection, SweepErasure, columns, rows)


def _request_rule(as_of: date) -> RetentionRule | None:
    """The request register's rule as the notice in force on `as_of` announced it."""
    return next((rule for rule in rules_effective(as_of) if rule.category == Category.REQUEST_RECORD), None)


def _requests_expired(as_of: date):
    """Closed requests whose rule (request closure + period) ran out on or before `as_of`."""
    rule = _request_rule(as_of)
    if rule is None:
        return DataSubjectRequest.objects.none()
    cut = parse_period(rule.period).before(as_of)
    moment = timezone.make_aware(datetime.combine(cut, time.min))
    return DataSubjectRequest.objects.filter(status__in=CLOSED_STATUSES, closed_at__lt=moment)


def _requests_delete(actor: Actor, as_of: date) -> int:
    """Delete the request register's own expired records and destroy their keys."""
    ids = [str(pk) for pk in _requests_expired(as_of).values_list("pk", flat=True)]
    if not ids:
        return 0
    with transaction.atomic():
        DataSubjectRequest.objects.filter(pk__in=ids).delete()
        audit_record(
            actor=actor,
            action="delete",
            object_type="rights_request",
            object_ids=ids,
            purpose=PURPOSE,
            detail={"reason": "retention", "requests": len(ids)},
        )
    owner_keys_destroy(owner_ids=ids, reason="retention")
    return len(ids)


def retention_sweep(
    *,
    actor: Actor,
    as_of: date | None = None,
    dry_run: bool = False,
    collect: bool = True,
    progress: Callable[[str, int], None] | None = None,
) -> SweepResult:
    """Find what has outlived its rules as of `as_of` (today) and, unless `dry_run`, erase it.

    A future day is for dry runs only (what would expire). The real run evaluates exactly as
    the dry run does, chunk by chunk, and erases each chunk's persons before reading the
    next; with `collect` the verdicts are kept for the caller (the command's listing).
    """
    today = timezone.localdate()
    as_of = as_of or today
    if as_of > today and not dry_run:
        raise ServiceError(
            _("A day in the future can only be a dry run."), code="retention_sweep.future", field="as_of"
        )
    result = SweepResult(as_of=as_of, dry_run=dry_run)
    run = None
    if not dry_run:
        run = SweepRun.objects.create(as_of=as_of, started_by=actor.label or f"user:{actor.user_id}")
        result.run_id = run.pk
    evaluator = Evaluator(as_of)
    batches: list[dict] = []  # one small dict per batch of up to 2,000 persons
    scan_every = settings.SWEEP_SCAN_EVERY
    for chunk in evaluator.chunks():
        result.examined += len(chunk)
        erase = [v for v in chunk if v.outcome == "erase"]
        result.held += sum(1 for v in chunk if v.outcome == "held")
        result.awaiting += sum(1 for v in chunk if v.outcome == "awaiting")
        result.by_rule.update(v.rule for v in erase)
        if collect:
            result.verdicts.extend(chunk)
        if run is not None and erase:
            # Art. 19: the recipients are read from the disclosure log before it goes with them.
            result.notifications += recipient_notifications_create_many(
                actor=actor, person_ids=[v.person_id for v in erase], event="erasure"
            )
            result.erased += persons_erase(
                actor=actor,
                person_ids=[v.person_id for v in erase],
                reason="retention",
                evidence=batches,
                # Batches are the chunks here: the Nth chunk with erasures is scanned.
                scan_every=0 if not scan_every else int(len(batches) % scan_every == 0),
                with_evidence=lambda _, run=run, erase=erase: _report_rows(run, erase),
                # One byte scan for every batch, after the sweep (below).
                scan_enqueue=False,
            )
        if progress is not None:
            progress("persons", sum(result.by_rule.values()))
    if dry_run:
        result.requests_deleted = _requests_expired(as_of).count()
    else:
        result.requests_deleted = _requests_delete(actor, as_of)
    if run is not None:
        if batches:
            result.evidence = evidence_summary(batches)
        with transaction.atomic():
            if result.evidence.get("scan", {}).get("pending"):
                # One byte scan for every batch of the run, in the worker (erasure_scan).
                erasure_scans_enqueue()
            SweepRun.objects.filter(pk=run.pk).update(
                evidence=result.evidence,
                finished_at=timezone.now(),
                examined=result.examined,
                expired=sum(result.by_rule.values()),
                erased=result.erased,
                held=result.held,
                awaiting_confirmation=result.awaiting,
                requests_deleted=result.requests_deleted,
                recipient_notifications=result.notifications,
                by_rule=dict(result.by_rule),
            )
            if not (result.erased or result.requests_deleted):
                # Nothing personal was touched: the run's report is the record.
                return result
            audit_record(
                actor=actor,
                action="retention_sweep",
                object_type="retention_run",
                object_ids=[run.pk],
                purpose=PURPOSE,
                detail={
                    "as_of": as_of.isoformat(),
                    "erased": result.erased,
                    "held": result.held,
                    "awaiting": result.awaiting,
                    "requests": result.requests_deleted,
                    "scan": result.evidence.get("scan", {}).get("result", "not_performed"),
                    "recipient_notifications": result.notifications,
                },
            )
    return result
