"""Section 12: the privacy notice above this app, told of changes and asked before processing.

The notice app renders and versions the notice above this one (and above retention); it
installs its hooks when it is ready (a lower app told through a hook, as rights' daily jobs
are), so no lower app imports it:

- processing for a purpose starts only when the notice in force states it, and a disclosure
  to a recipient of the recipients register only when the notice in force states that
  recipient (the check returns why not, or None);
- a configuration change that alters what the notice says (a purpose, a recipient, a group
  company, a retention rule) refreshes the notice draft, in the change's own transaction.

Without the notice app, or before any version is published, nothing is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from rekisteri.privacy.models import GroupCompany, Recipient

if TYPE_CHECKING:
    from rekisteri.audit.actor import Actor

# Returns why processing for the purpose (a Purpose slug) may not start yet, or None.
_check: list[Callable[[str], ValidationError | None]] = []
# Returns why data may not go to a recipient yet, or None: (kind, what the notice calls it),
# kind "group_company" (by name) or "processor" (by its service, as the notice lists them).
_recipient_check: list[Callable[[str, str], ValidationError | None]] = []
# Called with actor= and reason= after a configuration change, inside its transaction.
_changed: list[Callable[..., object]] = []


def purpose_gate_install(check: Callable[[str], ValidationError | None]) -> None:
    _check[:] = [check]


def purpose_not_yet_in_notice(slug: str) -> ValidationError | None:
    return _check[0](slug) if _check else None


def recipient_gate_install(check: Callable[[str, str], ValidationError | None]) -> None:
    _recipient_check[:] = [check]


def recipient_not_yet_in_notice(kind: str, key: str) -> ValidationError | None:
    return _recipient_check[0](kind, key) if _recipient_check else None


def recipient_gate(recipient_company: GroupCompany | None, recipient_name: str) -> None:
    """Refuse (ValidationError on "recipient") data for a group company or a processor of the
    recipients register that the notice in force does not name yet. Recipients outside the
    register (a customer organization a student took part under, a recipient the person
    permitted) and authorities are named in section 6 by kind, and pass."""
    if recipient_company is not None:
        kind, key = Recipient.Kind.GROUP_COMPANY, recipient_company.name
    else:
        row = Recipient.objects.filter(name=recipient_name).only("kind", "name", "service_fi").first()
        if row is None or row.kind == Recipient.Kind.AUTHORITY:
            return
        kind = row.kind
        key = row.name if kind == Recipient.Kind.GROUP_COMPANY else row.service_fi
    reason = recipient_not_yet_in_notice(kind, key)
    if reason:
        raise ValidationError({"recipient": reason})


def configuration_change_hook_install(hook: Callable[..., object]) -> None:
    _changed[:] = [hook]


def notice_configuration_changed(*, actor: Actor, reason: str) -> None:
    """A purpose, recipient, group company or retention rule changed: refresh the notice draft.

    Call inside the change's transaction, after the write, so the draft and the change are
    committed together (reason: a code such as "purpose", never a value)."""
    for hook in _changed:
        hook(actor=actor, reason=reason)
