"""Every model that holds personal data, declared in one place (see registry.py)."""

from __future__ import annotations

from typing import Any

from rekisteri.privacy.registry import ExemptModel, PersonalDataModel, exempt, register


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


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
        "created_at": _iso(person.created_at),
        "updated_at": _iso(person.updated_at),
        "last_activity_at": _iso(person.last_activity_at),
        # Art. 18 and 21(3): the person's own restriction and objection are part of their data.
        "restricted_at": _iso(person.restricted_at),
        "restriction_reason": person.restriction_reason,
        "restriction_lifted_at": _iso(person.restriction_lifted_at),
        "restriction_lift_reason": person.restriction_lift_reason,
        "marketing_objection_at": _iso(person.marketing_objection_at),
    }


def _export_category(row: Any) -> dict[str, Any]:
    return {"category": row.category}


def _export_basis(row: Any) -> dict[str, Any]:
    return {
        "purpose": row.purpose.slug,
        "basis": row.basis,
        "interest_ground": row.interest_ground,
        "justification": row.justification,
        "valid_from": _iso(row.valid_from),
        "valid_until": _iso(row.valid_until),
        "recorded_at": _iso(row.recorded_at),
        "withdrawn_at": _iso(row.withdrawn_at),
    }


def _export_source(row: Any) -> dict[str, Any]:
    return {"kind": row.kind, "detail": row.detail, "obtained_on": _iso(row.obtained_on)}


def _export_interaction(row: Any) -> dict[str, Any]:
    return {"kind": row.kind, "occurred_at": _iso(row.occurred_at), "text": row.text}


def _export_tracking(row: Any) -> dict[str, Any]:
    return {"kind": row.kind, "occurred_at": _iso(row.occurred_at), "reference": row.reference}


_CUSTOMER_PURPOSES = ("customer_relationship", "rights_and_obligations", "products_and_services")

register(
    PersonalDataModel(
        label="people.Person",
        person_lookup="pk",
        categories=("name", "email", "phone", "company_and_position", "self_given_info"),
        purposes=_CUSTOMER_PURPOSES + ("direct_marketing", "training"),
        export=_export_person,
        provided_by_person=("first_name", "last_name", "email", "phone", "title", "self_given_info"),
        description="Contact details, organization and position, and information the person gave.",
    )
)
register(
    PersonalDataModel(
        label="people.PersonCategory",
        person_lookup="person",
        categories=("relationship",),
        purposes=_CUSTOMER_PURPOSES,
        export=_export_category,
        description="The groups the person belongs to (customer representative, prospect, student).",
    )
)
register(
    PersonalDataModel(
        label="privacy.ProcessingBasis",
        person_lookup="person",
        categories=("relationship",),
        purposes=_CUSTOMER_PURPOSES,
        export=_export_basis,
        description="The purposes for which the person's data is processed and their legal bases.",
    )
)
register(
    PersonalDataModel(
        label="privacy.DataSource",
        person_lookup="person",
        categories=("relationship",),
        purposes=_CUSTOMER_PURPOSES,
        export=_export_source,
        description="Where the person's data came from.",
    )
)
register(
    PersonalDataModel(
        label="contacts.Interaction",
        person_lookup="person",
        categories=("contact_history", "feedback"),
        purposes=_CUSTOMER_PURPOSES,
        export=_export_interaction,
        description="Contact history: meetings, calls, e-mails, events, feedback and notes.",
    )
)
register(
    PersonalDataModel(
        label="contacts.TrackingEvent",
        person_lookup="person",
        categories=("tracking",),
        purposes=("direct_marketing",),
        export=_export_tracking,
        description="Tracking data: newsletter opens and clicks, web visits.",
    )
)


def _search_terms_of(person_id: Any):
    from rekisteri.encryption.services import person_search_terms

    return person_search_terms(person_id)


register(
    PersonalDataModel(
        label="encryption.SearchTerm",
        person_lookup="person",
        categories=("name", "email", "phone"),
        purposes=_CUSTOMER_PURPOSES,
        export=None,
        description="Blind-index entries (keyed hashes) that let staff find the person; nothing readable.",
        rows=_search_terms_of,
    )
)

# After SearchTerm: erasure deletes in this order, and the entries are found through it.
register(
    PersonalDataModel(
        label="encryption.PersonSearchTerms",
        person_lookup="person",
        categories=("name", "email", "phone"),
        purposes=_CUSTOMER_PURPOSES,
        export=None,
        description="The list of the person's blind-index entries, so they are removed exactly.",
    )
)


def _export_rights_request(row: Any) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "type": row.type,
        "channel": row.channel,
        "received_on": _iso(row.received_on),
        "status": row.status,
        "due_on": _iso(row.due_on),
        "details": row.details,
    }


register(
    PersonalDataModel(
        label="rights.DataSubjectRequest",
        person_lookup="person",
        categories=("rights_requests",),
        purposes=("rights_and_obligations",),
        export=_export_rights_request,
        erasure="detach",
        own_key=True,
        description="Requests the person made under the data-protection rights, and how they were answered.",
    )
)


def _export_disclosure(row: Any) -> dict[str, Any]:
    return {
        "recipient": row.recipient,
        "categories": list(row.categories),
        "disclosed_at": _iso(row.disclosed_at),
    }


register(
    PersonalDataModel(
        label="privacy.Disclosure",
        person_lookup="person",
        categories=("relationship",),
        purposes=_CUSTOMER_PURPOSES,
        export=_export_disclosure,
        description="Which recipients (group companies, processors) received which categories of the data.",
    )
)


def _export_rectification(row: Any) -> dict[str, Any]:
    import json

    return {
        "rectified_at": _iso(row.rectified_at),
        "fields": list(row.fields),
        "before": json.loads(row.before or "{}"),
        "after": json.loads(row.after or "{}"),
        "recipients_notified": list(row.recipients),
    }


register(
    PersonalDataModel(
        label="privacy.Rectification",
        person_lookup="person",
        categories=("name", "email", "phone", "company_and_position", "self_given_info"),
        purposes=("rights_and_obligations",),
        export=_export_rectification,
        description="Corrections made to the data at the person's request (Art. 16), before and after.",
    )
)


def _export_objection(row: Any) -> dict[str, Any]:
    return {
        "request": row.request.reference,
        "purposes": list(row.purposes),
        "status": row.status,
        "reasons": row.reasons,
        "decided_at": _iso(row.decided_at),
    }


register(
    PersonalDataModel(
        label="rights.ObjectionDecision",
        person_lookup="person",
        categories=("rights_requests",),
        purposes=("rights_and_obligations",),
        export=_export_objection,
        erasure="detach",
        description="Objections to processing (Art. 21) and the privacy officer's decisions on them.",
    )
)


def _export_answer(row: Any) -> dict[str, Any]:
    # What was answered and when; the answer itself is a copy of the data listed elsewhere.
    return {"request": row.request.reference, "kind": row.kind, "created_at": _iso(row.created_at)}


register(
    PersonalDataModel(
        label="rights.RequestAnswer",
        person_lookup="person",
        categories=("rights_requests",),
        purposes=("rights_and_obligations",),
        export=_export_answer,
        description="Copies of the access packages and portability exports given to the person.",
    )
)

exempt(
    ExemptModel(
        label="keystore.DataKey",
        reason="The person's wrapped data key, not a personal value; erasure destroys it first.",
    )
)
exempt(
    ExemptModel(
        label="keystore.ErasureTombstone",
        reason=(
            "The erasure journal: an id, a time, a reason and a keyed e-mail hash, kept so that "
            "restores and suppression lists respect the erasure."
        ),
    )
)
exempt(
    ExemptModel(
        label="audit.AuditSubject",
        reason=(
            "Holds only the person's id so the audit trail can be filtered; "
            "the trail outlives erasure by design."
        ),
    )
)
