"""The supervisory authority named in refusals, answers and access packages (Art. 12(4), 15(1)(f)).

The privacy officer keeps it in the privacy notice's configuration (rekisteri.notice), an app
above this one: it installs its lookup when it is ready, so refusals name the authority the
notice names. Without it, the deployment's REKISTERI_AUTHORITY_* settings apply.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

_resolver: list[Callable[[], dict[str, str]]] = [lambda: dict(settings.SUPERVISORY_AUTHORITY)]


def authority_resolver_install(resolver: Callable[[], dict[str, str]]) -> None:
    _resolver[0] = resolver


def supervisory_authority() -> dict[str, str]:
    return _resolver[0]()
