"""The audit key ring: REKISTERI_AUDIT_KEY, or the embedded default's key file.

The audit key is a secret of its own, not derived from the master key: the trail is kept
for years and must verify after every `rekisteri keys rotate`, which retires master keys for
good. It has the master key's format (`id:base64key[,oldid:oldkey]`, `rekisteri keys
generate` makes one); the first key chains new events, older ones stay to verify the
events and checkpoints that name them. It is never written to a database.
"""

from __future__ import annotations

import threading

from django.conf import settings

from rekisteri.audit.chain import ChainKey
from rekisteri.lib import crypto


class AuditKeyError(RuntimeError):
    """No usable audit key: appending and verifying are impossible. The message names the cause."""


class AuditKeyRing:
    def __init__(self, ring: crypto.MasterKeyRing):
        self.current = ChainKey(ring.current.key_id, ring.current.key)
        self._keys = {self.current.key_id: self.current}
        for old in ring.old:
            self._keys[old.key_id] = ChainKey(old.key_id, old.key)

    def get(self, key_id: str) -> ChainKey | None:
        return self._keys.get(key_id)

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)


_lock = threading.Lock()
_loaded: dict[tuple[str, str], AuditKeyRing] = {}


def audit_keys() -> AuditKeyRing:
    """The configured audit keys, derived once per process and configuration."""
    source = (settings.AUDIT_KEY, str(settings.AUDIT_KEY_FILE))
    ring = _loaded.get(source)
    if ring is not None:
        return ring
    with _lock:
        if source not in _loaded:
            _loaded.clear()  # another configuration (tests): forget the previous keys
            _loaded[source] = AuditKeyRing(_read_ring())
        return _loaded[source]


def _read_ring() -> crypto.MasterKeyRing:
    try:
        if settings.AUDIT_KEY:
            ring = crypto.parse_master_keys(settings.AUDIT_KEY)
        elif settings.PRODUCTION:
            raise AuditKeyError("REKISTERI_AUDIT_KEY must be set when REKISTERI_ENV=production")
        else:
            ring = crypto.read_or_create_master_key_file(settings.AUDIT_KEY_FILE)
    except crypto.CryptoError as exc:
        # The master key's format and parser, so its messages, said of the audit key.
        message = str(exc).replace("MASTER_KEY", "AUDIT_KEY").replace("a master key", "an audit key")
        message = message.replace("master key", "audit key")
        raise AuditKeyError(f"the audit key cannot be used: {message}") from None
    except (ValueError, OSError) as exc:
        raise AuditKeyError(f"the audit key cannot be read: {exc}") from None
    if settings.MASTER_KEY:
        master = {key.key for key in _master_keys(settings.MASTER_KEY)}
        if any(key.key in master for key in (ring.current, *ring.old)):
            raise AuditKeyError(
                "REKISTERI_AUDIT_KEY holds a master key: give the audit trail a key of its own "
                "(`rekisteri keys generate --id audit-1`)"
            )
    return ring


def _master_keys(value: str) -> list[crypto.MasterKey]:
    try:
        ring = crypto.parse_master_keys(value)
    except crypto.CryptoError:
        return []  # the key store reports a malformed master key itself
    return [ring.current, *ring.old]
