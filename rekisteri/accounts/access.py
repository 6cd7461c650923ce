"""Section 11: who may see personal data at all.

Only active, named staff with a role and a recorded, signed confidentiality agreement.
Nobody else, a superuser included.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    return None


def can_see_personal_data(user) -> bool:
    return personal_data_refusal(user) is None


def user_role(user) -> str | None:
    profile = getattr(user, "staff_profile", None)
    return profile.role if profile is not None else None
