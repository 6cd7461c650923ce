"""The privacy officer's view of the audit trail, filtered by person, staff member and date."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import Action, audit_record, audit_verify
from rekisteri.privacy.models import Purpose
from rekisteri.web.forms import AuditFilterForm
from rekisteri.web.views.common import ui_actor

AUDIT_PAGE_SIZE = 50


def _positive_int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _ids(text: str) -> list[str]:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(item) for item in value] if isinstance(value, list) else []


@never_cache
@require_GET
@permission_required("audit.view_auditevent", raise_exception=True)
def audit_index(request):
    """Newest first, paged by sequence number (keyset), so a long trail pages as fast as a short one."""
    form = AuditFilterForm(request.GET or None)
    events = AuditEvent.objects.all()
    filters = []
    person_id = None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["person"]:
            person_id = data["person"]
            events = events.filter(subjects__person_id=person_id)
            filters.append("person")
        if data["actor"]:
            events = events.filter(actor_user_id=data["actor"].pk)
            filters.append("actor")
        if data["date_from"]:
            events = events.filter(at__gte=_start_of(data["date_from"]))
            filters.append("date_from")
        if data["date_to"]:
            events = events.filter(at__lt=_start_of(data["date_to"] + timedelta(days=1)))
            filters.append("date_to")
    before, after = _positive_int(request.GET.get("before")), _positive_int(request.GET.get("after"))
    if after is not None:
        rows = list(events.filter(seq__gt=after).order_by("seq")[: AUDIT_PAGE_SIZE + 1])
        has_newer = len(rows) > AUDIT_PAGE_SIZE
        rows = rows[:AUDIT_PAGE_SIZE][::-1]
        has_older = bool(rows) and events.filter(seq__lt=rows[-1].seq).exists()
    else:
        if before is not None:
            events = events.filter(seq__lt=before)
        rows = list(events.order_by("-seq")[: AUDIT_PAGE_SIZE + 1])
        has_older = len(rows) > AUDIT_PAGE_SIZE
        rows = rows[:AUDIT_PAGE_SIZE]
        has_newer = before is not None and bool(rows)
    usernames = dict(
        get_user_model()
        .objects.filter(pk__in={e.actor_user_id for e in rows if e.actor_user_id})
        .values_list("pk", "username")
    )
    purposes = {p.slug: p.name for p in Purpose.objects.all()}
    entries = [
        {
            "event": event,
            "actor": usernames.get(event.actor_user_id, f"#{event.actor_user_id}")
            if event.actor_user_id
            else event.actor_label,
            "object_ids": _ids(event.object_ids),
            "person_ids": _ids(event.person_ids),
            "purpose": purposes.get(event.purpose, event.purpose),
        }
        for event in rows
    ]
    # Looking at the trail is itself recorded (after the query, so it does not show up in its own page).
    actor = ui_actor(request)
    audit_record(
        actor=actor,
        action=Action.LIST,
        object_type="audit_event",
        object_ids=[rows[0].seq, rows[-1].seq] if rows else [],
        person_ids=[person_id] if person_id else [],
        purpose=actor.purpose,
        detail={"filters": filters, "results": len(rows)},
    )
    return render(
        request,
        "audit/audit_list.html",
        {
            "form": form,
            "entries": entries,
            "newer_seq": rows[0].seq if rows and has_newer else None,
            "older_seq": rows[-1].seq if rows and has_older else None,
        },
    )


@never_cache
@require_POST
@permission_required("audit.view_auditevent", raise_exception=True)
def audit_check(request):
    """Walk the whole chain and say whether it is intact."""
    result = audit_verify()
    if result.ok:
        messages.success(
            request,
            _("The audit trail is intact: %(count)s events checked.") % {"count": result.events_checked},
        )
    else:
        messages.error(
            request,
            _("The audit trail is broken at event %(seq)s: %(problem)s")
            % {"seq": result.first_bad_seq, "problem": result.problem},
        )
    return redirect("web:audit")
