"""`rekisteri staff reset-password`: a temporary password from the shell, printed once."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from conftest import PASSWORD
from rekisteri.accounts.models import StaffProfile
from rekisteri.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _staff(*args: str) -> str:
    out = io.StringIO()
    call_command("staff", *args, stdout=out)
    return out.getvalue()


def test_reset_password_prints_a_temporary_password_to_be_changed_at_login(cast):
    output = _staff("reset-password", "--username", "sanna.sales")

    temporary = output.strip().splitlines()[-1]
    user = get_user_model().objects.get(pk=cast.sales.pk)
    assert user.check_password(temporary) and not user.check_password(PASSWORD)
    assert StaffProfile.objects.get(user=user).must_change_password
    event = AuditEvent.objects.get(action="password_reset")
    assert (event.object_type, event.actor_label, event.origin) == ("staff", "cli:staff", "cli")
    assert temporary not in event.detail


@pytest.mark.parametrize(
    ("username", "message"),
    [("nobody", "No user named 'nobody'"), ("olli.outsider", "Only a staff member's password")],
)
def test_reset_password_refuses_unknown_users_and_non_staff(cast, username, message):
    with pytest.raises(CommandError, match=message):
        _staff("reset-password", "--username", username)
    assert not AuditEvent.objects.filter(action="password_reset").exists()


def test_reset_password_needs_a_username():
    with pytest.raises(CommandError):
        call_command("staff", "reset-password")
