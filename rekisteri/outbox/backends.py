"""The local mailbox: where mail goes when no mail server is configured (the embedded default).

Each message is a file under <data dir>/mailbox/, named by its outbox id and encrypted under
that mail's own data key, so the staff UI ("Sent mail") can show it and an erasure or the end
of the mail's retention leaves nothing readable on disk. Nothing leaves the machine.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from rekisteri.keystore.services import cipher_for

_TABLE = "outbox_mailbox"
_COLUMN = "message"
_MESSAGE_ID = re.compile(r"<([0-9a-f-]{36})@")


def mailbox_dir() -> Path:
    return Path(settings.MAIL_MAILBOX_DIR)


def _path(mail_id) -> Path:
    return mailbox_dir() / f"{UUID(str(mail_id))}.eml.enc"


class LocalMailboxBackend(BaseEmailBackend):
    """A Django mail backend that files each message in the local mailbox."""

    def send_messages(self, email_messages) -> int:
        directory = mailbox_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            match = _MESSAGE_ID.match(message.extra_headers.get("Message-ID", ""))
            if match is None:
                raise ValueError("The local mailbox takes outbox mails only (their Message-ID names them).")
            mail_id = match.group(1)
            blob = cipher_for(mail_id).encrypt(
                message.message().as_bytes(linesep="\n"), table=_TABLE, column=_COLUMN, row_id=mail_id
            )
            path = _path(mail_id)
            temporary = path.with_suffix(".tmp")
            # 0600 from the start, and renamed into place: a reader never sees half a message.
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
            sent += 1
        return sent


def mailbox_read(mail_id) -> bytes | None:
    """The raw message (RFC 5322 bytes) of a mail in the local mailbox; None when absent.

    Raises KeyDestroyed when the mail's key is gone (erased or expired).
    """
    try:
        blob = _path(mail_id).read_bytes()
    except (FileNotFoundError, ValueError):
        return None
    row_id = str(UUID(str(mail_id)))
    return cipher_for(mail_id).decrypt_bytes(blob, table=_TABLE, column=_COLUMN, row_id=row_id)


def mailbox_remove(mail_id) -> None:
    try:
        _path(mail_id).unlink()
    except (FileNotFoundError, ValueError):
        pass
