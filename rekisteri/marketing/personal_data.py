"""Consent and e-marketing rows of a person, for the personal-data registry."""

from __future__ import annotations

from typing import Any

from rekisteri.privacy.registry import ExemptModel, PersonalDataModel, exempt, iso, register


def _export_consent(row: Any) -> dict[str, Any]:
    return {
        "topic": row.topic.slug,
        "wording_version": row.wording.version,
        "wording_fi": row.wording.text_fi,
        "wording_en": row.wording.text_en,
        "given_at": iso(row.given_at),
        "given_channel": row.given_channel,
        "evidence": row.evidence,
        "withdrawn_at": iso(row.withdrawn_at),
        "withdrawn_channel": row.withdrawn_channel,
    }


def _export_relevance(row: Any) -> dict[str, Any]:
    return {
        "topic": row.topic.slug,
        "reason": row.reason,
        "marked_at": iso(row.marked_at),
        "removed_at": iso(row.removed_at),
        "removal_reason": row.removal_reason,
    }


def _export_subscription(row: Any) -> dict[str, Any]:
    return {
        "list": row.topic.slug,
        "state": row.state,
        "channel": row.channel,
        "subscribed_at": iso(row.subscribed_at),
        "unsubscribed_at": iso(row.unsubscribed_at),
    }


def _export_delivery(row: Any) -> dict[str, Any]:
    return {"campaign": row.campaign_id, "subject": row.campaign.subject, "created_at": iso(row.created_at)}


register(
    PersonalDataModel(
        label="marketing.Consent",
        person_lookup="person",
        merge="union",
        categories=("relationship",),
        purposes=("direct_marketing",),
        export=_export_consent,
        provided_by_person=("topic", "given_at", "given_channel"),
        description="Consents to newsletters and to read tracking, with the wording shown and the evidence.",
    )
)
register(
    PersonalDataModel(
        label="marketing.RoleRelevance",
        person_lookup="person",
        merge="union",
        categories=("relationship",),
        purposes=("direct_marketing",),
        export=_export_relevance,
        description="Marketing topics that concern the person's work role (B2B), with the reason.",
    )
)
register(
    PersonalDataModel(
        label="marketing.Subscription",
        person_lookup="person",
        merge="union",
        categories=("relationship",),
        purposes=("direct_marketing",),
        export=_export_subscription,
        provided_by_person=("list", "subscribed_at"),
        description="Newsletter lists the person subscribed to or left.",
    )
)
register(
    PersonalDataModel(
        label="marketing.Delivery",
        person_lookup="person",
        merge="union",
        # The mail itself is the outbox's, under its own key; the row stays as a count.
        erasure="detach",
        categories=("contact_history",),
        purposes=("direct_marketing",),
        export=_export_delivery,
        description="Newsletters sent to the person.",
    )
)
exempt(
    ExemptModel(
        label="marketing.Signup", reason="Not linked to a person; its own key is destroyed on confirmation."
    )
)
