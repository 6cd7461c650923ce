from django import template

from rekisteri.outbox.models import kind_label

register = template.Library()


@register.filter
def mail_kind(kind: str) -> str:
    """The readable name of a kind of mail."""
    return kind_label(kind)
