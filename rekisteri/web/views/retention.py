"""The privacy officer's retention page (section 7): the rules with their legal reasons, the
backlog of what has expired, legal holds, and the deletion reports of past sweeps."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person
from rekisteri.privacy.erasure import ERASURE_REASONS
from rekisteri.privacy.erasure_proof import ORIGINS, erasure_as_dict, erasures_recent
from rekisteri.privacy.models import Recipient, RecipientNotification
from rekisteri.privacy.recipients import notifications_open, recipient_notification_complete
from rekisteri.retention.models import LegalHold, RetentionRule
from rekisteri.retention.processing_record import processing_record, processing_record_jsonld
from rekisteri.retention.selectors import holds_in_force, rules_active, rules_effective, runs_recent
from rekisteri.retention.services import backlog_confirm, hold_create, hold_release, retention_sweep
from rekisteri.web.forms.retention import HoldForm
from rekisteri.web.views.common import ui_actor

VIEW = "retention.view_retentionrule"
CONFIRM = ("retention.view_retentionrule", "retention.change_retentionrule")
NOTIFY = ("privacy.view_recipientnotification", "privacy.change_recipientnotification")
HOLD = ("retention.view_legalhold", "retention.add_legalhold", "retention.change_legalhold")


def _page(request, form: HoldForm | None = None, status: int = 200):
    actor = ui_actor(request)
    # A dry run as of today: counts per rule, ids only, nothing erased.
    backlog = retention_sweep(actor=actor, dry_run=True)
    awaiting: dict[str, int] = {}
    held: dict[str, int] = {}
    for verdict in backlog.verdicts:
        if verdict.outcome == "awaiting":
            awaiting[verdict.rule] = awaiting.get(verdict.rule, 0) + 1
        elif verdict.outcome == "held":
            held[verdict.rule] = held.get(verdict.rule, 0) + 1
    # Section 12: the sweep applies a rule as the notice in force states it; a change waits for
    # the version announcing it to take effect.
    applied = {rule.code: rule.period for rule in rules_effective(timezone.localdate())}
    rules = [
        {
            "rule": rule,
            "due": backlog.by_rule.get(rule.code, 0),
            "awaiting": awaiting.get(rule.code, 0),
            "held": held.get(rule.code, 0),
            "applied": applied.get(rule.code),
            "pending": applied.get(rule.code) != rule.period,
        }
        for rule in rules_active()
    ]
    return render(
        request,
        "retention/index.html",
        {
            "rules": rules,
            "backlog": backlog,
            "holds": holds_in_force().select_related("organization"),
            "runs": runs_recent(),
            "notifications": notifications_open()[:100],
            "recipients": Recipient.objects.filter(active=True),
            "form": form or HoldForm(),
            "today": timezone.localdate(),
        },
        status=status,
    )


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def retention_index(request):
    return _page(request)


@require_POST
@permission_required(CONFIRM, raise_exception=True)
def retention_confirm(request, rule_id: int):
    rule = get_object_or_404(RetentionRule, pk=rule_id, active=True)
    try:
        confirmation = backlog_confirm(actor=ui_actor(request), rule=rule, through=timezone.localdate())
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(
            request,
            _("Confirmed: %(count)s person(s) of rule %(rule)s will be erased by the next sweep.")
            % {"count": confirmation.count, "rule": rule.code},
        )
    return redirect("web:retention")


@require_POST
@permission_required(HOLD, raise_exception=True)
def hold_new(request):
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=422)
    data = form.cleaned_data
    person = organization = None
    if data["person_id"]:
        person = Person.objects.filter(pk=data["person_id"]).first()
        if person is None:
            form.add_error("person_id", _("No such person."))
    else:
        organization = Organization.objects.filter(pk=data["organization_id"]).first()
        if organization is None:
            form.add_error("organization_id", _("No such organization."))
    if form.errors:
        return _page(request, form, status=422)
    try:
        hold_create(
            actor=ui_actor(request),
            kind=data["kind"],
            reason=data["reason"],
            ends_on=data["ends_on"],
            person=person,
            organization=organization,
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _page(request, form, status=422)
    messages.success(request, _("The legal hold is in force."))
    return redirect("web:retention")


@require_POST
@permission_required(HOLD, raise_exception=True)
def hold_end(request, hold_id: UUID):
    hold = LegalHold.objects.filter(pk=hold_id).first()
    if hold is None:
        raise Http404
    try:
        hold_release(actor=ui_actor(request), hold=hold)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("The legal hold was released."))
    return redirect("web:retention")


@require_POST
@permission_required(NOTIFY, raise_exception=True)
def notification_done(request, notification_id: UUID):
    """Art. 19: the privacy officer records that the recipient was told."""
    notification = RecipientNotification.objects.filter(pk=notification_id).first()
    if notification is None:
        raise Http404
    try:
        recipient_notification_complete(actor=ui_actor(request), notification=notification)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("The recipient is recorded as notified."))
    return redirect("web:retention")


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def processing_record_page(request):
    """Art. 30: the record of processing activities, as HTML or (?format=jsonld) JSON-LD."""
    if request.GET.get("format") == "jsonld":
        return JsonResponse(
            processing_record_jsonld(), content_type="application/ld+json", json_dumps_params={"indent": 2}
        )
    return render(request, "retention/record.html", {"record": processing_record()})


ERASURES = "privacy.view_erasurerecord"
PAGE = 50


@never_cache
@require_GET
@permission_required(ERASURES, raise_exception=True)
def erasure_list(request):
    """Every erasure with its proof (issue 13, section 4), staff deletions included."""
    origins = {
        "request": _("Erasure request"),
        "sweep": _("Retention sweep"),
        "staff": _("Deleted by staff"),
        "system": _("System"),
    }
    origin = request.GET.get("origin") or None
    if origin not in (None, *ORIGINS):
        raise Http404
    try:
        offset = max(0, min(int(request.GET.get("offset", 0)), 10**9))
    except ValueError:
        offset = 0
    records, total = erasures_recent(origin=origin, limit=PAGE, offset=offset)
    rows = []
    for record in records:
        row = erasure_as_dict(record)
        row.update(
            record=record,
            origin_label=origins[row["origin"]],
            reason_label=ERASURE_REASONS.get(record.reason, record.reason),
        )
        rows.append(row)
    return render(
        request,
        "privacy/erasures.html",
        {
            "erasures": rows,
            "total": total,
            "origin": origin,
            "origins": list(origins.items()),
            "more": offset + PAGE if offset + PAGE < total else None,
        },
    )
