"""`rekisteri twofactor enrol | reset | status`: a staff member's second factor from the shell."""

from __future__ import annotations

import segno
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rekisteri.audit.actor import Actor
from rekisteri.errors import english
from rekisteri.security.services.two_factor import (
    backup_codes_left,
    confirmed_device,
    provisioning_uri,
    totp_enrol_confirm,
    totp_enrol_start,
    two_factor_required,
    two_factor_reset,
)


class Command(BaseCommand):
    help = (
        "Two-factor login of staff. `twofactor enrol --username U` prints U's new authenticator "
        "key (and a QR code for the terminal), waits for the app's first code to confirm it (or "
        "takes --code), then prints the backup codes once. `twofactor reset --username U` removes "
        "U's authenticator and backup codes (a lost phone): U sets up a new one at the next login, "
        "and their sessions end. `twofactor status --username U` tells whether it is on and required."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{enrol,reset,status}", required=True)
        enrol = actions.add_parser("enrol", help="Set up a staff member's authenticator app.")
        enrol.add_argument("--username", required=True)
        enrol.add_argument("--code", help="The first code of the app (else it is asked for).")
        enrol.add_argument("--no-qr", action="store_true", help="Print the key and address only.")
        for name, text in (("reset", "Remove a staff member's second factor."), ("status", "Show it.")):
            actions.add_parser(name, help=text).add_argument("--username", required=True)

    def handle(self, *args, action: str, **options):
        username = options["username"].strip()
        user = get_user_model().objects.filter(username=username, staff_profile__isnull=False).first()
        if user is None:
            raise CommandError(f"No staff member named {username!r}.")
        actor = Actor.system("cli:twofactor", origin="cli")
        if action == "status":
            device = confirmed_device(user)
            state = f"on, {backup_codes_left(user)} backup code(s) left" if device else "not set up"
            required = "required" if two_factor_required(user) else "not required"
            self.stdout.write(f"{username}: two-factor login {state} ({required}).")
        elif action == "reset":
            two_factor_reset(actor=actor, user=user)
            self.stdout.write(self.style.SUCCESS(f"The second factor of {username} was removed."))
        else:
            self._enrol(actor, user, options)

    def _enrol(self, actor, user, options) -> None:
        device = totp_enrol_start(actor=actor, user=user)
        self.stdout.write(f"Add this account to the authenticator app: {provisioning_uri(device)}")
        if not options["no_qr"]:
            segno.make(provisioning_uri(device), error="m").terminal(out=self.stdout, compact=True)
        self.stdout.write(f"Key (time-based, 6 digits, 30 s): {device.secret}")
        token = options["code"] or input("The code the app shows now: ")
        try:
            with transaction.atomic():
                codes = totp_enrol_confirm(actor=actor, device=device, token=token)
        except ValidationError as exc:
            raise CommandError(f"Not set up: {english(exc)}") from None
        self.stdout.write(
            self.style.SUCCESS("Two-factor login is on. Backup codes, each good once, shown only now:")
        )
        for code in codes:
            self.stdout.write(code)
