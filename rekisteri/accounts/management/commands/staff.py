"""`rekisteri staff reset-password | end-sessions | deactivate`: staff accounts from the shell."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rekisteri.accounts.services import sessions_end, staff_deactivate, staff_password_reset
from rekisteri.audit.actor import Actor
from rekisteri.errors import english


class Command(BaseCommand):
    help = (
        "Staff accounts. `staff reset-password --username U` gives U a temporary password, printed "
        "once as the last line of the output (only its hash is stored); U must choose their own "
        "password at the next login. Their login lock, if any, is lifted, and their sessions end. "
        "`staff end-sessions --username U` ends every session of U now. `staff deactivate "
        "--username U` takes U's access away: no login, sessions and API tokens end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(
            dest="action", metavar="{reset-password,end-sessions,deactivate}", required=True
        )
        for name, text in (
            ("reset-password", "Give a staff member a temporary password."),
            ("end-sessions", "End every session of a staff member now."),
            ("deactivate", "Take a staff member's access away (sessions and API tokens end)."),
        ):
            action = actions.add_parser(name, help=text)
            action.add_argument("--username", required=True, help="The staff member's login name.")

    def handle(self, *args, action: str, **options):
        username = options["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        actor = Actor.system("cli:staff", origin="cli")
        if action == "end-sessions":
            ended = sessions_end(actor=actor, user=user, reason="ended_by_staff")
            self.stdout.write(self.style.SUCCESS(f"Ended {ended} session(s) of {username}."))
            return
        if action == "deactivate":
            if not user.is_active:
                raise CommandError(f"{username} is not active already.")
            try:
                staff_deactivate(actor=actor, user=user)
            except ValidationError as exc:
                raise CommandError(english(exc)) from None
            self.stdout.write(
                self.style.SUCCESS(f"{username} was deactivated; their sessions and tokens ended.")
            )
            return
        try:
            password = staff_password_reset(actor=actor, user=user)
        except ValidationError as exc:
            raise CommandError(f"Password not reset: {english(exc)}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{username} has a temporary password and must change it at the next login. "
                "Tell it to them in person or by phone:"
            )
        )
        self.stdout.write(password)
