"""Writing persons and what the notice records about them.

Every function takes the acting `Actor`, validates, writes in one transaction and appends
its audit event in that same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.db.prefetched import prefetched_set
from rekisteri.encryption.search import candidates_by_email, candidates_by_phone
from rekisteri.encryption.services import person_index_new, person_reindex, search_terms_for
from rekisteri.errors import ServiceError, from_lib_error, required, too_long, unknown_field
from rekisteri.keystore.services import new_owner_key
from rekisteri.lib.normalize import NormalizationError, normalize_email, normalize_phone
from rekisteri.organizations.models import Organization
from rekisteri.people.deletion import deletion_check
from rekisteri.people.models import DeletionOverride, Person, PersonCategory
from rekisteri.people.restriction import restriction_check

# Fields whose blind-index entries must follow a change.
SEARCHABLE_FIELDS = {"first_name", "last_name", "email", "phone"}
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "organization", "title", "self_given_info")
_MAX_LENGTHS = {"first_name": 100, "last_name": 100, "title": 200, "self_given_info": 5000}
_ACCEPTED_FIELDS = frozenset((*PERSON_FIELDS, "categories"))
_CATEGORIES = frozenset(PersonCategory.Category.values)  # .values builds a new list on every access


class DuplicatePerson(ValidationError):
    """The e-mail address or phone number is already another person's.

    Not an error of the input: the caller may insist (allow_duplicate=True) when they are
    different people sharing an address or a switchboard number. `existing_ids` names them.
    """

    def __init__(self, existing_ids: list[UUID], fields: list[str]):
        messages = {
            "email": ServiceError(
                _("Another person in the register has this e-mail address."), code="person.email_taken"
            ),
            "phone": ServiceError(
                _("Another person in the register has this phone number."), code="person.phone_taken"
            ),
        }
        super().__init__({field: messages[field] for field in fields})
        self.existing_ids = existing_ids
        self.duplicate_fields = fields


def person_duplicates(
    *, email: str = "", phone: str = "", exclude: UUID | None = None
) -> DuplicatePerson | None:
    """The persons who already have this e-mail (any case) or phone (E.164), if any.

    Exact matches through the blind index, re-checked after decryption, so a false positive
    of the truncated index never counts. Reads no more than it must and returns ids only:
    whoever shows the matches audits that read.
    """
    from rekisteri.people.selectors import persons_load

    found: dict[UUID, None] = {}
    fields: list[str] = []
    checks = []
    if email:
        key = email.casefold()
        checks.append(("email", candidates_by_email(key), lambda person: person.email.casefold() == key))
    if phone:
        # The phone index codes a number's leading digits: every holder of the whole number
        # is among the candidates of all of its digits.
        candidates = candidates_by_phone(phone.lstrip("+"))
        checks.append(("phone", candidates, lambda person: person.phone == phone))
    for field, candidates, matches in checks:
        ids = [pid for pid in dict.fromkeys(row["person_id"] for row in candidates) if pid != exclude]
        hits = [person.pk for person in persons_load(ids) if matches(person)] if ids else []
        if hits:
            fields.append(field)
            found.update(dict.fromkeys(hits))
    return DuplicatePerson(list(found), fields) if found else None


def _clean_person(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise person fields; raises ValidationError keyed by field name."""
    unknown = data.keys() - _ACCEPTED_FIELDS
    errors: dict[str, ValidationError] = {name: unknown_field() for name in unknown}
    cleaned: dict[str, Any] = {}
    for name in ("first_name", "last_name", "title", "self_given_info"):
        if name in data:
            value = (data[name] or "").strip()
            if len(value) > _MAX_LENGTHS[name]:
                errors[name] = too_long(_MAX_LENGTHS[name])
            cleaned[name] = value
    for name in ("first_name", "last_name"):
        if name in cleaned and not cleaned[name]:
            errors[name] = required()
    if "email" in data:
        raw = (data["email"] or "").strip()
        try:
            cleaned["email"] = normalize_email(raw) if raw else ""
        except NormalizationError as exc:
            errors["email"] = from_lib_error(exc)
    if "phone" in data:
        raw = (data["phone"] or "").strip()
        try:
            cleaned["phone"] = normalize_phone(raw) if raw else ""
        except NormalizationError as exc:
            errors["phone"] = from_lib_error(exc)
    if "organization" in data:
        organization = data["organization"]
        if isinstance(organization, Organization):  # first: Model.__eq__ is not free
            cleaned["organization"] = organization
        elif organization in (None, ""):
            cleaned["organization"] = None
        else:
            found = (
                Organization.objects.filter(pk=organization).first() if str(organization).isdigit() else None
            )
            if found is None:
                errors["organization"] = ServiceError(_("No such organization."), code="organization.unknown")
            cleaned["organization"] = found
    if "categories" in data:
        categories = list(dict.fromkeys(data["categories"] or []))
        bad = [value for value in categories if value not in _CATEGORIES]
        if bad:
            errors["categories"] = ServiceError(
                _("Unknown category; choose from %(choices)s."),
                code="person.category_unknown",
                params={"choices": ", ".join(PersonCategory.Category.values)},
            )
        cleaned["categories"] = categories
    if errors:
        raise ValidationError(errors)
    return cleaned


def person_create(
    *,
    actor: Actor,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    organization: Organization | int | str | None = None,
    title: str = "",
    self_given_info: str = "",
    categories: Iterable[str] = (),
    allow_duplicate: bool = False,
) -> Person:
    """Create a person; `organization` is an Organization, its id or its name.

    Raises ValidationError keyed by field for bad values, and DuplicatePerson when another
    person has the same e-mail address or phone number, unless `allow_duplicate`.
    """
    cleaned = _clean_person(
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "organization": organization,
            "title": title,
            "self_given_info": self_given_info,
            "categories": list(categories),
        }
    )
    categories = cleaned.pop("categories", [])
    now = timezone.now()
    # Everything that needs no lock is done before the transaction: on SQLite it holds the
    # register's one write lock, which every other writer waits for (benchmarks/README.md,
    # the single-write path). The person's data key is made by name and is durable in the
    # key store before the row whose values it encrypts; the blind-index entries are
    # computed here too.
    person_id, _ = new_owner_key()
    terms = search_terms_for(
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
        email=cleaned.get("email", ""),
        phone=cleaned.get("phone", ""),
    )
    person = Person(
        id=person_id,
        created_by=actor.recorded_user,
        created_at=now,
        updated_at=now,
        **cleaned,
    )
    with transaction.atomic():
        # Inside the transaction: on SQLite it holds the write lock, so two saves of the
        # same new person cannot both pass the check.
        if not allow_duplicate:
            duplicate = person_duplicates(email=cleaned.get("email", ""), phone=cleaned.get("phone", ""))
            if duplicate is not None:
                raise duplicate
        person.save(force_insert=True)
        created = PersonCategory.objects.bulk_create(
            PersonCategory(person=person, category=c) for c in categories
        )
        person_index_new(person.pk, terms)
        audit_record(
            actor=actor,
            action="create",
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            detail={"fields": sorted(k for k, v in cleaned.items() if v)},
        )
    # The answer of a create shows the categories just written: no query to read them back.
    prefetched_set(person, "categories", created)
    return person


def person_update(*, actor: Actor, person: Person, allow_duplicate: bool = False, **data: Any) -> Person:
    """Change a person's fields; the audit event names the fields changed, never values.

    Refused with ProcessingRestricted while the person is restricted (Art. 18), and with
    DuplicatePerson when the new e-mail or phone is another person's, unless `allow_duplicate`.
    """
    restriction_check(person)
    cleaned = _clean_person(data)
    categories = cleaned.pop("categories", None)
    changed = [name for name, value in cleaned.items() if getattr(person, name) != value]
    with transaction.atomic():
        restriction_check(person, lock=True)
        if not allow_duplicate and {"email", "phone"} & set(changed):
            duplicate = person_duplicates(
                email=cleaned["email"] if "email" in changed else "",
                phone=cleaned["phone"] if "phone" in changed else "",
                exclude=person.pk,
            )
            if duplicate is not None:
                raise duplicate
        for name, value in cleaned.items():
            setattr(person, name, value)
        if categories is not None:
            current = set(person.categories.values_list("category", flat=True))
            if current != set(categories):
                changed.append("categories")
                person.categories.exclude(category__in=categories).delete()
                PersonCategory.objects.bulk_create(
                    PersonCategory(person=person, category=c) for c in categories if c not in current
                )
        person.updated_at = timezone.now()
        person.save()
        if SEARCHABLE_FIELDS & set(changed):
            person_reindex(person)
        audit_record(
            actor=actor,
            action="change",
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            detail={"fields": sorted(changed)},
        )
    return person


def person_delete(
    *, actor: Actor, person: Person, reason: str = "other", request_ref: str = "", override_reason: str = ""
) -> None:
    """Delete a person: erasure by key destruction (rekisteri.privacy.erasure.person_erase).

    Art. 17(3): refused (DeletionRefused) while a contract or a legal obligation is in force or
    a legal hold applies, unless the privacy officer overrides with reasons; the override is
    kept (DeletionOverride, which outlives the person) and audited.
    """
    from rekisteri.privacy.erasure import erasure_check, person_erase
    from rekisteri.privacy.recipients import recipient_notifications_create

    override_reason = (override_reason or "").strip()
    if len(override_reason) > 2000:
        raise ValidationError({"override_reason": too_long(2000)})
    erasure_check(reason=reason, request_ref=request_ref)
    obstacles = deletion_check(actor=actor, person_id=person.pk, override_reason=override_reason)
    if obstacles:
        with transaction.atomic():
            override = DeletionOverride.objects.create(
                person_id=person.pk,
                obstacles=obstacles,
                reason=override_reason,
                decided_by=actor.user,
            )
            audit_record(
                actor=actor,
                action="override",
                object_type="deletion_override",
                object_ids=[override.pk],
                person_ids=[person.pk],
                purpose="rights_and_obligations",
                detail={"obstacles": len(obstacles)},
            )
    # Art. 19: an erasure by staff, like one on request, leaves a task for each recipient of
    # the person's data, read from the disclosure log before it goes with the person.
    recipient_notifications_create(actor=actor, person_id=person.pk, event="erasure", request_ref=request_ref)
    person_erase(actor=actor, person_id=person.pk, reason=reason, request_ref=request_ref)


# Section 4: a birth date is kept only to tell persons apart. Besides a namesake in the
# register, a course's license body may require it; the training app, which knows courses,
# installs the check (people sits below it). It returns a non-personal description of the
# requirement (course code and license body) or "".
_birth_date_requirements: list[Callable[[Person], str]] = []


def birth_date_requirement_install(check: Callable[[Person], str]) -> None:
    if check not in _birth_date_requirements:
        _birth_date_requirements.append(check)


class BirthDateNotNeeded(ValidationError):
    """The birth-date rule of section 4 refuses the value: nothing needs it."""

    def __init__(self):
        rule = _(
            "A birth date is stored only when another person in the register has the same name or the "
            "license body of a course the person attends requires it (privacy notice, section 4); neither "
            "applies to this person."
        )
        super().__init__({"birth_date": ServiceError(rule, code="person.birth_date_not_needed")})


def person_namesakes(person: Person) -> list[UUID]:
    """Other persons with exactly the same first and last name (any case), by the blind index
    and re-checked after decryption."""
    from rekisteri.encryption.search import candidates_by_name
    from rekisteri.people.selectors import persons_load

    first, last = person.first_name.casefold().strip(), person.last_name.casefold().strip()
    candidates = candidates_by_name(f"{person.first_name} {person.last_name}")
    if candidates is None:
        return []
    ids = [pid for pid in dict.fromkeys(row["person_id"] for row in candidates) if pid != person.pk]
    return [
        other.pk
        for other in persons_load(ids)
        if other.first_name.casefold().strip() == first and other.last_name.casefold().strip() == last
    ]


def birth_date_reason_for(person: Person) -> tuple[str, str]:
    """(reason code, detail) for which section 4 allows a birth date, or ("", "")."""
    for check in _birth_date_requirements:
        detail = check(person)
        if detail:
            return "license_body", detail
    if person_namesakes(person):
        return "same_name", ""
    return "", ""


def person_birth_date_set(*, actor: Actor, person: Person, birth_date: date | None) -> Person:
    """Store (or clear, with None) a person's birth date, only under the rule of section 4.

    Raises BirthDateNotNeeded when no namesake exists and no course's license body needs it;
    the reason found is stored with the date.
    """
    restriction_check(person)
    if birth_date is not None:
        if not isinstance(birth_date, date):
            raise ServiceError(_("Give a date."), code="field.date", field="birth_date")
        if birth_date > timezone.localdate() or birth_date.year < 1900:
            raise ServiceError(
                _("Give a birth date between 1900 and today."),
                code="person.birth_date_range",
                field="birth_date",
            )
        reason, detail = birth_date_reason_for(person)
        if not reason:
            raise BirthDateNotNeeded()
    else:
        reason, detail = "", ""
    with transaction.atomic():
        restriction_check(person, lock=True)
        person.birth_date = birth_date.isoformat() if birth_date else ""
        person.birth_date_reason = reason
        person.birth_date_reason_detail = detail
        person.updated_at = timezone.now()
        person.save(
            update_fields=["birth_date", "birth_date_reason", "birth_date_reason_detail", "updated_at"]
        )
        audit_record(
            actor=actor,
            action="change",
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            detail={"fields": ["birth_date"], "reason": reason},
        )
    return person
