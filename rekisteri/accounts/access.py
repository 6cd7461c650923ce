"""Section 11: who may see personal data at all.

Only active, named staff with a role, a recorded, signed confidentiality agreement and the
current written instructions acknowledged. Nobody else, a superuser included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Section 11's written instructions live in the governance app, above this one: it installs
# its check ("has this member acknowledged the current version?") when it is ready.
_instructions_pending: list[Callable[[Any], bool]] = [lambda user: False]

INSTRUCTIONS_REFUSAL = _(
    "Read the current staff instructions and acknowledge them before you can see personal data."
)


def instructions_check_install(check: Callable[[Any], bool]) -> None:
    _instructions_pending[0] = check


def instructions_pending(user) -> bool:
    return _instructions_pending[0](user)


def personal_data_refusal(user) -> str | None:
    """None when the user may see personal data, otherwise the reason they may not."""
    if user is None or not user.is_authenticated:
        return str(_("You are not logged in."))
    if not user.is_active:
        return str(_("Your account is not active."))
    profile = getattr(user, "staff_profile", None)
    if profile is None or not profile.role:
        return str(_("Your account has no staff role in the register."))
    if profile.nda_signed_on is None:
        return str(
            _(
                "No signed confidentiality agreement is recorded for you. "
                "Ask the privacy officer to record it before you can see personal data."
            )
        )
    if profile.nda_signed_on > timezone.localdate():
        return str(
            _("Your confidentiality agreement takes effect on %(date)s.")
            % {"date": profile.nda_signed_on.isoformat()}
        )
    if instructions_pending(user):
        return str(INSTRUCTIONS_REFUSAL)
    return None


def can_see_personal_data(user) -> bool:
    return personal_data_refusal(user) is None


def user_role(user) -> str | None:
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile is not None else None
