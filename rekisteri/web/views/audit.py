"""The privacy officer's view of the audit trail, filtered by person, staff member and date.

The trail holds ids and codes only; this page shows them in words: staff by name, persons by
their decrypted names (a read of personal data, audited as such), actions, objects and
origins by their labels. Only the privacy officer holds the permission to open it.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rekisteri.audit.labels import action_label, object_type_label, origin_label, system_actor_label
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.selectors import audit_events
from rekisteri.audit.services import audit_verify
from rekisteri.people.selectors import merged_ids_of, person_names, person_search
from rekisteri.privacy.models import Purpose
from rekisteri.web.forms import AuditFilterForm, staff_name
from rekisteri.web.views.common import ui_actor

AUDIT_PAGE_SIZE = 50
# Persons named per row; the rest are counted ("+3"). Bounds the names decrypted per page.
NAMES_PER_ROW = 3
OBJECT_IDS_PER_ROW = 3
# Candidates listed when a name search finds several persons.
PERSON_CHOICES = 20


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


def _as_uuid(value: str) -> UUID | None:
    try:
        return UUID(value.strip())
    except ValueError:
        return None


def _resolve_person(form: AuditFilterForm, request) -> tuple[UUID | None, list]:
    """The person the filter names: (id, []) for one, (None, candidates) for several.

    An id is taken as given (an erased person can be found by nothing else); anything else
    goes through the same audited search as the search page.
    """
    query = form.cleaned_data["person"].strip()
    if not query:
        return None, []
    person_id = _as_uuid(query)
    if person_id is not None:
        return person_id, []
    actor = ui_actor(request)
    page = person_search(actor=actor, query=query, limit=PERSON_CHOICES, purpose=actor.purpose)
    if len(page.results) == 1:
        return page.results[0].pk, []
    if not page.results:
        form.add_error(
            "person",
            _("No one in the register matches this. An erased person can be found only by their ID."),
        )
    return None, page.results


def _actor_names(rows: list[AuditEvent]) -> dict[int, str]:
    users = get_user_model().objects.filter(pk__in={e.actor_user_id for e in rows if e.actor_user_id})
    return {user.pk: staff_name(user) for user in users}


def _short(value: str) -> str:
    # A UUID's last eight digits tell rows apart on screen (its first ones are a timestamp
    # that ids made together share); the whole id is in the title.
    return "…" + value[-8:] if len(value) == 36 else value


@never_cache
@require_GET
@permission_required("audit.view_auditevent", raise_exception=True)
def audit_index(request):
    """Newest first, paged by sequence number (keyset), so a long trail pages as fast as a short one."""
    form = AuditFilterForm(request.GET or None)
    person_id = None
    candidates: list = []
    valid = not form.is_bound or form.is_valid()
    if form.is_bound and valid:
        person_id, candidates = _resolve_person(form, request)
        valid = not form.errors
    options: dict = {}
    if form.is_bound and valid:
        data = form.cleaned_data
        if person_id is not None:
            # The history of records merged into this person is part of its history.
            options["subject_ids"] = [person_id, *merged_ids_of(person_id)]
        if data["actor"]:
            options["actor_user_id"] = data["actor"].pk
        if data["date_from"]:
            options["since"] = _start_of(data["date_from"])
        if data["date_to"]:
            options["until"] = _start_of(data["date_to"] + timedelta(days=1))
    actor = ui_actor(request)
    rows, newer_seq, older_seq = [], None, None
    # A filter that does not hold shows nothing rather than everything; several persons
    # matching the name are listed for the officer to pick one. Looking at the trail is
    # itself recorded (before the names are read, so the two events follow each other).
    if valid and not candidates:
        page = audit_events(
            actor=actor,
            about_person=person_id,
            before=_positive_int(request.GET.get("before")),
            after=_positive_int(request.GET.get("after")),
            limit=AUDIT_PAGE_SIZE,
            **options,
        )
        rows, newer_seq, older_seq = page.events, page.newer_seq, page.older_seq
    else:
        audit_events(actor=actor, about_person=person_id, subject_ids=[], limit=0)
    actors = _actor_names(rows)
    purposes = {p.slug: p.name for p in Purpose.objects.all()}
    person_lists = [_ids(event.person_ids) for event in rows]
    shown_ids = [pid for ids in person_lists for pid in ids[:NAMES_PER_ROW]]
    if person_id is not None:
        shown_ids.append(str(person_id))
    names = person_names(actor=actor, person_ids=shown_ids, purpose=actor.purpose, via="audit_trail")
    erased = _("erased person")
    entries = []
    for event, person_ids in zip(rows, person_lists, strict=True):
        object_ids = _ids(event.object_ids)
        if event.actor_user_id:
            who = actors.get(event.actor_user_id) or _("former staff member #%(id)s") % {
                "id": event.actor_user_id
            }
        else:
            who = system_actor_label(event.actor_label, event.origin)
        entries.append(
            {
                "event": event,
                "actor": who,
                "action": action_label(event.action),
                "object_type": object_type_label(event.object_type),
                # A system actor's label already says where it acted; staff acted through a door.
                "origin": origin_label(event.origin) if event.actor_user_id else "",
                "object_ids": [(_short(oid), oid) for oid in object_ids[:OBJECT_IDS_PER_ROW]],
                "more_objects": max(0, len(object_ids) - OBJECT_IDS_PER_ROW),
                "persons": [(pid, names.get(pid, erased)) for pid in person_ids[:NAMES_PER_ROW]],
                "more_persons": max(0, len(person_ids) - NAMES_PER_ROW),
                "purpose": purposes.get(event.purpose, ""),
            }
        )
    return render(
        request,
        "audit/audit_list.html",
        {
            "form": form,
            "entries": entries,
            "candidates": candidates,
            "person_id": person_id,
            "person_name": names.get(str(person_id), erased) if person_id else "",
            "newer_seq": newer_seq,
            "older_seq": older_seq,
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
    elif result.first_bad_seq is None:  # a failing check that names no event (the checkpoints)
        messages.error(
            request, _("The audit trail cannot be verified: %(problem)s") % {"problem": result.problem}
        )
    else:
        messages.error(
            request,
            _("The audit trail is broken at event %(seq)s: %(problem)s")
            % {"seq": result.first_bad_seq, "problem": result.problem},
        )
    return redirect("web:audit")
