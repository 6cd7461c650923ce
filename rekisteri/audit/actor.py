"""Who is acting, and through which door: passed explicitly to every service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

Origin = Literal["ui", "api", "cli", "task", "portal", "system"]

# The purpose a staff member's work serves (section 2). The roles belong to the accounts app,
# which installs its lookup when it is ready (purpose_resolver_install), so the audit layer
# below it needs no knowledge of them.
_purpose_of_user: list[Callable[[Any], str]] = [lambda user: ""]


def purpose_resolver_install(resolver: Callable[[Any], str]) -> None:
    _purpose_of_user[0] = resolver


@dataclass(frozen=True)
class Actor:
    user: AbstractBaseUser | None
    origin: Origin
    # A non-personal label for acts without a user, e.g. "cli:demo", "task:retention".
    label: str = ""

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None else None

    @property
    def recorded_user(self) -> AbstractBaseUser | None:
        """The user a row records as the one who acted ("created by", "decided by"): None for
        a system actor and for a user not saved in the database."""
        return self.user if self.user is not None and self.user.pk else None

    @classmethod
    def for_user(cls, user: AbstractBaseUser, origin: Origin) -> Actor:
        return cls(user=user, origin=origin)

    @property
    def purpose(self) -> str:
        """The purpose the actor's role processes personal data for (audit default)."""
        if self.user is None:
            return ""
        return _purpose_of_user[0](self.user)

    @classmethod
    def system(cls, label: str, origin: Origin = "system") -> Actor:
        return cls(user=None, origin=origin, label=label)
