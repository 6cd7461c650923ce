"""One person as a reader may see them: the card's read (person_get) and what of it each role
is shown (PersonView, people.visibility); names for pages that name persons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.db.prefetched import prefetched_set
from rekisteri.encryption.fields import attach_ciphers, decrypt_now
from rekisteri.keystore.services import KeyDestroyed, ciphers_for
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.restriction import restricted_included
from rekisteri.people.selectors.common import (
    _CARD_LISTS,
    _CARD_PERSON,
    _scope,
    persons_load,
)
from rekisteri.people.selectors.quality import BasisFlags
from rekisteri.people.visibility import (
    BASES,
    CATEGORIES,
    CONTACT,
    ORGANIZATION,
    SELF_GIVEN,
    SOURCES,
    TRACKING,
    shown_groups,
)
from rekisteri.privacy.models import DataSource, ProcessingBasis

_prefetched = prefetched_set


def restricted_read_possible(*, actor: Actor, person_id: UUID | str) -> bool:
    """Whether the person is restricted (Art. 18) and the actor's role would see them but
    for the restriction: then a read with a stated legal reason opens the card. Reads no
    values; the privacy officer, who sees restricted persons anyway, never needs it."""
    rule, visible = _scope(actor)
    if visible is None:
        return False
    with restricted_included():
        wider = rule.persons(actor.user, Person.objects.all())
    return wider.filter(pk=person_id, restricted_at__isnull=False).exists()


def person_get(
    *, actor: Actor, person_id: UUID | str, purpose: str = "", read_reason: str = ""
) -> Person | None:
    """One person with everything the card shows, or None, also when the person is outside
    the actor's scope (visible_persons). Audited as a view, naming the field groups shown.

    `read_reason` (cleaned by restriction.read_reason_clean): a restricted person whom the
    role would see but for the restriction is read all the same, and the audit event keeps
    the reason (Art. 18: "any other read needs a stated legal reason and is audited").
    """
    rule, visible = _scope(actor)
    with_reason = False
    if visible is not None and not visible.filter(pk=person_id).exists():
        if not (read_reason and restricted_read_possible(actor=actor, person_id=person_id)):
            return None
        with_reason = True
    found = _CARD_PERSON.run([person_id])
    person = found[0] if found else None
    if person is not None:
        for name, query in _CARD_LISTS.items():
            _prefetched(person, name, query.run([person.pk]))
    if person is not None:
        cipher = ciphers_for([person.pk]).get(str(person.pk))
        if cipher is None:
            raise KeyDestroyed(person.pk)
        ciphers = {str(person.pk): cipher}
        children = [*person.bases.all(), *person.sources.all()]
        attach_ciphers([person], ciphers, "pk")
        attach_ciphers(children, ciphers, "person_id")
        # Decrypt here, inside the selector: a tampered or keyless value then fails as
        # itself, not wrapped in whatever error a serializer or template would make of it.
        decrypt_now([person, *children])
        audit_record(
            actor=actor,
            action="view",
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            purpose=purpose or rule.purpose,
            detail={
                "fields": sorted(shown_groups(actor.user, rule)),
                # The reason is the reader's statement of law (a case number, a statute), kept
                # as the proof the restricted read was justified.
                **({"restricted_read": True, "reason": read_reason} if with_reason else {}),
            },
        )
    return person


def person_as_created(person: Person) -> Person:
    """A person person_create has just returned, ready for person_view without a read back:
    a new person has no bases or sources yet, and the service left the categories it wrote.

    Not audited as a view: what it shows is what the caller has just sent, and the create's
    own event names the person.
    """
    _prefetched(person, "bases", [])
    _prefetched(person, "sources", [])
    return person


def person_names(*, actor: Actor, person_ids: list, purpose: str = "", via: str = "") -> dict[str, str]:
    """The full names of these persons by id (as a string); the read is audited (ids only).

    Persons no longer in the register (erased, deleted) are simply absent: the caller says
    so in its own words. `via` names the page the names were shown on, for the trail.
    """
    wanted: list[UUID] = []
    for value in dict.fromkeys(str(pid) for pid in person_ids):
        try:
            wanted.append(UUID(value))
        except ValueError:
            continue
    if not wanted:
        return {}
    persons = persons_load(wanted)
    if persons:
        audit_record(
            actor=actor,
            action="view",
            object_type="person",
            object_ids=[p.pk for p in persons],
            person_ids=[p.pk for p in persons],
            purpose=purpose,
            detail={"fields": ["first_name", "last_name"], **({"via": via} if via else {})},
        )
    return {str(p.pk): p.full_name for p in persons}


def persons_shown(*, actor: Actor, person_ids: list, reason: str, purpose: str = "") -> list[Person]:
    """Persons shown to the user for a reason other than a search (a duplicate warning, a
    merge candidate), decrypted; audited as a list of ids with the reason code. Only those
    the actor's role may see (visible_persons): a restricted person (Art. 18) or one outside
    the role's scope is left out, as from every list."""
    ids = list(person_ids)
    _, visible = _scope(actor)
    if visible is not None and ids:
        allowed = {str(pk) for pk in visible.filter(pk__in=ids).values_list("pk", flat=True)}
        ids = [pid for pid in ids if str(pid) in allowed]
    persons = persons_load(ids)
    audit_record(
        actor=actor,
        action="list",
        object_type="person",
        object_ids=[p.pk for p in persons],
        person_ids=[p.pk for p in persons],
        purpose=purpose,
        detail={"reason": reason, "results": len(persons)},
    )
    return persons


TRACKING_SHOWN = 20


@dataclass(frozen=True)
class PersonView:
    """A person as one reader may see them (people.visibility).

    A field group the reader may not see is None here, so neither a template nor a
    serializer can show it by mistake; `withheld` names those fields for the API's readers.
    """

    id: UUID
    first_name: str
    last_name: str
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime | None
    # Art. 18 and 21(3): anyone who sees the person must know their data is only stored, or
    # that marketing is over for good.
    restricted_at: datetime | None
    marketing_objection_at: datetime | None
    groups: frozenset[str]
    withheld: list[str] = field(default_factory=list)
    email: str | None = None
    phone: str | None = None
    organization: Organization | None = None
    organization_id: int | None = None
    title: str | None = None
    categories: list[PersonCategory] | None = None
    self_given_info: str | None = None
    bases: list[ProcessingBasis] | None = None
    sources: list[DataSource] | None = None
    tracking: list | None = None
    # What the record lacks (a basis in force, a source), for readers shown the bases.
    basis_flags: BasisFlags | None = None

    @property
    def pk(self) -> UUID:
        return self.id

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None


# The fields of each group, as the API names them (what `withheld` lists).
_GROUP_FIELDS = {
    CONTACT: ("email", "phone"),
    ORGANIZATION: ("organization_id", "title"),
    CATEGORIES: ("categories",),
    SELF_GIVEN: ("self_given_info",),
    BASES: ("bases",),
    SOURCES: ("sources",),
    TRACKING: ("tracking",),
}


def person_view(
    person: Person,
    groups: frozenset[str],
    *,
    detail: bool = False,
    categories: bool = True,
    basis_flags: BasisFlags | None = None,
) -> PersonView:
    """What of `person` a reader shown `groups` (visibility.shown_groups) gets to see.

    `detail`: the card and the API's single-person answer, with bases, sources and the
    newest tracking events; lists leave those out (None). `categories=False` for a list page
    that shows none (it saves a query per person unless they were prefetched). The person
    came through an audited selector (person_get, person_search, person_list): that read
    is the audit event.
    """
    values: dict = {}
    if CONTACT in groups:
        values.update(email=person.email, phone=person.phone)
    if ORGANIZATION in groups:
        values.update(
            organization=person.organization, organization_id=person.organization_id, title=person.title
        )
    if CATEGORIES in groups and categories:
        values["categories"] = list(person.categories.all())
    if SELF_GIVEN in groups:
        values["self_given_info"] = person.self_given_info
    if detail:
        if BASES in groups:
            values["bases"] = list(person.bases.all())
        if SOURCES in groups:
            values["sources"] = list(person.sources.all())
        if TRACKING in groups:
            values["tracking"] = _tracking(person)
    withheld = [
        name
        for group, names in _GROUP_FIELDS.items()
        if group not in groups and (detail or group not in (BASES, SOURCES, TRACKING))
        for name in names
    ]
    return PersonView(
        id=person.pk,
        first_name=person.first_name,
        last_name=person.last_name,
        created_at=person.created_at,
        updated_at=person.updated_at,
        last_activity_at=person.last_activity_at,
        restricted_at=person.restricted_at,
        marketing_objection_at=person.marketing_objection_at,
        groups=groups,
        withheld=withheld,
        basis_flags=basis_flags if BASES in groups else None,
        **values,
    )


# A person's newest tracking events, newest first, decrypted. They belong to the contacts app
# (above this one), which installs its reader when it is ready (tracking_reader_install).
_recent_tracking: list[Callable[[Any, int], list]] = [lambda person_id, limit: []]


def tracking_reader_install(reader: Callable[[Any, int], list]) -> None:
    _recent_tracking[0] = reader


def _tracking(person: Person) -> list:
    return _recent_tracking[0](person.pk, TRACKING_SHOWN)
