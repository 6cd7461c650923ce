"""The notice for machines (?format=json): the same configuration, with DPV terms.

Terms are from the Data Privacy Vocabulary (https://w3id.org/dpv, v2), its personal-data
extension (dpv-pd) and the GDPR extension (eu-gdpr), only where a term says the same thing;
everything else carries the register's own code and no term.
"""

from __future__ import annotations

from typing import Any

CONTEXT = {
    "dpv": "https://w3id.org/dpv#",
    "pd": "https://w3id.org/dpv/pd#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
}

PURPOSE_TERMS = {
    "customer_relationship": "dpv:CustomerRelationshipManagement",
    "rights_and_obligations": "dpv:FulfilmentOfContractualObligation",
    "products_and_services": "dpv:ServiceProvision",
    "direct_marketing": "dpv:DirectMarketing",
}
BASIS_TERMS = {
    "contract": ("dpv:Contract", "eu-gdpr:A6-1-b"),
    "consent": ("dpv:Consent", "eu-gdpr:A6-1-a"),
    "legitimate_interest": ("dpv:LegitimateInterest", "eu-gdpr:A6-1-f"),
    "legal_obligation": ("dpv:LegalObligation", "eu-gdpr:A6-1-c"),
}
SUBJECT_TERMS = {"customer_representative": "dpv:Customer", "student": "dpv:Student"}
CATEGORY_TERMS = {
    "name": "pd:Name",
    "email": "pd:EmailAddress",
    "phone": "pd:TelephoneNumber",
    "company_and_position": "pd:JobTitle",
    "birth_date": "pd:BirthDate",
}
SOURCE_TERMS = {
    "data_subject": "dpv:DataSubjectDataSource",
    "public_source": "dpv:PublicDataSource",
    "employer_or_partner": "dpv:ThirdPartyDataSource",
    "asiakastieto": "dpv:ThirdPartyDataSource",
}
RIGHT_TERMS = {
    "consent_withdrawal": "eu-gdpr:A7-3",
    "access": "eu-gdpr:A15",
    "rectification": "eu-gdpr:A16",
    "erasure": "eu-gdpr:A17",
    "restriction": "eu-gdpr:A18",
    "portability": "eu-gdpr:A20",
    "objection": "eu-gdpr:A21",
    "complaint": "eu-gdpr:A77",
}


def _term(terms: dict[str, Any], code: str) -> Any:
    return terms.get(code)


def build_facts(config: dict[str, Any]) -> dict[str, Any]:
    """Every fact of the notice in both languages, JSON-ready."""
    controller = config["controller"]
    return {
        "@context": CONTEXT,
        "controller": None
        if controller is None
        else {
            "dpv": "dpv:DataController",
            **{key: value for key, value in controller.items() if key != "representative"},
        },
        "representative": None
        if controller is None
        else {"dpv": "dpv:Representative", **controller["representative"]},
        "supervisory_authority": {"dpv": "dpv:DataProtectionAuthority", **config["authority"]},
        "purposes": [{**item, "dpv": _term(PURPOSE_TERMS, item["slug"])} for item in config["purposes"]],
        "legal_bases": [
            {
                **item,
                "dpv": BASIS_TERMS.get(item["code"], (None, None))[0],
                "gdpr": BASIS_TERMS.get(item["code"], (None, None))[1],
            }
            for item in config["legal_bases"]
        ],
        "legitimate_interest_grounds": config["interest_grounds"],
        "data_subjects": [
            {**item, "dpv": _term(SUBJECT_TERMS, item["code"])} for item in config["data_subject_groups"]
        ],
        "personal_data": {
            register: [{**item, "dpv": _term(CATEGORY_TERMS, item["code"])} for item in items]
            for register, items in config["categories"].items()
        },
        "sources": [{**item, "dpv": _term(SOURCE_TERMS, item["code"])} for item in config["sources"]],
        "recipients": {
            **config["recipients"],
            "processors": [
                {**item, "dpv": "dpv:DataProcessor"} for item in config["recipients"]["processors"]
            ],
        },
        "retention": {**config["retention"], "dpv": "dpv:StorageDuration"},
        "rights": [{**item, "dpv": _term(RIGHT_TERMS, item["right"])} for item in config["rights"]],
        "request_deadlines": {**config["deadlines"], "gdpr": "eu-gdpr:A12-3"},
        "exercise_rights_at": config["portal_url"],
        "automated_decision_making": {"dpv": "dpv:AutomatedDecisionMaking", "used": False},
        "further_processing": {"used": False},
        "announcement_lead_days": config["lead_time_days"],
    }
