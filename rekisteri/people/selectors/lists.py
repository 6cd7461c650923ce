"""Lists of persons, filtered and sorted (the person list, an organization's people, the
API), and the export of a list or a search result."""

from __future__ import annotations

from dataclasses import replace

from django.db.models import Count, QuerySet

from rekisteri.audit.actor import Actor
from rekisteri.keystore.services import ciphers_for
from rekisteri.organizations.models import Organization
from rekisteri.people.filters import BasisState, PersonFilters, persons_filtered
from rekisteri.people.models import Person
from rekisteri.people.restriction import persons_marketable, persons_processable

# The tunables (SORT_LIMIT, LIST_COUNT_BOUND) and visible_persons are read from the module
# each time, so one rule (or a test) changes them for every read.
from rekisteri.people.selectors import common
from rekisteri.people.selectors.common import (
    MAX_PAGE_SIZE,
    ListTooBroad,
    SearchPage,
    audit_read,
    persons_load,
)
from rekisteri.people.selectors.search import (
    _DB_ORDER,
    DEFAULT_SORT,
    _check_sort,
    _matcher,
    _matching,
    _sorted_persons,
    name_sort_key,
    starting_persons,
)
from rekisteri.privacy.models import Purpose


def person_list(
    *,
    actor: Actor,
    limit: int = 50,
    offset: int = 0,
    organization_id: int | None = None,
    filters: PersonFilters | None = None,
    sort: str = DEFAULT_SORT,
    purpose: str = "",
) -> SearchPage:
    """A page of persons, filtered and sorted; audited with the ids shown, the sort and the
    names of the filters used (not their values)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    sort = _check_sort(sort or DEFAULT_SORT)
    if organization_id is not None:
        filters = replace(filters or PersonFilters(), organization_id=organization_id)
    if sort.lstrip("-") == "name":
        # Read whole (at most SORT_LIMIT), so the filters lead: IN.
        rows = list(
            starting_persons(actor, filters).values_list("pk", "first_name", "last_name")[
                : common.SORT_LIMIT + 1
            ]
        )
        if len(rows) > common.SORT_LIMIT:
            raise ListTooBroad("sort", common.SORT_LIMIT)
        ordered = _ids_by_name(rows, descending=sort.startswith("-"))
        total, capped = len(ordered), False
        results = persons_load(ordered[offset : offset + limit])
    else:
        base = starting_persons(actor, filters, page_bound=common.SORT_LIMIT)
        counted = base.order_by()[: common.LIST_COUNT_BOUND + 1].count()
        total, capped = min(counted, common.LIST_COUNT_BOUND), counted > common.LIST_COUNT_BOUND
        if sort.lstrip("-") == "organization":
            ids = _ids_by_organization(base, descending=sort.startswith("-"), offset=offset, limit=limit)
        else:
            ids = list(base.order_by(*_DB_ORDER[sort]).values_list("pk", flat=True)[offset : offset + limit])
        results = persons_load(ids)
    page = SearchPage(results, total, limit, offset, total_capped=capped, sort=sort)
    audit_read(actor, "list", page, purpose, {"sort": sort, "filters": filters.used() if filters else []})
    return page


def _ids_by_organization(persons: QuerySet, *, descending: bool, offset: int, limit: int) -> list:
    """A page of ids in organization-name order, each organization's persons newest first,
    persons without an organization last.

    One ORDER BY over the join would sort every person for every page (SQLite, without
    statistics, walks the persons and sorts them): instead the organizations are walked in
    name order (org_name_idx), a few at a time, counting their persons (person_org_created_idx)
    until the page starts, and the page is read organization by organization.
    """
    organizations = Organization.objects.order_by(*(("-name", "-id") if descending else ("name", "id")))
    organization_ids = organizations.values_list("pk", flat=True)
    newest_first = persons.order_by("-created_at", "id").values_list("pk", flat=True)
    ids: list = []
    skip, start, step = offset, 0, 8
    while len(ids) < limit:
        chunk = list(organization_ids[start : start + step])
        if not chunk:
            break
        start, step = start + len(chunk), min(step * 2, 512)
        sizes = dict(
            persons.filter(organization_id__in=chunk)
            .order_by()
            .values_list("organization_id")
            .annotate(n=Count("pk"))
        )
        for organization_id in chunk:
            size = sizes.get(organization_id, 0)
            if skip >= size:
                skip -= size
                continue
            ids += newest_first.filter(organization_id=organization_id)[skip : skip + limit - len(ids)]
            skip = 0
            if len(ids) >= limit:
                break
    if len(ids) < limit:
        ids += newest_first.filter(organization_id__isnull=True)[skip : skip + limit - len(ids)]
    return ids


def _ids_by_name(rows: list[tuple], *, descending: bool) -> list:
    """Ids of (id, first name, last name) rows in name order: only the two name columns are
    decrypted (with the data keys in one query)."""
    ciphers = ciphers_for([pk for pk, _, _ in rows])
    table = Person._meta.db_table
    keyed = []
    for pk, first, last in rows:
        cipher = ciphers.get(str(pk))
        if cipher is None:
            continue  # erased (see persons_load)
        first = cipher.decrypt(first, table=table, column="first_name", row_id=pk) or ""
        last = cipher.decrypt(last, table=table, column="last_name", row_id=pk) or ""
        keyed.append((name_sort_key(last, first), pk))  # ties in id order
    keyed.sort(reverse=descending)
    return [pk for _, pk in keyed]


def persons_for_export(
    *,
    actor: Actor,
    filters: PersonFilters | None,
    query: str = "",
    sort: str = "name",
    limit: int,
    for_marketing: bool = False,
) -> list[Person]:
    """Every person of a list or search result, decrypted and sorted, for an export.

    Only persons whose data may be processed beyond storage (Art. 18: restricted persons
    are left out); `for_marketing` also leaves out those who objected to direct marketing
    (Art. 21(3)) and those without a direct-marketing basis in force (Act 917/2014). Not
    audited here: the export records each person it discloses. ListTooBroad when more
    than `limit` persons match.
    """
    persons = persons_processable(starting_persons(actor, filters))
    if for_marketing:
        in_force = PersonFilters(
            purpose="direct_marketing",
            purpose_id=Purpose.objects.filter(slug="direct_marketing").values_list("pk", flat=True).first(),
            basis_state=BasisState.ACTIVE,
        )
        persons = persons_filtered(persons_marketable(persons), in_force)
    matcher = _matcher(query) if query.strip() else None
    return _sorted_persons(_matching(persons, matcher, limit=limit, field="export"), _check_sort(sort))
