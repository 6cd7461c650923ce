"""Reading persons, with the audit event every read of personal data owes.

Every list, search, export and card read of persons starts from `visible_persons`: the one
place that decides which persons a user may find (people.visibility). Modules: common (the
scope, loading, pages, audit), search, lists (and exports), card (one person as a reader
may see them), quality (missing bases and sources, merged records, audiences).
"""

from rekisteri.people.selectors.card import (
    TRACKING_SHOWN,
    PersonView,
    _prefetched,
    person_as_created,
    person_get,
    person_names,
    person_view,
    persons_shown,
    restricted_read_possible,
    tracking_reader_install,
)
from rekisteri.people.selectors.common import (
    _CARD_LISTS,
    _CARD_PERSON,
    _PERSONS_BY_ID,
    _PERSONS_BY_TERM,
    COUNT_BOUND,
    LIST_COUNT_BOUND,
    MAX_PAGE_SIZE,
    SORT_LIMIT,
    ListTooBroad,
    SearchPage,
    audit_read,
    persons_load,
    restricts,
    visible_persons,
)
from rekisteri.people.selectors.lists import (
    person_list,
    persons_for_export,
)
from rekisteri.people.selectors.quality import (
    BasisFlags,
    attach_basis_flags,
    basis_flags,
    marketing_audience_counts,
    merged_ids_of,
    merged_into,
    persons_missing_basis_or_source,
    persons_without_basis,
    persons_without_basis_count,
    with_basis_flags,
)
from rekisteri.people.selectors.search import (
    DEFAULT_SORT,
    SORT_KEYS,
    SORTS,
    name_sort_key,
    person_ids_matching_email,
    person_search,
    starting_persons,
)

__all__ = [
    "BasisFlags",
    "COUNT_BOUND",
    "DEFAULT_SORT",
    "LIST_COUNT_BOUND",
    "ListTooBroad",
    "MAX_PAGE_SIZE",
    "PersonView",
    "SORTS",
    "SORT_KEYS",
    "SORT_LIMIT",
    "SearchPage",
    "TRACKING_SHOWN",
    "_CARD_LISTS",
    "_CARD_PERSON",
    "_PERSONS_BY_ID",
    "_PERSONS_BY_TERM",
    "_prefetched",
    "person_as_created",
    "restricted_read_possible",
    "attach_basis_flags",
    "audit_read",
    "basis_flags",
    "marketing_audience_counts",
    "merged_ids_of",
    "merged_into",
    "name_sort_key",
    "person_get",
    "person_list",
    "person_names",
    "person_ids_matching_email",
    "person_search",
    "person_view",
    "persons_for_export",
    "persons_load",
    "persons_missing_basis_or_source",
    "persons_shown",
    "persons_without_basis",
    "persons_without_basis_count",
    "restricts",
    "starting_persons",
    "tracking_reader_install",
    "visible_persons",
    "with_basis_flags",
]
