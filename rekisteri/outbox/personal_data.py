"""The mails sent to a person.

Declared for the personal-data registry (rekisteri.privacy.registry), which finds this
module in every installed app.
"""

from __future__ import annotations

from typing import Any

from rekisteri.privacy.registry import PersonalDataModel, iso, register


def _export_mail(row: Any) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "state": row.state,
        "created_at": iso(row.created_at),
        "sent_at": iso(row.sent_at),
        "subject": row.subject if row.content_destroyed_at is None else None,
    }


# A mail about a request names the request's person, also when the request is linked to the
# person later (rekisteri.rights.mail.request_mails_follow): erasure and merging find it.
register(
    PersonalDataModel(
        label="outbox.OutgoingMail",
        person_lookup="person",
        categories=("contact_history",),
        purposes=("rights_and_obligations", "customer_relationship", "direct_marketing"),
        export=_export_mail,
        erasure="detach",
        own_key=True,
        # Under the mail's own key: the link moves, nothing is re-encrypted.
        merge="move",
        description="Mails sent to the person and whether they were delivered.",
    )
)
