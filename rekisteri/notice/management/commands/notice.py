"""`rekisteri notice draft|diff|publish|inform`: the privacy notice from the shell (sections 5, 12).

    rekisteri notice draft                     refresh the draft from the configuration
    rekisteri notice diff [--version N] [--language en]
    rekisteri notice publish --effective YYYY-MM-DD [--significant] --summary TEXT
    rekisteri notice inform --due [--dry-run] | --person ID [--dry-run]
                                               Art. 14: tell persons where their data came from

The same services as the staff pages: a significant change is refused before the lead time
(REKISTERI_NOTICE_LEAD_DAYS, default 30) and its announcement is queued for the worker.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rekisteri.audit.actor import Actor
from rekisteri.errors import english
from rekisteri.notice.informing import information_due, information_send, information_send_due
from rekisteri.notice.selectors import draft_diff, version_diff, version_get
from rekisteri.notice.services import draft_refresh, version_publish


def _actor() -> Actor:
    return Actor.system("cli:notice", origin="cli")


def _refused(exc: ValidationError) -> CommandError:
    return CommandError(english(exc, "; "))


class Command(BaseCommand):
    help = "Draft, compare and publish versions of the privacy notice."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="draft|diff|publish|inform")
        actions.add_parser("draft", help="Refresh the draft from the register's configuration.")
        diff = actions.add_parser("diff", help="Show what the draft (or --version N) changes.")
        diff.add_argument("--version", type=int, help="A published version, against the one before it.")
        diff.add_argument("--language", choices=["fi", "en"], default="fi")
        publish = actions.add_parser("publish", help="Publish the configuration as the next version.")
        publish.add_argument("--effective", required=True, help="YYYY-MM-DD: the day it takes effect.")
        publish.add_argument(
            "--significant", action="store_true", help="Announce it by mail; not before the lead time."
        )
        publish.add_argument("--summary", required=True, help="What changed, shown with the version.")
        inform = actions.add_parser(
            "inform", help="Art. 14: mail persons whose data came from someone else where it came from."
        )
        who = inform.add_mutually_exclusive_group(required=True)
        who.add_argument("--due", action="store_true", help="Everyone not yet informed, the overdue first.")
        who.add_argument("--person", help="One person, by id.")
        inform.add_argument("--dry-run", action="store_true", help="List who is due; send nothing.")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "inform":
            self._inform(options)
        elif action == "draft":
            draft = draft_refresh(actor=_actor(), reason="manual")
            if draft is None:
                self.stdout.write("Nothing to draft: the configuration says what the newest version says.")
                return
            changed = [
                line for line in draft_diff("fi") if line[:1] in "+-" and line[:3] not in ("+++", "---")
            ]
            self.stdout.write(f"Draft updated: {len(changed)} changed lines (see `rekisteri notice diff`).")
        elif action == "diff":
            if options["version"] is not None:
                version = version_get(options["version"])
                if version is None:
                    raise CommandError(f"No published version {options['version']}.")
                lines = version_diff(version, options["language"])
            else:
                lines = draft_diff(options["language"])
            self.stdout.write("\n".join(lines) if lines else "No changes.")
        else:
            try:
                effective = date.fromisoformat(options["effective"].strip())
            except ValueError:
                raise CommandError(
                    f"--effective must be a date as YYYY-MM-DD, not {options['effective']!r}."
                ) from None
            try:
                version = version_publish(
                    actor=_actor(),
                    effective_on=effective,
                    significant=options["significant"],
                    summary=options["summary"],
                )
            except ValidationError as exc:
                raise _refused(exc) from None
            self.stdout.write(
                f"Published version {version.number}, in effect from {version.effective_on.isoformat()}"
                + ("; its announcement is queued for the worker." if version.significant else ".")
            )

    def _inform(self, options) -> None:
        from rekisteri.people.models import Person

        dry_run = options["dry_run"]
        if options["person"] is not None:
            try:
                person = Person.objects.get(pk=UUID(options["person"].strip()))
            except (ValueError, Person.DoesNotExist):
                raise CommandError(f"No person with id {options['person']!r}.") from None
            try:
                informed = information_send(actor=_actor(), person=person, dry_run=dry_run)
            except ValidationError as exc:
                raise _refused(exc) from None
            if dry_run:
                self.stdout.write(f"Dry run: person {person.pk} would be informed.")
            else:
                self.stdout.write(f"Person {person.pk} informed of {len(informed)} source(s); mail queued.")
            return
        due = {entry.person_id: entry for entry in information_due()}
        report = information_send_due(actor=_actor(), dry_run=dry_run)
        verb = "would be informed" if dry_run else "informed"
        for person_id in report.sent:
            self.stdout.write(f"{person_id}\tdue {due[person_id].due_on.isoformat()}\t{verb}")
        for person_id in report.no_address:
            self.stdout.write(f"{person_id}\tdue {due[person_id].due_on.isoformat()}\tno e-mail address")
        for person_id in report.restricted:
            self.stdout.write(f"{person_id}\tdue {due[person_id].due_on.isoformat()}\trestricted (Art. 18)")
        self.stdout.write(
            f"{'Dry run: ' if dry_run else ''}{len(report.sent)} {verb}, {len(report.no_address)} without an "
            f"address, {len(report.restricted)} restricted."
        )
