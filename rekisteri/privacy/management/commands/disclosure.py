"""`rekisteri disclosure authority`: record a disclosure to an authority (section 6).

    rekisteri disclosure authority --person ID --reference "Poliisilaki 4:2, 1234/R/567/26" \
        --categories name,email [--recipient NAME] [--authority-name "Sisä-Suomen poliisilaitos"]

The same service as the staff page: refused without the legal basis (the statute or the
authority's decision) and for a recipient that is not an authority of the register.
"""

from __future__ import annotations

from uuid import UUID

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rekisteri.audit.actor import Actor
from rekisteri.errors import english
from rekisteri.privacy.authority_disclosure import authorities, authority_disclosure_record
from rekisteri.privacy.models import Recipient


class Command(BaseCommand):
    help = "Record a disclosure of a person's data to an authority, with its legal basis."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="authority")
        authority = actions.add_parser("authority", help="A disclosure to an authority the law requires.")
        authority.add_argument("--person", required=True, help="The person's id.")
        authority.add_argument(
            "--reference", required=True, help="The statute or the authority's decision, with its reference."
        )
        authority.add_argument("--categories", required=True, help="Comma-separated data categories.")
        authority.add_argument(
            "--recipient", help="The authority's name in the recipients register (default: the only one)."
        )
        authority.add_argument("--authority-name", default="", help="The specific authority, e.g. a court.")

    def handle(self, *args, **options):
        # By name: privacy sits below people, which imports it.
        Person = apps.get_model("people", "Person")
        try:
            person = Person.objects.get(pk=UUID(options["person"].strip()))
        except (ValueError, Person.DoesNotExist):
            raise CommandError(f"No person with id {options['person']!r}.") from None
        if options["recipient"]:
            recipient = Recipient.objects.filter(name=options["recipient"].strip()).first()
            if recipient is None:
                raise CommandError(f"No recipient named {options['recipient']!r} in the register.")
        else:
            candidates = authorities()
            if len(candidates) != 1:
                names = ", ".join(repr(r.name) for r in candidates) or "none"
                raise CommandError(f"Name the authority with --recipient (the register has: {names}).")
            recipient = candidates[0]
        categories = [item.strip() for item in options["categories"].split(",") if item.strip()]
        try:
            disclosure = authority_disclosure_record(
                actor=Actor.system("cli:disclosure", origin="cli"),
                person=person,
                recipient=recipient,
                legal_reference=options["reference"],
                categories=categories,
                authority_name=options["authority_name"],
            )
        except ValidationError as exc:
            raise CommandError(english(exc, "; ")) from None
        self.stdout.write(
            f"Disclosure {disclosure.pk} to {disclosure.recipient} recorded for person {person.pk}."
        )
