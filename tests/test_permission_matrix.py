"""Every staff member against every page and every API endpoint.

The expected role sets below are the access policy written out by hand (section 11:
least privilege), independently of roles.py, so a change to either shows up here. A page
or endpoint missing from this table fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from conftest import make_staff
from rekisteri.accounts.models import Role
from rekisteri.accounts.services import token_create
from rekisteri.api_v1 import api
from rekisteri.audit.actor import Actor
from rekisteri.governance.models import Risk
from rekisteri.organizations.services import organization_create
from rekisteri.outbox.services import mail_enqueue
from rekisteri.people.services import person_create
from rekisteri.privacy.models import GroupCompany, Purpose, Recipient, RecipientNotification
from rekisteri.retention.models import RetentionRule
from rekisteri.retention.services import hold_create
from rekisteri.rights.services import request_create
from rekisteri.training.services import course_create, enrollment_create, instance_create

pytestmark = pytest.mark.django_db

ALL = {"sales", "crm", "marketing", "trainer", "privacy_officer", "admin"}
# The student register (section 11): who follows enrollments, who grades, who reports.
TRAINING_STATUS = {"sales", "crm", "trainer", "privacy_officer", "admin"}
TRAINING_SETUP = {"trainer", "admin"}
TRAINERS = {"trainer"}
EDITORS = {"sales", "crm", "admin"}
MERGERS = {"crm", "privacy_officer"}


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # with {person} / {organization} placeholders
    allowed: frozenset
    body: dict | None = None


UI_ROUTES = [
    Route("web:dashboard", "GET", "/", frozenset(ALL)),
    Route("web:search", "GET", "/search/?q=Virtanen", frozenset(ALL)),
    Route("web:person_list", "GET", "/people/?q=Virtanen&sort=name", frozenset(ALL)),
    # Exports are disclosures: the privacy officer and the customer-relationship managers.
    Route("web:person_export", "GET", "/people/export/?q=Virtanen", frozenset({"crm", "privacy_officer"})),
    Route("web:person_new", "GET", "/people/new/", frozenset(EDITORS)),
    Route("web:person_card", "GET", "/people/{person}/", frozenset(ALL)),
    Route("web:person_timeline", "GET", "/people/{person}/history/?page=1", frozenset(ALL)),
    # Art. 18: a restricted person's card, read with a stated legal reason (404 for others).
    Route(
        "web:person_card_restricted",
        "POST",
        "/people/{person}/restricted-read/",
        frozenset(ALL),
        body={"reason": "Oikeudenkäynti KO 12/2026"},
    ),
    Route("web:person_edit", "GET", "/people/{person}/edit/", frozenset(EDITORS | {"privacy_officer"})),
    Route("web:person_delete", "GET", "/people/{person}/delete/", frozenset({"privacy_officer", "admin"})),
    Route(
        "web:interaction_new", "GET", "/people/{person}/interactions/new/", frozenset(EDITORS | {"trainer"})
    ),
    Route("web:basis_new", "GET", "/people/{person}/bases/new/", frozenset(EDITORS)),
    Route("web:source_new", "GET", "/people/{person}/sources/new/", frozenset(EDITORS)),
    Route("web:person_disclosures", "GET", "/people/{person}/disclosures/", frozenset({"privacy_officer"})),
    Route(
        "web:authority_disclosure_new",
        "POST",
        "/people/{person}/disclosures/authority/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route(
        "web:restriction_lift",
        "POST",
        "/people/{person}/restriction/lift/",
        frozenset({"privacy_officer"}),
        body={"reason": "Tiedot tarkistettu"},
    ),
    # Merging duplicate records: data-quality work of the CRM and the privacy officer.
    Route("web:person_merge", "GET", "/people/{person}/merge/?q=Virtanen", frozenset(MERGERS)),
    Route("web:person_merge_confirm", "GET", "/people/{person}/merge/{other}/", frozenset(MERGERS)),
    Route("web:organizations", "GET", "/organizations/", frozenset(ALL)),
    Route("web:organization_new", "GET", "/organizations/new/", frozenset(EDITORS)),
    Route("web:organization_suggest", "GET", "/organizations/suggest/?q=Tam", frozenset(ALL)),
    Route("web:organization_detail", "GET", "/organizations/{organization}/", frozenset(ALL)),
    Route("web:organization_edit", "GET", "/organizations/{organization}/edit/", frozenset(EDITORS)),
    Route(
        "web:organization_responsible",
        "POST",
        "/organizations/{organization}/responsible/",
        frozenset(EDITORS),
        body={},
    ),
    # Every member changes their own password; the privacy officer and administrators give
    # temporary ones.
    Route("web:password_change", "GET", "/password/", frozenset(ALL)),
    Route("web:staff_list", "GET", "/staff/", frozenset({"privacy_officer", "admin"})),
    Route(
        "web:staff_password_reset",
        "POST",
        "/staff/{staff}/reset-password/",
        frozenset({"privacy_officer", "admin"}),
        body={},
    ),
    # Section 11: the privacy officer and administrators reset a lost second factor and end a
    # member's sessions; taking access away is an administrator's.
    Route(
        "web:staff_two_factor_reset",
        "POST",
        "/staff/{staff}/reset-two-factor/",
        frozenset({"privacy_officer", "admin"}),
        body={},
    ),
    Route(
        "web:staff_sessions_end",
        "POST",
        "/staff/{staff}/end-sessions/",
        frozenset({"privacy_officer", "admin"}),
        body={},
    ),
    Route("web:staff_deactivate", "POST", "/staff/{staff}/deactivate/", frozenset({"admin"}), body={}),
    # Every member's own second factor and backup codes.
    Route("web:security_settings", "GET", "/security/", frozenset(ALL)),
    Route("web:backup_codes_new", "POST", "/security/backup-codes/", frozenset(ALL), body={}),
    # Section 11: the privacy officer publishes new versions, reviews access and keeps the
    # risk register, which administrators (owners of technical risks) may read.
    Route("web:instruction_new", "GET", "/governance/instructions/new/", frozenset({"privacy_officer"})),
    Route("web:access_review", "GET", "/governance/access-review/", frozenset({"privacy_officer"})),
    Route(
        "web:access_review_member",
        "GET",
        "/governance/access-review/{staff}/",
        frozenset({"privacy_officer"}),
    ),
    Route(
        "web:access_review_done",
        "POST",
        "/governance/access-review/done/",
        frozenset({"privacy_officer"}),
        body={"notes": ""},
    ),
    Route("web:risk_list", "GET", "/governance/risks/", frozenset({"privacy_officer", "admin"})),
    Route("web:risk_new", "GET", "/governance/risks/new/", frozenset({"privacy_officer"})),
    Route("web:risk_edit", "GET", "/governance/risks/{risk}/", frozenset({"privacy_officer"})),
    Route("web:audit", "GET", "/audit/", frozenset({"privacy_officer"})),
    Route("web:audit_verify", "POST", "/audit/verify/", frozenset({"privacy_officer"}), body={}),
    # The outbox: the mails of the request register are the privacy officer's.
    Route("web:mail", "GET", "/mail/", frozenset({"privacy_officer"})),
    Route("web:mail_detail", "GET", "/mail/{mail}/", frozenset({"privacy_officer"})),
    Route("web:mail_resend", "POST", "/mail/{mail}/resend/", frozenset({"privacy_officer"}), body={}),
    # The privacy notice's configuration, versions and promise map (sections 1, 12).
    Route("web:notice", "GET", "/notice/", frozenset({"privacy_officer"})),
    Route("web:notice_controller", "GET", "/notice/controller/", frozenset({"privacy_officer"})),
    Route("web:notice_authority", "GET", "/notice/authority/", frozenset({"privacy_officer"})),
    Route("web:notice_draft", "POST", "/notice/draft/", frozenset({"privacy_officer"}), body={}),
    Route("web:notice_publish", "POST", "/notice/publish/", frozenset({"privacy_officer"}), body={}),
    Route("web:notice_version", "GET", "/notice/versions/1/", frozenset({"privacy_officer"})),
    Route("web:notice_promises", "GET", "/notice/promises/", frozenset({"privacy_officer"})),
    # The configuration the notice is rendered from (sections 2 and 6).
    Route("web:notice_purposes", "GET", "/notice/purposes/", frozenset({"privacy_officer"})),
    Route("web:notice_purpose_new", "GET", "/notice/purposes/new/", frozenset({"privacy_officer"})),
    Route("web:notice_purpose_new", "POST", "/notice/purposes/new/", frozenset({"privacy_officer"}), body={}),
    Route("web:notice_purpose_edit", "GET", "/notice/purposes/{purpose}/", frozenset({"privacy_officer"})),
    Route(
        "web:notice_purpose_edit",
        "POST",
        "/notice/purposes/{purpose}/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route(
        "web:notice_purpose_delete",
        "GET",
        "/notice/purposes/{purpose}/delete/",
        frozenset({"privacy_officer"}),
    ),
    Route(
        "web:notice_purpose_delete",
        "POST",
        "/notice/purposes/{purpose}/delete/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route("web:notice_group_companies", "GET", "/notice/group-companies/", frozenset({"privacy_officer"})),
    Route(
        "web:notice_group_company_new", "GET", "/notice/group-companies/new/", frozenset({"privacy_officer"})
    ),
    Route(
        "web:notice_group_company_new",
        "POST",
        "/notice/group-companies/new/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route(
        "web:notice_group_company_edit",
        "GET",
        "/notice/group-companies/{company}/",
        frozenset({"privacy_officer"}),
    ),
    Route(
        "web:notice_group_company_edit",
        "POST",
        "/notice/group-companies/{company}/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route(
        "web:notice_group_company_delete",
        "GET",
        "/notice/group-companies/{company}/delete/",
        frozenset({"privacy_officer"}),
    ),
    Route(
        "web:notice_group_company_delete",
        "POST",
        "/notice/group-companies/{company}/delete/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route("web:notice_recipients", "GET", "/notice/recipients/", frozenset({"privacy_officer"})),
    Route("web:notice_recipient_new", "GET", "/notice/recipients/new/", frozenset({"privacy_officer"})),
    Route(
        "web:notice_recipient_new", "POST", "/notice/recipients/new/", frozenset({"privacy_officer"}), body={}
    ),
    Route(
        "web:notice_recipient_edit", "GET", "/notice/recipients/{recipient}/", frozenset({"privacy_officer"})
    ),
    Route(
        "web:notice_recipient_edit",
        "POST",
        "/notice/recipients/{recipient}/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route(
        "web:notice_recipient_delete",
        "GET",
        "/notice/recipients/{recipient}/delete/",
        frozenset({"privacy_officer"}),
    ),
    Route(
        "web:notice_recipient_delete",
        "POST",
        "/notice/recipients/{recipient}/delete/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    # Campaigns: the marketing role composes and sends; the privacy officer reads them.
    Route("web:campaigns", "GET", "/marketing/", frozenset({"marketing", "privacy_officer"})),
    Route("web:campaign_new", "GET", "/marketing/new/", frozenset({"marketing"})),
    Route("web:campaign_detail", "GET", "/marketing/999999/", frozenset({"marketing", "privacy_officer"})),
    Route("web:campaign_action", "POST", "/marketing/999999/send/", frozenset({"marketing"}), body={}),
    # Consent wordings: read by those who record consents, written by marketing and the officer.
    Route(
        "web:topics", "GET", "/marketing/topics/", frozenset({"sales", "crm", "marketing", "privacy_officer"})
    ),
    Route(
        "web:topic_wordings",
        "GET",
        "/marketing/topics/tracking/",
        frozenset({"sales", "crm", "marketing", "privacy_officer"}),
    ),
    # A person's consents: recorded by whoever hears them (sales on the phone), read by the
    # privacy officer as the proof of Art. 7(1).
    Route(
        "web:person_marketing",
        "GET",
        "/people/{person}/marketing/",
        frozenset({"sales", "crm", "marketing", "privacy_officer"}),
    ),
    # Retention (section 7): rules, backlog, legal holds and deletion reports.
    # Art. 14: telling persons where their data came from is the privacy officer's.
    Route("web:source_information", "GET", "/privacy/information/", frozenset({"privacy_officer"})),
    Route(
        "web:source_information_send_all",
        "POST",
        "/privacy/information/send/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route(
        "web:source_information_send",
        "POST",
        "/privacy/information/{person}/send/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route(
        "web:source_information_recorded",
        "POST",
        "/privacy/information/{person}/recorded/",
        frozenset({"privacy_officer"}),
        body={},
    ),
    Route("web:retention", "GET", "/retention/", frozenset({"privacy_officer"})),
    Route("web:erasures", "GET", "/erasures/?origin=staff", frozenset({"privacy_officer"})),
    Route("web:processing_record", "GET", "/record-of-processing/", frozenset({"privacy_officer"})),
    Route(
        "web:retention_confirm", "POST", "/retention/rules/{rule}/confirm/", frozenset({"privacy_officer"})
    ),
    # The retention rules themselves (section 7), as the notice states them.
    Route("web:retention_rule_new", "GET", "/retention/rules/new/", frozenset({"privacy_officer"})),
    Route("web:retention_rule_new", "POST", "/retention/rules/new/", frozenset({"privacy_officer"}), body={}),
    Route("web:retention_rule_edit", "GET", "/retention/rules/{rule}/", frozenset({"privacy_officer"})),
    Route(
        "web:retention_rule_edit", "POST", "/retention/rules/{rule}/", frozenset({"privacy_officer"}), body={}
    ),
    Route("web:retention_hold_new", "POST", "/retention/holds/", frozenset({"privacy_officer"}), body={}),
    Route(
        "web:retention_notification_done",
        "POST",
        "/retention/notifications/{notification}/done/",
        frozenset({"privacy_officer"}),
    ),
    Route(
        "web:retention_hold_end", "POST", "/retention/holds/{hold}/release/", frozenset({"privacy_officer"})
    ),
    # The register of data-subject requests (section 8) is the privacy officer's alone.
    Route("rights:request_list", "GET", "/requests/", frozenset({"privacy_officer"})),
    Route("rights:request_new", "GET", "/requests/new/", frozenset({"privacy_officer"})),
    Route("rights:request_detail", "GET", "/requests/{request}/", frozenset({"privacy_officer"})),
    *[
        Route(
            f"rights:request_{action}",
            "POST",
            f"/requests/{{request}}/{action}/",
            frozenset({"privacy_officer"}),
            body={},
        )
        for action in ("verify", "assign", "start", "extend", "refuse", "fee", "withdraw", "fulfil", "decide")
    ],
]
UI_ROUTES += [
    # The student register: trainers run their own instances; sales and CRM follow status.
    Route("web:training", "GET", "/training/", frozenset(TRAINING_STATUS)),
    Route("web:training_course_new", "GET", "/training/courses/new/", frozenset(TRAINING_SETUP)),
    Route("web:training_instance_new", "GET", "/training/instances/new/", frozenset(TRAINING_SETUP)),
    Route("web:training_instance", "GET", "/training/instances/{instance}/", frozenset(TRAINING_STATUS)),
    Route(
        "web:training_enroll", "POST", "/training/instances/{instance}/enroll/", frozenset(TRAINERS), body={}
    ),
    Route(
        "web:training_status",
        "POST",
        "/training/enrollments/{enrollment}/status/",
        frozenset(TRAINERS),
        body={"status": "attended"},
    ),
    Route(
        "web:training_result",
        "POST",
        "/training/enrollments/{enrollment}/result/",
        frozenset(TRAINERS),
        body={},
    ),
    Route(
        "web:training_certificate",
        "POST",
        "/training/enrollments/{enrollment}/certificate/",
        frozenset(TRAINERS),
        body={},
    ),
    Route(
        "web:training_certificate_file",
        "GET",
        "/training/enrollments/{enrollment}/certificate.pdf",
        frozenset({"trainer", "privacy_officer"}),
    ),
    Route(
        "web:training_report",
        "GET",
        "/training/report/?organization={organization}&format=csv",
        frozenset({"trainer", "privacy_officer"}),
    ),
    Route(
        "web:training_birth_date",
        "GET",
        "/training/enrollments/{enrollment}/birth-date/",
        frozenset(TRAINERS),
    ),
    Route(
        "web:training_report_send",
        "GET",
        "/training/report/send/{organization}/",
        frozenset({"trainer", "privacy_officer"}),
    ),
]
# The data-subject portal is public by design: no login, and it reveals nothing of the register;
# so are the privacy notice and the certificate check.
PUBLIC_ROUTES = {
    "portal:home",
    "portal:verify",
    "portal:download",
    "portal:download_file",
    "notice",
    "notice_en",
    "portal:certificate_check",
    # A student's own results: only through the single-use link mailed to their address.
    "portal:training_results",
    "portal:training_results_verify",
    "portal:training_results_page",
    "portal:training_results_certificate",
}
# Newsletter sign-up, confirmation, unsubscribing and preferences: public by design (section 3).
PUBLIC_ROUTES |= {
    "newsletter:subscribe",
    "newsletter:confirm",
    "newsletter:unsubscribe",
    "newsletter:one_click",
    "newsletter:open",
    "newsletter:click",
    "newsletter:preferences",
    "newsletter:preferences_open",
    "newsletter:preferences_page",
}

API_ROUTES = [
    Route("GET /persons", "GET", "/api/v1/persons?q=Virtanen", frozenset(ALL)),
    Route(
        "POST /persons",
        "POST",
        "/api/v1/persons",
        frozenset(EDITORS),
        body={"first_name": "Uusi", "last_name": "Henkilö"},
    ),
    Route(
        "POST /persons/export",
        "POST",
        "/api/v1/persons/export",
        frozenset({"crm", "privacy_officer"}),
        body={
            "q": "Virtanen",
            "format": "csv",
            "disclosure_purpose": "customer_relationship",
            "recipient_name": "Palveluntarjoaja Oy",
        },
    ),
    Route("GET /persons/{person_id}", "GET", "/api/v1/persons/{person}", frozenset(ALL)),
    Route(
        "PATCH /persons/{person_id}",
        "PATCH",
        "/api/v1/persons/{person}",
        frozenset(EDITORS | {"privacy_officer"}),
        body={"title": "Johtaja"},
    ),
    Route(
        "DELETE /persons/{person_id}",
        "DELETE",
        "/api/v1/persons/{person}",
        frozenset({"privacy_officer", "admin"}),
    ),
    Route(
        "GET /persons/{person_id}/interactions",
        "GET",
        "/api/v1/persons/{person}/interactions",
        frozenset(ALL),
    ),
    Route(
        "POST /persons/{person_id}/interactions",
        "POST",
        "/api/v1/persons/{person}/interactions",
        frozenset(EDITORS | {"trainer"}),
        body={"kind": "call", "text": "Soitto"},
    ),
    Route(
        "POST /persons/{person_id}/merge",
        "POST",
        "/api/v1/persons/{person}/merge",
        frozenset(MERGERS),
        body={"merged_id": "{other}", "reason": "duplicate_entry"},
    ),
    Route("GET /organizations", "GET", "/api/v1/organizations", frozenset(ALL)),
    Route(
        "POST /organizations",
        "POST",
        "/api/v1/organizations",
        frozenset(EDITORS),
        body={"name": "Uusi Oy", "business_id": "0245974-7"},
    ),
    Route(
        "GET /organizations/{organization_id}", "GET", "/api/v1/organizations/{organization}", frozenset(ALL)
    ),
    Route(
        "PUT /organizations/{organization_id}",
        "PUT",
        "/api/v1/organizations/{organization}",
        frozenset(EDITORS),
        body={"name": "Matriisi Oy", "city": "Turku"},
    ),
    Route(
        "PATCH /organizations/{organization_id}",
        "PATCH",
        "/api/v1/organizations/{organization}",
        frozenset(EDITORS),
        body={"city": "Turku"},
    ),
    Route(
        "DELETE /organizations/{organization_id}",
        "DELETE",
        "/api/v1/organizations/{organization}",
        frozenset({"crm", "admin"}),
    ),
    # Consents (section 3): recorded by whoever the person gives them to; the privacy
    # officer reads them as the proof of Art. 7(1).
    Route(
        "GET /persons/{person_id}/consents",
        "GET",
        "/api/v1/persons/{person}/consents",
        frozenset({"sales", "crm", "marketing", "privacy_officer"}),
    ),
    Route(
        "POST /persons/{person_id}/consents",
        "POST",
        "/api/v1/persons/{person}/consents",
        frozenset({"sales", "crm", "marketing"}),
        body={"topic": "tracking", "channel": "phone"},
    ),
    Route(
        "POST /persons/{person_id}/consents/{consent_id}/withdraw",
        "POST",
        "/api/v1/persons/{person}/consents/00000000-0000-7000-8000-000000000000/withdraw",
        frozenset({"sales", "crm", "marketing"}),
        body={"channel": "phone"},
    ),
    # B2B role relevance: marked and removed by those who record consents; the officer reads it.
    Route(
        "GET /persons/{person_id}/role-relevance",
        "GET",
        "/api/v1/persons/{person}/role-relevance",
        frozenset({"sales", "crm", "marketing", "privacy_officer"}),
    ),
    Route(
        "POST /persons/{person_id}/role-relevance",
        "POST",
        "/api/v1/persons/{person}/role-relevance",
        frozenset({"sales", "crm", "marketing"}),
        body={"topic": "tracking", "reason": "Ostaa koulutuksia"},
    ),
    Route(
        "POST /persons/{person_id}/role-relevance/{relevance_id}/remove",
        "POST",
        "/api/v1/persons/{person}/role-relevance/00000000-0000-7000-8000-000000000000/remove",
        frozenset({"sales", "crm", "marketing"}),
        body={"reason": "Vaihtoi tehtävää"},
    ),
    # Topics and their consent wordings: read by those who record consents, written by
    # marketing and the privacy officer.
    Route(
        "GET /topics", "GET", "/api/v1/topics", frozenset({"sales", "crm", "marketing", "privacy_officer"})
    ),
    Route(
        "GET /topics/{slug}/wordings",
        "GET",
        "/api/v1/topics/tracking/wordings",
        frozenset({"sales", "crm", "marketing", "privacy_officer"}),
    ),
    Route(
        "POST /topics/{slug}/wordings",
        "POST",
        "/api/v1/topics/tracking/wordings",
        frozenset({"marketing", "privacy_officer"}),
        body={"text_fi": "Saa seurata.", "text_en": "May track."},
    ),
    # Newsletter lists: the marketing role's; those who record consents see them.
    Route("GET /lists", "GET", "/api/v1/lists", frozenset({"sales", "crm", "marketing", "privacy_officer"})),
    Route(
        "POST /lists",
        "POST",
        "/api/v1/lists",
        frozenset({"marketing"}),
        body={"slug": "uutiset", "name_fi": "Uutiset", "name_en": "News"},
    ),
    Route(
        "POST /lists/{slug}/subscribers",
        "POST",
        "/api/v1/lists/uutiset/subscribers",
        frozenset({"marketing"}),
        body={"person_id": "{person}"},
    ),
    # Campaigns: the marketing role composes and sends; the privacy officer reads them.
    Route("GET /campaigns", "GET", "/api/v1/campaigns", frozenset({"marketing", "privacy_officer"})),
    Route(
        "POST /campaigns",
        "POST",
        "/api/v1/campaigns",
        frozenset({"marketing"}),
        body={"list": "tracking", "subject": "Hei", "body_markdown": "Moi"},
    ),
    Route(
        "GET /campaigns/{campaign_id}",
        "GET",
        "/api/v1/campaigns/999999",
        frozenset({"marketing", "privacy_officer"}),
    ),
    Route(
        "GET /campaigns/{campaign_id}/report",
        "GET",
        "/api/v1/campaigns/999999/report",
        frozenset({"marketing", "privacy_officer"}),
    ),
    Route(
        "POST /campaigns/{campaign_id}/schedule",
        "POST",
        "/api/v1/campaigns/999999/schedule",
        frozenset({"marketing"}),
        body={"scheduled_at": "2099-01-01T10:00:00+02:00"},
    ),
    Route(
        "GET /campaigns/{campaign_id}/audience",
        "GET",
        "/api/v1/campaigns/999999/audience",
        frozenset({"marketing", "privacy_officer"}),
    ),
    *[
        Route(
            f"POST /campaigns/{{campaign_id}}/{action}",
            "POST",
            f"/api/v1/campaigns/999999/{action}",
            frozenset({"marketing"}),
        )
        for action in ("send", "pause", "resume", "cancel")
    ],
    # Data-subject requests (section 8): the privacy officer's alone.
    Route("GET /requests", "GET", "/api/v1/requests?overdue=true", frozenset({"privacy_officer"})),
    Route(
        "POST /requests",
        "POST",
        "/api/v1/requests",
        frozenset({"privacy_officer"}),
        body={"type": "access", "channel": "letter", "name": "Venla Virtanen"},
    ),
    Route("GET /requests/{request_id}", "GET", "/api/v1/requests/{request}", frozenset({"privacy_officer"})),
    # The proof of every erasure (issue 13, section 4): the privacy officer's.
    Route("GET /erasures", "GET", "/api/v1/erasures?origin=staff", frozenset({"privacy_officer"})),
    Route(
        "GET /erasures/{erasure_id}",
        "GET",
        "/api/v1/erasures/00000000-0000-4000-8000-000000000000",
        frozenset({"privacy_officer"}),
    ),
    *[
        Route(
            f"POST /requests/{{request_id}}/{action}",
            "POST",
            f"/api/v1/requests/{{request}}/{action}",
            frozenset({"privacy_officer"}),
            body=body,
        )
        for action, body in (
            ("verify", {"method": "in_person"}),
            ("assign", {"assignee_id": None}),
            ("start", None),
            ("extend", {"months": 1, "reason": "Busy.", "notified_on": "2025-01-01"}),
            ("refuse", {"reason": "Unfounded."}),
            ("fee", {"fee_cents": 100, "fee_reason": "Excessive."}),
            ("withdraw", None),
            ("fulfil", None),
        )
    ],
]

API_ROUTES += [
    Route("GET /courses", "GET", "/api/v1/courses", frozenset(TRAINING_STATUS)),
    Route(
        "POST /courses",
        "POST",
        "/api/v1/courses",
        frozenset(TRAINING_SETUP),
        body={"code": "{code}", "name_fi": "Kurssi", "name_en": "Course", "company": 1},
    ),
    Route(
        "POST /course-instances",
        "POST",
        "/api/v1/course-instances",
        frozenset(TRAINING_SETUP),
        body={"course": "{course}", "starts_on": "2026-01-01", "ends_on": "2026-01-02", "online": True},
    ),
    Route(
        "GET /course-instances/{instance_id}",
        "GET",
        "/api/v1/course-instances/{instance}",
        frozenset(TRAINING_STATUS),
    ),
    Route(
        "POST /enrollments",
        "POST",
        "/api/v1/enrollments",
        frozenset(TRAINERS),
        body={"instance_id": "{instance}", "person_id": "{other}"},
    ),
    Route(
        "POST /enrollments/{enrollment_id}/status",
        "POST",
        "/api/v1/enrollments/{enrollment}/status",
        frozenset(TRAINERS),
        body={"status": "attended"},
    ),
    Route(
        "POST /enrollments/{enrollment_id}/result",
        "POST",
        "/api/v1/enrollments/{enrollment}/result",
        frozenset(TRAINERS),
        body={"grade": "pass", "completed_on": "2026-01-02", "passed": True},
    ),
    # Section 6: reports to the customer organization and disclosures with the student's permission.
    Route(
        "GET /organizations/{organization_id}/training-report",
        "GET",
        "/api/v1/organizations/{organization}/training-report?format=json",
        frozenset({"trainer", "privacy_officer"}),
    ),
    Route(
        "POST /organizations/{organization_id}/training-report/send",
        "POST",
        "/api/v1/organizations/{organization}/training-report/send",
        frozenset({"trainer", "privacy_officer"}),
        body={"to_person_id": "{person}", "format": "csv"},
    ),
    Route(
        "GET /course-instances/{instance_id}/license-export",
        "GET",
        "/api/v1/course-instances/{instance}/license-export",
        frozenset({"trainer", "privacy_officer"}),
    ),
    Route(
        "POST /persons/{person_id}/disclosure-permissions",
        "POST",
        "/api/v1/persons/{person}/disclosure-permissions",
        frozenset({"privacy_officer"}),
        body={"recipient": "Lupavirasto"},
    ),
    Route(
        "POST /persons/{person_id}/training-disclosures",
        "POST",
        "/api/v1/persons/{person}/training-disclosures",
        frozenset({"trainer", "privacy_officer"}),
        body={"recipient": "Lupavirasto"},
    ),
    Route(
        "GET /persons/{person_id}/disclosures",
        "GET",
        "/api/v1/persons/{person}/disclosures",
        frozenset({"privacy_officer"}),
    ),
    # Section 6: a disclosure to an authority, with its legal basis, is the privacy officer's.
    Route(
        "POST /persons/{person_id}/authority-disclosures",
        "POST",
        "/api/v1/persons/{person}/authority-disclosures",
        frozenset({"privacy_officer"}),
        body={"recipient_id": 999999, "legal_reference": "OK 17:40", "categories": ["name"]},
    ),
    # Art. 14: who is owed the information on the source of their data; the privacy officer's.
    Route(
        "GET /source-information",
        "GET",
        "/api/v1/source-information?overdue=true",
        frozenset({"privacy_officer"}),
    ),
    Route(
        "POST /source-information/send-due",
        "POST",
        "/api/v1/source-information/send-due",
        frozenset({"privacy_officer"}),
        body={"dry_run": True},
    ),
    Route(
        "POST /source-information/{person_id}/send",
        "POST",
        "/api/v1/source-information/{person}/send",
        frozenset({"privacy_officer"}),
    ),
    Route(
        "POST /source-information/{person_id}/record",
        "POST",
        "/api/v1/source-information/{person}/record",
        frozenset({"privacy_officer"}),
        body={"channel": "post"},
    ),
    Route(
        "GET /enrollments/{enrollment_id}/certificate",
        "GET",
        "/api/v1/enrollments/{enrollment}/certificate",
        frozenset({"trainer", "privacy_officer"}),
    ),
    Route(
        "POST /enrollments/{enrollment_id}/certificate",
        "POST",
        "/api/v1/enrollments/{enrollment}/certificate",
        frozenset(TRAINERS),
        body={},
    ),
]

ROLE_OF = {
    "sales": "sales",
    "crm": "crm",
    "marketing": "marketing",
    "trainer": "trainer",
    "privacy_officer": "privacy_officer",
    "admin": "admin",
}
WITHOUT_ACCESS = ["sales_no_nda", "nda_in_future", "inactive", "outsider", "superuser_no_nda"]


def _fresh_targets(organization) -> dict[str, str]:
    # Each request gets its own organization and person, so destructive routes leave the
    # next request something to see.
    actor = Actor.system("test", origin="cli")
    organization = organization_create(actor=actor, name="Matriisi Oy", city="Tampere")
    person = person_create(
        actor=actor,
        first_name="Venla",
        last_name="Virtanen",
        email="venla.virtanen@testi.fi",
        organization=organization,
        allow_duplicate=True,  # every request gets its own Venla
    )
    other = person_create(actor=actor, first_name="Venla", last_name="Virtanen-Koski", allow_duplicate=True)
    request = request_create(
        actor=actor,
        type="access",
        channel="email",
        email="venla.virtanen@testi.fi",
        name="Venla Virtanen",
        verification="email_known_address",
    )
    mail = mail_enqueue(
        to="venla.virtanen@testi.fi", subject="Venla, vahvista pyyntösi", text="Hei Venla", kind="verify"
    )
    staff = make_staff(f"kohde.{uuid.uuid4().hex[:12]}", Role.SALES, date(2024, 1, 15))
    risk = Risk.objects.create(
        title="Uusi järjestelmä",
        description="Kuvaus",
        likelihood="low",
        impact="high",
        assessment="Arvio",
        decision="mitigate",
        owner=staff,
        review_on=date(2027, 1, 1),
    )
    # A course instance taught by the cast's trainer, with Venla enrolled.
    course = course_create(
        actor=actor,
        code=f"K-{uuid.uuid4().hex[:8]}",
        name_fi="Kurssi",
        name_en="Course",
        company=GroupCompany.objects.get(is_controller=True),
    )
    instance = instance_create(
        actor=actor,
        course=course,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 1, 2),
        trainers=["tiina.trainer"],
        online=True,
    )
    enrollment = enrollment_create(actor=actor, instance=instance, person=person, organization=organization)
    hold = hold_create(
        actor=actor, person=person, kind="legal_claim", reason="KO 1/2026", ends_on=date(2099, 1, 1)
    )
    return {
        "risk": str(risk.pk),
        "code": f"N-{uuid.uuid4().hex[:8]}",
        "course": course.code,
        "instance": str(instance.pk),
        "enrollment": str(enrollment.pk),
        "rule": str(RetentionRule.objects.get(code="ceiling").pk),
        # The notice's configuration: fresh rows, so the removing routes have one to remove.
        "purpose": str(Purpose.objects.create(slug=f"p-{uuid.uuid4().hex[:8]}", name_fi="T", name_en="P").pk),
        "company": str(GroupCompany.objects.create(name=f"Insta {uuid.uuid4().hex[:8]} Oy").pk),
        "recipient": str(
            Recipient.objects.create(
                kind="processor",
                name=f"Käsittelijä {uuid.uuid4().hex[:8]} Oy",
                service_fi="S",
                service_en="S",
            ).pk
        ),
        "hold": str(hold.pk),
        "notification": str(
            RecipientNotification.objects.create(
                person_id=person.pk, recipient_name="Insta ILS Oy", event="erasure", due_on=date(2030, 1, 1)
            ).pk
        ),
        "person": str(person.pk),
        "organization": str(organization.pk),
        "other": str(other.pk),
        "request": str(request.pk),
        "mail": str(mail.pk),
        "staff": str(staff.pk),
    }


def _ui_request(user, route: Route, targets: dict[str, str]):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    path = route.path.format(**targets)
    if route.method == "GET":
        return client.get(path)
    return client.post(path, route.body or {})


def _api_request(user, route: Route, targets: dict[str, str]):
    raw = token_create(actor=Actor.system("test", origin="cli"), user=user)[1]
    client = Client()
    path = route.path.format(**targets)
    headers = {"Authorization": f"Bearer {raw}"}
    if route.method == "GET":
        return client.get(path, headers=headers)
    body = route.body and {k: _filled(v, targets) for k, v in route.body.items()}
    body = json.dumps(body) if route.body is not None else ""
    return client.generic(route.method, path, body, content_type="application/json", headers=headers)


def _filled(value, targets: dict[str, str]):
    if not isinstance(value, str):
        return value
    filled = value.format(**targets)
    # An id placeholder alone ("{instance}") stands for a number where the target is one.
    return int(filled) if value.startswith("{") and filled.isdigit() else filled


def _check(cast, organization, route: Route, send: Callable):
    # A refused request changes nothing (the assertions below fail it otherwise), so every
    # refused request shares one set of targets, and so do all requests of a GET. A request of
    # a changing method that may pass gets its own set, so a destructive route leaves the next
    # role something to act on. Making a set costs a third of a request.
    shared = _fresh_targets(organization)

    def targets(may_pass: bool) -> dict[str, str]:
        return _fresh_targets(organization) if may_pass and route.method != "GET" else shared

    for attr, role in ROLE_OF.items():
        user = getattr(cast, attr)
        allowed = role in route.allowed
        response = send(user, route, targets(allowed))
        if allowed:
            assert response.status_code < 400 or response.status_code in (404, 409, 422), (
                f"{role} should reach {route.name}: {response.status_code}"
            )
            assert response.status_code not in (401, 403), f"{role} refused at {route.name}"
        else:
            assert response.status_code == 403, (
                f"{role} should be refused at {route.name}: {response.status_code}"
            )
    for attr in WITHOUT_ACCESS:
        user = getattr(cast, attr)
        response = send(user, route, targets(False))
        assert response.status_code in (302, 401, 403), f"{attr} got {response.status_code} at {route.name}"
        body = response.content.decode("utf-8", "replace")
        assert "Venla" not in body and "venla.virtanen" not in body, (
            f"{attr} saw personal data at {route.name}"
        )


@pytest.mark.parametrize("route", UI_ROUTES, ids=lambda r: r.name)
def test_ui_permission_matrix(cast, organization, route):
    _check(cast, organization, route, _ui_request)


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda r: r.name)
def test_api_permission_matrix(cast, organization, route):
    _check(cast, organization, route, _api_request)


def _url_names(patterns, prefix="") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _url_names(
                pattern.url_patterns, f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def test_every_route_is_in_the_matrix():
    # The second factor's pages belong to the login (rekisteri/security/tests/test_two_factor.py).
    # So do the written instructions, which every logged-in member reads before the gate
    # opens, with or without an NDA (rekisteri/governance/tests/test_instructions.py).
    login_flow = {"accounts:two_factor", "accounts:two_factor_setup", "web:instructions"}
    public = {"accounts:login", "accounts:logout", "set_language"} | PUBLIC_ROUTES | login_flow
    web = {name for name in _url_names(get_resolver().url_patterns) if name.startswith(("web:", "rights:"))}
    assert web - login_flow == {route.name for route in UI_ROUTES}
    assert not (
        _url_names(get_resolver().url_patterns)
        - web
        - public
        - {n for n in _url_names(get_resolver().url_patterns) if n.startswith("api:")}
    )
    schema = api.get_openapi_schema()
    operations = {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, methods in schema["paths"].items()
        for method in methods
    }
    assert operations == {route.name for route in API_ROUTES}
