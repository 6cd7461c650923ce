"""Readable names for the codes the audit trail stores: actions, object types, origins, actors.

The trail keeps short, stable codes (they are hashed into the chain and must never change);
every page that shows an event shows these labels instead, in the reader's language. A code
missing here would show up raw, which tests/test_no_raw_codes.py catches for every code the
source writes.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext, pgettext, pgettext_lazy


class AuditAction(models.TextChoices):
    VIEW = "view", pgettext_lazy("audit action", "Viewing")
    SEARCH = "search", pgettext_lazy("audit action", "Search")
    LIST = "list", pgettext_lazy("audit action", "Listing")
    CREATE = "create", pgettext_lazy("audit action", "Creation")
    CHANGE = "change", pgettext_lazy("audit action", "Change")
    DELETE = "delete", pgettext_lazy("audit action", "Deletion")
    EXPORT = "export", pgettext_lazy("audit action", "Export")
    DENIED = "denied", pgettext_lazy("audit action", "Access refused")
    DISCLOSE = "disclose", pgettext_lazy("audit action", "Disclosure")
    TAMPER_DETECTED = "tamper_detected", pgettext_lazy("audit action", "Tampering detected")
    # Erasure (Art. 17) and its replay after a restore from backup.
    ERASE = "erase", pgettext_lazy("audit action", "Erasure")
    ERASE_EVIDENCE = "erase_evidence", pgettext_lazy("audit action", "Evidence of an erasure")
    ERASE_REPLAYED = "erase_replayed", pgettext_lazy("audit action", "Erasure repeated after a restore")
    BACKUP = "backup", pgettext_lazy("audit action", "Register backup")
    BACKUP_KEYS = "backup_keys", pgettext_lazy("audit action", "Key store backup")
    RESTORE = "restore", pgettext_lazy("audit action", "Register restored from a backup")
    RESTORE_KEYS = "restore_keys", pgettext_lazy("audit action", "Key store restored from a backup")
    # Data-subject requests (section 8) and their fulfilment.
    VERIFY = "verify", pgettext_lazy("audit action", "Identity check")
    EXTEND = "extend", pgettext_lazy("audit action", "Deadline extension")
    REFUSE = "refuse", pgettext_lazy("audit action", "Refusal")
    WITHDRAW = "withdraw", pgettext_lazy("audit action", "Withdrawal")
    FULFIL = "fulfil", pgettext_lazy("audit action", "Fulfilment")
    DIGEST = "digest", pgettext_lazy("audit action", "Deadline digest")
    RECTIFY = "rectify", pgettext_lazy("audit action", "Rectification")
    RESTRICT = "restrict", pgettext_lazy("audit action", "Restriction of processing")
    RESTRICTION_LIFT = "restriction_lift", pgettext_lazy("audit action", "Restriction lifted")
    MARKETING_OBJECTION = (
        "marketing_objection",
        pgettext_lazy("audit action", "Objection to direct marketing"),
    )
    OBJECTION = "objection", pgettext_lazy("audit action", "Objection")
    OBJECTION_DECIDE = "objection_decide", pgettext_lazy("audit action", "Objection decided")
    CONSENT_WITHDRAW = "consent_withdraw", pgettext_lazy("audit action", "Consent withdrawn")
    MERGE = "merge", pgettext_lazy("audit action", "Records of one person merged")
    # Retention (section 7).
    RETENTION_SWEEP = "retention_sweep", pgettext_lazy("audit action", "Retention sweep")
    CONFIRM = "confirm", pgettext_lazy("audit action", "Confirmation")
    RELEASE = "release", pgettext_lazy("audit action", "Release")
    COMPLETE = "complete", pgettext_lazy("audit action", "Completed")
    OVERRIDE = "override", pgettext_lazy("audit action", "Override of an obligation to keep")
    # The outbox.
    RESEND = "resend", pgettext_lazy("audit action", "Mail sent again")
    DELIVERY_FAILED = "delivery_failed", pgettext_lazy("audit action", "Mail could not be delivered")
    # Consent and e-marketing.
    SUBSCRIBE = "subscribe", pgettext_lazy("audit action", "Subscription to a newsletter")
    UNSUBSCRIBE = "unsubscribe", pgettext_lazy("audit action", "Unsubscription from a newsletter")
    SUPPRESS = "suppress", pgettext_lazy("audit action", "Address added to the suppression list")
    SEND = "send", pgettext_lazy("audit action", "Campaign sent")
    CAMPAIGN_STATE = "campaign_state", pgettext_lazy("audit action", "Campaign paused, resumed or cancelled")
    # Staff accounts.
    PASSWORD_CHANGE = "password_change", pgettext_lazy("audit action", "Password change")
    PASSWORD_RESET = "password_reset", pgettext_lazy("audit action", "Password reset")
    SESSIONS_END = "sessions_end", pgettext_lazy("audit action", "Sessions ended")
    DEACTIVATE = "deactivate", pgettext_lazy("audit action", "Account deactivated")
    LOGIN_GUESSING = "login_guessing", pgettext_lazy("audit action", "Password guessing alerted")
    TWO_FACTOR_ENROL_START = (
        "two_factor_enrol_start",
        pgettext_lazy("audit action", "Two-factor set-up begun"),
    )
    TWO_FACTOR_ENROL = "two_factor_enrol", pgettext_lazy("audit action", "Two-factor login set up")
    TWO_FACTOR_VERIFY = "two_factor_verify", pgettext_lazy("audit action", "Second factor given")
    TWO_FACTOR_FAILED = "two_factor_failed", pgettext_lazy("audit action", "Wrong second factor")
    TWO_FACTOR_RESET = "two_factor_reset", pgettext_lazy("audit action", "Second factor reset")
    BACKUP_CODES_NEW = "backup_codes_new", pgettext_lazy("audit action", "New backup codes")
    # Section 11's organisational measures.
    REMIND = "remind", pgettext_lazy("audit action", "Reminder of the access review")
    # Art. 14: the worker's daily run informing everyone owed the source information.
    INFORM_DUE = "inform_due", pgettext_lazy("audit action", "Source information sent to everyone due")
    # Section 11's organisational measures.
    ACKNOWLEDGE = "acknowledge", pgettext_lazy("audit action", "Instructions acknowledged")
    REVIEW = "review", pgettext_lazy("audit action", "Access review done")


class AuditObjectType(models.TextChoices):
    PERSON = "person", pgettext_lazy("audit object", "Person")
    ORGANIZATION = "organization", pgettext_lazy("audit object", "Organization")
    INTERACTION = "interaction", pgettext_lazy("audit object", "Interaction")
    TRACKING_EVENT = "tracking_event", pgettext_lazy("audit object", "Tracking event")
    PROCESSING_BASIS = "processing_basis", pgettext_lazy("audit object", "Legal basis")
    # The configuration the privacy notice states (sections 2 and 6).
    PURPOSE = "purpose", pgettext_lazy("audit object", "Purpose of processing")
    RECIPIENT = "recipient", pgettext_lazy("audit object", "Recipient of data")
    DATA_SOURCE = "data_source", pgettext_lazy("audit object", "Data source")
    DISCLOSURE = "disclosure", pgettext_lazy("audit object", "Disclosure")
    RIGHTS_REQUEST = "rights_request", pgettext_lazy("audit object", "Data-subject request")
    RECTIFICATION = "rectification", pgettext_lazy("audit object", "Rectification record")
    OBJECTION_DECISION = "objection_decision", pgettext_lazy("audit object", "Objection decision")
    STAFF = "staff", pgettext_lazy("audit object", "Staff member")
    API_TOKEN = "api_token", pgettext_lazy("audit object", "API token")
    STAFF_INSTRUCTION = "staff_instruction", pgettext_lazy("audit object", "Staff instructions")
    ACCESS_REVIEW = "access_review", pgettext_lazy("audit object", "Access review")
    RISK = "risk", pgettext_lazy("audit object", "Risk register entry")
    AUDIT_EVENT = "audit_event", pgettext_lazy("audit object", "Audit trail")
    REGISTER = "register", pgettext_lazy("audit object", "Register")
    KEYSTORE = "keystore", pgettext_lazy("audit object", "Key store")
    # A tampering report names the table whose ciphertext failed to authenticate.
    TABLE_PERSON = "people_person", pgettext_lazy("audit object", "Encrypted values of a person")
    TABLE_INTERACTION = (
        "contacts_interaction",
        pgettext_lazy("audit object", "Encrypted values of an interaction"),
    )
    TABLE_TRACKING_EVENT = (
        "contacts_trackingevent",
        pgettext_lazy("audit object", "Encrypted values of a tracking event"),
    )
    TABLE_PROCESSING_BASIS = (
        "privacy_processingbasis",
        pgettext_lazy("audit object", "Encrypted values of a legal basis"),
    )
    TABLE_DATA_SOURCE = (
        "privacy_datasource",
        pgettext_lazy("audit object", "Encrypted values of a data source"),
    )
    TABLE_RECTIFICATION = (
        "privacy_rectification",
        pgettext_lazy("audit object", "Encrypted values of a rectification record"),
    )
    TABLE_REQUEST = (
        "rights_datasubjectrequest",
        pgettext_lazy("audit object", "Encrypted values of a data-subject request"),
    )
    TABLE_OBJECTION_DECISION = (
        "rights_objectiondecision",
        pgettext_lazy("audit object", "Encrypted values of an objection decision"),
    )
    TABLE_REQUEST_ANSWER = (
        "rights_requestanswer",
        pgettext_lazy("audit object", "Encrypted answer to a data-subject request"),
    )
    RETENTION_RULE = "retention_rule", pgettext_lazy("audit object", "Retention rule")
    LEGAL_HOLD = "legal_hold", pgettext_lazy("audit object", "Legal hold")
    RECIPIENT_NOTIFICATION = (
        "recipient_notification",
        pgettext_lazy("audit object", "Notification of a recipient (Art. 19)"),
    )
    DELETION_OVERRIDE = "deletion_override", pgettext_lazy("audit object", "Deletion despite an obligation")
    ERASURE_RECORD = "erasure_record", pgettext_lazy("audit object", "Proof of an erasure")
    RETENTION_RUN = "retention_run", pgettext_lazy("audit object", "Retention sweep report")
    MAIL = "mail", pgettext_lazy("audit object", "Mail")
    # The student register (training).
    COURSE = "course", pgettext_lazy("audit object", "Course")
    COURSE_INSTANCE = "course_instance", pgettext_lazy("audit object", "Course instance")
    ENROLLMENT = "enrollment", pgettext_lazy("audit object", "Enrollment")
    RESULT = "result", pgettext_lazy("audit object", "Course result")
    CERTIFICATE = "certificate", pgettext_lazy("audit object", "Certificate")
    DISCLOSURE_PERMISSION = (
        "disclosure_permission",
        pgettext_lazy("audit object", "Permission to disclose training data"),
    )
    TRAINING_REPORT = "training_report", pgettext_lazy("audit object", "Training report")
    TRAINING_RESULTS = "training_results", pgettext_lazy("audit object", "A student's own training results")
    TRAINING_PORTAL_LINK = (
        "training_portal_link",
        pgettext_lazy("audit object", "Link to a student's own training results"),
    )
    TABLE_RESULT = "training_result", pgettext_lazy("audit object", "Encrypted values of a course result")
    TABLE_RESULT_CHANGE = (
        "training_resultchange",
        pgettext_lazy("audit object", "Encrypted values of a grade change"),
    )
    TABLE_CERTIFICATE = (
        "training_certificate",
        pgettext_lazy("audit object", "Encrypted values of a certificate"),
    )
    TABLE_DISCLOSURE_PERMISSION = (
        "training_disclosurepermission",
        pgettext_lazy("audit object", "Encrypted values of a permission to disclose"),
    )
    MARKETING_TOPIC = "marketing_topic", pgettext_lazy("audit object", "Newsletter list")
    CONSENT_WORDING = "consent_wording", pgettext_lazy("audit object", "Consent wording")
    CONSENT = "consent", pgettext_lazy("audit object", "Consent")
    ROLE_RELEVANCE = "role_relevance", pgettext_lazy("audit object", "Topic relevant to the work role")
    SUBSCRIPTION = "subscription", pgettext_lazy("audit object", "Newsletter subscription")
    SUPPRESSION = "suppression", pgettext_lazy("audit object", "Suppression list")
    CAMPAIGN = "campaign", pgettext_lazy("audit object", "Campaign")
    TABLE_CONSENT = "marketing_consent", pgettext_lazy("audit object", "Encrypted values of a consent")
    TABLE_ROLE_RELEVANCE = (
        "marketing_rolerelevance",
        pgettext_lazy("audit object", "Encrypted values of a role relevance"),
    )
    TABLE_SIGNUP = (
        "marketing_signup",
        pgettext_lazy("audit object", "Encrypted values of a newsletter sign-up"),
    )
    TABLE_MAIL = "outbox_outgoingmail", pgettext_lazy("audit object", "Encrypted values of a mail")
    TABLE_MAILBOX = "outbox_mailbox", pgettext_lazy("audit object", "A mail in the local mailbox")
    TABLE_MAIL_ATTACHMENT = (
        "outbox_mailattachment",
        pgettext_lazy("audit object", "Encrypted values of a mail's attachment"),
    )
    WRAPPED_KEY = "wrapped-key", pgettext_lazy("audit object", "Wrapped data key")
    # The privacy notice: the controller's details, the notice's own settings, its versions.
    GROUP_COMPANY = "group_company", pgettext_lazy("audit object", "Controller or group company")
    NOTICE_SETTINGS = "notice_settings", pgettext_lazy("audit object", "Privacy notice settings")
    NOTICE_VERSION = "notice_version", pgettext_lazy("audit object", "Privacy notice version")
    SOURCE_INFORMATION = (
        "source_information",
        pgettext_lazy("audit object", "Information on the source of the data (Art. 14)"),
    )
    UNKNOWN = "unknown", pgettext_lazy("audit object", "Unknown object")


class Origin(models.TextChoices):
    UI = "ui", pgettext_lazy("audit origin", "Staff pages")
    API = "api", pgettext_lazy("audit origin", "REST API")
    CLI = "cli", pgettext_lazy("audit origin", "Command line")
    TASK = "task", pgettext_lazy("audit origin", "Background task")
    PORTAL = "portal", pgettext_lazy("audit origin", "Self-service portal")
    SYSTEM = "system", pgettext_lazy("audit origin", "System")


# Background tasks by the name in their actor label ("task:<name>").
TASK_NAMES = {
    "dsr_digest": pgettext_lazy("audit task", "daily digest of request deadlines"),
    "outbox": pgettext_lazy("audit task", "delivery of mail"),
    "notice_announce": pgettext_lazy("audit task", "announcement of a privacy notice change"),
    "campaign": pgettext_lazy("audit task", "sending of a campaign"),
    "access_review_reminder": pgettext_lazy("audit task", "reminder of the quarterly access review"),
    "source_information": pgettext_lazy("audit task", "daily Art. 14 information to everyone due"),
    "retention_sweep": pgettext_lazy("audit task", "scheduled retention sweep"),
    "erasure_scan": pgettext_lazy("audit task", "byte scan completing the proofs of erasure"),
}

_ACTIONS = dict(AuditAction.choices)
_OBJECT_TYPES = dict(AuditObjectType.choices)
_ORIGINS = dict(Origin.choices)


def action_label(code: str) -> str:
    return str(_ACTIONS.get(code) or pgettext("audit action", "Other action"))


def object_type_label(code: str) -> str:
    return str(_OBJECT_TYPES.get(code) or pgettext("audit object", "Other object"))


def origin_label(code: str) -> str:
    return str(_ORIGINS.get(code) or pgettext("audit origin", "Other"))


def system_actor_label(label: str, origin: str) -> str:
    """Who acted when no staff member did, from the event's non-personal actor label.

    "cli:<command>" names the command that was run (`rekisteri <command>`, as typed);
    "task:<name>" a background task; "portal" the requester in the self-service portal.
    """
    kind, _, name = label.partition(":")
    if kind == "cli" and name:
        return gettext("Command line: rekisteri %(command)s") % {"command": name}
    if kind == "task":
        task = TASK_NAMES.get(name)
        if task is not None:
            return gettext("Background task: %(task)s") % {"task": task}
        return origin_label(Origin.TASK)
    if label == "portal":
        return gettext("The requester in the self-service portal")
    if label == "anonymous":
        return gettext("A visitor who was not logged in")
    return origin_label(origin)
