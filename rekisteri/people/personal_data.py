"""Persons: their contact details and groups, and the redirects of merged records.

Declared for the personal-data registry (rekisteri.privacy.registry), which finds this
module in every installed app.
"""

from __future__ import annotations

from typing import Any

from rekisteri.people.restriction import marketing_check, restriction_check
from rekisteri.privacy.registry import (
    CUSTOMER_PURPOSES,
    ExemptModel,
    PersonalDataModel,
    SubjectChecks,
    exempt,
    iso,
    register,
    subject_checks_register,
)


def _export_person(person: Any) -> dict[str, Any]:
    return {
        "id": str(person.id),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": person.phone,
        "organization_id": person.organization_id,
        "organization_name": person.organization.name if person.organization_id else None,
        "title": person.title,
        "self_given_info": person.self_given_info,
        "created_at": iso(person.created_at),
        "updated_at": iso(person.updated_at),
        "last_activity_at": iso(person.last_activity_at),
        # Art. 18 and 21(3): the person's own restriction and objection are part of their data.
        "restricted_at": iso(person.restricted_at),
        "restriction_reason": person.restriction_reason,
        "restriction_lifted_at": iso(person.restriction_lifted_at),
        "restriction_lift_reason": person.restriction_lift_reason,
        "marketing_objection_at": iso(person.marketing_objection_at),
        # Section 4: only where needed to tell students apart, with the reason.
        "birth_date": person.birth_date,
        "birth_date_reason": person.birth_date_reason,
        "birth_date_reason_detail": person.birth_date_reason_detail,
    }


def _export_category(row: Any) -> dict[str, Any]:
    return {"category": row.category}


def _export_redirect(row: Any) -> dict[str, Any]:
    return {"merged_id": str(row.merged_id), "reason": row.reason, "merged_at": iso(row.merged_at)}


register(
    PersonalDataModel(
        label="people.Person",
        person_lookup="pk",
        merge="person",
        categories=("name", "email", "phone", "company_and_position", "self_given_info", "birth_date"),
        purposes=CUSTOMER_PURPOSES + ("direct_marketing", "training"),
        export=_export_person,
        provided_by_person=("first_name", "last_name", "email", "phone", "title", "self_given_info"),
        description="Contact details, organization and position, and information the person gave.",
    )
)


register(
    PersonalDataModel(
        label="people.PersonCategory",
        person_lookup="person",
        merge="union",
        categories=("relationship",),
        purposes=CUSTOMER_PURPOSES,
        export=_export_category,
        description="The groups the person belongs to (customer representative, prospect, student).",
    )
)


register(
    PersonalDataModel(
        label="people.PersonRedirect",
        person_lookup="survivor",
        # A later merge of the survivor re-points its redirects to the new survivor.
        merge="move",
        categories=("relationship",),
        purposes=CUSTOMER_PURPOSES,
        export=_export_redirect,
        description="Earlier records of the person that were merged into this one, by id and date.",
    )
)


exempt(
    ExemptModel(
        label="people.DeletionOverride",
        reason=(
            "The privacy officer's decision to delete a person despite an obligation to keep them "
            "(Art. 17(3)): the id, the obstacles as codes and the reasons; it outlives the person "
            "as the erasure journal does."
        ),
    )
)


# Privacy's writes (legal bases, sources) check the person through these.
subject_checks_register(SubjectChecks(processing=restriction_check, marketing=marketing_check))
