"""Legal bases, sources, disclosures and rectifications of a person; and the rows of the
layers below privacy (the blind index, the key store, the audit trail's index) that name one.

Declared for the personal-data registry (rekisteri.privacy.registry), which finds this
module in every installed app.
"""

from __future__ import annotations

from typing import Any

from rekisteri.privacy.registry import (
    CUSTOMER_PURPOSES,
    ExemptModel,
    PersonalDataModel,
    exempt,
    iso,
    register,
)


def _export_basis(row: Any) -> dict[str, Any]:
    return {
        "purpose": row.purpose.slug,
        "basis": row.basis,
        "interest_ground": row.interest_ground,
        "justification": row.justification,
        "valid_from": iso(row.valid_from),
        "valid_until": iso(row.valid_until),
        "recorded_at": iso(row.recorded_at),
        "withdrawn_at": iso(row.withdrawn_at),
    }


def _export_source(row: Any) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "detail": row.detail,
        "obtained_on": iso(row.obtained_on),
        "report_date": iso(row.report_date),
    }


def _export_disclosure(row: Any) -> dict[str, Any]:
    return {
        "recipient": row.recipient,
        # The recipients register's entry (section 6): what kind of recipient, for what service.
        "recipient_kind": row.recipient_record.kind if row.recipient_record_id else "",
        "recipient_service": row.recipient_record.service if row.recipient_record_id else "",
        "categories": list(row.categories),
        "disclosed_at": iso(row.disclosed_at),
        "basis": row.basis,
        "purpose": row.purpose,
        "legal_reference": row.legal_reference or "",
    }


def _export_rectification(row: Any) -> dict[str, Any]:
    import json

    return {
        "rectified_at": iso(row.rectified_at),
        "fields": list(row.fields),
        "before": json.loads(row.before or "{}"),
        "after": json.loads(row.after or "{}"),
        "recipients_notified": list(row.recipients),
    }


register(
    PersonalDataModel(
        label="privacy.ProcessingBasis",
        person_lookup="person",
        merge="per_purpose",
        categories=("relationship",),
        purposes=CUSTOMER_PURPOSES,
        export=_export_basis,
        description="The purposes for which the person's data is processed and their legal bases.",
    )
)


register(
    PersonalDataModel(
        label="privacy.DataSource",
        person_lookup="person",
        merge="move",
        categories=("relationship",),
        purposes=CUSTOMER_PURPOSES,
        export=_export_source,
        description="Where the person's data came from.",
    )
)


register(
    PersonalDataModel(
        label="privacy.Disclosure",
        person_lookup="person",
        merge="move",
        categories=("relationship",),
        purposes=CUSTOMER_PURPOSES,
        export=_export_disclosure,
        description="Which recipients (group companies, processors) received which categories of the data.",
    )
)


register(
    PersonalDataModel(
        label="privacy.Rectification",
        person_lookup="person",
        merge="move",
        categories=("name", "email", "phone", "company_and_position", "self_given_info"),
        purposes=("rights_and_obligations",),
        export=_export_rectification,
        description="Corrections made to the data at the person's request (Art. 16), before and after.",
    )
)


# Rows of the layers below privacy that name persons.

exempt(
    ExemptModel(
        label="audit.AuditSubject",
        reason=(
            "Holds only the person's id so the audit trail can be filtered; "
            "the trail outlives erasure by design."
        ),
    )
)


def _search_terms_of(person_id: Any):
    from rekisteri.encryption.services import person_search_terms

    return person_search_terms(person_id)


def _search_terms_delete_many(person_ids: list) -> int:
    from rekisteri.encryption.services import persons_search_terms_delete

    return persons_search_terms_delete(person_ids)


register(
    PersonalDataModel(
        label="encryption.SearchTerm",
        person_lookup="person",
        merge="rebuild",
        categories=("name", "email", "phone"),
        purposes=CUSTOMER_PURPOSES,
        export=None,
        description="Blind-index entries (keyed hashes) that let staff find the person; nothing readable.",
        rows=_search_terms_of,
        rows_delete_many=_search_terms_delete_many,
    )
)


# After SearchTerm: erasure deletes in this order, and the entries are found through it.
register(
    PersonalDataModel(
        label="encryption.PersonSearchTerms",
        person_lookup="person",
        merge="rebuild",
        categories=("name", "email", "phone"),
        purposes=CUSTOMER_PURPOSES,
        export=None,
        description="The list of the person's blind-index entries, so they are removed exactly.",
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
        label="privacy.RecipientNotification",
        reason=(
            "Art. 19 tasks: the person's id, the recipient (an organization), the event and dates; "
            "kept after an erasure so the recipients are still told of it."
        ),
    )
)


exempt(
    ExemptModel(
        label="privacy.ErasureRecord",
        reason=(
            "The proof of an erasure (issue 13, section 4): the erased person's id, codes and counts, "
            "and until the byte scan the masked public nonces of their destroyed ciphertexts; it "
            "outlives the person as the erasure journal does."
        ),
    )
)
