"""Section 11's pages: the written instructions (every member reads and acknowledges the current
version), the privacy officer's access review and risk register."""

from __future__ import annotations

import csv

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.access import personal_data_refusal
from rekisteri.audit.services import audit_record
from rekisteri.governance.models import Risk, StaffInstruction
from rekisteri.governance.selectors import (
    INACTIVE_DAYS,
    access_review,
    access_review_due,
    current_instruction,
    instructions_pending,
    last_access_review,
    persons_read_by,
)
from rekisteri.governance.services import (
    access_review_record,
    instruction_acknowledge,
    instruction_publish,
    risk_save,
)
from rekisteri.people.selectors import person_names
from rekisteri.web.forms import staff_name
from rekisteri.web.forms.governance import InstructionForm, ReviewDoneForm, RiskForm
from rekisteri.web.views.common import ui_actor

REVIEW = "governance.view_accessreview"
RISKS = "governance.change_risk"


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "fi"


@never_cache
@require_http_methods(["GET", "POST"])
def instructions(request):
    """The current written instructions; a member who has not acknowledged them does so here
    (the personal-data gate leads here), before reaching any personal data."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    current = current_instruction()
    pending = instructions_pending(request.user)
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = ""
    if request.method == "POST" and current is not None:
        version = request.POST.get("version", "")
        try:
            if version != str(current.version):
                raise ValidationError(_("A newer version of the instructions exists: read that one."))
            instruction_acknowledge(actor=ui_actor(request), user=request.user, instruction=current)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect("web:instructions")
        messages.success(request, _("Thank you. You acknowledged version %(v)s.") % {"v": current.version})
        return redirect(target or "web:dashboard")
    language = _language()
    return render(
        request,
        "web/instructions.html",
        {
            "instruction": current,
            "title": current.title(language) if current else "",
            "paragraphs": current.body(language).split("\n") if current else [],
            "pending": pending,
            "next": target,
            # The gate may still refuse for another reason (no NDA): say so here too.
            "other_refusal": None if pending else personal_data_refusal(request.user),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("governance.add_staffinstruction", raise_exception=True)
def instruction_new(request):
    """The privacy officer publishes a new version (prefilled with the current one)."""
    current = current_instruction()
    initial = (
        {f: getattr(current, f) for f in ("title_fi", "title_en", "body_fi", "body_en")} if current else {}
    )
    form = InstructionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            instruction = instruction_publish(actor=ui_actor(request), **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                _(
                    "Version %(v)s was published. Every staff member must acknowledge it "
                    "before they see personal data."
                )
                % {"v": instruction.version},
            )
            return redirect("web:access_review")
    versions = StaffInstruction.objects.order_by("-version")
    return render(request, "governance/instruction_new.html", {"form": form, "versions": versions})


@never_cache
@require_GET
@permission_required(REVIEW, raise_exception=True)
def access_review_view(request):
    """Who read how many persons in the last 90 days, who has been inactive, who lacks an NDA or
    the current instructions, whose reads are far above their role's norm. CSV with ?format=csv."""
    reviews = access_review()
    audit_record(
        actor=ui_actor(request),
        action="view",
        object_type="access_review",
        object_ids=[review.user.pk for review in reviews],
        detail={"days": INACTIVE_DAYS, "format": "csv" if request.GET.get("format") == "csv" else "html"},
    )
    if request.GET.get("format") == "csv":
        return _review_csv(reviews)
    due = access_review_due()
    return render(
        request,
        "governance/access_review.html",
        {
            "reviews": reviews,
            "days": INACTIVE_DAYS,
            "last_review": last_access_review(),
            "due": due,
            "overdue": due <= timezone.localdate(),
            "current": current_instruction(),
            "form": ReviewDoneForm(),
        },
    )


def _review_csv(reviews) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="access-review-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            "username",
            "name",
            "role",
            "reads",
            "persons",
            "role_norm",
            "last_login",
            "nda_signed_on",
            "instructions_acknowledged",
            "flags",
        ]
    )
    for review in reviews:
        name = review.user.get_full_name()
        writer.writerow(
            [
                review.user.get_username(),
                # Cells a spreadsheet would take for a formula get an apostrophe.
                f"'{name}" if name[:1] in ("=", "+", "-", "@") else name,
                review.role,
                review.reads,
                review.persons,
                f"{review.norm:.0f}",
                review.last_login.isoformat() if review.last_login else "",
                review.nda_signed_on.isoformat() if review.nda_signed_on else "",
                review.acknowledged_version or "",
                " ".join(review.flags),
            ]
        )
    return response


@never_cache
@require_GET
@permission_required(REVIEW, raise_exception=True)
def access_review_member(request, user_id: int):
    """Which persons one member read and how often, with their names (decrypted for the
    officer; the names' read is itself audited)."""
    member = get_object_or_404(get_user_model().objects.filter(staff_profile__isnull=False), pk=user_id)
    rows = persons_read_by(user_id=member.pk)
    names = person_names(actor=ui_actor(request), person_ids=[pid for pid, _ in rows], via="access_review")
    return render(
        request,
        "governance/access_review_member.html",
        {
            "member": member,
            "name": staff_name(member),
            "days": INACTIVE_DAYS,
            "rows": [{"id": pid, "name": names.get(str(pid)), "reads": reads} for pid, reads in rows],
        },
    )


@never_cache
@require_POST
@permission_required("governance.add_accessreview", raise_exception=True)
def access_review_done(request):
    form = ReviewDoneForm(request.POST)
    if form.is_valid():
        access_review_record(
            actor=ui_actor(request), period_days=INACTIVE_DAYS, notes=form.cleaned_data["notes"]
        )
        messages.success(request, _("The access review was recorded. The next one is due in three months."))
    return redirect("web:access_review")


@never_cache
@require_GET
@permission_required("governance.view_risk", raise_exception=True)
def risk_list(request):
    risks = list(Risk.objects.select_related("owner"))
    today = timezone.localdate()
    return render(
        request,
        "governance/risk_list.html",
        {"risks": [{"risk": r, "owner": staff_name(r.owner), "due": r.review_on <= today} for r in risks]},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(RISKS, raise_exception=True)
def risk_edit(request, risk_id: int | None = None):
    risk = get_object_or_404(Risk, pk=risk_id) if risk_id is not None else None
    initial = {name: getattr(risk, name) for name in RiskForm.base_fields} if risk else {}
    form = RiskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            risk_save(actor=ui_actor(request), risk=risk, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The risk register was updated."))
            return redirect("web:risk_list")
    return render(request, "governance/risk_form.html", {"form": form, "risk": risk})
