"""Small template helpers of the staff UI."""

from __future__ import annotations

from django import template

from rekisteri.accounts.access import can_see_personal_data
from rekisteri.lib.normalize import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number in readable international form."""
    return format_phone(value) if value else ""


@register.filter(name="can_see_personal_data")
def can_see_personal_data_filter(user) -> bool:
    return can_see_personal_data(user)


@register.simple_tag(takes_context=True)
def current(context, *url_names: str) -> str:
    """'page' when the current view is one of url_names, for aria-current in the navigation."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name in url_names:
        return "page"
    return "false"
