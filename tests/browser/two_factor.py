"""The second factor in a browser, as a newcomer gives it: at the first login the setup page's
key goes into an "authenticator" (computed here), the backup codes are kept; later logins use
one backup code each (a TOTP code is good once per 30 s, and tests log in faster than that)."""

from __future__ import annotations

import base64
import time

from django_otp.oath import TOTP
from playwright.sync_api import expect

# Backup codes by (site, username), kept across the tests of a module.
_CODES: dict[tuple[str, str], list[str]] = {}


def totp_code(secret: str) -> str:
    totp = TOTP(base64.b32decode(secret), step=30, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"


def give_second_factor(page, site: str, username: str) -> None:
    """After the password: set up the authenticator (first login) or give a backup code."""
    page.wait_for_load_state()
    if "/accounts/two-factor/setup/" in page.url:
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        expect(page.locator(".qr-code img")).to_be_visible()
        page.fill("#id_token", totp_code(secret))
        page.click("button[type=submit] >> text=Ota kaksivaiheinen kirjautuminen käyttöön")
        expect(page.locator("h1")).to_have_text("Varakoodit")
        _CODES[(site, username)] = page.locator(".backup-codes code").all_inner_texts()
        page.click("text=Olen tallentanut koodit: jatka")
    elif "/accounts/two-factor/" in page.url:
        page.fill("#id_token", _CODES[(site, username)].pop())
        page.click("button[type=submit] >> text=Jatka")
