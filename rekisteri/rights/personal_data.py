"""A person's data-subject requests, objections and the answers given.

Declared for the personal-data registry (rekisteri.privacy.registry), which finds this
module in every installed app.
"""

from __future__ import annotations

from typing import Any

from rekisteri.privacy.registry import PersonalDataModel, iso, register


def _export_rights_request(row: Any) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "type": row.type,
        "channel": row.channel,
        "received_on": iso(row.received_on),
        "status": row.status,
        "due_on": iso(row.due_on),
        "details": row.details,
    }


def _export_objection(row: Any) -> dict[str, Any]:
    return {
        "request": row.request.reference,
        "purposes": list(row.purposes),
        "status": row.status,
        "reasons": row.reasons,
        "decided_at": iso(row.decided_at),
    }


def _export_answer(row: Any) -> dict[str, Any]:
    # What was answered and when; the answer itself is a copy of the data listed elsewhere.
    return {"request": row.request.reference, "kind": row.kind, "created_at": iso(row.created_at)}


register(
    PersonalDataModel(
        label="rights.DataSubjectRequest",
        person_lookup="person",
        merge="move",
        categories=("rights_requests",),
        purposes=("rights_and_obligations",),
        export=_export_rights_request,
        erasure="detach",
        own_key=True,
        description="Requests the person made under the data-protection rights, and how they were answered.",
    )
)


register(
    PersonalDataModel(
        label="rights.ObjectionDecision",
        person_lookup="person",
        merge="move",
        categories=("rights_requests",),
        purposes=("rights_and_obligations",),
        export=_export_objection,
        erasure="detach",
        description="Objections to processing (Art. 21) and the privacy officer's decisions on them.",
    )
)


register(
    PersonalDataModel(
        label="rights.RequestAnswer",
        person_lookup="person",
        merge="move",
        categories=("rights_requests",),
        purposes=("rights_and_obligations",),
        export=_export_answer,
        description="Copies of the access packages and portability exports given to the person.",
    )
)
