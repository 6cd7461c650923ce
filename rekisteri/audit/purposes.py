"""Section 10: personal data is processed only for a purpose in the register's configuration.

Every audited act states its purpose (or inherits the one of the actor's role); the audit
layer refuses a purpose the configuration does not know or has switched off, so no service
can process for an invented one. The purposes live in the privacy app above this one, which
installs the check when it is ready (as the role's purpose is installed by accounts).
"""

from __future__ import annotations

from collections.abc import Callable


class PurposeNotConfigured(ValueError):
    """A purpose that is not (or no longer) in the register's configuration was stated."""


# Returns why processing for the purpose (a Purpose slug) is refused, or None.
_check: list[Callable[[str], str | None]] = []


def purpose_check_install(check: Callable[[str], str | None]) -> None:
    _check[:] = [check]


def purpose_check(purpose: str) -> None:
    """Raise PurposeNotConfigured for a stated purpose the configuration refuses. An empty
    purpose (acts that process no one's data for a purpose, such as a login) passes."""
    if purpose and _check:
        reason = _check[0](purpose)
        if reason:
            raise PurposeNotConfigured(reason)
