"""System checks of the login limits' configuration (`rekisteri check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def proxies_counted(app_configs, **kwargs) -> list[Warning]:
    # Behind a proxy with none trusted, every visitor has the proxy's address: one visitor
    # exhausts the portal's limit and locks staff accounts for everyone.
    if not settings.BEHIND_PROXY or settings.TRUSTED_PROXIES > 0:
        return []
    return [
        Warning(
            "REKISTERI_BEHIND_PROXY is set but REKISTERI_TRUSTED_PROXIES is 0.",
            hint="Every visitor then has the proxy's address, and one visitor can exhaust the portal's "
            "limit or lock a staff account for everyone. Set REKISTERI_TRUSTED_PROXIES to the number "
            "of reverse proxies in front of rekisteri (each must append to X-Forwarded-For).",
            id="rekisteri.accounts.W001",
        )
    ]
