"""Section 6: a disclosure to an authority (the police, a court, the tax administration), only
where the law requires it, recorded by the privacy officer with the statute or decision that
requires it. It goes into the person's disclosure log like any other, so Art. 19 tasks and
the access package name the authority.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.errors import ServiceError, too_long
from rekisteri.privacy.disclosure import disclosure_record
from rekisteri.privacy.models import Disclosure, DisclosureBasis, Recipient

if TYPE_CHECKING:  # privacy sits below people: the type only
    from rekisteri.people.models import Person

PERMISSION = "privacy.disclose_to_authority"
# Answering an authority is the controller's legal obligation (section 2: rights and obligations).
PURPOSE = "rights_and_obligations"


def authorities() -> list[Recipient]:
    return list(Recipient.objects.filter(kind=Recipient.Kind.AUTHORITY, active=True))


def authority_disclosure_record(
    *,
    actor: Actor,
    person: Person,
    recipient: Recipient | None,
    legal_reference: str,
    categories: Iterable[str],
    authority_name: str = "",
    disclosed_at: datetime | None = None,
) -> Disclosure:
    """Record that categories of the person's data went to an authority of the recipients
    register (`authority_name` names the specific one, e.g. a police department), on the legal
    basis `legal_reference`. Refused without a basis, for a recipient that is not an authority,
    and for staff without the privacy officer's permission. Processing restricted under
    Art. 18 does not stop it: Art. 18(2) allows what the law requires."""
    if actor.user is not None and not actor.user.has_perm(PERMISSION):
        raise PermissionDenied("Only the privacy officer records disclosures to authorities.")
    legal_reference = (legal_reference or "").strip()
    errors: dict[str, str] = {}
    if recipient is None or recipient.kind != Recipient.Kind.AUTHORITY:
        errors["recipient"] = ServiceError(
            _("Choose an authority of the recipients register."), code="authority_disclosure.recipient"
        )
    if not legal_reference:
        errors["legal_reference"] = ServiceError(
            _("State the legal basis: the statute or the authority's decision that requires it."),
            code="authority_disclosure.legal_reference",
        )
    elif len(legal_reference) > 300:
        errors["legal_reference"] = too_long(300)
    if errors:
        raise ValidationError(errors)
    return disclosure_record(
        actor=actor,
        person=person,
        categories=categories,
        recipient=recipient,
        recipient_name=authority_name,
        disclosed_at=disclosed_at,
        basis=DisclosureBasis.LEGAL_OBLIGATION,
        purpose=PURPOSE,
        legal_reference=legal_reference,
    )
