"""A request's history in sentences, read from the audit events about it.

The events hold codes and ids only (the trail must not hold personal values); each is told
here as a sentence in the reader's language, with the labels of the codes it carries.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rekisteri.audit.labels import action_label, system_actor_label
from rekisteri.audit.models import AuditEvent
from rekisteri.rights.models import Channel, DataSubjectRequest, RefusalKind, Status, Verification

HISTORY_LIMIT = 200
# Reads are in the audit trail; the history shows what was done.
_READS = ("view", "list")


def _label(choices, code) -> str:
    return str(dict(choices).get(code, "")) if code else ""


def _change_sentence(fields: list) -> str:
    if fields == ["assignee"]:
        return _("The handler was changed.")
    if fields == ["status"]:
        return _("Handling started.")
    if fields == ["fee"]:
        return _("The fee was recorded.")
    return _("The request was changed.")


def event_sentence(action: str, detail: dict) -> str:
    """What an event about a request did, as a sentence; the action's label for any other event."""
    if action == "create":
        channel = _label(Channel.choices, detail.get("channel")) or _("unknown")
        if detail.get("verified"):
            return _("The request was registered (came by: %(channel)s); the identity is verified.") % {
                "channel": channel
            }
        return _("The request was registered (came by: %(channel)s); the identity is not verified yet.") % {
            "channel": channel
        }
    if action == "verify":
        method = detail.get("method", "")
        if method == Verification.FAILED:
            return _("The requester's identity could not be verified.")
        return _("The identity was verified: %(method)s.") % {
            "method": _label(Verification.choices, method) or _("unknown")
        }
    if action == "change":
        fields = detail.get("fields")
        return _change_sentence(fields if isinstance(fields, list) else [])
    if action == "extend":
        months = detail.get("months")
        months = months if isinstance(months, int) else 0
        return ngettext(
            "The deadline was extended by %(months)s month; the requester was told by %(channel)s.",
            "The deadline was extended by %(months)s months; the requester was told by %(channel)s.",
            months,
        ) % {"months": months, "channel": _label(Channel.choices, detail.get("notified_via")) or _("unknown")}
    if action == "refuse":
        return _("The request was refused: %(grounds)s.") % {
            "grounds": _label(RefusalKind.choices, detail.get("refusal_kind")) or _("unknown")
        }
    if action == "withdraw":
        return _("The requester withdrew the request.")
    if action == "fulfil":
        return _("The request was fulfilled.")
    if action == "export":
        return _("The requester downloaded the answer (%(format)s).") % {
            "format": str(detail.get("format", "")).upper() or "–"
        }
    if action == "digest":
        return _("Listed in the privacy officer's daily digest of deadlines.")
    return action_label(action)


def request_history(dsr: DataSubjectRequest) -> list[dict]:
    """The events about this request, oldest first. Bounded by time first: the `at` index does the work."""
    since = dsr.created_at - timedelta(minutes=1)
    events = list(
        AuditEvent.objects.filter(
            at__gte=since, object_type="rights_request", object_ids__contains=f'"{dsr.pk}"'
        )
        .exclude(action__in=_READS)
        .order_by("seq")[:HISTORY_LIMIT]
    )
    users = get_user_model().objects.filter(pk__in={e.actor_user_id for e in events if e.actor_user_id})
    names = {user.pk: user.get_full_name() or user.get_username() for user in users}
    history = []
    for event in events:
        try:
            detail = json.loads(event.detail)
        except ValueError:
            detail = {}
        if not isinstance(detail, dict):
            detail = {}
        if event.actor_user_id:
            actor = names.get(event.actor_user_id) or _("former staff member #%(id)s") % {
                "id": event.actor_user_id
            }
        else:
            actor = system_actor_label(event.actor_label, event.origin)
        status = detail.get("status") if event.action not in ("export", "digest") else None
        history.append(
            {
                "event": event,
                "actor": actor,
                "action": action_label(event.action),
                "sentence": event_sentence(event.action, detail),
                "status": status if status in Status.values else "",
                "status_label": _label(Status.choices, status) if status in Status.values else "",
            }
        )
    return history
