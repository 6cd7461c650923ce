"""The privacy notice for the privacy officer: its configuration, drafts, versions with their
diffs and announcements, and the promise map (sections 1, 12)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.lib import suite_results
from rekisteri.notice import promises, sources
from rekisteri.notice.selectors import (
    draft_diff,
    draft_get,
    published_versions,
    version_diff,
    version_get,
    version_in_force,
    versions_upcoming,
)
from rekisteri.notice.services import (
    AUTHORITY_FIELDS,
    authority_update,
    controller_update,
    draft_refresh,
    earliest_effective,
    version_publish,
)
from rekisteri.notice.tasks import ABOUT
from rekisteri.outbox.models import OutgoingMail
from rekisteri.privacy.models import GroupCompany
from rekisteri.web.forms.notice import AuthorityForm, ControllerForm, PublishForm
from rekisteri.web.views.common import ui_actor

MANAGE = "notice.manage_notice"


def _language(request) -> str:
    return "en" if request.GET.get("language") == "en" else "fi"


def _form_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@never_cache
@require_GET
@permission_required(MANAGE, raise_exception=True)
def notice_index(request):
    language = _language(request)
    draft = draft_get()
    return render(
        request,
        "notice/index.html",
        {
            "in_force": version_in_force(),
            "upcoming": versions_upcoming(),
            "versions": published_versions(),
            "draft": draft,
            "diff": draft_diff(language),
            "language": language,
            "publish_form": PublishForm(initial={"effective_on": earliest_effective(significant=True)}),
            "lead_days": sources.lead_time_days(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def notice_controller(request):
    company = GroupCompany.objects.filter(is_controller=True).first()
    initial = {name: getattr(company, name) for name in ControllerForm.base_fields} if company else {}
    form = ControllerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            controller_update(actor=ui_actor(request), values=form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request, _("The controller's details were saved; the notice draft shows the change.")
            )
            return redirect("web:notice")
    return render(
        request, "notice/config_form.html", {"form": form, "title": _("Controller and representative")}
    )


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MANAGE, raise_exception=True)
def notice_authority(request):
    current = sources.authority()
    initial = {field: current[field.removeprefix("authority_")] for field in AUTHORITY_FIELDS}
    form = AuthorityForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            authority_update(actor=ui_actor(request), values=form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request, _("The supervisory authority was saved; the notice draft shows the change.")
            )
            return redirect("web:notice")
    return render(request, "notice/config_form.html", {"form": form, "title": _("Supervisory authority")})


@require_POST
@permission_required(MANAGE, raise_exception=True)
def notice_draft(request):
    draft = draft_refresh(actor=ui_actor(request), reason="manual")
    if draft is None:
        messages.info(
            request, _("The configuration says what the newest version says: there is nothing to draft.")
        )
    else:
        messages.success(request, _("The draft now shows the current configuration."))
    return redirect("web:notice")


@never_cache
@require_http_methods(["POST"])
@permission_required(MANAGE, raise_exception=True)
def notice_publish(request):
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            version = version_publish(
                actor=ui_actor(request),
                effective_on=form.cleaned_data["effective_on"],
                significant=form.cleaned_data["significant"],
                summary=form.cleaned_data["summary"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Version %(number)s was published.") % {"number": version.number})
            return redirect("web:notice_version", number=version.number)
    language = _language(request)
    return render(
        request,
        "notice/index.html",
        {
            "in_force": version_in_force(),
            "upcoming": versions_upcoming(),
            "versions": published_versions(),
            "draft": draft_get(),
            "diff": draft_diff(language),
            "language": language,
            "publish_form": form,
            "lead_days": sources.lead_time_days(),
        },
        status=422,
    )


@never_cache
@require_GET
@permission_required(MANAGE, raise_exception=True)
def notice_version(request, number: int):
    version = version_get(number)
    if version is None:
        raise Http404
    language = _language(request)
    deliveries = (
        OutgoingMail.objects.filter(about_type=ABOUT, about_id=str(version.pk))
        .values("state")
        .annotate(count=Count("id"))
        .order_by("state")
    )
    return render(
        request,
        "notice/version.html",
        {
            "version": version,
            "diff": version_diff(version, language),
            "language": language,
            "deliveries": list(deliveries),
        },
    )


@never_cache
@require_GET
@permission_required(MANAGE, raise_exception=True)
def notice_promises(request):
    results = suite_results.load(settings.TEST_RESULTS_FILE)
    return render(
        request,
        "notice/promises.html",
        {
            "report": promises.promise_report(results=results),
            "last_run": suite_results.last_run(results),
            "runs": suite_results.latest_runs(results),
        },
    )
