"""Art. 14: the privacy officer's list of persons not yet told where their data came from,
with the due date (overdue first), and the one action that tells them (one or all due)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from rekisteri.audit.services import Action, audit_record
from rekisteri.keystore.services import ciphers_for, key_scope
from rekisteri.notice.informing import (
    PURPOSE,
    information_due,
    information_record,
    information_send,
    information_send_due,
)
from rekisteri.people.models import Person
from rekisteri.privacy.models import SourceKind
from rekisteri.web.views.common import ui_actor

VIEW = "notice.view_sourceinformation"
SEND = ("notice.view_sourceinformation", "notice.add_sourceinformation")
SHOWN = 200


def _back(request):
    """Back to the person's card when the action came from there, else to the list."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("web:source_information")


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def information_index(request):
    today = timezone.localdate()
    due = information_due()
    shown = due[:SHOWN]
    labels = dict(SourceKind.choices)
    rows = []
    with key_scope():
        ids = [entry.person_id for entry in shown]
        ciphers_for(ids)
        persons = Person.objects.in_bulk(ids)
        for entry in shown:
            person = persons[entry.person_id]
            rows.append(
                {
                    "entry": entry,
                    "person": person,
                    "kinds": [labels[kind] for kind in entry.kinds],
                    "overdue": entry.overdue(today),
                    "has_address": bool(person.email),
                }
            )
    if ids:
        # The names and addresses shown are a read of personal data.
        audit_record(
            actor=ui_actor(request),
            action=Action.LIST,
            object_type="person",
            object_ids=ids,
            person_ids=ids,
            purpose=PURPOSE,
            detail={"page": "source_information"},
        )
    return render(
        request,
        "notice/information.html",
        {
            "rows": rows,
            "total": len(due),
            "overdue": sum(1 for entry in due if entry.overdue(today)),
            "shown": SHOWN,
        },
    )


@require_POST
@permission_required(SEND, raise_exception=True)
def information_send_all(request):
    report = information_send_due(actor=ui_actor(request))
    messages.success(
        request,
        _(
            "Informed: %(sent)s. Left for you: %(no_address)s without an e-mail address, "
            "%(restricted)s under restriction."
        )
        % {
            "sent": len(report.sent),
            "no_address": len(report.no_address),
            "restricted": len(report.restricted),
        },
    )
    return redirect("web:source_information")


@require_POST
@permission_required(SEND, raise_exception=True)
def information_send_one(request, person_id: UUID):
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    try:
        informed = information_send(actor=ui_actor(request), person=person)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        text = _("The information was queued for sending (%(count)s source(s)).")
        messages.success(request, text % {"count": len(informed)})
    return _back(request)


@require_POST
@permission_required(SEND, raise_exception=True)
def information_recorded(request, person_id: UUID):
    """The person was told by other means (post, in person): the privacy officer records it."""
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    try:
        information_record(actor=ui_actor(request), person=person, channel=request.POST.get("channel", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
    else:
        messages.success(request, _("The information is recorded as given."))
    return _back(request)
