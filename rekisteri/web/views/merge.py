"""Merging two records of one person: find the other card, compare side by side, confirm."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.contacts.models import Interaction
from rekisteri.people.merge import person_merge
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_search
from rekisteri.web.forms import MergeForm, MergeSearchForm, PersonForm
from rekisteri.web.templatetags.rekisteri_ui import phone as phone_display
from rekisteri.web.views.common import get_person_for_user, ui_actor

# Merging shows both records whole, so it needs the right to view persons too.
MERGE = ("people.merge_person", "people.view_person")
SEARCH_LIMIT = 20
# The person fields compared side by side (labelled as in the person form).
COMPARED = ("first_name", "last_name", "email", "phone", "organization", "title", "self_given_info")


@never_cache
@require_GET
@permission_required(MERGE, raise_exception=True)
def person_merge_search(request, person_id: UUID):
    """Step 1: find the other record of the same person (by name, e-mail or phone)."""
    person = get_person_for_user(request, person_id)
    form = MergeSearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid() and len(form.cleaned_data["q"].strip()) >= 2:
        actor = ui_actor(request)
        page = person_search(
            actor=actor, query=form.cleaned_data["q"], limit=SEARCH_LIMIT, purpose=actor.purpose
        )
        results = [found for found in page.results if found.pk != person.pk]
    return render(request, "people/merge_search.html", {"person": person, "form": form, "results": results})


def _display(person: Person, name: str) -> str:
    if name == "organization":
        return person.organization.name if person.organization_id else ""
    if name == "phone":
        return phone_display(person.phone)
    return getattr(person, name)


def _value(person: Person, name: str):
    return person.organization_id if name == "organization" else getattr(person, name)


def _comparison(this: Person, other: Person) -> tuple[list[dict], list[tuple[str, str]], dict[str, str]]:
    """Rows of the side-by-side table, the fields to choose between, and their defaults.

    A field the card that stays lacks defaults to the other card's value (filling a gap);
    otherwise to this card's.
    """
    rows, choosable, initial = [], [], {}
    for name in COMPARED:
        label = PersonForm.base_fields[name].label
        differs = _value(this, name) != _value(other, name)
        rows.append(
            {"name": name, "label": label, "this": _display(this, name), "other": _display(other, name)}
        )
        if differs:
            choosable.append((name, label))
            initial[name] = "other" if not _value(this, name) and _value(other, name) else "this"
    return rows, choosable, initial


def _conflicting_purposes(this: Person, other: Person) -> list[tuple[str, str]]:
    """Purposes both records have a legal basis for: only one basis per purpose can stay."""
    others = {basis.purpose.slug for basis in other.bases.all()}
    return [
        (basis.purpose.slug, basis.purpose.name) for basis in this.bases.all() if basis.purpose.slug in others
    ]


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(MERGE, raise_exception=True)
def person_merge_confirm(request, person_id: UUID, other_id: UUID):
    """Step 2: both records side by side; choose what stays and confirm."""
    if person_id == other_id:
        messages.error(request, _("Choose another record: a card cannot be merged with itself."))
        return redirect("web:person_merge", person_id=person_id)
    this = get_person_for_user(request, person_id)
    other = get_person_for_user(request, other_id)
    rows, choosable, initial = _comparison(this, other)
    purposes = _conflicting_purposes(this, other)
    form_args = {"fields": choosable, "purposes": purposes, "initial_sides": initial}
    if request.method == "POST":
        form = MergeForm(request.POST, **form_args)
        if form.is_valid():
            keep_this = form.cleaned_data["keep"] == "this"
            survivor, merged = (this, other) if keep_this else (other, this)
            merged_side = "other" if keep_this else "this"
            try:
                result = person_merge(
                    actor=ui_actor(request),
                    survivor=survivor,
                    merged=merged,
                    reason=form.cleaned_data["reason"],
                    fields_from_merged=[
                        n for n, side in form.choices("field_").items() if side == merged_side
                    ],
                    bases_from_merged=[
                        s for s, side in form.choices("basis_").items() if side == merged_side
                    ],
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(
                    request,
                    _("The records were merged: everything recorded on the other card is now on this one."),
                )
                return redirect("web:person_card", person_id=result.survivor.pk)
    else:
        form = MergeForm(**form_args)
    for row in rows:
        row["field"] = form[f"field_{row['name']}"] if f"field_{row['name']}" in form.fields else None
    context = {
        "this": this,
        "other": other,
        "form": form,
        "rows": rows,
        "basis_choices": [form[f"basis_{slug}"] for slug, _label in purposes],
        "interactions": {
            "this": Interaction.objects.filter(person=this).count(),
            "other": Interaction.objects.filter(person=other).count(),
        },
    }
    return render(request, "people/merge_confirm.html", context)
