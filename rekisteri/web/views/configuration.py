"""The configuration the privacy notice is rendered from, for the privacy officer: purposes
(section 2), group companies and the recipients register (section 6), retention rules (section
7). Each save goes through its service (rekisteri.privacy.configuration,
rekisteri.retention.services), which audits it and refreshes the notice draft; the public
notice changes once a version with the change is published and in effect (section 12)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.privacy import configuration
from rekisteri.privacy.models import GroupCompany, ProcessingBasis, Purpose, Recipient
from rekisteri.retention.models import RetentionRule
from rekisteri.retention.services import RULE_FIELDS, rule_create, rule_update
from rekisteri.web.forms.configuration import GroupCompanyForm, PurposeForm, RecipientForm
from rekisteri.web.forms.retention import RuleEditForm, RuleForm
from rekisteri.web.views.common import ui_actor

MANAGE = "notice.manage_notice"
RULES = ("retention.view_retentionrule", "retention.change_retentionrule")


def _saved(request) -> None:
    messages.success(request, _("Saved; the notice draft shows the change."))


def _form_view(request, form, save, *, title: str, back: str):
    """A valid POST saves through `save(cleaned_data)` (the service) and goes back; refused
    input or a service's refusal shows the form again with its errors."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            _saved(request)
            return redirect(back)
    return _form_page(request, form, title=title, back=back)


def _form_page(request, form, *, title: str, back: str):
    # Reached by a POST only when the input was refused.
    return render(
        request,
        "notice/config_form.html",
        {"form": form, "title": title, "back": reverse(back)},
        status=422 if request.method == "POST" else 200,
    )


def _confirm_delete(request, *, name: str, back: str, delete):
    """GET asks, POST removes through the service; a refusal (the thing is still in use) is
    shown on the same page."""
    error = ""
    if request.method == "POST":
        try:
            delete()
        except ValidationError as exc:
            error = " ".join(message for message in exc.messages)
        else:
            messages.success(
                request, _("%(name)s was removed; the notice draft shows the change.") % {"name": name}
            )
            return redirect(back)
    return render(
        request,
        "notice/config_delete.html",
        {"name": name, "error": error, "back": reverse(back)},
        status=422 if request.method == "POST" else 200,
    )


# --- purposes (section 2) -------------------------------------------------------------------


@never_cache
@require_GET
@permission_required(MANAGE, raise_exception=True)
def purpose_list(request):
    # One query: whether any basis names each purpose (the basis table is as long as the register).
    purposes = Purpose.objects.annotate(in_use=Exists(ProcessingBasis.objects.filter(purpose=OuterRef("pk"))))
    return render(request, "notice/purposes.html", {"purposes": purposes})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def purpose_new(request):
    form = PurposeForm(request.POST or None)
    return _form_view(
        request,
        form,
        lambda data: configuration.purpose_create(actor=ui_actor(request), **data),
        title=_("New purpose"),
        back="web:notice_purposes",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def purpose_edit(request, purpose_id: int):
    purpose = get_object_or_404(Purpose, pk=purpose_id)
    initial = {name: getattr(purpose, name) for name in configuration.PURPOSE_FIELDS}
    form = PurposeForm(request.POST or None, initial=initial, editing=True)
    title = _("Purpose: %(name)s") % {"name": purpose.name}
    return _form_view(
        request,
        form,
        lambda data: configuration.purpose_update(actor=ui_actor(request), purpose=purpose, **data),
        title=title,
        back="web:notice_purposes",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def purpose_delete(request, purpose_id: int):
    purpose = get_object_or_404(Purpose, pk=purpose_id)
    return _confirm_delete(
        request,
        name=purpose.name,
        back="web:notice_purposes",
        delete=lambda: configuration.purpose_delete(actor=ui_actor(request), purpose=purpose),
    )


# --- group companies (section 6) ------------------------------------------------------------


@never_cache
@require_GET
@permission_required(MANAGE, raise_exception=True)
def group_company_list(request):
    companies = GroupCompany.objects.all()
    return render(request, "notice/group_companies.html", {"companies": companies})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def group_company_new(request):
    form = GroupCompanyForm(request.POST or None)
    return _form_view(
        request,
        form,
        lambda data: configuration.group_company_create(actor=ui_actor(request), **data),
        title=_("New group company"),
        back="web:notice_group_companies",
    )


def _group_company(company_id: int) -> GroupCompany:
    # The controller's own details (section 1) are edited on the controller page.
    return get_object_or_404(GroupCompany, pk=company_id, is_controller=False)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def group_company_edit(request, company_id: int):
    company = _group_company(company_id)
    form = GroupCompanyForm(
        request.POST or None, initial={"name": company.name, "business_id": company.business_id}
    )
    title = _("Group company: %(name)s") % {"name": company.name}
    return _form_view(
        request,
        form,
        lambda data: configuration.group_company_update(actor=ui_actor(request), company=company, **data),
        title=title,
        back="web:notice_group_companies",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def group_company_delete(request, company_id: int):
    company = _group_company(company_id)
    return _confirm_delete(
        request,
        name=company.name,
        back="web:notice_group_companies",
        delete=lambda: configuration.group_company_delete(actor=ui_actor(request), company=company),
    )


# --- the recipients register (section 6) ----------------------------------------------------


@never_cache
@require_GET
@permission_required(MANAGE, raise_exception=True)
def recipient_list(request):
    recipients = Recipient.objects.all()
    return render(request, "notice/recipients.html", {"recipients": recipients})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def recipient_new(request):
    form = RecipientForm(request.POST or None)
    return _form_view(
        request,
        form,
        lambda data: configuration.recipient_create(actor=ui_actor(request), **data),
        title=_("New recipient"),
        back="web:notice_recipients",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def recipient_edit(request, recipient_id: int):
    recipient = get_object_or_404(Recipient, pk=recipient_id)
    form = RecipientForm(
        request.POST or None,
        initial={name: getattr(recipient, name) for name in configuration.RECIPIENT_FIELDS},
        recipient=recipient,
    )
    title = _("Recipient: %(name)s") % {"name": recipient.name}
    return _form_view(
        request,
        form,
        lambda data: configuration.recipient_update(actor=ui_actor(request), recipient=recipient, **data),
        title=title,
        back="web:notice_recipients",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def recipient_delete(request, recipient_id: int):
    # A group company's row goes with the company (its own page).
    recipient = get_object_or_404(Recipient, pk=recipient_id, group_company__isnull=True)
    return _confirm_delete(
        request,
        name=recipient.name,
        back="web:notice_recipients",
        delete=lambda: configuration.recipient_delete(actor=ui_actor(request), recipient=recipient),
    )


# --- retention rules (section 7) ------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(RULES, raise_exception=True)
def retention_rule_new(request):
    form = RuleForm(request.POST or None)
    return _form_view(
        request,
        form,
        lambda data: rule_create(actor=ui_actor(request), **data),
        title=_("New retention rule"),
        back="web:retention",
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(RULES, raise_exception=True)
def retention_rule_edit(request, rule_id: int):
    rule = get_object_or_404(RetentionRule, pk=rule_id)
    initial = {name: getattr(rule, name) for name in RULE_FIELDS}
    form = RuleEditForm(request.POST or None, initial=initial)

    def save(data):
        # Only what changed: the audit names it, and only a change the notice states drafts.
        changed = {name: value for name, value in data.items() if initial[name] != value}
        if changed:
            rule_update(actor=ui_actor(request), rule=rule, **changed)

    title = _("Retention rule: %(code)s") % {"code": rule.code}
    return _form_view(request, form, save, title=title, back="web:retention")
