"""A campaign's message: Markdown to HTML and plain text, with the footer every message
carries (unsubscribe, preferences) and, where allowed, the read-tracking links.

Rendered once per campaign with placeholders; each recipient's copy only replaces them
(`personalise`), so 100,000 messages cost 100,000 string replacements, not renderings.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from markdown_it import MarkdownIt

TOKEN = "@@RK_TOKEN@@"  # the recipient's unsubscribe token
TRACK = "@@RK_TRACK@@"  # the recipient's tracking id: their token (consented) or the campaign's
# Raw HTML off: what staff write cannot inject markup; links are checked by markdown-it
# (no javascript: URLs).
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_HREF = re.compile(r'href="(https?://[^"]+)"')


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str

    def personalise(self, *, token: str, track: str) -> tuple[str, str]:
        return (
            self.text.replace(TOKEN, token).replace(TRACK, track),
            self.html.replace(TOKEN, token).replace(TRACK, track),
        )


def click_signature(campaign_id: int, url: str) -> str:
    """Signs a link of a campaign, so the redirect endpoint is no open redirect."""
    key = hashlib.sha256(b"rekisteri-campaign-click|" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, f"{campaign_id}|{url}".encode(), hashlib.sha256).hexdigest()[:32]


def _tracked_links(html: str, campaign_id: int) -> str:
    base = settings.PUBLIC_BASE_URL

    def replace(match: re.Match) -> str:
        url = match.group(1).replace("&amp;", "&")
        signed = (
            f"{base}/newsletter/c/{TRACK}/?u={quote(url, safe='')}&amp;s={click_signature(campaign_id, url)}"
        )
        return f'href="{signed}"'

    return _HREF.sub(replace, html)


def unsubscribe_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/newsletter/u/{token}/"


def one_click_url(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/newsletter/u/{token}/one-click/"


def list_headers(token: str) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe with an HTTPS link and a mailto, and RFC 8058 one-click."""
    mailto = settings.MARKETING_UNSUBSCRIBE_MAILTO
    return {
        "List-Unsubscribe": f"<{one_click_url(token)}>, <mailto:{mailto}?subject=unsubscribe-{token}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def render_markdown(body_markdown: str) -> str:
    return _MARKDOWN.render(body_markdown)


def compose(campaign) -> Message:
    """The campaign's subject, text and HTML, with TOKEN and TRACK placeholders."""
    html_body = _tracked_links(render_markdown(campaign.body_markdown), campaign.pk or 0)
    base = settings.PUBLIC_BASE_URL
    context = {
        "campaign": campaign,
        "topic": campaign.topic,
        "body_html": html_body,
        "body_text": campaign.body_markdown,
        "unsubscribe_url": f"{base}/newsletter/u/{TOKEN}/",
        "preferences_url": f"{base}/newsletter/preferences/",
        "pixel_url": f"{base}/newsletter/o/{TRACK}/",
    }
    with translation.override(campaign.language):
        text = render_to_string("marketing/mail/campaign_body.txt", context)
        html = render_to_string("marketing/mail/campaign_body.html", context)
    return Message(subject=campaign.subject, text=text, html=html)
