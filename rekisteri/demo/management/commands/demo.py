"""`rekisteri demo`: load realistic Finnish demo data once."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rekisteri.audit.actor import Actor
from rekisteri.demo.data import DEMO_PASSWORD, DEMO_STAFF, DemoResult, demo_load, demo_status
from rekisteri.errors import english


class Command(BaseCommand):
    help = (
        "Load demo data into an empty register: about 50 Finnish organizations, 300 persons with "
        "bases, sources and interactions, and one demo login per role with a published password. "
        "Running it again changes nothing. It refuses production settings and never mixes demo "
        "data into a register that already holds other data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organizations", type=int, default=50, help="Number of organizations (default 50)."
        )
        parser.add_argument("--persons", type=int, default=300, help="Number of persons (default 300).")

    def handle(self, *args, organizations: int, persons: int, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "Demo data has a published password and must not go into a production register "
                "(REKISTERI_ENV=production)."
            )
        if not 1 <= organizations <= 1000:
            raise CommandError("--organizations must be between 1 and 1000.")
        if not 0 <= persons <= 10000:
            raise CommandError("--persons must be between 0 and 10000.")
        try:
            # The check and the load share one transaction, so two runs at once cannot both load.
            with transaction.atomic():
                result = self._load(organizations, persons)
        except ValidationError as exc:  # a bug in the generator; the transaction rolled back
            raise CommandError(f"Demo data not loaded: {english(exc)}") from None
        if result is not None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Loaded {result.organizations} organizations, {result.persons} persons, "
                    f"{result.bases} processing bases, {result.sources} sources, {result.interactions} "
                    f"interactions and {result.staff} staff accounts in {result.seconds:.1f} s."
                )
            )
        elif self._skipped_other_data:
            return
        self._print_logins()

    def _load(self, organizations: int, persons: int) -> DemoResult | None:
        """The result, or None when nothing was loaded (already loaded, or other data present)."""
        self._skipped_other_data = False
        status = demo_status()
        if status == "loaded":
            self.stdout.write("Demo data is already loaded; nothing changed.")
            return None
        if status == "conflict":
            raise CommandError(
                "Some demo usernames ("
                + ", ".join(s.username for s in DEMO_STAFF)
                + ") exist but the demo data is not loaded; nothing changed."
            )
        if status == "not_empty":
            self._skipped_other_data = True
            self.stdout.write(
                self.style.WARNING(
                    "The register already holds organizations, persons or staff that are not demo data. "
                    "Demo data, with its published password, is only loaded into an empty register; "
                    "nothing changed."
                )
            )
            return None
        started = time.monotonic()
        self.stdout.write("Loading demo data...")
        result = demo_load(
            actor=Actor.system("cli:demo", origin="cli"),
            organizations=organizations,
            persons=persons,
            progress=lambda message: self.stdout.write(f"  {message}"),
        )
        result.seconds = time.monotonic() - started
        return result

    def _print_logins(self) -> None:
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for member in DEMO_STAFF:
            nda = (
                f"NDA signed {member.nda_signed_on.isoformat()}"
                if member.nda_signed_on
                else "no NDA: sees no personal data"
            )
            second = ", two-factor login" if member.role in settings.TWO_FACTOR_ROLES else ""
            self.stdout.write(f"  {member.username:<14} {member.role:<16} {nda}{second}")
        self.stdout.write(
            "Two-factor login: at its first login such an account shows a QR code and a key for an "
            "authenticator app (any TOTP app; or `oathtool --totp -b KEY`), then backup codes."
        )
