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

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.SALES: _VIEW_CUSTOMERS + _EDIT_CUSTOMERS,
    Role.CRM: _VIEW_CUSTOMERS
    + _EDIT_CUSTOMERS
    + [
        "organizations.delete_organization",
        "contacts.view_trackingevent",
        "privacy.delete_datasource",
        "privacy.delete_processingbasis",
    ],
    Role.MARKETING: _VIEW_CUSTOMERS + ["contacts.view_trackingevent"],
    Role.TRAINER: [
        "organizations.view_organization",
        "people.view_person",
        "contacts.view_interaction",
        "contacts.add_interaction",
    ],
    Role.PRIVACY_OFFICER: _VIEW_CUSTOMERS
    + [
        "people.change_person",
        "people.delete_person",
        "people.export_person",
        "contacts.view_trackingevent",
        "audit.view_auditevent",
        "privacy.change_groupcompany",
        "privacy.change_purpose",
        # Data-subject requests (section 8) are the privacy officer's to answer.
        "rights.view_datasubjectrequest",
        "rights.add_datasubjectrequest",
        "rights.change_datasubjectrequest",
    ],
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
    ],
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
