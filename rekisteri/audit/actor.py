"""Who is acting, and through which door: passed explicitly to every service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

Origin = Literal["ui", "api", "cli", "task", "portal", "system"]


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser | None
    origin: Origin
    # A non-personal label for acts without a user, e.g. "cli:demo", "task:retention".
    label: str = ""

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @classmethod
    def for_user(cls, user: AbstractBaseUser, origin: Origin) -> Actor:
        return cls(user=user, origin=origin)

    @property
    def purpose(self) -> str:
        """The purpose the actor's role processes personal data for (audit default)."""
        if self.user is None:
            return ""
        from rekisteri.accounts.roles import default_purpose

        return default_purpose(self.user)

    @classmethod
    def system(cls, label: str, origin: Origin = "system") -> Actor:
        return cls(user=None, origin=origin, label=label)
