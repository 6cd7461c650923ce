"""Section 10: the configured purposes (privacy.Purpose), as the audit layer checks them.

The active slugs are cached, as every audited read states one: a slug not in the cache is
looked up again at once (a purpose added a moment ago is accepted), a change of a purpose
in this process clears the cache (apps.py), and other processes read it again after
PURPOSES_CACHE_SECONDS (None: never, as in the tests, whose query counts must not vary).
"""

from __future__ import annotations

import time

from django.conf import settings

from rekisteri.audit.purposes import PurposeNotConfigured, purpose_check
from rekisteri.privacy.models import Purpose

_cache: dict[str, object] = {"at": None, "active": frozenset(), "inactive": frozenset()}


def purposes_cache_clear(**_signal) -> None:
    _cache["at"] = None


def _fresh() -> bool:
    at = _cache["at"]
    if at is None:
        return False
    ttl = settings.PURPOSES_CACHE_SECONDS
    return ttl is None or time.monotonic() - at < ttl  # type: ignore[operator]


def _load() -> tuple[frozenset, frozenset]:
    rows = list(Purpose.objects.values_list("slug", "active"))
    _cache["active"] = frozenset(slug for slug, active in rows if active)
    _cache["inactive"] = frozenset(slug for slug, active in rows if not active)
    _cache["at"] = time.monotonic()
    return _cache["active"], _cache["inactive"]  # type: ignore[return-value]


def purpose_problem(slug: str) -> str | None:
    """Why processing for `slug` is refused (unknown or switched off), or None."""
    if _fresh() and slug in _cache["active"]:  # type: ignore[operator]
        return None
    active, inactive = _load()
    if slug in active:
        return None
    if slug in inactive:
        return (
            f"The purpose {slug!r} is switched off in the register's configuration: "
            "nothing may be processed for it (privacy notice, section 10)."
        )
    return (
        f"The purpose {slug!r} is not in the register's configuration (privacy notice, section 10): "
        "processing for an unknown purpose is refused."
    )


def purpose_require(slug: str) -> str:
    """For services that state their purpose before they process: the slug, or
    PurposeNotConfigured."""
    purpose_check(slug)
    return slug


__all__ = ["PurposeNotConfigured", "purpose_problem", "purpose_require", "purposes_cache_clear"]
