"""Unsubscribing by mail: the mailto of List-Unsubscribe (RFC 2369).

Every campaign message names `mailto:<MARKETING_UNSUBSCRIBE_MAILTO>?subject=unsubscribe-<token>`.
The mails sent there are read from a maildir, an mbox file or an IMAP mailbox; the opaque
token (in the subject, or as `unsubscribe+<token>@` in the recipient address) names the
message, and its list is left as with the one-click link. Nothing of the mail is kept or
logged: the token is the whole of what is read, and the sender's address is not trusted
(anyone can write any From), as with the link.
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import logging
import mailbox
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from rekisteri.audit.actor import Actor
from rekisteri.marketing.models import Channel

logger = logging.getLogger("rekisteri.marketing")

# secrets.token_urlsafe(24) gives 32 characters of [A-Za-z0-9_-].
_TOKEN = re.compile(r"unsubscribe[-+]([A-Za-z0-9_-]{16,100})(?![A-Za-z0-9_-])", re.IGNORECASE)
_ADDRESS_HEADERS = ("To", "Delivered-To", "X-Original-To", "Envelope-To", "Cc")


class MailboxError(Exception):
    """The mailbox cannot be read (missing, not a maildir or mbox, the server refused)."""


@dataclass
class MailboxReport:
    read: int = 0
    unsubscribed: int = 0
    already: int = 0
    unknown: int = 0
    no_token: int = 0

    def add(self, outcome: str) -> None:
        self.read += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    def summary(self) -> str:
        return (
            f"Read {self.read} message(s): {self.unsubscribed} unsubscribed, {self.already} already "
            f"unsubscribed, {self.unknown} with an unknown token, {self.no_token} without a token."
        )


def token_of(raw: bytes) -> str | None:
    """The unsubscribe token of a mail: in its subject, else in a recipient address."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        candidates = [str(message.get("Subject", ""))]
        candidates += [str(value) for name in _ADDRESS_HEADERS for value in message.get_all(name, [])]
    except Exception:  # a header the parser cannot decode: read the raw bytes instead
        candidates = [raw[:8192].decode("ascii", "replace")]
    for text in candidates:
        match = _TOKEN.search(text)
        if match:
            return match.group(1)
    return None


def process(messages: Iterable[bytes], *, actor: Actor) -> MailboxReport:
    from rekisteri.marketing.services.tracking import unsubscribe_outcome

    report = MailboxReport()
    for raw in messages:
        token = token_of(raw)
        outcome = (
            "no_token"
            if token is None
            else unsubscribe_outcome(token=token, channel=Channel.EMAIL, actor=actor)
        )
        report.add(outcome)
    return report


# --- Sources ----------------------------------------------------------------------------------


def _maildir(path: Path) -> mailbox.Maildir:
    if not path.is_dir():
        raise MailboxError(f"{path} is not a directory.")
    missing = [name for name in ("cur", "new", "tmp") if not (path / name).is_dir()]
    if missing:
        raise MailboxError(f"{path} is not a maildir: it has no {', '.join(missing)} folder.")
    return mailbox.Maildir(path, factory=None, create=False)


def read_maildir(path: Path, *, actor: Actor, include_seen: bool = False) -> MailboxReport:
    """Process the maildir's unread mails (all with include_seen) and mark them read (moved to
    cur/ with the Seen flag), so the next round does not read them again."""
    box = _maildir(path)

    def messages() -> Iterator[bytes]:
        for key in list(box.keys()):
            message = box.get_message(key)
            if "S" in message.get_flags() and not include_seen:
                continue
            yield box.get_bytes(key)
            message.set_subdir("cur")
            message.add_flag("S")
            box[key] = message

    return process(messages(), actor=actor)


def read_mbox(path: Path, *, actor: Actor) -> MailboxReport:
    """Process every mail of an mbox file, which is left as it is (repeating is harmless)."""
    if not path.is_file():
        raise MailboxError(f"{path} is not a file.")
    with path.open("rb") as handle:
        start = handle.read(5)
    if start and start != b"From ":
        raise MailboxError(f"{path} is not an mbox file (it does not start with a 'From ' line).")
    box = mailbox.mbox(path, factory=None, create=False)
    try:
        return process((box.get_bytes(key) for key in box.keys()), actor=actor)
    finally:
        box.close()


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True


def imap_settings() -> ImapSettings | None:
    if not settings.MARKETING_UNSUBSCRIBE_IMAP_HOST:
        return None
    return ImapSettings(
        host=settings.MARKETING_UNSUBSCRIBE_IMAP_HOST,
        port=settings.MARKETING_UNSUBSCRIBE_IMAP_PORT,
        user=settings.MARKETING_UNSUBSCRIBE_IMAP_USER,
        password=settings.MARKETING_UNSUBSCRIBE_IMAP_PASSWORD,
        folder=settings.MARKETING_UNSUBSCRIBE_IMAP_FOLDER,
        ssl=settings.MARKETING_UNSUBSCRIBE_IMAP_SSL,
    )


def read_imap(config: ImapSettings, *, actor: Actor) -> MailboxReport:
    """Process the folder's unread mails and flag them read on the server."""
    try:
        if config.ssl:
            connection = imaplib.IMAP4_SSL(config.host, config.port, timeout=30)
        else:
            connection = imaplib.IMAP4(config.host, config.port, timeout=30)
            connection.starttls()
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"Cannot reach the IMAP server {config.host}:{config.port}: {exc}") from None
    try:
        try:
            connection.login(config.user, config.password)
        except imaplib.IMAP4.error:
            raise MailboxError("The IMAP server refused the login.") from None
        status, _ = connection.select(config.folder)
        if status != "OK":
            raise MailboxError(f"The IMAP server has no folder {config.folder!r}.")
        status, data = connection.search(None, "UNSEEN")
        ids = data[0].split() if status == "OK" and data and data[0] else []

        def messages() -> Iterator[bytes]:
            for number in ids:
                status, parts = connection.fetch(number, "(BODY.PEEK[])")
                raw = next((p[1] for p in parts or [] if isinstance(p, tuple)), None)
                if status != "OK" or raw is None:
                    continue
                yield raw
                connection.store(number, "+FLAGS", "\\Seen")

        return process(messages(), actor=actor)
    finally:
        try:
            connection.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


# --- The worker's round -------------------------------------------------------------------

_last_poll = [0.0]


def unsubscribe_mailboxes_poll() -> MailboxReport | None:
    """Read the configured unsubscribe mailbox (a maildir, or IMAP) at most every
    MARKETING_UNSUBSCRIBE_POLL_SECONDS; a failure is logged, never raised (the worker goes on)."""
    maildir, imap = settings.MARKETING_UNSUBSCRIBE_MAILDIR, imap_settings()
    if not maildir and imap is None:
        return None
    now = time.monotonic()
    if _last_poll[0] and now - _last_poll[0] < settings.MARKETING_UNSUBSCRIBE_POLL_SECONDS:
        return None
    _last_poll[0] = now
    actor = Actor.system("task:unsubscribe-mailbox", origin="task")
    report = MailboxReport()
    try:
        if maildir:
            report = read_maildir(Path(maildir), actor=actor)
        if imap is not None:
            found = read_imap(imap, actor=actor)
            for name in ("read", "unsubscribed", "already", "unknown", "no_token"):
                setattr(report, name, getattr(report, name) + getattr(found, name))
    except MailboxError as exc:
        logger.error("Unsubscribe mailbox: %s", exc)  # paths and hosts only, no address
        return None
    if report.read:
        logger.info("Unsubscribe mailbox: %s", report.summary())
    return report
