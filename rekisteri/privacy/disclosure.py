"""The disclosure record (section 6), kept so rectifications and erasures reach every
recipient (GDPR Art. 19). Features that hand a person's data to a group company or a
processor call `disclosure_record`; rectification lists `disclosure_recipients`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.people.models import Person
from rekisteri.privacy.models import Disclosure, GroupCompany


def _known_categories() -> set[str]:
    from rekisteri.privacy.registry import personal_data_models

    return {category for entry in personal_data_models() for category in entry.categories}


def disclosure_record(
    *,
    actor: Actor,
    person: Person,
    categories: Iterable[str],
    recipient_company: GroupCompany | None = None,
    recipient_name: str = "",
    disclosed_at: datetime | None = None,
) -> Disclosure:
    """Record that categories of a person's data went to a group company or a named processor."""
    categories = sorted(set(categories))
    recipient_name = (recipient_name or "").strip()
    errors: dict[str, str] = {}
    if recipient_company is None and not recipient_name:
        errors["recipient"] = "Name the recipient: a group company or a processor."
    if recipient_company is not None and recipient_name:
        errors["recipient"] = "Name one recipient: a group company or a processor, not both."
    if len(recipient_name) > 200:
        errors["recipient_name"] = "At most 200 characters."
    if not categories:
        errors["categories"] = "Name the categories of data disclosed."
    elif set(categories) - _known_categories():
        errors["categories"] = f"Unknown category; choose from {', '.join(sorted(_known_categories()))}."
    disclosed_at = disclosed_at or timezone.now()
    if disclosed_at > timezone.now():
        errors["disclosed_at"] = "A disclosure cannot be in the future."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            person=person,
            recipient_company=recipient_company,
            recipient_name=recipient_name,
            categories=categories,
            disclosed_at=disclosed_at,
            disclosed_by=actor.user if actor.user is not None and actor.user.pk else None,
        )
        audit_record(
            actor=actor,
            action="disclose",
            object_type="disclosure",
            object_ids=[disclosure.pk],
            person_ids=[person.pk],
            # A group company's id, or only that a named processor was the recipient.
            detail={"recipient_company": recipient_company.pk if recipient_company else None},
        )
    return disclosure


def disclosure_recipients(person_id: UUID | str) -> list[dict[str, Any]]:
    """Art. 19: each recipient of the person's data once, with the categories it received."""
    recipients: dict[str, dict[str, Any]] = {}
    rows = Disclosure.objects.filter(person_id=person_id).select_related("recipient_company")
    for row in rows.order_by("disclosed_at"):
        entry = recipients.setdefault(
            row.recipient,
            {
                "recipient": row.recipient,
                "group_company_id": row.recipient_company_id,
                "categories": set(),
                "last_disclosed_at": row.disclosed_at,
            },
        )
        entry["categories"].update(row.categories)
        entry["last_disclosed_at"] = row.disclosed_at
    return [
        {
            **entry,
            "categories": sorted(entry["categories"]),
            "last_disclosed_at": entry["last_disclosed_at"].isoformat(),
        }
        for entry in recipients.values()
    ]
