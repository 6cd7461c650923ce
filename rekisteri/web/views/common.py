"""Helpers shared by the staff UI's views."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from rekisteri.accounts.idempotency import Claim, submission_claim
from rekisteri.audit.actor import Actor
from rekisteri.people.models import Person, PersonRedirect
from rekisteri.people.selectors import COUNT_BOUND, merged_into, person_get, restricted_read_possible
from rekisteri.web.restricted_grants import grant_reason

PAGE_SIZE = 25
# The pages of a person that only read, and so open a restricted person with a stated reason.
REASON_READ_PAGES = ("web:person_card", "web:person_marketing", "web:person_disclosures")


def ui_actor(request) -> Actor:
    return Actor.for_user(request.user, "ui")


def page_number(request, name: str = "page") -> int:
    try:
        return max(1, min(int(request.GET.get(name, "1")), 100_000))
    except ValueError:
        return 1


@dataclass
class PageInfo:
    """What the pagination partial needs, for selector pages and Django paginators alike."""

    number: int
    per_page: int
    total: int
    # The total stopped at a bound (COUNT_BOUND) and this page is full: there may be more.
    capped: bool = False

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def num_pages_label(self) -> str:
        return f"{self.num_pages}+" if self.capped else str(self.num_pages)

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages or self.capped

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page


def bounded_count(queryset: QuerySet, bound: int = COUNT_BOUND) -> str:
    """How many rows, counted no further than the bound (COUNT_BOUND: "10000+")."""
    return bounded_label(queryset[: bound + 1].count(), bound)


def bounded_label(count: int, bound: int = COUNT_BOUND) -> str:
    """A count taken up to bound + 1, as shown: "10000+" when it went past the bound."""
    return f"{bound}+" if count > bound else str(count)


class PersonMerged(Exception):
    """The page's person was merged into another; rekisteri.web.middleware redirects."""

    def __init__(self, redirect: PersonRedirect):
        super().__init__(f"person {redirect.merged_id} was merged into {redirect.survivor_id}")
        self.redirect = redirect


class RestrictedReasonNeeded(Http404):
    """A restricted person (Art. 18) whom the role would see but for the restriction, read
    without a grant in force: rekisteri.web.middleware asks for the legal reason (a 403 with
    the form) instead of the plain 404 this is for every other caller."""

    def __init__(self, person_id: UUID):
        super().__init__("a legal reason is needed to read this restricted person")
        self.person_id = person_id


def get_person_for_user(request, person_id: UUID, *, restricted_read: bool = False) -> Person:
    """The person a page shows, read through the audited selector under the purpose of the
    user's role; 404 when there is none or the role may not see them (visible_persons).

    `restricted_read`: a page that only reads (the card, the marketing record, the
    disclosures) opens a restricted person the role would see but for the restriction with a
    grant in force (restricted_grants, the read audited with its reason), and without one
    asks for the reason (RestrictedReasonNeeded). Writes never: a restricted person is
    only stored.

    A merged person's id raises PersonMerged: every page of the old id leads to the
    survivor's card, and no action is taken on the old id.
    """
    actor = ui_actor(request)
    person = person_get(actor=actor, person_id=person_id)
    if person is None:
        redirect = merged_into(person_id)
        if redirect is not None:
            raise PersonMerged(redirect)
        reading = restricted_read and request.method == "GET"
        if reading and restricted_read_possible(actor=actor, person_id=person_id):
            granted = grant_reason(request, person_id)
            if granted is None:
                raise RestrictedReasonNeeded(person_id)
            person = person_get(actor=actor, person_id=person_id, read_reason=granted[1])
        if person is None:
            raise Http404
    return person


def form_claim(request, form, scope: str) -> Claim | None:
    """Claim the form's one-time token; None when the form came without one."""
    if not form.token:
        return None
    return submission_claim(user=request.user, scope=scope, key=form.token)
