import io

import pytest
from django.core.management import CommandError, call_command

from rekisteri.accounts.models import ApiToken
from rekisteri.accounts.services import token_authenticate, token_create
from rekisteri.audit.actor import Actor
from rekisteri.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _token(*args: str) -> str:
    out = io.StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def _make(user, name=""):
    return token_create(actor=Actor.system("test", origin="cli"), user=user, name=name)


def test_create_prints_the_token_as_the_last_line_and_it_authenticates(cast):
    output = _token("create", "--user", "sanna.sales", "--name", "crm-sync")

    raw = output.strip().splitlines()[-1]
    token = token_authenticate(raw)
    assert token is not None and token.user == cast.sales and token.name == "crm-sync"
    assert ApiToken.objects.get().key_hash != raw
    event = AuditEvent.objects.get(object_type="api_token")
    assert (event.action, event.actor_label, event.origin) == ("create", "cli:token", "cli")
    assert raw not in event.detail


def test_create_for_an_unknown_user_fails_and_creates_nothing(cast):
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        _token("create", "--user", "nobody")
    assert not ApiToken.objects.exists()


def test_create_for_an_inactive_user_is_refused(cast):
    with pytest.raises(CommandError, match="not active"):
        _token("create", "--user", "ilkka.inactive")
    assert not ApiToken.objects.exists()


def test_create_for_a_user_without_nda_warns_that_the_token_reaches_no_personal_data(cast):
    output = _token("create", "--user", "niko.nonda")
    assert "no access to personal data" in output
    assert token_authenticate(output.strip().splitlines()[-1]) is not None


def test_revoke_by_prefix_stops_the_token_working_and_is_audited(cast):
    token, raw = _make(cast.sales)
    output = _token("revoke", token.prefix)

    assert token_authenticate(raw) is None
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert (
        AuditEvent.objects.filter(object_type="api_token", action="delete", actor_label="cli:token").count()
        == 1
    )
    assert f"Revoked token {token.pk}" in output


def test_revoke_accepts_the_id_or_the_whole_token(cast):
    first, first_raw = _make(cast.sales)
    second, second_raw = _make(cast.sales)
    _token("revoke", str(first.pk))
    _token("revoke", second_raw)
    assert token_authenticate(first_raw) is None
    assert token_authenticate(second_raw) is None


def test_revoke_all_of_a_user_leaves_other_users_tokens_alone(cast):
    _, sales_one = _make(cast.sales)
    _, sales_two = _make(cast.sales)
    _, crm_raw = _make(cast.crm)
    output = _token("revoke", "--user", "sanna.sales", "--all")

    assert token_authenticate(sales_one) is None and token_authenticate(sales_two) is None
    assert token_authenticate(crm_raw) is not None
    assert output.count("Revoked") == 2


def test_revoke_dry_run_changes_nothing(cast):
    token, raw = _make(cast.sales)
    events = AuditEvent.objects.count()
    output = _token("revoke", token.prefix, "--dry-run")
    assert "Would revoke" in output
    assert token_authenticate(raw) is not None
    assert AuditEvent.objects.count() == events


def test_revoking_a_revoked_token_says_so_and_writes_nothing(cast):
    token, _ = _make(cast.sales)
    _token("revoke", str(token.pk))
    events = AuditEvent.objects.count()
    assert "already revoked" in _token("revoke", str(token.pk))
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["revoke", "rk_nosuch"], "No token with prefix rk_nosuch"),
        (["revoke", "999"], "No token with id 999"),
        (["revoke", "hello"], "neither a token id nor a token prefix"),
        (["revoke"], "Name the token"),
        (["revoke", "--all"], "--all needs --user"),
        (["revoke", "--user", "sanna.sales"], "or use --user NAME --all"),
        ([], "subcommand|required"),
        (["rotate"], "invalid choice"),
    ],
)
def test_bad_arguments_give_a_clear_error(cast, args, message):
    with pytest.raises(CommandError, match=message):
        _token(*args)


def test_list_shows_prefixes_and_never_the_secret(cast):
    token, raw = _make(cast.sales, name="crm-sync")
    output = _token("list")
    assert token.prefix in output and "crm-sync" in output and "sanna.sales" in output
    assert raw not in output
