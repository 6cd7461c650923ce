"""Writes of section 11's organisational measures: instructions, acknowledgements, reviews, risks."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError, required
from rekisteri.governance.models import (
    AccessReview,
    AccessReviewReminder,
    InstructionAcknowledgement,
    Risk,
    RiskDecision,
    RiskLevel,
    StaffInstruction,
)
from rekisteri.governance.selectors import access_review_due, last_access_review
from rekisteri.outbox.services import privacy_officers_mail


def instruction_publish(
    *, actor: Actor, title_fi: str, title_en: str, body_fi: str, body_en: str
) -> StaffInstruction:
    """Publish a new version of the instructions: every member must acknowledge it before
    they see personal data again."""
    values = {"title_fi": title_fi, "title_en": title_en, "body_fi": body_fi, "body_en": body_en}
    missing = {name: required() for name, value in values.items() if not value.strip()}
    if missing:
        raise ValidationError(missing)
    with transaction.atomic():
        latest = StaffInstruction.objects.select_for_update().aggregate(v=Max("version"))["v"] or 0
        instruction = StaffInstruction.objects.create(
            version=latest + 1, published_by=actor.user, **{k: v.strip() for k, v in values.items()}
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="staff_instruction",
            object_ids=[instruction.pk],
            detail={"version": instruction.version},
        )
    return instruction


def instruction_acknowledge(*, actor: Actor, user, instruction: StaffInstruction) -> None:
    """`user` read this version and commits to follow it. Only the current version is taken."""
    current = StaffInstruction.objects.order_by("-version").first()
    if current is None or current.pk != instruction.pk:
        raise ServiceError(
            _("A newer version of the instructions exists: read that one."), code="instructions.outdated"
        )
    try:
        with transaction.atomic():
            InstructionAcknowledgement.objects.create(user=user, instruction=instruction)
            audit_record(
                actor=actor,
                action="acknowledge",
                object_type="staff_instruction",
                object_ids=[instruction.pk],
                detail={"version": instruction.version},
            )
    except IntegrityError:
        return  # acknowledged already (a double click)


def access_review_record(*, actor: Actor, period_days: int, notes: str = "") -> AccessReview:
    """The privacy officer completed the quarterly access review."""
    with transaction.atomic():
        review = AccessReview.objects.create(
            reviewed_by=actor.user, period_days=period_days, notes=notes.strip()
        )
        audit_record(
            actor=actor,
            action="review",
            object_type="access_review",
            object_ids=[review.pk],
            detail={"period_days": period_days},
        )
    return review


# While the review stays overdue, the reminder comes again after this many days.
REMINDER_REPEAT_DAYS = 7


def _review_path() -> str:
    try:
        return reverse("web:access_review")
    except NoReverseMatch:  # a URL configuration without the staff pages (some tests)
        return "/governance/access-review/"


def access_review_remind(*, now: datetime | None = None) -> int:
    """Mail the privacy officers when the quarterly access review (section 11) is due.

    Once when it falls due and again every REMINDER_REPEAT_DAYS while it stays undone; the
    mail names dates only. Returns the number of mails queued (0 when nothing was due).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    due_on = access_review_due(now=now)
    if due_on > today:
        return 0
    with transaction.atomic():
        last_review = last_access_review()
        since_review = AccessReviewReminder.objects.select_for_update()
        if last_review is not None:
            since_review = since_review.filter(sent_at__gt=last_review.reviewed_at)
        latest = since_review.order_by("-sent_at").first()
        if latest is not None and now - latest.sent_at < timedelta(days=REMINDER_REPEAT_DAYS):
            return 0
        if last_review is None:
            # Never reviewed: due since the first reminder, not a new "today" every day.
            first = since_review.order_by("sent_at").first()
            due_on = first.due_on if first is not None else today
        context = {
            "due_on": due_on,
            "overdue_days": (today - due_on).days,
            "review_url": f"{settings.PUBLIC_BASE_URL}{_review_path()}",
        }
        recipients = privacy_officers_mail(
            template="governance/mail/access_review_due",
            context=context,
            kind="access_review_due",
            purpose="rights_and_obligations",
        )
        reminder = AccessReviewReminder.objects.create(due_on=due_on, sent_at=now, recipients=recipients)
        audit_record(
            actor=Actor.system("task:access_review_reminder", origin="task"),
            action="remind",
            object_type="access_review",
            object_ids=[reminder.pk],
            purpose="rights_and_obligations",
            detail={"due_on": due_on.isoformat(), "recipients": recipients},
        )
    return recipients


RISK_FIELDS = (
    "title",
    "description",
    "likelihood",
    "impact",
    "assessment",
    "decision",
    "measures",
    "owner",
    "review_on",
)


def _risk_check(values: dict[str, Any]) -> None:
    errors = {}
    for name in ("title", "description", "assessment"):
        if not str(values.get(name, "")).strip():
            errors[name] = required()
    if values.get("likelihood") not in RiskLevel.values:
        errors["likelihood"] = ServiceError(_("Choose a level."), code="risk.level")
    if values.get("impact") not in RiskLevel.values:
        errors["impact"] = ServiceError(_("Choose a level."), code="risk.level")
    if values.get("decision") not in RiskDecision.values:
        errors["decision"] = ServiceError(_("Choose a decision."), code="risk.decision")
    if values.get("owner") is None:
        errors["owner"] = ServiceError(_("Name the owner."), code="risk.owner")
    if not isinstance(values.get("review_on"), date):
        errors["review_on"] = ServiceError(_("Give the review date."), code="risk.review_on")
    if errors:
        raise ValidationError(errors)


def risk_save(*, actor: Actor, risk: Risk | None = None, **values: Any) -> Risk:
    """Add a risk to the register, or change one; every change is audited with the fields."""
    _risk_check(values)
    with transaction.atomic():
        if risk is None:
            risk = Risk.objects.create(**{name: values[name] for name in RISK_FIELDS if name in values})
            action, changed = "create", sorted(values)
        else:
            changed = sorted(
                name for name in RISK_FIELDS if name in values and getattr(risk, name) != values[name]
            )
            for name in changed:
                setattr(risk, name, values[name])
            risk.save()
            action = "change"
        audit_record(
            actor=actor, action=action, object_type="risk", object_ids=[risk.pk], detail={"fields": changed}
        )
    return risk
