"""The person list (search, filters, order, pages) and its export as CSV or XLSX."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from rekisteri.people.export import EXPORT_MAX_ROWS, person_export
from rekisteri.people.filters import PersonFilters, person_filters_clean
from rekisteri.people.selectors import (
    DEFAULT_SORT,
    ListTooBroad,
    basis_flags,
    person_list,
    person_search,
    person_view,
)
from rekisteri.people.visibility import BASES, shown_groups
from rekisteri.web.forms import organization_label
from rekisteri.web.forms.person_list import PERSON_FILTER_FIELDS, PersonExportForm, PersonListForm
from rekisteri.web.views.common import PAGE_SIZE, PageInfo, page_number, ui_actor
from rekisteri.web.views.home import MIN_QUERY

# Each column's first click sorts the way people usually want it: names and organizations
# A-Ö, dates newest first.
_COLUMN_SORTS = {
    "name": "name",
    "organization": "organization",
    "last_contact": "-last_contact",
    "created": "-created",
}
_FORM_FIELDS = {filter_name: field for field, filter_name in PERSON_FILTER_FIELDS.items()}


def sort_choices():
    return [
        ("", _("Default order")),
        ("name", _("Name A–Ö")),
        ("-name", _("Name Ö–A")),
        ("organization", _("Organization A–Ö")),
        ("-organization", _("Organization Ö–A")),
        ("-last_contact", _("Last contact, newest first")),
        ("last_contact", _("Last contact, oldest first")),
        ("-created", _("Added, newest first")),
        ("created", _("Added, oldest first")),
    ]


@dataclass
class ListRequest:
    """What a person list request asks for, checked; `form` carries any errors."""

    form: PersonListForm
    valid: bool
    filters: PersonFilters
    query: str = ""
    sort: str = ""


def _list_request(request) -> ListRequest:
    form = PersonListForm(request.GET or None, sort_choices=sort_choices())
    if not form.is_bound:
        return ListRequest(form, True, PersonFilters())
    if not form.is_valid():
        return ListRequest(form, False, PersonFilters())
    try:
        filters = person_filters_clean(form.filter_values())
    except ValidationError as exc:
        form.add_service_errors(exc, field_map=_FORM_FIELDS)
        return ListRequest(form, False, PersonFilters())
    organization = form.cleaned_data.get("organization")
    if organization is not None:
        # A link gives the id: show the organization as the suggestions would.
        form.data = form.data.copy()
        form.data["organization"] = organization_label(organization)
    query = " ".join(form.cleaned_data["q"].split())
    return ListRequest(form, True, filters, query, form.cleaned_data["sort"])


def _read(request, wanted: ListRequest, sort: str, number: int):
    actor = ui_actor(request)
    # The purpose of the reads is the role's (people.visibility), as everywhere.
    common = {"actor": actor, "limit": PAGE_SIZE, "offset": (number - 1) * PAGE_SIZE}
    if wanted.query:
        return person_search(query=wanted.query, filters=wanted.filters, sort=sort, **common)
    return person_list(filters=wanted.filters, sort=sort or DEFAULT_SORT, **common)


def _columns(current: str) -> list[dict]:
    labels = {
        "name": _("Name"),
        "organization": _("Organization"),
        "last_contact": _("Last contact"),
        "created": _("Added"),
    }
    columns = []
    for key, first in _COLUMN_SORTS.items():
        active = current.lstrip("-") == key
        reverse = ("" if current.startswith("-") else "-") + key
        columns.append(
            {
                "key": key,
                "label": labels[key],
                "sort": reverse if active else first,
                "aria_sort": ("descending" if current.startswith("-") else "ascending") if active else "none",
            }
        )
    return columns


@never_cache
@require_GET
@permission_required("people.view_person", raise_exception=True)
def person_index(request):
    """Persons by name, e-mail, @domain or phone prefix, filtered, sorted and paginated.

    Each page is audited by the selector (ids shown, the sort, the names of the filters).
    htmx requests get the results fragment, others the whole page.
    """
    wanted = _list_request(request)
    context = {"form": wanted.form, "query": wanted.query, "export_limit": EXPORT_MAX_ROWS}
    if wanted.valid and 0 < len(wanted.query) < MIN_QUERY:
        context["too_short"] = True
    elif wanted.valid:
        number = page_number(request)
        sort = wanted.sort
        try:
            page = _read(request, wanted, sort, number)
        except ListTooBroad as exc:
            context["too_broad"] = exc.limit
            sort = ""
            page = _read(request, wanted, sort, number)
        # What the role may see of each person (the rest is not in the page at all), with
        # the flags of a missing basis or source for the roles that see bases.
        groups = shown_groups(request.user)
        flags = basis_flags([person.pk for person in page.results]) if BASES in groups else {}
        context["people"] = [
            person_view(person, groups, categories=False, basis_flags=flags.get(person.pk))
            for person in page.results
        ]
        context["page"] = PageInfo(
            number=number,
            per_page=PAGE_SIZE,
            total=page.total,
            capped=page.total_capped and len(page.results) == PAGE_SIZE,
        )
        context["total"] = page.total
        context["total_capped"] = page.total_capped
        context["total_is_estimate"] = page.total_is_estimate
        context["columns"] = _columns(page.sort)
        context["listed"] = True
    template = "people/partials/person_results.html" if request.htmx else "people/person_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required(("people.view_person", "people.export_person"), raise_exception=True)
def person_export_view(request):
    """Export the list the query string describes, for a recipient and a purpose (section 6).

    The file is the answer to the POST; it is recorded as a disclosure of every person in it.
    """
    wanted = _list_request(request)
    form = PersonExportForm(request.POST or None)
    if request.method == "POST" and wanted.valid and form.is_valid():
        data = form.cleaned_data
        try:
            exported = person_export(
                actor=ui_actor(request),
                format=data["format"],
                purpose=data["disclosure_purpose"],
                filters=wanted.filters,
                query=wanted.query,
                sort=wanted.sort or "name",
                recipient_company_id=int(data["recipient_company"]) if data["recipient_company"] else None,
                recipient_name=data["recipient_name"],
            )
        except ValidationError as exc:
            form.add_service_errors(
                exc, field_map={"purpose": "disclosure_purpose", "recipient_company_id": "recipient_company"}
            )
        else:
            response = HttpResponse(exported.content, content_type=exported.content_type)
            response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
            return response
    context = {
        "form": form,
        "list_form": wanted.form,
        "list_valid": wanted.valid,
        "query": wanted.query,
        "filters_used": [wanted.form[_FORM_FIELDS.get(name, name)] for name in wanted.filters.used()],
        "export_limit": EXPORT_MAX_ROWS,
    }
    return render(request, "people/person_export.html", context)
