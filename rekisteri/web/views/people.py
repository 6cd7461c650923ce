"""The person card and the forms that change a person and what is recorded about them."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from rekisteri.contacts.selectors import interaction_timeline
from rekisteri.contacts.services import interaction_create
from rekisteri.organizations.models import Organization
from rekisteri.people.services import basis_set, person_create, person_delete, person_update, source_add
from rekisteri.web.forms import (
    BasisForm,
    InteractionForm,
    PersonDeleteForm,
    PersonForm,
    RestrictionLiftForm,
    SourceForm,
    organization_label,
)
from rekisteri.web.views.common import PageInfo, get_person_for_user, page_number, ui_actor

BASIS_PERMISSIONS = ("privacy.add_processingbasis", "privacy.change_processingbasis")


def _card_url(person, anchor: str = "") -> str:
    url = reverse("web:person_card", args=[person.pk])
    return f"{url}#{anchor}" if anchor else url


@never_cache
@require_http_methods(["GET"])
@permission_required("people.view_person", raise_exception=True)
def person_card(request, person_id: UUID):
    person = get_person_for_user(request, person_id)
    user = request.user
    context = {"person": person, "categories": [c.get_category_display() for c in person.categories.all()]}
    if user.has_perm("contacts.view_interaction"):
        timeline = interaction_timeline(person.pk, page=page_number(request))
        context["interactions"] = timeline.interactions
        context["timeline_page"] = PageInfo(
            number=timeline.number, per_page=timeline.per_page, total=timeline.total
        )
    if user.has_perm("privacy.view_processingbasis"):
        context["bases"] = list(person.bases.all())
    if user.has_perm("privacy.view_datasource"):
        context["sources"] = list(person.sources.all())
    if user.has_perm("contacts.add_interaction"):
        # Distinct id prefixes: three forms share one page and field names such as "kind".
        context["interaction_form"] = InteractionForm(auto_id="interaction_%s")
    if user.has_perms(BASIS_PERMISSIONS):
        context["basis_form"] = BasisForm(auto_id="basis_%s")
    if user.has_perm("privacy.add_datasource"):
        context["source_form"] = SourceForm(auto_id="source_%s")
    return render(request, "people/person_card.html", context)


def _person_service_data(form: PersonForm) -> dict:
    data = dict(form.cleaned_data)
    data["categories"] = list(data.get("categories") or [])
    return data


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("people.add_person", raise_exception=True)
def person_new(request):
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            actor = ui_actor(request)
            try:
                person = person_create(actor=actor, **_person_service_data(form))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The person was saved."))
                return redirect(_card_url(person))
    else:
        initial = {}
        organization_id = request.GET.get("organization", "")
        if organization_id.isdigit():
            organization = Organization.objects.filter(pk=int(organization_id)).first()
            if organization is not None:
                initial["organization"] = organization_label(organization)
        form = PersonForm(initial=initial)
    return render(request, "people/person_form.html", {"form": form, "person": None})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("people.change_person", raise_exception=True)
def person_edit(request, person_id: UUID):
    person = get_person_for_user(request, person_id)
    if request.method == "POST":
        form = PersonForm(request.POST)
        if form.is_valid():
            try:
                person_update(actor=ui_actor(request), person=person, **_person_service_data(form))
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The changes were saved."))
                return redirect(_card_url(person))
    else:
        form = PersonForm(
            initial={
                "first_name": person.first_name,
                "last_name": person.last_name,
                "email": person.email,
                "phone": person.phone,
                "organization": organization_label(person.organization) if person.organization else "",
                "title": person.title,
                "categories": [c.category for c in person.categories.all()],
                "self_given_info": person.self_given_info,
            }
        )
    return render(request, "people/person_form.html", {"form": form, "person": person})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("people.delete_person", raise_exception=True)
def person_remove(request, person_id: UUID):
    person = get_person_for_user(request, person_id)
    if request.method == "POST":
        form = PersonDeleteForm(request.POST)
        if form.is_valid():
            person_delete(actor=ui_actor(request), person=person, reason=form.cleaned_data["reason"])
            messages.success(request, _("The person and all their data were deleted."))
            return redirect("web:dashboard")
    else:
        form = PersonDeleteForm()
    return render(request, "people/person_delete.html", {"form": form, "person": person})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("contacts.add_interaction", raise_exception=True)
def interaction_new(request, person_id: UUID):
    person = get_person_for_user(request, person_id)
    if request.method == "POST":
        form = InteractionForm(request.POST)
        if form.is_valid():
            try:
                interaction_create(actor=ui_actor(request), person=person, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The interaction was added to the contact history."))
                return redirect(_card_url(person, "history"))
    else:
        form = InteractionForm()
    return render(request, "contacts/interaction_form.html", {"form": form, "person": person})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(BASIS_PERMISSIONS, raise_exception=True)
def basis_new(request, person_id: UUID):
    """Record or replace the legal basis of one purpose (section 3 of the notice)."""
    person = get_person_for_user(request, person_id)
    if request.method == "POST":
        form = BasisForm(request.POST)
        if form.is_valid():
            try:
                basis_set(actor=ui_actor(request), person=person, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The legal basis was saved."))
                return redirect(_card_url(person, "bases"))
    else:
        form = BasisForm(initial={"purpose": request.GET.get("purpose", "")})
    return render(request, "people/basis_form.html", {"form": form, "person": person})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("privacy.add_datasource", raise_exception=True)
def source_new(request, person_id: UUID):
    """Record where the person's data came from (section 5 of the notice)."""
    person = get_person_for_user(request, person_id)
    if request.method == "POST":
        form = SourceForm(request.POST)
        if form.is_valid():
            try:
                source_add(actor=ui_actor(request), person=person, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The source was saved."))
                return redirect(_card_url(person, "sources"))
    else:
        form = SourceForm()
    return render(request, "people/source_form.html", {"form": form, "person": person})


@never_cache
@require_http_methods(["POST"])
@permission_required("rights.change_datasubjectrequest", raise_exception=True)
def restriction_lift(request, person_id: UUID):
    """The privacy officer lifts a restriction of processing, with reasons (Art. 18(3))."""
    from rekisteri.rights.fulfilment import restriction_lift as lift

    person = get_person_for_user(request, person_id)
    form = RestrictionLiftForm(request.POST)
    if form.is_valid():
        try:
            lift(actor=ui_actor(request), person=person, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("The restriction was lifted and the person will be told the reasons.")
            )
    else:
        messages.error(request, _("Give the reasons for lifting the restriction."))
    return redirect(_card_url(person))
