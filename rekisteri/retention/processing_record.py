"""The record of processing activities (GDPR Art. 30(1)), generated from the register's own
configuration, never written by hand: the controller and its representative, the purposes
(privacy.Purpose), the legal bases recorded for each, the data categories and the models
holding them (the personal-data registry), the groups of data subjects, the recipients
register, the retention rules, and the security measures the code enforces.

`processing_record()` is the plain structure the HTML page shows; `processing_record_jsonld()`
the same in JSON-LD with W3C Data Privacy Vocabulary (DPV, https://w3id.org/dpv) terms.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import timezone

from rekisteri.people.models import PersonCategory
from rekisteri.privacy.models import GroupCompany, LegalBasis, ProcessingBasis, Purpose, Recipient
from rekisteri.privacy.registry import personal_data_models
from rekisteri.retention.models import RetentionRule
from rekisteri.rights.fulfilment.information import CATEGORY_LABELS

DPV = "https://w3id.org/dpv#"
DPV_BASES = {
    LegalBasis.CONSENT: "dpv:Consent",
    LegalBasis.CONTRACT: "dpv:Contract",
    LegalBasis.LEGITIMATE_INTEREST: "dpv:LegitimateInterest",
    LegalBasis.LEGAL_OBLIGATION: "dpv:LegalObligation",
}
DPV_RECIPIENTS = {
    Recipient.Kind.GROUP_COMPANY: "dpv:Recipient",
    Recipient.Kind.PROCESSOR: "dpv:DataProcessor",
    Recipient.Kind.AUTHORITY: "dpv:Authority",
}
DPV_SUBJECTS = {
    PersonCategory.Category.CUSTOMER_REPRESENTATIVE: "dpv:Customer",
    PersonCategory.Category.PROSPECT_CONTACT: "dpv:DataSubject",
    PersonCategory.Category.STUDENT: "dpv:Student",
}

# Art. 32: the measures the register's code enforces (each names where).
SECURITY_MEASURES = [
    ("dpv:EncryptionAtRest", "AES-256-GCM per person under its own data key (encryption/fields.py)"),
    (
        "dpv:AccessControlMethod",
        "Roles with least privilege and a signed confidentiality agreement (accounts)",
    ),
    ("dpv:Logging", "Keyed, append-only audit trail of every read and write, ids only (audit)"),
    ("dpv:CryptographicMethods", "Blind indexes (keyed HMAC) for search instead of plaintext (encryption)"),
    (
        "dpv:DataDeletion",
        "Erasure by key destruction, erasure journal replayed on restore (privacy/erasure.py)",
    ),
    ("dpv:StorageRestriction", "Retention rules and the daily sweep (retention)"),
]


def _purposes() -> list[dict[str, Any]]:
    used: dict[str, set[str]] = {}
    for slug, basis in ProcessingBasis.objects.values_list("purpose__slug", "basis").distinct():
        used.setdefault(slug, set()).add(basis)
    models = personal_data_models()
    purposes = []
    for purpose in Purpose.objects.all():
        categories = sorted(
            {c for entry in models if purpose.slug in entry.purposes for c in entry.categories}
        )
        purposes.append(
            {
                "slug": purpose.slug,
                "name_fi": purpose.name_fi,
                "name_en": purpose.name_en,
                "legal_bases": sorted(used.get(purpose.slug, ())),
                "categories": categories,
                "retention_rules": [
                    rule.code
                    for rule in RetentionRule.objects.filter(active=True)
                    if rule.purpose_id is None or rule.purpose_id == purpose.pk
                ],
            }
        )
    return purposes


def processing_record() -> dict[str, Any]:
    """Art. 30(1)(a)-(g) from the running configuration."""
    controller = GroupCompany.objects.filter(is_controller=True).first()
    return {
        "generated_at": timezone.now().isoformat(),
        "controller": {
            "name": controller.name if controller else "",
            "business_id": controller.business_id if controller else "",
            "contact": controller.email if controller else "",
            "representative": controller.representative_title if controller else "",
        },
        "purposes": _purposes(),
        "data_subjects": [{"code": c.value, "label": str(c.label)} for c in PersonCategory.Category],
        "categories": [
            {"code": code, "label_fi": labels["fi"], "label_en": labels["en"]}
            for code, labels in CATEGORY_LABELS.items()
        ],
        "recipients": [
            {
                "name": r.name,
                "kind": r.kind,
                "service_fi": r.service_fi,
                "service_en": r.service_en,
                "data_location": r.data_location,
                "dpa_signed_on": r.dpa_signed_on.isoformat() if r.dpa_signed_on else None,
                "review_on": r.review_on.isoformat() if r.review_on else None,
            }
            for r in Recipient.objects.filter(active=True)
        ],
        "transfers_outside_eea": [r.name for r in Recipient.objects.filter(active=True) if _outside_eea(r)],
        "retention_rules": [
            {
                "code": rule.code,
                "purpose": rule.purpose.slug if rule.purpose_id else None,
                "category": rule.category,
                "period": rule.period,
                "anchor": rule.anchor,
                "statutory": rule.statutory,
                "legal_reason_fi": rule.legal_reason_fi,
                "legal_reason_en": rule.legal_reason_en,
            }
            for rule in RetentionRule.objects.filter(active=True).select_related("purpose")
        ],
        "security_measures": [{"dpv": term, "description": text} for term, text in SECURITY_MEASURES],
        "supervisory_authority": settings.SUPERVISORY_AUTHORITY.get("name_en", ""),
    }


def _outside_eea(recipient: Recipient) -> bool:
    location = recipient.data_location.upper()
    return bool(location) and not any(mark in location for mark in ("EU", "ETA", "EEA", "SUOMI", "FINLAND"))


def processing_record_jsonld() -> dict[str, Any]:
    """The record as JSON-LD: one dpv:ProcessingActivity (PersonalDataHandling) per purpose."""
    record = processing_record()
    base = f"{settings.PUBLIC_BASE_URL}/record-of-processing#"
    controller = {
        "@id": base + "controller",
        "@type": "dpv:DataController",
        "dpv:hasName": record["controller"]["name"],
    }
    recipients = {
        r["name"]: {
            "@id": base + "recipient-" + r["name"].replace(" ", "-"),
            "@type": DPV_RECIPIENTS[r["kind"]],
            "dpv:hasName": r["name"],
            "dpv:hasLocation": r["data_location"] or None,
        }
        for r in record["recipients"]
    }
    rules = {r["code"]: r for r in record["retention_rules"]}
    graph: list[dict[str, Any]] = [controller, *recipients.values()]
    for purpose in record["purposes"]:
        graph.append(
            {
                "@id": base + purpose["slug"],
                "@type": "dpv:PersonalDataHandling",
                "dpv:hasDataController": {"@id": controller["@id"]},
                "dpv:hasPurpose": {
                    "@type": "dpv:Purpose",
                    "@id": base + "purpose-" + purpose["slug"],
                    "rdfs:label": [
                        {"@value": purpose["name_fi"], "@language": "fi"},
                        {"@value": purpose["name_en"], "@language": "en"},
                    ],
                },
                "dpv:hasLegalBasis": [
                    {"@id": DPV_BASES[b]} for b in purpose["legal_bases"] if b in DPV_BASES
                ],
                "dpv:hasPersonalData": [
                    {"@id": base + "data-" + code, "@type": "dpv:PersonalData", "rdfs:label": code}
                    for code in purpose["categories"]
                ],
                "dpv:hasDataSubject": [{"@id": term} for term in sorted(set(DPV_SUBJECTS.values()))],
                "dpv:hasRecipient": [{"@id": r["@id"]} for r in recipients.values()],
                "dpv:hasStorageCondition": [
                    {
                        "@type": "dpv:StorageDuration",
                        "rdfs:label": code,
                        "dpv:hasDuration": rules[code]["period"],
                        "dpv:hasJustification": rules[code]["legal_reason_en"],
                    }
                    for code in purpose["retention_rules"]
                ],
                "dpv:hasTechnicalOrganisationalMeasure": [{"@id": term} for term, _ in SECURITY_MEASURES],
            }
        )
    return {
        "@context": {"dpv": DPV, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
        "@graph": graph,
    }
