"""The request register: intake, verification, deadlines, the state machine, refusals.

Fulfilment of each right lives in fulfilment.py. Every change is audited (ids only).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.errors import ServiceError, choose_one, from_lib_error, too_long
from rekisteri.keystore.services import create_keys
from rekisteri.lib.deadlines import ExtensionRefused, check_extension, response_due
from rekisteri.lib.normalize import NormalizationError, normalize_email
from rekisteri.rights.mail import queue_templated_mail, request_mails_follow
from rekisteri.rights.models import (
    CLOSED_STATUSES,
    Channel,
    DataSubjectRequest,
    PortalThrottle,
    RefusalKind,
    RequestType,
    Status,
    Verification,
    VerificationLink,
)

# The state machine. Closed states are final.
TRANSITIONS: dict[str, set[str]] = {
    Status.AWAITING_VERIFICATION: {Status.NEW, Status.REFUSED, Status.WITHDRAWN},
    Status.NEW: {
        Status.IN_PROGRESS,
        Status.FULFILLED,
        Status.REFUSED,
        Status.WITHDRAWN,
        Status.AWAITING_VERIFICATION,
    },
    Status.IN_PROGRESS: {Status.FULFILLED, Status.REFUSED, Status.WITHDRAWN},
    Status.FULFILLED: set(),
    Status.REFUSED: set(),
    Status.WITHDRAWN: set(),
}
VERIFIED = {
    Verification.PORTAL_LINK,
    Verification.EMAIL_FROM_KNOWN_ADDRESS,
    Verification.PHONE_CALLBACK,
    Verification.ID_DOCUMENT,
    Verification.IN_PERSON,
}
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class TransitionRefused(ValidationError):
    """The request cannot move to that state; the message says why."""


def request_closed() -> ServiceError:
    return ServiceError(_("The request is closed."), code="request.closed")


class PortalThrottled(Exception):
    """Too many portal submissions for this address or client; try again later."""


def _audit(actor: Actor, request: DataSubjectRequest, action: str, **detail) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="rights_request",
        object_ids=[request.pk],
        person_ids=[request.person_id] if request.person_id else [],
        purpose="rights_and_obligations",
        detail={"type": request.type, "status": request.status, **detail},
    )


def _new_reference() -> str:
    return "PR-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _match_person(email: str):
    """The one person whose e-mail is this address, or None (none, or ambiguous)."""
    from rekisteri.people.selectors import person_ids_matching_email

    ids = person_ids_matching_email(email) if email else []
    return ids[0] if len(ids) == 1 else None


def request_create(
    *,
    actor: Actor,
    type: str,
    channel: str,
    email: str = "",
    name: str = "",
    details: str = "",
    received_on: date | None = None,
    language: str = "fi",
    verification: str = "",
    verification_note: str = "",
    person_id=None,
) -> DataSubjectRequest:
    """Register a request. Staff record how identity was verified, or leave it pending."""
    errors: dict[str, ValidationError] = {}
    if type not in RequestType.values:
        errors["type"] = choose_one(RequestType.values)
    if channel not in Channel.values:
        errors["channel"] = choose_one(Channel.values)
    normalized = ""
    if email:
        try:
            normalized = normalize_email(email)
        except NormalizationError as exc:
            errors["email"] = from_lib_error(exc)
    elif channel in (Channel.EMAIL, Channel.PORTAL):
        errors["email"] = ServiceError(
            _("A request that came electronically needs the requester's e-mail address."),
            code="request.email_required",
        )
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        errors["received_on"] = ServiceError(
            _("A request cannot be received in the future."), code="request.received_in_future"
        )
    if verification not in Verification.values:
        errors["verification"] = choose_one(v for v in Verification.values if v)
    if language not in dict(settings.LANGUAGES):
        errors["language"] = ServiceError(_("Choose fi or en."), code="field.language")
    for field, value, limit in (
        ("name", name, 200),
        ("details", details, 5000),
        ("verification_note", verification_note, 1000),
    ):
        if len(value) > limit:
            errors[field] = too_long(limit)
    if errors:
        raise ValidationError(errors)
    status = Status.NEW if verification in VERIFIED else Status.AWAITING_VERIFICATION
    if verification == Verification.FAILED:
        status = Status.AWAITING_VERIFICATION
    now = timezone.now()
    request_id = uuid.uuid4()
    # The request's own data key, for the requester's values: made before the row that uses it.
    create_keys([request_id])
    with transaction.atomic():
        for _attempt in range(5):
            try:
                with transaction.atomic():
                    request = DataSubjectRequest.objects.create(
                        id=request_id,
                        reference=_new_reference(),
                        type=type,
                        channel=channel,
                        language=language,
                        received_on=received_on,
                        # Only the portal knows the moment; staff enter the day it came.
                        received_at=now if actor.origin == "portal" else None,
                        requester_email=normalized,
                        requester_name=name.strip(),
                        details=details.strip(),
                        # A portal request is answered alike, and as fast, whether or not its
                        # address is in the register: the person is looked for only once the
                        # address is verified (portal_verify), never while the visitor waits.
                        person_id=person_id
                        or (
                            None
                            if channel == Channel.PORTAL and status != Status.NEW
                            else _match_person(normalized)
                        ),
                        status=status,
                        verification=verification,
                        verified_at=now if verification in VERIFIED else None,
                        verification_note=verification_note.strip(),
                        due_on=response_due(received_on),
                    )
                break
            except IntegrityError:
                continue  # a reference collision: draw another
        else:
            raise RuntimeError("could not allocate a request reference")
        _audit(actor, request, "create", channel=channel, verified=verification in VERIFIED)
    return request


def _transition(request: DataSubjectRequest, to: str) -> None:
    if to not in TRANSITIONS[request.status]:
        raise TransitionRefused(
            {
                "status": ServiceError(
                    _("A request that is “%(current)s” cannot become “%(target)s”."),
                    code="request.transition",
                    params={"current": Status(request.status).label, "target": Status(to).label},
                )
            }
        )
    request.status = to
    if to in CLOSED_STATUSES:
        request.closed_at = timezone.now()
    request.updated_at = timezone.now()


def request_verify(
    *, actor: Actor, request: DataSubjectRequest, method: str, note: str = ""
) -> DataSubjectRequest:
    """Record how the requester's identity was checked (section 8: we must identify you)."""
    if method not in Verification.values or not method:
        raise ServiceError(
            _("Choose how the identity was verified."),
            code="request.verification_required",
            field="verification",
        )
    with transaction.atomic():
        request = lock_open_request(request)
        # Verified once is verified: a second check would only overwrite how and when the
        # first was done. A check later found wrong can still be recorded as failed.
        if method in VERIFIED and request.verification in VERIFIED:
            raise TransitionRefused(
                {
                    "verification": ServiceError(
                        _("The requester's identity is already verified."), code="request.already_verified"
                    )
                }
            )
        request.verification = method
        request.verification_note = note.strip()[:1000]
        if method in VERIFIED:
            request.verified_at = timezone.now()
            if request.status == Status.AWAITING_VERIFICATION:
                _transition(request, Status.NEW)
        else:
            request.verified_at = None
        request.updated_at = timezone.now()
        request.save()
        _audit(actor, request, "verify", method=method)
    return request


def lock_open_request(
    request: DataSubjectRequest, closed_message: ValidationError | None = None
) -> DataSubjectRequest:
    """The request re-read under its row lock and checked open (call inside a transaction)."""
    request = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
    if not request.is_open:
        raise TransitionRefused({"status": closed_message or request_closed()})
    return request


def request_assign(*, actor: Actor, request: DataSubjectRequest, assignee) -> DataSubjectRequest:
    with transaction.atomic():
        request = lock_open_request(request)
        request.assignee = assignee
        request.updated_at = timezone.now()
        request.save(update_fields=["assignee", "updated_at"])
        _audit(actor, request, "change", fields=["assignee"])
    return request


def request_start(*, actor: Actor, request: DataSubjectRequest) -> DataSubjectRequest:
    with transaction.atomic():
        _require_verified(request)
        _transition(request, Status.IN_PROGRESS)
        request.save()
        _audit(actor, request, "change", fields=["status"])
    return request


def _require_verified(request: DataSubjectRequest) -> None:
    if request.verification not in VERIFIED:
        raise TransitionRefused(
            {
                "verification": ServiceError(
                    _("The requester's identity must be verified before the request is acted on."),
                    code="request.not_verified",
                )
            }
        )


def request_extend(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    months: int,
    reason: str,
    notified_on: date,
    notified_via: str,
    mail_requester: bool = False,
) -> DataSubjectRequest:
    """Extend the deadline (Art. 12(3)): at most two further months, told with reasons in the first month.

    `mail_requester`: the register tells the requester now, by mail (queued with the
    extension); otherwise `notified_on`/`notified_via` record how they were told.
    """
    if mail_requester and notified_via != Channel.EMAIL:
        raise ServiceError(
            _("The register tells the requester by e-mail: choose e-mail."),
            code="extension.mail_needs_email",
            field="notified_via",
        )
    if notified_via not in Channel.values:
        raise ValidationError({"notified_via": choose_one(Channel.values)})
    if notified_on > timezone.localdate():
        raise ServiceError(
            _("The requester cannot have been told in the future."),
            code="extension.told_in_future",
            field="notified_on",
        )
    with transaction.atomic():
        request = lock_open_request(
            request, ServiceError(_("A closed request cannot be extended."), code="extension.request_closed")
        )
        try:
            extension = check_extension(
                received=request.received_on,
                months=months,
                reason=reason,
                notified_on=notified_on,
                already_extended_months=request.extension_months,
            )
        except ExtensionRefused as exc:
            raise ValidationError({"extension": from_lib_error(exc)}) from None
        request.extension_months += extension.months
        previous = request.extension_reason
        request.extension_reason = f"{previous}\n{extension.reason}".strip() if previous else extension.reason
        request.extension_notified_on = extension.notified_on
        request.extension_notified_via = notified_via
        request.due_on = extension.due
        request.updated_at = timezone.now()
        request.save()
        _audit(actor, request, "extend", months=extension.months, notified_via=notified_via)
        if mail_requester:
            if not request.requester_email:
                raise ServiceError(
                    _("The request has no e-mail address to write to."),
                    code="request.no_email",
                    field="notified_via",
                )
            queue_templated_mail(
                to=request.requester_email,
                template="extended",
                context={"request": request, "reason": extension.reason, "due_on": request.due_on},
                language=request.language,
                request=request,
                created_by=actor.user,
            )
    return request


def request_refuse(
    *,
    actor: Actor,
    request: DataSubjectRequest,
    kind: str,
    reason: str,
    notify: bool = True,
) -> DataSubjectRequest:
    """Refuse with reasons; the requester is told them with the complaint route (Art. 12(4))."""
    if kind not in RefusalKind.values:
        raise ValidationError({"refusal_kind": choose_one(RefusalKind.values)})
    if not reason or not reason.strip():
        raise ServiceError(
            _("A refusal needs its reasons; they are sent to the requester."),
            code="refusal.reason_required",
            field="reason",
        )
    with transaction.atomic():
        request = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        _transition(request, Status.REFUSED)
        request.refusal_kind = kind
        request.decision = reason.strip()[:5000]
        request.response_channel = Channel.EMAIL if request.requester_email else Channel.LETTER
        request.save()
        _audit(actor, request, "refuse", refusal_kind=kind)
        if notify and request.requester_email:
            # In this transaction: the refusal and the mail telling its reasons stand together.
            queue_templated_mail(
                to=request.requester_email,
                template="refused",
                context={"request": request, "reason": request.decision},
                language=request.language,
                request=request,
                created_by=actor.user,
            )
    return request


def request_charge_fee(
    *, actor: Actor, request: DataSubjectRequest, cents: int, reason: str
) -> DataSubjectRequest:
    """Record a reasonable fee for a manifestly unfounded or excessive request (Art. 12(5))."""
    if cents <= 0 or cents > 100_000:
        raise ServiceError(
            _("The fee is a positive amount of at most 1,000 euros."), code="fee.amount", field="fee"
        )
    if not reason.strip():
        raise ServiceError(
            _("A fee needs its reasons (Art. 12(5))."), code="fee.reason_required", field="fee_reason"
        )
    with transaction.atomic():
        request = lock_open_request(request)
        request.fee_cents = cents
        request.fee_reason = reason.strip()[:1000]
        request.updated_at = timezone.now()
        request.save()
        _audit(actor, request, "change", fields=["fee"])
    return request


def request_withdraw(*, actor: Actor, request: DataSubjectRequest) -> DataSubjectRequest:
    with transaction.atomic():
        request = DataSubjectRequest.objects.select_for_update().get(pk=request.pk)
        _transition(request, Status.WITHDRAWN)
        request.save()
        _audit(actor, request, "withdraw")
    return request


def request_close_fulfilled(
    *, actor: Actor, request: DataSubjectRequest, decision: str = ""
) -> DataSubjectRequest:
    """Mark a verified request fulfilled (used by fulfilment.py after the right was carried out)."""
    _require_verified(request)
    _transition(request, Status.FULFILLED)
    request.decision = decision.strip()[:5000] if decision else request.decision
    request.response_channel = request.response_channel or (
        Channel.EMAIL if request.requester_email else Channel.LETTER
    )
    request.save()
    _audit(actor, request, "fulfil")
    return request


# --- Portal intake ------------------------------------------------------------------------


def _throttle_key(kind: str, value: str) -> str:
    # Keyed, so the table holds no addresses; SECRET_KEY-derived, so it is stable across workers.
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{kind}|{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:64]}"


def _throttle_hit(key: str, limit: int) -> bool:
    """Count one submission; True when the limit for the current window is exceeded."""
    minutes = settings.PORTAL_LIMIT_WINDOW_MINUTES
    now = timezone.now()
    window = now - timedelta(
        minutes=(now.minute % minutes) if minutes < 60 else now.minute,
        seconds=now.second,
        microseconds=now.microsecond,
    )
    row, _created = PortalThrottle.objects.get_or_create(key=key, window_start=window)
    PortalThrottle.objects.filter(pk=row.pk).update(count=F("count") + 1)
    return row.count + 1 > limit


def portal_throttle(*, address: str, client: str) -> None:
    """Count one portal submission for the (normalised) address and the client; raises
    PortalThrottled past either limit. Every form of the portal that mails a link counts
    here, so none of them can be used to flood a mailbox."""
    with transaction.atomic():
        over_address = _throttle_hit(
            _throttle_key("address", address.casefold()), settings.PORTAL_LIMIT_PER_ADDRESS
        )
        over_client = _throttle_hit(_throttle_key("client", client), settings.PORTAL_LIMIT_PER_CLIENT)
    if over_address or over_client:
        raise PortalThrottled()


def portal_submit(
    *, type: str, email: str, details: str = "", language: str = "fi", client: str = ""
) -> DataSubjectRequest | None:
    """A request from the public portal. Same work and same answer whether or not the
    address is in the register: the link goes to the address either way, and only the one
    who can read that mailbox can verify it. Returns None when the address is malformed.
    """
    actor = Actor.system("portal", origin="portal")
    try:
        normalized = normalize_email(email)
    except NormalizationError:
        raise ServiceError(
            _("Enter a valid e-mail address."), code="email.invalid_short", field="email"
        ) from None
    portal_throttle(address=normalized, client=client)
    with transaction.atomic():
        request = request_create(
            actor=actor,
            type=type,
            channel=Channel.PORTAL,
            email=normalized,
            details=details,
            language=language,
        )
        token = verification_link_create(request=request, purpose="verify", hours=settings.PORTAL_LINK_HOURS)
        queue_templated_mail(
            to=normalized,
            template="verify",
            context={
                "request": request,
                "link": f"{settings.PUBLIC_BASE_URL}/portal/verify/{token}/",
                "hours": settings.PORTAL_LINK_HOURS,
            },
            language=language,
            request=request,
        )
    return request


def verification_link_create(*, request: DataSubjectRequest, purpose: str, hours: int) -> str:
    """A single-use, expiring link token; only its hash is stored. Returns the raw token."""
    token = secrets.token_urlsafe(32)
    VerificationLink.objects.create(
        request=request,
        token_hash=_token_hash(token),
        purpose=purpose,
        expires_at=timezone.now() + timedelta(hours=hours),
    )
    return token


class LinkInvalid(Exception):
    """The link is unknown, used or expired (the portal says so without telling which)."""


def link_use(*, token: str, purpose: str, consume: bool = True) -> DataSubjectRequest:
    """Check a link token; single-use when `consume`. Raises LinkInvalid."""
    if not token or len(token) > 100:
        raise LinkInvalid()
    with transaction.atomic():
        link = (
            VerificationLink.objects.select_for_update()
            .select_related("request")
            .filter(token_hash=_token_hash(token), purpose=purpose)
            .first()
        )
        if link is None or link.used_at is not None or link.expires_at <= timezone.now():
            raise LinkInvalid()
        if consume:
            link.used_at = timezone.now()
            link.save(update_fields=["used_at"])
    return link.request


def portal_verify(*, token: str) -> DataSubjectRequest:
    """The requester opened the link and confirmed: the request is verified."""
    request = link_use(token=token, purpose="verify")
    if request.verification in VERIFIED:
        return request  # staff verified it meanwhile (a call back, a letter): nothing more to do
    with transaction.atomic():
        request = request_verify(
            actor=Actor.system("portal", origin="portal"), request=request, method=Verification.PORTAL_LINK
        )
        if request.person_id is None:
            # The address is the requester's now: the person at it, if exactly one.
            person_id = _match_person(request.requester_email)
            if person_id is not None:
                DataSubjectRequest.objects.filter(pk=request.pk).update(person_id=person_id)
                request.person_id = person_id
                request_mails_follow(request)
    return request


def requests_due_soon(*, days: int = 7, today: date | None = None):
    """Open requests due within `days` (including today), and overdue ones."""
    today = today or timezone.localdate()
    open_requests = DataSubjectRequest.objects.exclude(status__in=CLOSED_STATUSES)
    return (
        open_requests.filter(due_on__lt=today).order_by("due_on"),
        open_requests.filter(due_on__gte=today, due_on__lte=today + timedelta(days=days)).order_by("due_on"),
    )
