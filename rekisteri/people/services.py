"""Writing persons and what the notice records about them.

Every function takes the acting `Actor`, validates, writes in one transaction and appends
its audit event in that same transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.encryption.search import candidates_by_email
from rekisteri.encryption.services import person_reindex
from rekisteri.lib.normalize import NormalizationError, email_lookup_key, normalize_email, normalize_phone
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person, PersonCategory
from rekisteri.privacy.models import (
    DataSource,
    LegalBasis,
    LegitimateInterestGround,
    ProcessingBasis,
    Purpose,
    SourceKind,
)
from rekisteri.privacy.restriction import marketing_check, restriction_check

# Fields whose blind-index entries must follow a change.
SEARCHABLE_FIELDS = {"first_name", "last_name", "email", "phone"}
PERSON_FIELDS = ("first_name", "last_name", "email", "phone", "organization", "title", "self_given_info")
_MAX_LENGTHS = {"first_name": 100, "last_name": 100, "title": 200, "self_given_info": 5000}
_ACCEPTED_FIELDS = frozenset((*PERSON_FIELDS, "categories"))
_CATEGORIES = frozenset(PersonCategory.Category.values)  # .values builds a new list on every access


def _clean_person(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise person fields; raises ValidationError keyed by field name."""
    unknown = data.keys() - _ACCEPTED_FIELDS
    errors: dict[str, str] = {name: "Unknown field." for name in unknown}
    cleaned: dict[str, Any] = {}
    for name in ("first_name", "last_name", "title", "self_given_info"):
        if name in data:
            value = (data[name] or "").strip()
            if len(value) > _MAX_LENGTHS[name]:
                errors[name] = f"At most {_MAX_LENGTHS[name]} characters."
            cleaned[name] = value
    for name in ("first_name", "last_name"):
        if name in cleaned and not cleaned[name]:
            errors[name] = "This field is required."
    if "email" in data:
        raw = (data["email"] or "").strip()
        try:
            cleaned["email"] = normalize_email(raw) if raw else ""
        except NormalizationError as exc:
            errors["email"] = str(exc)
    if "phone" in data:
        raw = (data["phone"] or "").strip()
        try:
            cleaned["phone"] = normalize_phone(raw) if raw else ""
        except NormalizationError as exc:
            errors["phone"] = str(exc)
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
                errors["organization"] = "No such organization."
            cleaned["organization"] = found
    if "categories" in data:
        categories = list(dict.fromkeys(data["categories"] or []))
        bad = [value for value in categories if value not in _CATEGORIES]
        if bad:
            errors["categories"] = (
                f"Unknown category; choose from {', '.join(PersonCategory.Category.values)}."
            )
        cleaned["categories"] = categories
    if errors:
        raise ValidationError(errors)
    return cleaned


def person_create(*, actor: Actor, **data: Any) -> Person:
    """Create a person. first_name and last_name are required; the rest is optional."""
    data.setdefault("first_name", "")
    data.setdefault("last_name", "")
    cleaned = _clean_person(data)
    categories = cleaned.pop("categories", [])
    now = timezone.now()
    with transaction.atomic():
        person = Person.objects.create(
            created_by=actor.user if actor.user is not None and actor.user.pk else None,
            created_at=now,
            updated_at=now,
            **cleaned,
        )
        PersonCategory.objects.bulk_create(PersonCategory(person=person, category=c) for c in categories)
        person_reindex(person)
        audit_record(
            actor=actor,
            action="create",
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            detail={"fields": sorted(k for k, v in cleaned.items() if v)},
        )
    return person


def person_update(*, actor: Actor, person: Person, **data: Any) -> Person:
    """Change a person's fields; the audit event names the fields changed, never values.

    Refused with ProcessingRestricted while the person is restricted (Art. 18).
    """
    restriction_check(person)
    cleaned = _clean_person(data)
    categories = cleaned.pop("categories", None)
    changed = [name for name, value in cleaned.items() if getattr(person, name) != value]
    with transaction.atomic():
        restriction_check(person, lock=True)
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


def person_delete(*, actor: Actor, person: Person, reason: str = "other", request_ref: str = "") -> None:
    """Delete a person: erasure by key destruction (rekisteri.privacy.erasure.person_erase)."""
    from rekisteri.privacy.erasure import person_erase

    person_erase(actor=actor, person_id=person.pk, reason=reason, request_ref=request_ref)


def basis_set(
    *,
    actor: Actor,
    person: Person,
    purpose: Purpose | str,
    basis: str,
    interest_ground: str = "",
    justification: str = "",
    valid_from: date | None = None,
    valid_until: date | None = None,
) -> ProcessingBasis:
    """Record (or replace) the legal basis on which one purpose applies to a person.

    Refused while the person is restricted (Art. 18), and for direct marketing once the
    person has objected to it (Art. 21(3)).
    """
    restriction_check(person)
    errors: dict[str, str] = {}
    if not isinstance(purpose, Purpose):
        found = Purpose.objects.filter(slug=purpose).first()
        if found is None:
            errors["purpose"] = "Unknown purpose."
        purpose = found
    if purpose is not None and purpose.slug == "direct_marketing":
        marketing_check(person)
    if basis not in LegalBasis.values:
        errors["basis"] = f"Choose one of: {', '.join(LegalBasis.values)}."
    if basis == LegalBasis.LEGITIMATE_INTEREST and interest_ground not in LegitimateInterestGround.values:
        # Section 3: a legitimate interest needs a concrete connection with the person.
        errors["interest_ground"] = "A legitimate interest must name its connection with the person."
    if basis != LegalBasis.LEGITIMATE_INTEREST:
        interest_ground = ""
    valid_from = valid_from or timezone.localdate()
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = "The end date cannot be before the start date."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record, created = ProcessingBasis.objects.update_or_create(
            person=person,
            purpose=purpose,
            defaults={
                "basis": basis,
                "interest_ground": interest_ground,
                "justification": justification.strip(),
                "valid_from": valid_from,
                "valid_until": valid_until,
                "recorded_at": timezone.now(),
                "recorded_by": actor.user if actor.user is not None else None,
            },
        )
        audit_record(
            actor=actor,
            action="create" if created else "change",
            object_type="processing_basis",
            object_ids=[record.pk],
            person_ids=[person.pk],
            detail={"purpose": purpose.slug, "basis": basis},
        )
    return record


def basis_remove(*, actor: Actor, person: Person, purpose_slug: str) -> None:
    with transaction.atomic():
        records = list(ProcessingBasis.objects.filter(person=person, purpose__slug=purpose_slug))
        for record in records:
            record.delete()
        audit_record(
            actor=actor,
            action="delete",
            object_type="processing_basis",
            object_ids=[r.pk for r in records],
            person_ids=[person.pk],
            detail={"purpose": purpose_slug},
        )


def source_add(
    *, actor: Actor, person: Person, kind: str, detail: str = "", obtained_on: date | None = None
) -> DataSource:
    """Record where a person's data came from (section 5). Refused while restricted (Art. 18)."""
    restriction_check(person)
    if kind not in SourceKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(SourceKind.values)}."})
    if len(detail) > 300:
        raise ValidationError({"detail": "At most 300 characters."})
    with transaction.atomic():
        source = DataSource.objects.create(
            person=person, kind=kind, detail=detail.strip(), obtained_on=obtained_on or timezone.localdate()
        )
        audit_record(
            actor=actor,
            action="create",
            object_type="data_source",
            object_ids=[source.pk],
            person_ids=[person.pk],
            detail={"kind": kind},
        )
    return source


def person_ids_matching_email(email: str) -> list[UUID]:
    """Persons whose e-mail is this address (case-insensitive), through the blind index."""
    try:
        key = email_lookup_key(email)
    except NormalizationError:
        return []
    candidates = Person.objects.filter(pk__in=candidates_by_email(key))
    return [person.pk for person in candidates if person.email.casefold() == key]
