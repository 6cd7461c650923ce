"""`rekisteri mail`: the outbox from the command line.

`list` and `show` tell where each mail stands (queued, sent, failed with the server's reply);
`resend` queues a copy of a mail; `deliver` sends what is due now, as the worker would.
Reading recipients is audited as `cli:mail`.
"""

from __future__ import annotations

import json
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rekisteri.audit.actor import Actor
from rekisteri.errors import english
from rekisteri.outbox.models import MailState, OutgoingMail
from rekisteri.outbox.selectors import MAX_PAGE_SIZE, mail_as_dict, mail_get, mail_list, mail_values
from rekisteri.outbox.services import mail_resend, outbox_deliver

ACTIONS = ["list", "show", "resend", "deliver"]


def _actor() -> Actor:
    return Actor.system("cli:mail", origin="cli")


def _mail_id(value: str) -> UUID:
    try:
        return UUID(value.strip())
    except ValueError:
        raise CommandError(f"{value!r} is not a mail id (a UUID, as `rekisteri mail list` shows).") from None


class Command(BaseCommand):
    help = (
        "The outbox: every mail the register sends. `list` shows the newest mails and their state, "
        "`show ID` one mail with the server's last reply, `resend ID` queues a copy of a mail that "
        "failed or did not arrive, `deliver` sends what is due now (as `rekisteri worker` does)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{" + ",".join(ACTIONS) + "}", required=True)
        listing = actions.add_parser("list", help="The newest mails and where each stands.")
        listing.add_argument("--state", choices=MailState.values, help="Only mails in this state.")
        listing.add_argument("--limit", type=int, default=50, help=f"At most this many (1-{MAX_PAGE_SIZE}).")
        show = actions.add_parser("show", help="One mail: recipient, subject, state, the server's reply.")
        show.add_argument("id", help="The mail's id.")
        show.add_argument("--json", action="store_true", help="As JSON.")
        resend = actions.add_parser("resend", help="Queue a copy of a mail that failed or did not arrive.")
        resend.add_argument("id", help="The mail's id.")
        actions.add_parser("deliver", help="Send every mail that is due now, once, and report.")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(options)
        except ValidationError as exc:
            raise CommandError(english(exc, "; ")) from None

    def _list(self, options) -> None:
        if not 1 <= options["limit"] <= MAX_PAGE_SIZE:
            raise CommandError(f"--limit must be between 1 and {MAX_PAGE_SIZE}.")
        page = mail_list(actor=_actor(), state=options["state"], limit=options["limit"])
        for mail in page.results:
            values = mail_values(mail)
            to = values["to_address"] if values else "(erased)"
            self.stdout.write(
                f"{mail.pk}  {mail.created_at:%Y-%m-%d %H:%M}  {mail.state:<9}  {mail.kind:<28}  {to}"
            )
        self.stdout.write(f"{len(page.results)} of {page.total} mail(s).")

    def _show(self, options) -> None:
        mail = mail_get(actor=_actor(), mail_id=_mail_id(options["id"]))
        if mail is None:
            raise CommandError(f"No mail {options['id']!r}.")
        values = mail_values(mail)
        data = mail_as_dict(mail, values)
        data["subject"] = values["subject"] if values else None
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        for key, value in data.items():
            self.stdout.write(f"{key + ':':<17}{'-' if value is None else value}")

    def _resend(self, options) -> None:
        mail = OutgoingMail.objects.filter(pk=_mail_id(options["id"])).first()
        if mail is None:
            raise CommandError(f"No mail {options['id']!r}.")
        copy = mail_resend(actor=_actor(), mail=mail)
        self.stdout.write(self.style.SUCCESS(f"Queued a copy as {copy.pk}; `rekisteri worker` sends it."))

    def _deliver(self, options) -> None:
        report = outbox_deliver()
        self.stdout.write(
            f"{report.sent} sent, {report.retrying} to retry later, {report.failed} failed, "
            f"{report.cancelled} cancelled."
        )
        if report.failed or report.retrying:
            raise CommandError("Some mail could not be delivered: see `rekisteri mail list --state queued`.")
