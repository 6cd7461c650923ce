"""The dashboard and the search across persons and organizations."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from rekisteri.organizations.models import Organization
from rekisteri.organizations.selectors import organization_list
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_search
from rekisteri.web.views.common import PageInfo, bounded_count, page_number, ui_actor

SEARCH_PAGE_SIZE = 20
ORGANIZATION_HITS = 10
# One letter would list half the register; two begin to narrow it.
MIN_QUERY = 2
MAX_QUERY = 100


@never_cache
@require_GET
def dashboard(request):
    user = request.user
    context = {
        "person_count": bounded_count(Person.objects.all()),
        "organization_count": bounded_count(Organization.objects.all()),
        # Organizations are company data; the people in them are shown only on the audited pages.
        "my_organizations": list(user.responsible_for.order_by("name")[:10]),
    }
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
            purpose=actor.purpose,
        )
        context["people"] = result.results
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
