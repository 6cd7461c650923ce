"""The disclosure record (section 6), kept so rectifications and erasures reach every
recipient (GDPR Art. 19). Features that hand a person's data to a group company, a
processor or an authority call `disclosure_record` with the recipients register's entry
(privacy.Recipient); rectification lists `disclosure_recipients`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.db.bulk_insert import insert_rows
from rekisteri.errors import ServiceError, too_long
from rekisteri.privacy.models import Disclosure, GroupCompany, Recipient
from rekisteri.privacy.notice_gate import recipient_gate

if TYPE_CHECKING:  # privacy sits below people: the type only
    from rekisteri.people.models import Person


def _known_categories() -> set[str]:
    from rekisteri.privacy.registry import personal_data_models

    return {category for entry in personal_data_models() for category in entry.categories}


def _checked(
    categories: Iterable[str], recipient_company: GroupCompany | None, recipient_name: str
) -> tuple[list[str], str]:
    """The categories, sorted, and the recipient's name, stripped; ValidationError otherwise."""
    categories = sorted(set(categories))
    recipient_name = (recipient_name or "").strip()
    errors: dict[str, str] = {}
    if recipient_company is None and not recipient_name:
        errors["recipient"] = ServiceError(
            _("Name the recipient: a group company or a processor."), code="disclosure.no_recipient"
        )
    if recipient_company is not None and recipient_name:
        errors["recipient"] = ServiceError(
            _("Name one recipient: a group company or a processor, not both."),
            code="disclosure.two_recipients",
        )
    if len(recipient_name) > 200:
        errors["recipient_name"] = too_long(200)
    if not categories:
        errors["categories"] = ServiceError(
            _("Name the categories of data disclosed."), code="disclosure.categories_required"
        )
    elif set(categories) - _known_categories():
        errors["categories"] = ServiceError(
            _("Unknown category; choose from %(choices)s."),
            code="person.category_unknown",
            params={"choices": ", ".join(sorted(_known_categories()))},
        )
    if errors:
        raise ValidationError(errors)
    # Section 12: not to a recipient the notice in force does not name yet.
    recipient_gate(recipient_company, recipient_name)
    return categories, recipient_name


def recipient_resolve(
    recipient: Recipient | None, recipient_company: GroupCompany | None, recipient_name: str
) -> tuple[Recipient | None, GroupCompany | None, str]:
    """The register's entry, the group company and the name a disclosure records.

    Given a Recipient, its group company and (unless a more specific name is given, such as
    the license body under the training-license processor) its name; given a group company
    or a name, the register's entry for it when there is one."""
    recipient_name = (recipient_name or "").strip()
    if recipient is not None:
        if not recipient.active:
            raise ServiceError(
                _("This recipient is no longer active in the register."),
                code="recipient.inactive",
                field="recipient",
            )
        if recipient_company is not None and recipient_company.pk != recipient.group_company_id:
            raise ServiceError(_("Name one recipient."), code="disclosure.one_recipient", field="recipient")
        company = recipient.group_company
        return recipient, company, "" if company is not None else (recipient_name or recipient.name)
    if recipient_company is not None:
        return (
            Recipient.objects.filter(group_company=recipient_company).first(),
            recipient_company,
            recipient_name,
        )
    if recipient_name:
        return Recipient.objects.filter(name=recipient_name).first(), None, recipient_name
    return None, None, recipient_name


def _recipient_detail(
    recipient_company: GroupCompany | None, record: Recipient | None = None
) -> dict[str, Any]:
    # A group company's id and the register entry's id, or only that a named recipient was
    # the recipient (the name is in the disclosure rows, not in the audit trail).
    return {
        "recipient_company": recipient_company.pk if recipient_company else None,
        **({"recipient": record.pk} if record is not None else {}),
    }


def disclosure_record(
    *,
    actor: Actor,
    person: Person,
    categories: Iterable[str],
    recipient: Recipient | None = None,
    recipient_company: GroupCompany | None = None,
    recipient_name: str = "",
    disclosed_at: datetime | None = None,
    basis: str = "",
    purpose: str = "",
    legal_reference: str = "",
) -> Disclosure:
    """Record that categories of a person's data went to a recipient of the register (or a
    group company, or a named recipient outside the register)."""
    disclosed_at = disclosed_at or timezone.now()
    try:
        record, recipient_company, recipient_name = recipient_resolve(
            recipient, recipient_company, recipient_name
        )
        categories, recipient_name = _checked(categories, recipient_company, recipient_name)
    except ValidationError as exc:
        errors = dict(exc.error_dict)
    else:
        errors = {}
    if disclosed_at > timezone.now():
        errors["disclosed_at"] = [
            ServiceError(_("A disclosure cannot be in the future."), code="disclosure.future")
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            person=person,
            recipient_company=recipient_company,
            recipient_name=recipient_name,
            recipient_record=record,
            categories=categories,
            disclosed_at=disclosed_at,
            disclosed_by=actor.recorded_user,
            basis=basis,
            purpose=purpose,
            legal_reference=legal_reference,
        )
        audit_record(
            actor=actor,
            action="disclose",
            object_type="disclosure",
            object_ids=[disclosure.pk],
            person_ids=[person.pk],
            purpose=purpose,
            detail={**_recipient_detail(recipient_company, record), **({"basis": basis} if basis else {})},
        )
    return disclosure


def disclosure_record_many(
    *,
    actor: Actor,
    person_ids: list,
    categories: Iterable[str],
    purpose: str,
    recipient: Recipient | None = None,
    recipient_company: GroupCompany | None = None,
    recipient_name: str = "",
    action: str = "disclose",
    detail: dict[str, Any] | None = None,
    basis: str = "",
) -> int:
    """Record one disclosure of the same categories of many persons to one recipient, for a
    purpose (Purpose.slug), as ONE audit event naming every person (an export of a list).

    `action` and `detail` (non-personal facts: a format, a count) describe the event.
    Returns the number of disclosure rows written.
    """
    record, recipient_company, recipient_name = recipient_resolve(
        recipient, recipient_company, recipient_name
    )
    categories, recipient_name = _checked(categories, recipient_company, recipient_name)
    now = timezone.now()
    disclosed_by = actor.recorded_user
    with transaction.atomic():
        _disclosures_insert(
            person_ids,
            {
                "recipient_company": recipient_company.pk if recipient_company else None,
                "recipient_name": recipient_name,
                "recipient_record": record.pk if record else None,
                "categories": categories,
                "disclosed_at": now,
                "disclosed_by": disclosed_by.pk if disclosed_by else None,
                "basis": basis,
                "purpose": purpose,
            },
        )
        audit_record(
            actor=actor,
            action=action,
            object_type="person",
            object_ids=person_ids,
            person_ids=person_ids,
            purpose=purpose,
            detail={
                **_recipient_detail(recipient_company, record),
                "categories": categories,
                **({"basis": basis} if basis else {}),
                **(detail or {}),
            },
        )
    return len(person_ids)


def _disclosures_insert(person_ids: list, shared: dict[str, Any]) -> None:
    """One disclosure row per person, the other values shared, below the ORM: Django's
    bulk_create spent most of a 2,000-person report building SQL (benchmarks/README.md)."""
    connection = transaction.get_connection()
    fields = {field.name: field for field in Disclosure._meta.concrete_fields}
    columns = [fields["id"].column, fields["person"].column]
    prepared = []
    for name, value in shared.items():
        columns.append(fields[name].column)
        prepared.append(fields[name].get_db_prep_save(value, connection))
    id_field, person_field = fields["id"], fields["person"]
    rows = [
        (
            id_field.get_db_prep_save(uuid.uuid4(), connection),
            person_field.get_db_prep_save(person_id, connection),
            *prepared,
        )
        for person_id in person_ids
    ]
    insert_rows(connection, Disclosure, columns, rows)


def disclosure_recipients(person_id: UUID | str) -> list[dict[str, Any]]:
    """Art. 19: each recipient of the person's data once, with the categories it received."""
    recipients: dict[str, dict[str, Any]] = {}
    rows = Disclosure.objects.filter(person_id=person_id).select_related(
        "recipient_company", "recipient_record"
    )
    for row in rows.order_by("disclosed_at"):
        record = row.recipient_record
        entry = recipients.setdefault(
            row.recipient,
            {
                "recipient": row.recipient,
                "group_company_id": row.recipient_company_id,
                # From the recipients register (section 6), when the recipient is in it.
                "recipient_id": record.pk if record else None,
                "kind": record.kind if record else "",
                "service": record.service if record else "",
                "data_location": record.data_location if record else "",
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


def disclosures_of(*, actor: Actor, person_id: UUID | str, limit: int = 1000) -> list[Disclosure]:
    """Section 6: the disclosure log of one person, newest first; the read is audited."""
    rows = list(
        Disclosure.objects.filter(person_id=person_id)
        .select_related("recipient_company", "recipient_record", "disclosed_by")
        .order_by("-disclosed_at")[:limit]
    )
    audit_record(
        actor=actor,
        action="view",
        object_type="disclosure",
        object_ids=[row.pk for row in rows],
        person_ids=[person_id],
    )
    return rows
