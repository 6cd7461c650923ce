"""`rekisteri createstaff`: add a staff member in one role."""

from __future__ import annotations

import getpass
import os
import sys
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from rekisteri.accounts.models import Role
from rekisteri.accounts.services import staff_create
from rekisteri.audit.actor import Actor
from rekisteri.errors import english

PASSWORD_ENV = "REKISTERI_PASSWORD"


def parse_nda_date(value: str) -> date:
    """A signing date in ISO form (YYYY-MM-DD), not in the future."""
    message = f"--nda-signed must be a date in the form YYYY-MM-DD, not {value!r}."
    # fromisoformat alone would also take 20250131 and other ISO variants.
    if len(value.strip()) != 10:
        raise CommandError(message)
    try:
        signed = date.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(message) from None
    if signed > timezone.localdate():
        # A future date would silently deny access until then; most likely a typo.
        raise CommandError(f"--nda-signed {value} is in the future; record the agreement once it is signed.")
    return signed


def validation_message(error: ValidationError) -> str:
    return english(error)


class Command(BaseCommand):
    help = (
        "Create a staff member with one role. The password comes from the environment variable "
        f"{PASSWORD_ENV} or, when run in a terminal, from a prompt. Without --nda-signed the "
        "member can log in but sees no personal data (section 11 of the privacy notice)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True, help="Login name.")
        parser.add_argument("--role", required=True, choices=Role.values, help="The staff member's role.")
        parser.add_argument(
            "--nda-signed", metavar="YYYY-MM-DD", help="Date the confidentiality agreement was signed."
        )
        parser.add_argument("--first-name", default="", help="First name (optional).")
        parser.add_argument("--last-name", default="", help="Last name (optional).")
        parser.add_argument("--email", default="", help="Work e-mail address (optional).")
        parser.add_argument(
            "--two-factor",
            action="store_true",
            help="Set up the member's authenticator app now (`rekisteri twofactor enrol`); "
            "otherwise it is set up at their first login where it is required.",
        )
        parser.add_argument("--code", help="With --two-factor: the app's first code (else asked for).")

    def handle(
        self,
        *args,
        username: str,
        role: str,
        nda_signed: str | None,
        first_name: str,
        last_name: str,
        email: str,
        two_factor: bool = False,
        code: str | None = None,
        **options,
    ):
        username = username.strip()
        if not username:
            raise CommandError("--username must not be empty.")
        nda_date = parse_nda_date(nda_signed) if nda_signed else None
        password = self._password()
        try:
            with transaction.atomic():
                staff_create(
                    actor=Actor.system("cli:createstaff", origin="cli"),
                    username=username,
                    role=role,
                    password=password,
                    nda_signed_on=nda_date,
                    first_name=first_name.strip(),
                    last_name=last_name.strip(),
                    email=email.strip(),
                )
        except ValidationError as exc:
            raise CommandError(f"Staff member not created: {validation_message(exc)}") from None
        nda_text = f"NDA signed {nda_date.isoformat()}" if nda_date else "no NDA recorded"
        self.stdout.write(self.style.SUCCESS(f"Created staff member {username} (role {role}, {nda_text})."))
        if two_factor:
            # By name: the second factor belongs to the security app, above this one.
            call_command(
                "twofactor",
                "enrol",
                "--username",
                username,
                *(["--code", code] if code else []),
                stdout=self.stdout,
            )
        else:
            self.stdout.write(
                f"Two-factor login: set up at the first login where required, or now with "
                f"`rekisteri twofactor enrol --username {username}`."
            )
        if nda_date is None:
            self.stdout.write(
                self.style.WARNING(
                    f"{username} cannot see personal data until a signed confidentiality agreement "
                    "is recorded."
                )
            )

    def _password(self) -> str:
        password = os.environ.get(PASSWORD_ENV)
        if password:
            return password
        if not sys.stdin.isatty():
            raise CommandError(
                f"No password: set {PASSWORD_ENV} or run the command in a terminal to be asked."
            )
        first = getpass.getpass("Password: ")
        if not first:
            raise CommandError("The password must not be empty.")
        if getpass.getpass("Password (again): ") != first:
            raise CommandError("The passwords did not match.")
        return first
