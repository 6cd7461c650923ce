"""`rekisteri marketing unsubscribe-mailbox`: unsubscribe those who mailed the mailto address
of List-Unsubscribe (RFC 2369), from a maildir, an mbox file or the configured IMAP folder.

Idempotent: a token whose list was left already counts as "already unsubscribed"; a maildir's
mails are marked read so the next run (or the worker) skips them (`--all` reads them again).
Reports counts only: no address or token is printed. Audited as `cli:unsubscribe-mailbox`.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rekisteri.audit.actor import Actor
from rekisteri.marketing.mailbox import MailboxError, imap_settings, read_imap, read_maildir, read_mbox


class Command(BaseCommand):
    help = (
        "E-marketing housekeeping. `unsubscribe-mailbox --maildir PATH | --mbox PATH | --imap`: "
        "unsubscribe everyone whose mail to the List-Unsubscribe mailto address names a message."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{unsubscribe-mailbox}", required=True)
        box = actions.add_parser(
            "unsubscribe-mailbox",
            help="Read unsubscribe mails (token in the subject or address) and unsubscribe.",
        )
        source = box.add_mutually_exclusive_group(required=True)
        source.add_argument("--maildir", type=Path, help="A maildir (with cur/, new/ and tmp/).")
        source.add_argument("--mbox", type=Path, help="An mbox file (left unchanged).")
        source.add_argument(
            "--imap",
            action="store_true",
            help="The IMAP folder configured by REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_HOST, "
            "_USER, _PASSWORD (or _PASSWORD_FILE) and _FOLDER.",
        )
        box.add_argument("--all", action="store_true", help="Maildir: also the mails already marked read.")

    def handle(self, *args, action: str, **options):
        actor = Actor.system("cli:unsubscribe-mailbox", origin="cli")
        try:
            if options["maildir"] is not None:
                report = read_maildir(options["maildir"], actor=actor, include_seen=options["all"])
            elif options["mbox"] is not None:
                if options["all"]:
                    raise CommandError("--all is for a maildir: an mbox is read whole every time.")
                report = read_mbox(options["mbox"], actor=actor)
            else:
                config = imap_settings()
                if config is None:
                    raise CommandError(
                        "No IMAP server configured: set REKISTERI_MARKETING_UNSUBSCRIBE_IMAP_HOST and _USER."
                    )
                report = read_imap(config, actor=actor)
        except MailboxError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(report.summary())
