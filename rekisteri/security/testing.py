"""For tests: a client logged in with force_login stands for a member who has also given the
second factor, as every real login of theirs must. The two-factor tests use the real pages."""

from __future__ import annotations

import base64

from django_otp import DEVICE_ID_SESSION_KEY

from rekisteri.keystore.services import create_keys
from rekisteri.lib.ids import uuid7
from rekisteri.security.models import TOTPDevice
from rekisteri.security.services.two_factor import confirmed_device, two_factor_required

# A fixed secret, so a test can compute the member's codes.
TEST_SECRET = base64.b32encode(b"rekisteri-test-totp!").decode()


def enrolled_device(user) -> TOTPDevice:
    """The member's confirmed authenticator, made with TEST_SECRET when they have none."""
    device = confirmed_device(user)
    if device is None:
        device_id = uuid7()
        create_keys([device_id])
        device = TOTPDevice(id=device_id, user=user, name="test", confirmed=True, secret=TEST_SECRET)
        device.save(force_insert=True)
    return device


def second_factor_given(client, user) -> None:
    if not two_factor_required(user):
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = enrolled_device(user).persistent_id
    session.save()
