"""Contact history and tracking events of a person.

Declared for the personal-data registry (rekisteri.privacy.registry), which finds this
module in every installed app.
"""

from __future__ import annotations

from typing import Any

from rekisteri.privacy.registry import CUSTOMER_PURPOSES, PersonalDataModel, iso, register


def _export_interaction(row: Any) -> dict[str, Any]:
    return {"kind": row.kind, "occurred_at": iso(row.occurred_at), "text": row.text}


def _export_tracking(row: Any) -> dict[str, Any]:
    return {"kind": row.kind, "occurred_at": iso(row.occurred_at), "reference": row.reference}


register(
    PersonalDataModel(
        label="contacts.Interaction",
        person_lookup="person",
        merge="move",
        categories=("contact_history", "feedback"),
        purposes=CUSTOMER_PURPOSES,
        export=_export_interaction,
        description="Contact history: meetings, calls, e-mails, events, feedback and notes.",
    )
)


register(
    PersonalDataModel(
        label="contacts.TrackingEvent",
        person_lookup="person",
        merge="move",
        categories=("tracking",),
        purposes=("direct_marketing",),
        export=_export_tracking,
        description="Tracking data: newsletter opens and clicks, web visits.",
    )
)
