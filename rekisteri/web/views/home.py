"""The dashboard of each role and the search across persons and organizations."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.cache import cache
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rekisteri.accounts.access import user_role
from rekisteri.accounts.models import Role
from rekisteri.governance.selectors import access_review_due
from rekisteri.organizations.models import Organization
from rekisteri.organizations.selectors import organization_list
from rekisteri.outbox.selectors import failed_mails, waiting_mails
from rekisteri.people.selectors import (
    basis_flags,
    marketing_audience_counts,
    person_list,
    person_search,
    person_view,
    persons_missing_basis_or_source,
    visible_persons,
)
from rekisteri.people.visibility import BASES, shown_groups
from rekisteri.rights.selectors import open_requests
from rekisteri.rights.services import requests_due_soon
from rekisteri.web.views.common import (
    COUNT_BOUND,
    PageInfo,
    bounded_count,
    bounded_label,
    page_number,
    ui_actor,
)
from rekisteri.web.views.requests import DUE_SOON_DAYS  # the week of the list's "due soon" filter

SEARCH_PAGE_SIZE = 20
ORGANIZATION_HITS = 10
# One letter would list half the register; two begin to narrow it.
MIN_QUERY = 2
MAX_QUERY = 100
# The count of persons lacking a basis or a source reads every person's bases and sources
# (about 0.2 s per 100,000 persons on SQLite): taken at most this often per worker.
MISSING_BASIS_COUNT_SECONDS = 300


def _missing_basis_count() -> str:
    return cache.get_or_set(
        "rekisteri:dashboard:missing_basis_count",
        lambda: bounded_count(persons_missing_basis_or_source()),
        MISSING_BASIS_COUNT_SECONDS,
    )


# The tiles of each role's dashboard: what its work needs, nothing else (section 11).
DASHBOARD_TILES: dict[str, tuple[str, ...]] = {
    # Sales and CRM record the legal bases and sources: they see how many are missing.
    Role.SALES: ("my_customers", "people", "without_basis", "organizations"),
    Role.CRM: ("my_customers", "people", "without_basis", "organizations"),
    Role.MARKETING: ("audience", "organizations"),
    Role.TRAINER: ("students",),
    Role.PRIVACY_OFFICER: ("requests", "without_basis", "mail", "audit"),
    Role.ADMIN: ("people", "organizations"),
}
MY_CUSTOMERS_SHOWN = 10
STUDENTS_SHOWN = 10


def _my_customers(request) -> dict:
    # Organizations are company data: listing them reads no personal data.
    mine = request.user.responsible_for.order_by("name", "id")
    return {
        "my_organizations": list(mine[:MY_CUSTOMERS_SHOWN]),
        "my_organization_count": bounded_count(mine),
    }


def _people(request) -> dict:
    return {"person_count": bounded_count(visible_persons(request.user))}


def _organizations(request) -> dict:
    return {"organization_count": bounded_count(Organization.objects.all())}


def _audience(request) -> dict:
    counts = marketing_audience_counts(bound=COUNT_BOUND)
    return {"audience": {name: bounded_label(count) for name, count in counts.items()}}


def _students(request) -> dict:
    # Names are personal data: read through the audited list, under the trainer's purpose.
    page = person_list(actor=ui_actor(request), limit=STUDENTS_SHOWN)
    groups = shown_groups(request.user)
    return {
        "students": [person_view(person, groups, categories=False) for person in page.results],
        "student_count": f"{page.total}+" if page.total_capped else str(page.total),
    }


def _requests(request) -> dict:
    overdue, due_soon = requests_due_soon(days=DUE_SOON_DAYS)
    return {
        "requests_open": bounded_count(open_requests()),
        "requests_due_soon": bounded_count(due_soon),
        "requests_overdue": bounded_count(overdue),
    }


def _without_basis(request) -> dict:
    # Sections 3 and 5: persons without a legal basis in force or without a source.
    return {"without_basis_count": _missing_basis_count()}


def _mail(request) -> dict:
    # States only: no address or text is read for the tile.
    return {"mail_failed": bounded_count(failed_mails()), "mail_waiting": bounded_count(waiting_mails())}


def _access_review(request) -> dict:
    # Section 11: the quarterly access review, reminded on the officer's dashboard once due.
    due = access_review_due()
    return {"access_review_due": due, "access_review_overdue": due <= timezone.localdate()}


_TILE_CONTEXT = {
    "my_customers": _my_customers,
    "people": _people,
    "organizations": _organizations,
    "audience": _audience,
    "students": _students,
    "requests": _requests,
    "without_basis": _without_basis,
    "mail": _mail,
    "audit": _access_review,
}


@never_cache
@require_GET
def dashboard(request):
    """The tiles of the user's role (DASHBOARD_TILES), each counting with a bound."""
    tiles = DASHBOARD_TILES.get(user_role(request.user) or "", ())
    context: dict = {"tiles": tiles}
    for tile in tiles:
        context.update(_TILE_CONTEXT[tile](request))
    return render(request, "web/dashboard.html", context)


@never_cache
@require_GET
@permission_required("people.view_person", raise_exception=True)
def search(request):
    """Persons by name, e-mail or phone and organizations by name or business ID.

    htmx requests (as-you-type) get the results fragment; others the full page. Every
    search that shows persons is audited by person_search (ids shown, never the terms).
    """
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY]
    context = {"query": query, "too_short": 0 < len(query) < MIN_QUERY, "searched": len(query) >= MIN_QUERY}
    if context["searched"]:
        actor = ui_actor(request)
        number = page_number(request)
        result = person_search(
            actor=actor,
            query=query,
            limit=SEARCH_PAGE_SIZE,
            offset=(number - 1) * SEARCH_PAGE_SIZE,
        )
        groups = shown_groups(request.user)
        flags = basis_flags([person.pk for person in result.results]) if BASES in groups else {}
        context["people"] = [
            person_view(person, groups, categories=False, basis_flags=flags.get(person.pk))
            for person in result.results
        ]
        context["people_page"] = PageInfo(number=number, per_page=SEARCH_PAGE_SIZE, total=result.total)
        if request.user.has_perm("organizations.view_organization") and number == 1:
            organizations = organization_list(
                actor=actor, query=query, limit=ORGANIZATION_HITS, purpose=actor.purpose
            )
            context["organizations"] = organizations.results
            context["organization_total"] = organizations.total
    template = "web/partials/search_results.html" if request.htmx else "web/search.html"
    response = render(request, template, context)
    # The same URL answers with a fragment or a page: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
