"""Changing the notice: its configuration (audited, each change refreshing the draft),
publishing versions (section 12) and queueing their announcement.

A published version is immutable. A significant one takes effect no sooner than the lead
time (NOTICE_LEAD_DAYS, default 30 days) after publication and is announced by mail to every
person with an address, in a background task (tasks.notice_announce).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import Action, audit_record
from rekisteri.errors import ServiceError
from rekisteri.notice import sources
from rekisteri.notice.models import NoticeSettings, NoticeVersion, VersionStatus
from rekisteri.notice.selectors import draft_get, notice_render, published_versions
from rekisteri.privacy.models import GroupCompany

CONTROLLER_FIELDS = (
    "name",
    "business_id",
    "street_address",
    "postal_code",
    "city",
    "phone",
    "email",
    "representative_name",
    "representative_title",
    "representative_phone",
    "representative_email",
    "representative_postal_address",
)
AUTHORITY_FIELDS = (
    "authority_name_fi",
    "authority_name_en",
    "authority_street_address",
    "authority_postal_address",
    "authority_phone",
    "authority_email",
    "authority_url",
)
MAX_SUMMARY = 2000


@transaction.atomic
def draft_refresh(*, actor: Actor, reason: str = "manual") -> NoticeVersion | None:
    """Make the draft say what the live configuration says now.

    Returns the draft, or None when the configuration says exactly what the newest
    published version says (then there is nothing to publish and no draft is kept)."""
    rendering = notice_render()
    latest = published_versions().first()
    draft = draft_get()
    if latest is not None and latest.text_fi == rendering.text_fi and latest.text_en == rendering.text_en:
        if draft is not None:
            draft.delete()
        return None
    now = timezone.now()
    if draft is None:
        draft = NoticeVersion(created_by=actor.recorded_user, created_at=now)
    draft.document = rendering.document
    draft.facts = rendering.facts
    draft.text_fi = rendering.text_fi
    draft.text_en = rendering.text_en
    if reason not in draft.reasons:
        draft.reasons = [*draft.reasons, reason]
    draft.updated_at = now
    draft.save()
    audit_record(
        actor=actor,
        action=Action.CHANGE,
        object_type="notice_version",
        object_ids=[draft.pk],
        detail={"event": "draft_refreshed", "reason": reason},
    )
    return draft


@transaction.atomic
def controller_update(*, actor: Actor, values: dict[str, Any]) -> GroupCompany:
    """Section 1: change the controller's or its representative's details; makes a draft."""
    unknown = set(values) - set(CONTROLLER_FIELDS)
    if unknown:
        raise ValidationError(
            {
                field: ServiceError(_("Not a field of the controller."), code="controller.field_unknown")
                for field in sorted(unknown)
            }
        )
    company = GroupCompany.objects.select_for_update().filter(is_controller=True).first()
    if company is None:
        company = GroupCompany(is_controller=True)
    changed = [
        field for field in CONTROLLER_FIELDS if field in values and getattr(company, field) != values[field]
    ]
    if not changed:
        return company
    for field in changed:
        setattr(company, field, values[field])
    if not company.name.strip():
        raise ServiceError(_("The controller needs a name."), code="controller.name_required", field="name")
    if GroupCompany.objects.filter(name=company.name).exclude(pk=company.pk).exists():
        raise ServiceError(
            _("Another group company already has this name."),
            code="group_company.name_taken_by_other",
            field="name",
        )
    company.full_clean()
    company.save()
    # Field names only: the representative's details are a staff member's, and stay out of the trail.
    audit_record(
        actor=actor,
        action=Action.CHANGE,
        object_type="group_company",
        object_ids=[company.pk],
        detail={"event": "notice_controller_changed", "fields": changed},
    )
    draft_refresh(actor=actor, reason="controller")
    return company


@transaction.atomic
def authority_update(*, actor: Actor, values: dict[str, str]) -> NoticeSettings:
    """Section 8: the supervisory authority as the notice names it; blank means the default."""
    unknown = set(values) - set(AUTHORITY_FIELDS)
    if unknown:
        raise ValidationError(
            {
                field: ServiceError(_("Not a field of the authority."), code="authority.field_unknown")
                for field in sorted(unknown)
            }
        )
    row, _created = NoticeSettings.objects.select_for_update().get_or_create(pk=1)
    # A value equal to the deployment's default is stored blank: it keeps following the default.
    defaults = settings.SUPERVISORY_AUTHORITY
    values = {
        field: "" if value == defaults.get(field.removeprefix("authority_")) else value
        for field, value in values.items()
    }
    changed = [
        field for field in AUTHORITY_FIELDS if field in values and getattr(row, field) != values[field]
    ]
    if not changed:
        return row
    for field in changed:
        setattr(row, field, values[field])
    row.full_clean()
    row.updated_at = timezone.now()
    row.updated_by = actor.recorded_user
    row.save()
    audit_record(
        actor=actor,
        action=Action.CHANGE,
        object_type="notice_settings",
        object_ids=[row.pk],
        detail={"event": "notice_authority_changed", "fields": changed},
    )
    draft_refresh(actor=actor, reason="authority")
    return row


def earliest_effective(*, significant: bool, today: date | None = None) -> date:
    """Section 12: a significant change waits the lead time; any other may apply today."""
    today = today or timezone.localdate()
    return today + timedelta(days=sources.lead_time_days()) if significant else today


@transaction.atomic
def version_publish(
    *, actor: Actor, effective_on: date, summary: str, significant: bool = False, today: date | None = None
) -> NoticeVersion:
    """Publish the live configuration as the next version (the draft, refreshed first).

    Refuses an effective date before the lead time for a significant change, with the rule
    in the message; a significant version's announcement is queued in the same transaction.
    """
    today = today or timezone.localdate()
    summary = summary.strip()
    if not summary:
        raise ServiceError(
            _("Say what changed: the summary is shown with the version."),
            code="notice.summary_required",
            field="summary",
        )
    if len(summary) > MAX_SUMMARY:
        raise ServiceError(
            _("The summary is at most %(limit)s characters."),
            code="notice.summary_too_long",
            params={"limit": MAX_SUMMARY},
            field="summary",
        )
    earliest = earliest_effective(significant=significant, today=today)
    if effective_on < earliest:
        if significant:
            message = ServiceError(
                _(
                    "A significant change takes effect no sooner than %(days)s days after it is published "
                    "and announced (section 12 of the notice): the earliest effective date is %(earliest)s."
                ),
                code="notice.lead_time",
                params={"days": sources.lead_time_days(), "earliest": earliest.isoformat()},
            )
        else:
            message = ServiceError(
                _("The effective date cannot be in the past: the earliest is %(earliest)s."),
                code="notice.effective_in_past",
                params={"earliest": earliest.isoformat()},
            )
        raise ValidationError({"effective_on": message})
    latest = published_versions().select_for_update().first()
    if latest is not None and effective_on < latest.effective_on:
        raise ServiceError(
            _(
                "Version %(number)s takes effect on %(effective_on)s: a newer version cannot take "
                "effect before it."
            ),
            code="notice.effective_before_latest",
            params={"number": latest.number, "effective_on": latest.effective_on.isoformat()},
            field="effective_on",
        )
    draft = draft_refresh(actor=actor, reason="publish")
    if draft is None:
        raise ServiceError(
            _("Nothing to publish: the configuration says what version %(number)s says."),
            code="notice.nothing_to_publish",
            params={"number": latest.number},
            field="draft",
        )
    number = (NoticeVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
    draft.number = number
    draft.status = VersionStatus.PUBLISHED
    draft.summary = summary
    draft.significant = significant
    draft.effective_on = effective_on
    draft.published_at = timezone.now()
    draft.published_by = actor.recorded_user
    draft.save()
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type="notice_version",
        object_ids=[draft.pk],
        detail={
            "event": "notice_published",
            "number": number,
            "effective_on": effective_on.isoformat(),
            "significant": significant,
        },
    )
    if significant:
        from rekisteri.notice.tasks import notice_announce

        # The task's row is written in this transaction (database backend): the version and
        # the promise to announce it are committed together or not at all.
        notice_announce.enqueue(version_id=draft.pk)
    return draft
