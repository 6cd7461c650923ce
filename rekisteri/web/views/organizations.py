"""Organizations: list, page (its people and responsible staff), create and edit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.accounts.idempotency import submission_complete
from rekisteri.organizations.selectors import organization_get, organization_list
from rekisteri.organizations.services import default_owner_company, organization_create, organization_update
from rekisteri.people.selectors import basis_flags, person_list, person_view
from rekisteri.people.visibility import BASES, shown_groups
from rekisteri.privacy.models import DataSource, SourceKind
from rekisteri.web.forms import OrganizationForm, ResponsibleStaffForm
from rekisteri.web.views.common import PAGE_SIZE, PageInfo, form_claim, page_number, ui_actor

SUGGESTIONS = 10


def _get_organization_for_user(request, organization_id: int):
    actor = ui_actor(request)
    organization = organization_get(actor=actor, organization_id=organization_id, purpose=actor.purpose)
    if organization is None:
        raise Http404
    return organization


@never_cache
@require_GET
@permission_required("organizations.view_organization", raise_exception=True)
def organization_index(request):
    """All organizations, or with ?mine=1 those the user is responsible for (their customers)."""
    actor = ui_actor(request)
    query = " ".join(request.GET.get("q", "").split())[:100]
    mine = request.GET.get("mine") == "1"
    number = page_number(request)
    result = organization_list(
        actor=actor,
        query=query,
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
        purpose=actor.purpose,
        responsible=request.user if mine else None,
    )
    return render(
        request,
        "organizations/organization_list.html",
        {
            "query": query,
            "mine": mine,
            "organizations": result.results,
            "page": PageInfo(number=number, per_page=PAGE_SIZE, total=result.total),
        },
    )


@never_cache
@require_GET
@permission_required("organizations.view_organization", raise_exception=True)
def organization_suggest(request):
    """Datalist options for the person form's organization field, as the user types."""
    query = " ".join(request.GET.get("organization", "").split())[:100]
    organizations = []
    if len(query) >= 2:
        actor = ui_actor(request)
        organizations = organization_list(
            actor=actor, query=query, limit=SUGGESTIONS, purpose=actor.purpose
        ).results
    return render(request, "organizations/partials/suggestions.html", {"organizations": organizations})


@never_cache
@require_GET
@permission_required("organizations.view_organization", raise_exception=True)
def organization_detail(request, organization_id: int):
    organization = _get_organization_for_user(request, organization_id)
    context = {"organization": organization, "responsible": list(organization.responsible_staff.all())}
    if request.user.has_perm("people.view_person"):
        actor = ui_actor(request)
        number = page_number(request)
        # The people list is a read of personal data: person_list audits the ids shown.
        people = person_list(
            actor=actor,
            organization_id=organization.pk,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        groups = shown_groups(request.user)
        flags = basis_flags([person.pk for person in people.results]) if BASES in groups else {}
        context["people"] = [
            person_view(person, groups, categories=False, basis_flags=flags.get(person.pk))
            for person in people.results
        ]
        context["people_page"] = PageInfo(number=number, per_page=PAGE_SIZE, total=people.total)
    if request.user.has_perm("privacy.view_datasource"):
        # Section 5: the Suomen Asiakastieto company checks behind its contacts' data, as a
        # count and the newest report's date (no person's values).
        context["asiakastieto"] = DataSource.objects.filter(
            person__organization=organization, kind=SourceKind.ASIAKASTIETO
        ).aggregate(checks=Count("id"), latest=Max("report_date"))
    if request.user.has_perm("organizations.change_organization"):
        context["responsible_form"] = ResponsibleStaffForm(
            initial={"responsible_staff": [user.pk for user in context["responsible"]]}
        )
    return render(request, "organizations/organization_detail.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("organizations.add_organization", raise_exception=True)
def organization_new(request):
    if request.method == "POST":
        form = OrganizationForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    claim = form_claim(request, form, "ui:organization_new")
                    if claim is not None and claim.replayed:
                        organization_id = int(claim.result_id)
                    else:
                        organization_id = organization_create(actor=ui_actor(request), **form.cleaned()).pk
                        if claim is not None:
                            submission_complete(claim, organization_id)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                if claim is not None and claim.replayed:
                    messages.info(
                        request, _("This form was already sent: the organization saved then is shown.")
                    )
                else:
                    messages.success(request, _("The organization was saved."))
                return redirect("web:organization_detail", organization_id=organization_id)
    else:
        form = OrganizationForm(initial={"owner_company": default_owner_company()})
    return render(request, "organizations/organization_form.html", {"form": form, "organization": None})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("organizations.change_organization", raise_exception=True)
def organization_edit(request, organization_id: int):
    organization = _get_organization_for_user(request, organization_id)
    if request.method == "POST":
        form = OrganizationForm(request.POST)
        if form.is_valid():
            try:
                organization_update(actor=ui_actor(request), organization=organization, **form.cleaned())
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The changes were saved."))
                return redirect("web:organization_detail", organization_id=organization.pk)
    else:
        form = OrganizationForm(
            initial={
                name: getattr(organization, name)
                for name in (
                    "name",
                    "business_id",
                    "business_id_country",
                    "street_address",
                    "postal_code",
                    "city",
                    "country",
                    "status",
                    "owner_company",
                )
            }
        )
    return render(
        request, "organizations/organization_form.html", {"form": form, "organization": organization}
    )


@never_cache
@require_POST
@permission_required("organizations.change_organization", raise_exception=True)
def organization_responsible(request, organization_id: int):
    """Section 4: the controller's staff responsible for this customer."""
    organization = _get_organization_for_user(request, organization_id)
    form = ResponsibleStaffForm(request.POST)
    if form.is_valid():
        organization_update(
            actor=ui_actor(request),
            organization=organization,
            responsible_staff=list(form.cleaned_data["responsible_staff"]),
        )
        messages.success(request, _("The responsible staff were saved."))
    else:
        messages.error(request, _("Choose staff members from the list."))
    return redirect("web:organization_detail", organization_id=organization.pk)
