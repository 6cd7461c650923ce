"""`rekisteri token`: create, list and revoke API tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from rekisteri.accounts.access import personal_data_refusal
from rekisteri.accounts.models import ApiToken
from rekisteri.accounts.services import TOKEN_PREFIX, token_create, token_revoke
from rekisteri.audit.actor import Actor


def _user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.")
    return user


def _describe(token: ApiToken) -> str:
    label = f' "{token.name}"' if token.name else ""
    return f"token {token.pk} ({token.prefix}…{label}) of {token.user.get_username()}"


class Command(BaseCommand):
    help = (
        "Manage REST API tokens. `token create --user NAME` prints the new token once, as the "
        "last line of its output; only a hash is stored. `token revoke` takes a token's id or "
        "prefix, or --user NAME --all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="{create,list,revoke}", required=True)

        create = actions.add_parser("create", help="Create a token for a staff member.")
        create.add_argument("--user", required=True, help="Username of the token's owner.")
        create.add_argument("--name", default="", help="A label to tell tokens apart, e.g. 'crm-sync'.")

        listing = actions.add_parser("list", help="List tokens (never their secrets).")
        listing.add_argument("--user", help="Only this user's tokens.")
        listing.add_argument("--revoked", action="store_true", help="Include revoked tokens.")

        revoke = actions.add_parser("revoke", help="Revoke a token, or all tokens of a user.")
        revoke.add_argument("token", nargs="?", help="The token's id, its prefix (rk_…) or the whole token.")
        revoke.add_argument("--user", help="With --all: the user whose tokens to revoke.")
        revoke.add_argument("--all", action="store_true", help="Revoke every active token of --user.")
        revoke.add_argument(
            "--dry-run", action="store_true", help="Show what would be revoked, change nothing."
        )

    def handle(self, *args, action: str, **options):
        if action == "create":
            self._create(options["user"], options["name"])
        elif action == "list":
            self._list(options["user"], options["revoked"])
        else:
            self._revoke(options["token"], options["user"], options["all"], options["dry_run"])

    def _create(self, username: str, name: str) -> None:
        user = _user(username)
        if not user.is_active:
            raise CommandError(f"{username} is not active; an inactive account gets no token.")
        if len(name) > 100:
            raise CommandError("--name can be at most 100 characters.")
        with transaction.atomic():
            token, raw = token_create(
                actor=Actor.system("cli:token", origin="cli"), user=user, name=name.strip()
            )
        self.stdout.write(self.style.SUCCESS(f"Created {_describe(token)}."))
        refusal = personal_data_refusal(user)
        if refusal is not None:
            self.stdout.write(
                self.style.WARNING(f"The token gives no access to personal data yet: {refusal}")
            )
        self.stdout.write("Store the token now; it cannot be shown again:")
        # The raw token is the last line, so scripts can take it with `tail -n 1`.
        self.stdout.write(raw)

    def _list(self, username: str | None, include_revoked: bool) -> None:
        tokens = ApiToken.objects.select_related("user").order_by("pk")
        if username:
            tokens = tokens.filter(user=_user(username))
        if not include_revoked:
            tokens = tokens.filter(revoked_at__isnull=True)
        count = 0
        for token in tokens:
            count += 1
            used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            self.stdout.write(
                f"{token.pk:>5}  {token.prefix}…  {token.user.get_username():<24} "
                f"{state:<18} last used {used}  {token.name}"
            )
        self.stdout.write(f"{count} token(s).")

    def _revoke(self, value: str | None, username: str | None, revoke_all: bool, dry_run: bool) -> None:
        if revoke_all:
            if value:
                raise CommandError("Give either a token or --user NAME --all, not both.")
            if not username:
                raise CommandError("--all needs --user NAME.")
            tokens = list(
                ApiToken.objects.select_related("user")
                .filter(user=_user(username), revoked_at__isnull=True)
                .order_by("pk")
            )
            if not tokens:
                self.stdout.write(f"{username} has no active tokens; nothing changed.")
                return
        else:
            if not value:
                raise CommandError("Name the token to revoke (its id or prefix), or use --user NAME --all.")
            if username:
                raise CommandError("--user is only used with --all.")
            token = self._find(value.strip())
            if token.revoked_at is not None:
                self.stdout.write(f"{_describe(token).capitalize()} was already revoked; nothing changed.")
                return
            tokens = [token]
        if dry_run:
            for token in tokens:
                self.stdout.write(f"Would revoke {_describe(token)}.")
            self.stdout.write("Dry run: nothing changed.")
            return
        actor = Actor.system("cli:token", origin="cli")
        with transaction.atomic():
            for token in tokens:
                token_revoke(actor=actor, token=token)
        for token in tokens:
            self.stdout.write(self.style.SUCCESS(f"Revoked {_describe(token)}."))

    def _find(self, value: str) -> ApiToken:
        tokens = ApiToken.objects.select_related("user")
        if value.isdigit():
            token = tokens.filter(pk=int(value)).first()
            if token is None:
                raise CommandError(f"No token with id {value}.")
            return token
        if not value.startswith(TOKEN_PREFIX) or len(value) < len(TOKEN_PREFIX) + 4:
            raise CommandError(f"{value!r} is neither a token id nor a token prefix such as rk_AbCd123.")
        # The stored prefix is the first ten characters; a whole token starts with it too.
        matches = list(tokens.filter(prefix__startswith=value[:10]).order_by("pk")[:2])
        if len(value) > 10:
            matches = [token for token in matches if token.prefix == value[:10]]
        if not matches:
            raise CommandError(f"No token with prefix {value[:10]}.")
        if len(matches) > 1:
            raise CommandError(
                f"Several tokens start with {value[:10]}; revoke by id (see `rekisteri token list`)."
            )
        return matches[0]
