"""Mails to requesters and the privacy officer: subject, text and HTML templates, one helper."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def send_templated_mail(*, to: str, template: str, context: dict, language: str = "fi") -> None:
    """Render templates rights/mail/<template>_{subject.txt,body.txt,body.html} in `language` and send."""
    base = {"authority": settings.SUPERVISORY_AUTHORITY, "public_url": settings.PUBLIC_BASE_URL, **context}
    with translation.override(language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"rights/mail/{template}_subject.txt", base).split())
        text = render_to_string(f"rights/mail/{template}_body.txt", base)
        html = render_to_string(f"rights/mail/{template}_body.html", base)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()
