"""Data keys whose owner never came to be: made for a row whose transaction then rolled back
(a refused duplicate, a crash in the middle of a bulk load).

A data key is made, by name, before the row whose values it encrypts, in the key store's own
database; when the register's transaction fails afterwards the key stays behind. It holds
no personal data, but the key store should hold only keys that something owns. The owners
are the rows of every model whose values are encrypted under a key of their own
(EncryptedTextField(person_attr="pk"): persons, requests, mails, ...), found from the models
themselves, so a new owner needs no change here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.keystore.models import DataKey
from rekisteri.keystore.router import KEYSTORE_DB

# Longer than any transaction or bulk load runs: a key younger than this may still get its row.
GRACE = timedelta(hours=24)
_BATCH = 1000


def key_owner_models() -> list:
    """The models whose rows own a data key (their values are encrypted under their own pk)."""

    def owns_a_key(model) -> bool:
        fields = model._meta.concrete_fields
        return any(isinstance(f, EncryptedTextField) and f.person_attr == "pk" for f in fields)

    return [model for model in apps.get_models() if owns_a_key(model)]


def orphan_keys_remove(*, now: datetime | None = None, grace: timedelta = GRACE) -> int:
    """Delete the data keys older than `grace` whose owner row exists in no owner model.

    Keys of erased persons are gone already (erasure destroys them with a tombstone); these
    never had an owner, so no tombstone is written. Returns how many were removed.
    """
    cutoff = (now or timezone.now()) - grace
    owners = key_owner_models()
    removed = 0
    last = None
    while True:
        keys = DataKey.objects.using(KEYSTORE_DB).filter(created_at__lt=cutoff).order_by("person_id")
        if last is not None:
            keys = keys.filter(person_id__gt=last)
        batch = list(keys.values_list("person_id", flat=True)[:_BATCH])
        if not batch:
            return removed
        last = batch[-1]
        owned: set = set()
        for model in owners:
            owned.update(model._default_manager.filter(pk__in=batch).values_list("pk", flat=True))
        orphans = [pid for pid in batch if pid not in owned]
        if orphans:
            with transaction.atomic(using=KEYSTORE_DB):
                removed += DataKey.objects.using(KEYSTORE_DB).filter(person_id__in=orphans).delete()[0]
