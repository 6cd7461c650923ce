"""The privacy officer's request register: list, detail, registering and acting on requests.

Every action is a small POST form calling one service; the service checks the rules
(state machine, Art. 12(3) deadlines) and writes the audit event, and its refusals come
back here as form errors. Reading a request (its decrypted values) is audited as a view.
"""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.outbox.models import MailState
from rekisteri.outbox.selectors import mail_values, mails_about
from rekisteri.privacy.models import Purpose
from rekisteri.rights import selectors, services
from rekisteri.rights.history import request_history
from rekisteri.rights.mail import ABOUT_REQUEST
from rekisteri.rights.models import (
    CLOSED_STATUSES,
    Channel,
    DataSubjectRequest,
    ObjectionDecision,
    ObjectionStatus,
    Status,
)
from rekisteri.rights.selectors import ENCRYPTED_FIELDS, PURPOSE, request_get, request_values
from rekisteri.web.forms.requests import (
    AssignForm,
    ConfirmForm,
    ExtendForm,
    FeeForm,
    FulfilForm,
    ObjectionDecideForm,
    RefuseForm,
    RequestCreateForm,
    RequestFilterForm,
    VerifyForm,
    fulfil_form_class,
)
from rekisteri.web.views.common import PageInfo, page_number, ui_actor

VIEW = "rights.view_datasubjectrequest"
CHANGE = ("rights.view_datasubjectrequest", "rights.change_datasubjectrequest")
ADD = ("rights.view_datasubjectrequest", "rights.add_datasubjectrequest")
LIST_PAGE_SIZE = 25
DUE_SOON_DAYS = 7

# The action forms of the detail page, by name; each posts to rights:request_<name>.
ACTION_FORMS = {
    "verify": VerifyForm,
    "assign": AssignForm,
    "start": ConfirmForm,
    "extend": ExtendForm,
    "refuse": RefuseForm,
    "fee": FeeForm,
    "withdraw": ConfirmForm,
    "fulfil": FulfilForm,  # by request type: see _form_class
    "decide": ObjectionDecideForm,
}


def _form_class(name: str, dsr: DataSubjectRequest):
    return fulfil_form_class(dsr.type) if name == "fulfil" else ACTION_FORMS[name]


def _pending_objection(dsr: DataSubjectRequest) -> ObjectionDecision | None:
    return ObjectionDecision.objects.filter(request=dsr, status=ObjectionStatus.PENDING).first()


def _deadline_state(dsr: DataSubjectRequest, today) -> str:
    if dsr.status in CLOSED_STATUSES:
        return ""
    if dsr.due_on < today:
        return "overdue"
    if dsr.due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return ""


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def request_list(request):
    """Open requests by due date, overdue and due-soon ones marked. Shows no personal values;
    the listing is audited by the selector."""
    form = RequestFilterForm(request.GET or None)
    today = timezone.localdate()
    options: dict = {"open_only": True}
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        state = data["state"] or "open"
        options = {
            "open_only": state == "open",
            "closed_only": state == "closed",
            "type": data["type"] or None,
        }
        if data["due"] == "overdue":
            options["overdue"] = True
        elif data["due"] == "soon":
            options.update(due_within_days=DUE_SOON_DAYS, not_yet_due=True)
    number = page_number(request)
    page = selectors.request_list(
        actor=ui_actor(request),
        limit=LIST_PAGE_SIZE,
        offset=(number - 1) * LIST_PAGE_SIZE,
        today=today,
        purpose=PURPOSE,
        **options,
    )
    entries = [{"request": dsr, "deadline": _deadline_state(dsr, today)} for dsr in page.results]
    overdue, due_soon = services.requests_due_soon(days=DUE_SOON_DAYS, today=today)
    return render(
        request,
        "rights/request_list.html",
        {
            "form": form,
            "entries": entries,
            "page": PageInfo(number=number, per_page=LIST_PAGE_SIZE, total=page.total),
            "overdue_count": overdue.count(),
            "due_soon_count": due_soon.count(),
        },
    )


def _get_request(request_id: UUID) -> DataSubjectRequest:
    return get_object_or_404(DataSubjectRequest.objects.select_related("assignee"), pk=request_id)


def _mails(dsr: DataSubjectRequest, *, erased: bool) -> list[dict]:
    """The mails about the request and where each stands (read with the request, audited there)."""
    rows = []
    for mail in mails_about(ABOUT_REQUEST, dsr.pk):
        values = None if erased else mail_values(mail)
        can_resend = values is not None and not mail.is_pending and mail.state != MailState.CANCELLED
        rows.append({"mail": mail, "values": values, "can_resend": can_resend})
    return rows


def _available_actions(dsr: DataSubjectRequest) -> set[str]:
    """The actions the state machine allows now; the POST views check again through the services."""
    if not dsr.is_open:
        return set()
    actions = {"assign", "refuse", "fee", "withdraw"}
    verified = dsr.verification in services.VERIFIED
    if not verified:
        actions.add("verify")  # a verified identity is not checked again (the service refuses it)
    if verified and Status.IN_PROGRESS in services.TRANSITIONS[dsr.status]:
        actions.add("start")
    pending = _pending_objection(dsr) if dsr.type == "objection" else None
    if pending is not None:
        actions.add("decide")  # the objection was opened; the officer decides it
    elif verified and Status.FULFILLED in services.TRANSITIONS[dsr.status]:
        actions.add("fulfil")
    if dsr.extension_months < 2:
        actions.add("extend")
    return actions


def _render_detail(request, request_id: UUID, bound: dict | None = None):
    """The detail page; `bound` holds a submitted action form whose errors are to be shown.

    The page shows the request's decrypted values, so it is read through the audited selector.
    """
    bound = bound or {}
    dsr = request_get(actor=ui_actor(request), value=request_id, purpose=PURPOSE)
    if dsr is None:
        raise Http404
    can_change = request.user.has_perms(CHANGE)
    available = _available_actions(dsr) if can_change else set()
    actions = []
    for name, title, button, intro, danger in _action_texts(dsr):
        if name not in available and name not in bound:
            continue
        if name in bound:
            form = bound[name]
        elif name == "assign":
            form = ACTION_FORMS[name](auto_id=f"{name}_%s", initial={"assignee": dsr.assignee_id})
        else:
            form = _form_class(name, dsr)(auto_id=f"{name}_%s")
        actions.append(
            {
                "name": name,
                "form": form,
                "url": reverse(f"rights:request_{name}", kwargs={"request_id": dsr.pk}),
                "title": title,
                "button": button,
                "intro": intro,
                "danger": danger,
                "open": name in bound,
            }
        )
    values = request_values(dsr)
    today = timezone.localdate()
    days_left = (dsr.due_on - today).days
    return render(
        request,
        "rights/request_detail.html",
        {
            "dsr": dsr,
            # The request's own values; None once its key went with an erased person (Art. 17).
            "values": values or dict.fromkeys(ENCRYPTED_FIELDS, ""),
            "values_erased": values is None,
            "deadline": _deadline_state(dsr, today),
            "days_left": max(days_left, 0),
            "days_late": max(-days_left, 0),
            "fee_euros": f"{dsr.fee_cents / 100:.2f}" if dsr.fee_cents else "",
            "history": request_history(dsr),
            "mails": _mails(dsr, erased=values is None),
            "actions": actions,
        },
    )


def _action_texts(dsr: DataSubjectRequest) -> list[tuple[str, str, str, str, bool]]:
    """(name, title, button, intro, danger) of each action, in the order the page shows them."""
    fulfil_intro = {
        "access": _("Builds the package of everything held on the person and mails a download link."),
        "portability": _("Exports the data the person provided and mails a download link."),
        "erasure": _("Erases the person and all their data for good, unless an obligation to keep applies."),
        "rectification": _(
            "Corrects the person's data, records before and after, and lists the recipients "
            "to notify (Art. 19)."
        ),
        "objection": _(
            "Stops direct marketing for good; an objection to legitimate-interest processing "
            "opens a decision."
        ),
    }.get(dsr.type, _("Carries out the right and tells the requester."))
    pending = _pending_objection(dsr) if dsr.type == "objection" else None
    decide_intro = ""
    if pending is not None:
        names = dict(Purpose.objects.values_list("slug", "name_fi" if get_language() == "fi" else "name_en"))
        decide_intro = _("The person objects to processing on legitimate interest for: %(purposes)s.") % {
            "purposes": ", ".join(names.get(slug, slug) for slug in pending.purposes)
        }
    return [
        ("verify", _("Record the identity check"), _("Record"), "", False),
        ("start", _("Start handling"), _("Start"), "", False),
        ("fulfil", _("Fulfil the request"), _("Fulfil"), fulfil_intro, dsr.type == "erasure"),
        ("decide", _("Decide the objection"), _("Record the decision"), decide_intro, False),
        ("assign", _("Change the handler"), _("Save"), "", False),
        ("extend", _("Extend the deadline"), _("Extend"), "", False),
        ("fee", _("Charge a fee"), _("Record the fee"), "", False),
        ("refuse", _("Refuse"), _("Refuse and tell the requester"), "", True),
        ("withdraw", _("The requester withdrew the request"), _("Mark withdrawn"), "", False),
    ]


@never_cache
@require_GET
@permission_required(VIEW, raise_exception=True)
def request_detail(request, request_id: UUID):
    return _render_detail(request, request_id)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(ADD, raise_exception=True)
def request_new(request):
    """Register a request that came by e-mail, phone or letter, with how the identity was verified."""
    if request.method == "POST":
        form = RequestCreateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                dsr = services.request_create(
                    actor=ui_actor(request),
                    type=data["type"],
                    channel=data["channel"],
                    email=data["email"],
                    name=data["name"],
                    details=data["details"],
                    received_on=data["received_on"],
                    language=data["language"],
                    verification=data["verification"],
                    verification_note=data["verification_note"],
                )
            except ValidationError as exc:
                form.add_rights_errors(exc)
            else:
                messages.success(
                    request,
                    _("Request %(reference)s was registered; it is due on %(due)s.")
                    % {"reference": dsr.reference, "due": dsr.due_on.strftime("%d.%m.%Y")},
                )
                return redirect("rights:request_detail", request_id=dsr.pk)
    else:
        form = RequestCreateForm()
    return render(request, "rights/request_form.html", {"form": form})


def _act(request, request_id: UUID, name: str, perform, success: str):
    """Validate the action's form, run the service, and show its refusals as form errors.

    `perform(dsr, form)` may return a message to show instead of `success`.
    """
    dsr = _get_request(request_id)
    form = _form_class(name, dsr)(request.POST, auto_id=f"{name}_%s")
    if form.is_valid():
        try:
            message = perform(dsr, form)
        except ValidationError as exc:
            form.add_rights_errors(exc)
        else:
            messages.success(request, message or success)
            return redirect("rights:request_detail", request_id=dsr.pk)
    # Shown as stored now: a refused service call left the request as it was.
    return _render_detail(request, request_id, bound={name: form})


@never_cache
@require_POST
@permission_required(CHANGE, raise_exception=True)
def request_verify(request, request_id: UUID):
    def perform(dsr, form):
        services.request_verify(
            actor=ui_actor(request),
            request=dsr,
            method=form.cleaned_data["method"],
            note=form.cleaned_data["note"],
        )

    return _act(request, request_id, "verify", perform, _("The verification was recorded."))


@never_cache
@require_POST
@permission_required(CHANGE, raise_exception=True)
def request_assign(request, request_id: UUID):
    def perform(dsr, form):
        services.request_assign(actor=ui_actor(request), request=dsr, assignee=form.cleaned_data["assignee"])

    return _act(request, request_id, "assign", perform, _("The handler was changed."))


@never_cache
@require_POST
@permission_required(CHANGE, raise_exception=True)
def request_start(request, request_id: UUID):
    def perform(dsr, form):
        services.request_start(actor=ui_actor(request), request=dsr)

    return _act(request, request_id, "start", perform, _("The request is now in progress."))


@never_cache
@require_POST
@permission_required(CHANGE, raise_exception=True)
def request_extend(request, request_id: UUID):
    """Extend the deadline (Art. 12(3)); when the requester is told by e-mail, the register tells them."""

    def perform(dsr, form):
        data = form.cleaned_data
        by_mail = data["notified_via"] == Channel.EMAIL and bool(dsr.requester_email)
        services.request_extend(
            actor=ui_actor(request),
            request=dsr,
            months=data["months"],
            reason=data["reason"],
            notified_on=data["notified_on"],
            notified_via=data["notified_via"],
            mail_requester=by_mail,
        )
        if by_mail:
            return _("The deadline was extended; the mail telling the requester is queued.")
        return None

    return _act(request, request_id, "extend", perform, _("The deadline was extended."))


@never_cache
@require_POST
@permission_required(CHANGE, raise_exception=True)
def request_refuse(request, request_id: UUID):
    def perform(dsr, form):
        services.request_refuse(
            actor=ui_actor(request),
            request=dsr,
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
        )

    return _act(
        request,
        request_id,
        "refuse",
        perform,
        _("The request was refused; the requester is told the reasons."),
    )


@never_cache
@require_POST
@permission_required(CHANGE, raise_exception=True)
def request_fee(request, request_id: UUID):
    def perform(dsr, form):
        services.request_charge_fee(
            actor=ui_actor(request), request=dsr, cents=form.cents, reason=form.cleaned_data["reason"]
        )

    return _act(request, request_id, "fee", perform, _("The fee was recorded."))


@never_cache
@require_POST
@permission_required(CHANGE, raise_exception=True)
def request_withdraw(request, request_id: UUID):
    def perform(dsr, form):
        services.request_withdraw(actor=ui_actor(request), request=dsr)

    return _act(request, request_id, "withdraw", perform, _("The request was marked withdrawn."))


@never_cache
@require_POST
@permission_required(CHANGE, raise_exception=True)
def request_fulfil(request, request_id: UUID):
    """Carry out the right in one action (fulfilment.py); its refusals become form errors."""

    def perform(dsr, form):
        from rekisteri.rights.fulfilment import request_fulfil as fulfil

        result = fulfil(actor=ui_actor(request), request=dsr, **form.fulfil_options())
        if result.status == Status.REFUSED:
            # An obligation to keep (Art. 17(3)) or a right that does not apply: refused with reasons.
            return _(
                "The right could not be carried out: the request was refused and the requester told why."
            )
        if result.status == Status.IN_PROGRESS:
            return _("The objection awaits your decision below.")
        return None

    return _act(request, request_id, "fulfil", perform, _("The request was fulfilled."))


@never_cache
@require_POST
@permission_required(CHANGE, raise_exception=True)
def request_decide(request, request_id: UUID):
    """Art. 21(1): the privacy officer's decision on an objection to legitimate-interest processing."""

    def perform(dsr, form):
        from rekisteri.rights.fulfilment import objection_decide

        pending = _pending_objection(dsr)
        if pending is None:
            raise services.TransitionRefused({"status": _("No objection of this request awaits a decision.")})
        objection_decide(
            actor=ui_actor(request),
            decision=pending,
            outcome=form.cleaned_data["outcome"],
            reasons=form.cleaned_data["reasons"],
        )

    return _act(
        request,
        request_id,
        "decide",
        perform,
        _("The objection was decided; the requester is told the reasons."),
    )
