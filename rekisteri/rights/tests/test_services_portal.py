"""Portal intake through the services: no enumeration, single-use expiring links, throttles,
ids-only audit events and requester values encrypted at rest."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from rekisteri.audit.models import AuditEvent, AuditSubject
from rekisteri.outbox.tests.helpers import deliver_outbox
from rekisteri.rights.models import (
    DataSubjectRequest,
    PortalThrottle,
    Status,
    Verification,
    VerificationLink,
)
from rekisteri.rights.services import (
    LinkInvalid,
    PortalThrottled,
    link_use,
    portal_submit,
    portal_verify,
    verification_link_create,
)

pytestmark = pytest.mark.django_db

KNOWN = "anna.virtanen@testi.fi"  # the `person` fixture's address
UNKNOWN = "ei.rekisterissa@example.fi"
DETAILS = "Haluan nähdä kaikki tietoni, myös puhelumuistiinpanot."
LINK = re.compile(r"/portal/verify/([A-Za-z0-9_\-]+)/")


def _submit(email: str, *, client: str = "198.51.100.7", type: str = "access", **kwargs):
    return portal_submit(type=type, email=email, details=DETAILS, client=client, **kwargs)


def _token(message) -> str:
    return LINK.search(message.body).group(1)


def _normalized(message, request, email: str) -> tuple[str, str, str, list[str]]:
    """The mail with what legitimately differs (reference, token, address) blanked out."""

    def blank(text: str) -> str:
        return LINK.sub(
            "/portal/verify/TOKEN/", text.replace(request.reference, "REF").replace(email, "ADDR")
        )

    html = message.alternatives[0][0] if message.alternatives else ""
    return blank(message.subject), blank(message.body), blank(html), [blank(to) for to in message.to]


def _side_effects(email: str) -> dict:
    mail.outbox.clear()
    events_before = AuditEvent.objects.count()
    request = _submit(email)
    request.refresh_from_db()
    return {
        "request": request,
        "mails": [_normalized(message, request, email) for message in deliver_outbox()],
        "status": request.status,
        "links": list(request.verification_links.values_list("purpose", flat=True)),
        "audit": list(
            AuditEvent.objects.filter(seq__gt=events_before)
            .order_by("seq")
            .values_list("action", "object_type", "origin", "detail")
        ),
    }


def test_a_known_and_an_unknown_address_get_identical_treatment(person):
    known = _side_effects(KNOWN)
    unknown = _side_effects(UNKNOWN)
    assert len(known["mails"]) == len(unknown["mails"]) == 1
    assert known["mails"] == unknown["mails"]  # same template, same text, same recipient shape
    assert known["status"] == unknown["status"] == Status.AWAITING_VERIFICATION
    assert known["links"] == unknown["links"] == ["verify"]
    assert known["audit"] == unknown["audit"]
    # No difference at all: the person is looked for only once the address is verified.
    assert known["request"].person_id is None
    assert unknown["request"].person_id is None


def test_the_link_goes_to_the_given_address_only(person):
    request = _submit(KNOWN)
    assert [message.to for message in deliver_outbox()] == [[KNOWN]]
    assert request.requester_email == KNOWN
    assert request.channel == "portal"
    assert request.verification == ""


def test_the_mail_is_in_the_requesters_language(person):
    _submit(UNKNOWN, language="en")
    _submit("toinen@example.fi", language="fi")
    english, finnish = deliver_outbox()
    assert "Confirm your data protection request" in english.subject
    assert english.subject != finnish.subject


def test_a_malformed_address_is_refused_before_anything_is_written():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        _submit("no-at-sign")
    assert "email" in excinfo.value.message_dict
    assert not DataSubjectRequest.objects.exists()
    assert not PortalThrottle.objects.exists()
    assert deliver_outbox() == []


# --- the verification link -------------------------------------------------------------------------


def test_the_link_verifies_the_request_once(person):
    request = _submit(KNOWN)
    token = _token(deliver_outbox()[0])
    verified = portal_verify(token=token)
    assert verified.pk == request.pk
    request.refresh_from_db()
    assert request.status == Status.NEW
    assert request.verification == Verification.PORTAL_LINK
    assert request.verified_at is not None
    with pytest.raises(LinkInvalid):
        portal_verify(token=token)
    assert VerificationLink.objects.get(request=request).used_at is not None


def test_the_link_expires_after_the_configured_hours(settings):
    settings.PORTAL_LINK_HOURS = 2
    before = timezone.now()
    request = _submit(UNKNOWN)
    link = VerificationLink.objects.get(request=request)
    assert before + timedelta(hours=2) <= link.expires_at <= timezone.now() + timedelta(hours=2)
    token = _token(deliver_outbox()[0])
    # Two hours later, to the second.
    VerificationLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(LinkInvalid):
        portal_verify(token=token)
    request.refresh_from_db()
    assert request.status == Status.AWAITING_VERIFICATION
    assert request.verified_at is None


def test_the_default_link_lasts_24_hours():
    request = _submit(UNKNOWN)
    link = VerificationLink.objects.get(request=request)
    assert (
        timedelta(hours=23, minutes=59) < link.expires_at - link.created_at <= timedelta(hours=24, seconds=1)
    )


@pytest.mark.parametrize("token", ["", "x" * 101, "not-a-token", "ä-unicode"])
def test_an_unknown_or_malformed_token_is_invalid(token):
    _submit(UNKNOWN)
    with pytest.raises(LinkInvalid):
        link_use(token=token, purpose="verify")


def test_a_link_works_only_for_its_own_purpose():
    request = _submit(UNKNOWN)
    token = verification_link_create(request=request, purpose="download", hours=1)
    with pytest.raises(LinkInvalid):
        link_use(token=token, purpose="verify")
    assert link_use(token=token, purpose="download", consume=False).pk == request.pk
    assert link_use(token=token, purpose="download").pk == request.pk
    with pytest.raises(LinkInvalid):
        link_use(token=token, purpose="download")


def test_only_the_hash_of_the_token_is_stored():
    request = _submit(UNKNOWN)
    token = _token(deliver_outbox()[0])
    link = VerificationLink.objects.get(request=request)
    assert token not in link.token_hash
    assert len(link.token_hash) == 64


# --- throttling ------------------------------------------------------------------------------------


def test_submissions_per_address_are_limited(settings):
    settings.PORTAL_LIMIT_PER_ADDRESS = 2
    settings.PORTAL_LIMIT_PER_CLIENT = 100
    _submit(UNKNOWN, client="203.0.113.1")
    _submit(UNKNOWN.upper(), client="203.0.113.2")  # another client, the same address in capitals
    with pytest.raises(PortalThrottled):
        _submit(UNKNOWN, client="203.0.113.3")
    assert DataSubjectRequest.objects.count() == 2
    assert len(deliver_outbox()) == 2
    _submit("toinen@example.fi", client="203.0.113.3")  # other addresses are unaffected
    assert DataSubjectRequest.objects.count() == 3


def test_submissions_per_client_are_limited(settings):
    settings.PORTAL_LIMIT_PER_ADDRESS = 100
    settings.PORTAL_LIMIT_PER_CLIENT = 3
    for number in range(3):
        _submit(f"henkilo{number}@example.fi", client="192.0.2.9")
    with pytest.raises(PortalThrottled):
        _submit("henkilo9@example.fi", client="192.0.2.9")
    assert DataSubjectRequest.objects.count() == 3
    assert len(deliver_outbox()) == 3
    _submit("henkilo9@example.fi", client="192.0.2.10")  # another client is unaffected
    assert DataSubjectRequest.objects.count() == 4


def test_a_known_address_is_throttled_exactly_like_an_unknown_one(settings, person):
    settings.PORTAL_LIMIT_PER_ADDRESS = 1
    for address in (KNOWN, UNKNOWN):
        _submit(address)
        with pytest.raises(PortalThrottled):
            _submit(address)


def test_the_throttle_table_holds_no_addresses_or_clients(settings):
    _submit(UNKNOWN, client="198.51.100.77")
    keys = " ".join(PortalThrottle.objects.values_list("key", flat=True))
    assert "ei.rekisterissa" not in keys and "example.fi" not in keys and "198.51.100.77" not in keys


# --- ids only in the audit trail, values encrypted at rest ------------------------------------------


def _all_audit_text() -> str:
    parts = []
    for event in AuditEvent.objects.all():
        parts.extend(str(getattr(event, field.attname)) for field in AuditEvent._meta.concrete_fields)
    parts.extend(str(subject.person_id) for subject in AuditSubject.objects.all())
    return "\n".join(parts)


def test_audit_events_hold_ids_only(person):
    request = _submit(KNOWN)
    portal_verify(token=_token(deliver_outbox()[0]))
    text = _all_audit_text()
    assert str(request.pk) in text
    for value in (KNOWN, "anna.virtanen", "testi.fi", DETAILS, "puhelumuistiinpanot"):
        assert value not in text


def _raw_columns(request, *columns: str) -> list[bytes]:
    table = DataSubjectRequest._meta.db_table
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {table} WHERE id = %s", [request.pk.hex])
        row = cursor.fetchone()
        if row is None:  # PostgreSQL stores the UUID natively
            cursor.execute(f"SELECT {names} FROM {table} WHERE id = %s", [request.pk])
            row = cursor.fetchone()
    return [bytes(value) for value in row]


def test_requester_values_are_encrypted_at_rest(person):
    request = _submit(KNOWN)
    email_bytes, details_bytes = _raw_columns(request, "requester_email", "details")
    assert email_bytes and details_bytes
    for stored in (email_bytes, details_bytes):
        assert KNOWN.encode() not in stored
        assert b"anna.virtanen" not in stored
        assert DETAILS.encode() not in stored
        assert b"tietoni" not in stored
    # ... and read back as plain text through the model.
    request = DataSubjectRequest.objects.get(pk=request.pk)
    assert request.requester_email == KNOWN
    assert request.details == DETAILS
