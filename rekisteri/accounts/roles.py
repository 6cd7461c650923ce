"""The staff roles and the explicit permissions each one holds.

Least privilege: a role gets only what its work needs. The groups are kept in step with
this table after every migrate (see apps.py), so the table is the single truth.
"""

from __future__ import annotations

from rekisteri.accounts.models import Role

# Permission codenames are "<app_label>.<codename>".
_VIEW_CUSTOMERS = [
    "organizations.view_organization",
    "people.view_person",
    "contacts.view_interaction",
    "privacy.view_processingbasis",
    "privacy.view_datasource",
]
_EDIT_CUSTOMERS = [
    "organizations.add_organization",
    "organizations.change_organization",
    "people.add_person",
    "people.change_person",
    "contacts.add_interaction",
    "privacy.add_processingbasis",
    "privacy.change_processingbasis",
    "privacy.add_datasource",
    "privacy.change_datasource",
]

# The student register (section 11): sales and CRM follow enrollments but see no grades.
_TRAINING_STATUS = ["training.view_course", "training.view_courseinstance", "training.view_enrollment"]
# Trainers run their own instances (training.selectors.only_own_instances narrows every read
# and write to the instances they teach): enrollment to certificates and the report to the
# customer organization of their own participants.
_TRAINING_WORK = _TRAINING_STATUS + [
    "training.add_course",
    "training.add_courseinstance",
    "training.add_enrollment",
    "training.change_enrollment",
    "training.view_result",
    "training.add_result",
    "training.change_result",
    "training.view_certificate",
    "training.add_certificate",
    "training.report_training",
]

# Section 3: consents are recorded by whoever the person gives them to (sales on the phone,
# at an event); the marketing role composes and sends, and only to a lawful audience.
_RECORD_CONSENTS = [
    "marketing.view_consent",
    "marketing.add_consent",
    "marketing.change_consent",
    "marketing.view_topic",
    "marketing.add_rolerelevance",
    "marketing.change_rolerelevance",
    "marketing.view_rolerelevance",
    # The wording shown is part of the consent: those who record consents read it.
    "marketing.view_wording",
]
_MARKETING = _RECORD_CONSENTS + [
    "marketing.add_topic",
    "marketing.change_topic",
    "marketing.add_subscription",
    "marketing.view_subscription",
    "marketing.view_campaign",
    "marketing.add_campaign",
    "marketing.change_campaign",
    "marketing.send_campaign",
    "marketing.add_wording",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.SALES: _VIEW_CUSTOMERS + _EDIT_CUSTOMERS + _TRAINING_STATUS + _RECORD_CONSENTS,
    Role.CRM: _VIEW_CUSTOMERS
    + _EDIT_CUSTOMERS
    + [
        # Exports are disclosures (section 6): handing a group company or a processor the
        # contact list of a shared customer is customer-relationship work, and every export
        # is recorded with its recipient and purpose for the privacy officer to review.
        # Sales (who work person by person), marketing (whose recipients must come through
        # the marketing rules, not a file) and admin (a technical role) do not export.
        "people.export_person",
        "organizations.delete_organization",
        "contacts.view_trackingevent",
        "privacy.delete_datasource",
        "privacy.delete_processingbasis",
        # Merging duplicate records is data-quality work of the CRM and the privacy officer.
        "people.merge_person",
    ]
    + _TRAINING_STATUS
    + _RECORD_CONSENTS,
    Role.MARKETING: _VIEW_CUSTOMERS + ["contacts.view_trackingevent"] + _MARKETING,
    Role.TRAINER: [
        "organizations.view_organization",
        "people.view_person",
        "contacts.view_interaction",
        "contacts.add_interaction",
    ]
    + _TRAINING_WORK,
    Role.PRIVACY_OFFICER: _VIEW_CUSTOMERS
    + [
        "people.change_person",
        "people.delete_person",
        "people.export_person",
        "people.merge_person",
        "people.override_deletion",
        "contacts.view_trackingevent",
        "audit.view_auditevent",
        "privacy.change_groupcompany",
        "privacy.change_purpose",
        # Data-subject requests (section 8) are the privacy officer's to answer.
        "rights.view_datasubjectrequest",
        "rights.add_datasubjectrequest",
        "rights.change_datasubjectrequest",
        # The outbox: the mails of the request register, their delivery, resending.
        "outbox.view_outgoingmail",
        "outbox.change_outgoingmail",
        # Staff who forgot their password are given a temporary one (shown once, changed at login).
        "accounts.reset_password",
        # The privacy notice (sections 1 and 12): its configuration, versions and promise map.
        "notice.manage_notice",
        # Section 11: the written instructions, the quarterly access review, the risk register.
        "governance.add_staffinstruction",
        "governance.view_accessreview",
        "governance.add_accessreview",
        "governance.view_risk",
        "governance.add_risk",
        "governance.change_risk",
        # The student register read in full, the disclosure log (section 6), the students'
        # permissions to disclose, and reports to customer organizations.
        "privacy.view_disclosure",
        "training.view_result",
        "training.view_certificate",
        "training.add_disclosurepermission",
        "training.report_training",
        # Consents are the proof the privacy officer answers for (Art. 7(1)).
        "marketing.view_consent",
        "marketing.view_topic",
        "marketing.view_campaign",
        "marketing.view_rolerelevance",
        # The consent wordings (fi, en) are the officer's to write as well as marketing's.
        "marketing.view_wording",
        "marketing.add_wording",
        # Section 7: retention rules, their backlog and legal holds.
        "retention.view_retentionrule",
        "retention.change_retentionrule",
        "retention.view_legalhold",
        "retention.add_legalhold",
        "retention.change_legalhold",
        # Section 6 and Art. 19: the recipients register and the notifications owed to them.
        "privacy.view_recipient",
        "privacy.view_recipientnotification",
        "privacy.change_recipientnotification",
        # Issue 13, section 4: the proof of every erasure (requests, sweeps, staff deletions).
        "privacy.view_erasurerecord",
        # Art. 14: who has been told where their data came from, and telling those who have not.
        "notice.view_sourceinformation",
        "notice.add_sourceinformation",
        # Section 6: a disclosure to an authority, recorded with the statute or decision.
        "privacy.disclose_to_authority",
    ]
    + _TRAINING_STATUS,
    Role.ADMIN: _VIEW_CUSTOMERS
    + _EDIT_CUSTOMERS
    + [
        "organizations.delete_organization",
        "people.delete_person",
        "contacts.view_trackingevent",
        "privacy.add_groupcompany",
        "privacy.change_groupcompany",
        "privacy.change_purpose",
        "accounts.add_staffprofile",
        "accounts.change_staffprofile",
        "accounts.view_staffprofile",
        "accounts.reset_password",
        # Administrators own technical risks: they read the register of them.
        "governance.view_risk",
        # Setting up the course catalogue is technical work; no grades.
        "training.add_course",
        "training.add_courseinstance",
    ]
    + _TRAINING_STATUS,
}


def group_name(role: str) -> str:
    return f"role:{role}"


# The purpose recorded in the audit trail when a member of a role touches personal data
# in their ordinary work (section 2).
ROLE_DEFAULT_PURPOSE: dict[str, str] = {
    Role.SALES: "customer_relationship",
    Role.CRM: "customer_relationship",
    Role.MARKETING: "direct_marketing",
    Role.TRAINER: "training",
    Role.PRIVACY_OFFICER: "rights_and_obligations",
    Role.ADMIN: "customer_relationship",
}


def default_purpose(user) -> str:
    profile = getattr(user, "staff_profile", None)
    return ROLE_DEFAULT_PURPOSE.get(profile.role, "") if profile is not None else ""
