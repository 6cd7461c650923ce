"""Art. 18: a restricted person's card read with a stated legal reason keeps that reason for
the person's read-only pages (the card, its contact history's pages and htmx fragment, the
marketing record, the disclosures: web.views.common.REASON_READ_PAGES) while the links carry
it, and for nothing else: no write, no other person.

Stating the reason (people.person_card_restricted) issues a grant: a random id kept in the
reader's session with the person, the reason and an end (GRANT_SECONDS), and a token signed
for this user and this person that the card's links carry (`?grant=`). A read with the token
is allowed only while the session holds the grant for that person, so a copied link opens
nothing for anyone else, for another person or after it runs out; every such read is audited
with the same reason (people.selectors.person_get). A page reached without the token asks
for the reason again and opens with the new grant.
"""

from __future__ import annotations

import secrets
from uuid import UUID

from django.core import signing
from django.utils import timezone

GRANT_SECONDS = 15 * 60
PARAMETER = "grant"
SESSION_KEY = "restricted_read_grants"
_SALT = "rekisteri.web.restricted_grants"
_KEPT = 20  # grants one session holds at most; the oldest go first


def grant_issue(request, person_id: UUID | str, reason: str) -> str:
    """Keep the reason for this person's card in the session; the token for its links."""
    now = timezone.now().timestamp()
    grants = {
        key: value for key, value in request.session.get(SESSION_KEY, {}).items() if value["until"] > now
    }
    grant_id = secrets.token_urlsafe(12)
    grants[grant_id] = {"person": str(person_id), "reason": reason, "until": now + GRANT_SECONDS}
    request.session[SESSION_KEY] = dict(sorted(grants.items(), key=lambda item: item[1]["until"])[-_KEPT:])
    return signing.dumps({"g": grant_id, "p": str(person_id), "u": request.user.pk}, salt=_SALT)


def grant_reason(request, person_id: UUID | str) -> tuple[str, str] | None:
    """(token, reason) when the request carries a grant in force for this person, else None."""
    token = request.GET.get(PARAMETER, "")
    if not token:
        return None
    try:
        claims = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return None
    if claims.get("p") != str(person_id) or claims.get("u") != request.user.pk:
        return None
    grant = request.session.get(SESSION_KEY, {}).get(claims.get("g"))
    if grant is None or grant["person"] != str(person_id) or grant["until"] <= timezone.now().timestamp():
        return None
    return token, grant["reason"]
