"""Signed checkpoints of the chain head, kept outside the database.

One JSON line per checkpoint, appended to REKISTERI_AUDIT_CHECKPOINT_FILE (and sent to
REKISTERI_AUDIT_SYSLOG when set):

    {"at":…,"data_keys":…,"events":…,"head":…,"key_id":…,"persons":…,"prev":…,"seq":…,"sig":…,"v":2}

- seq, head: the chain head (its sequence number and HMAC); events: events in the trail;
  persons, data_keys: how many the register and the key store held, so a wiped trail beside
  a populated register is told from a new register.
- prev: SHA-256 of the previous line as written (zeros for the first), so removing,
  reordering or editing a line breaks the line after it.
- sig: Ed25519 signature (base64) over CHECKPOINT_SIGNED_PREFIX + the canonical JSON of every
  other field, under the signing key derived from the audit key named by key_id.

Lines of the first, unsigned format ({"seq", "hash", "at"}) are still read, but only before
the first signed line: nothing unsigned may follow a signed checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from logging.handlers import SysLogHandler
from pathlib import Path
from typing import Any

from rekisteri.audit.chain import CHECKPOINT_SIGNED_PREFIX, GENESIS_HASH, ChainKey, canonical_json

VERSION = 2
_FIELDS = ("at", "data_keys", "events", "head", "key_id", "persons", "prev", "seq", "v")
_TAIL_BLOCK = 8192


class CheckpointError(ValueError):
    """The checkpoint file is malformed or was tampered with; the message names the line."""

    def __init__(self, path: Path, line: int | None, problem: str):
        super().__init__(f"{path}: {'the last line' if line is None else f'line {line}'} {problem}")
        self.line = line


@dataclass(frozen=True)
class Checkpoint:
    line: int | None
    seq: int
    head: str
    at: str
    signed: bool
    events: int | None = None
    persons: int | None = None
    data_keys: int | None = None
    key_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        # read_checkpoints' callers (restore) compare "seq" and "hash" with the trail.
        return {"seq": self.seq, "hash": self.head, "at": self.at}


def line_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def checkpoint_line(
    *, key: ChainKey, prev_text: str | None, seq: int, head: str, persons: int, data_keys: int, at: str
) -> str:
    """The signed line for this head, chained to the previous line (None: the first line)."""
    entry: dict[str, Any] = {
        "v": VERSION,
        "seq": seq,
        "head": head,
        "events": seq,  # the trail is gapless from event 1
        "persons": persons,
        "data_keys": data_keys,
        "at": at,
        "key_id": key.key_id,
        "prev": GENESIS_HASH if prev_text is None else line_hash(prev_text),
    }
    signature = key.sign(CHECKPOINT_SIGNED_PREFIX + canonical_json(entry).encode("ascii"))
    entry["sig"] = base64.b64encode(signature).decode("ascii")
    return canonical_json(entry)


_UNCHECKED = object()


def read_checkpoints(path: Path, keys=None) -> list[Checkpoint]:
    """Every checkpoint in the file, oldest first.

    With `keys` (an AuditKeyRing) each signed line's signature and its link to the line
    before are checked too, and a CheckpointError names the first line that fails.
    """
    path = Path(path)
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)  # never half of a line being appended
        return parse_checkpoints(path, handle.read(), keys)


def parse_checkpoints(path: Path, text: str, keys=None) -> list[Checkpoint]:
    """The checkpoints in `text`, the content of the file at `path` (see read_checkpoints)."""
    result: list[Checkpoint] = []
    prev_text: str | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        checkpoint = parse_line(path, number, line, keys, prev_text)
        if keys is not None and not checkpoint.signed and any(cp.signed for cp in result):
            raise CheckpointError(
                path, number, "is not signed, but follows signed checkpoints: it was not written by rekisteri"
            )
        result.append(checkpoint)
        prev_text = line
    return result


def parse_line(path: Path, number: int | None, text: str, keys, prev_text: object = _UNCHECKED) -> Checkpoint:
    """One line as a Checkpoint. With `keys`, a signed line's signature is checked, and with
    `prev_text` (the line before it, None for the first) its link to that line."""
    try:
        entry = json.loads(text)
    except ValueError:
        raise CheckpointError(path, number, "is not a valid checkpoint (not JSON)") from None
    if not isinstance(entry, dict):
        raise CheckpointError(path, number, "is not a valid checkpoint")
    if "sig" not in entry:
        return Checkpoint(
            number,
            _int(path, number, entry, "seq"),
            _str(path, number, entry, "hash"),
            str(entry.get("at", "")),
            signed=False,
        )
    unknown = set(entry) - set(_FIELDS) - {"sig"}
    if unknown or entry.get("v") != VERSION:
        raise CheckpointError(path, number, "is not a valid checkpoint (unknown fields or version)")
    checkpoint = Checkpoint(
        line=number,
        seq=_int(path, number, entry, "seq"),
        head=_str(path, number, entry, "head"),
        at=_str(path, number, entry, "at"),
        signed=True,
        events=_int(path, number, entry, "events"),
        persons=_int(path, number, entry, "persons"),
        data_keys=_int(path, number, entry, "data_keys"),
        key_id=_str(path, number, entry, "key_id"),
    )
    if keys is None:
        return checkpoint
    key = keys.get(checkpoint.key_id)
    if key is None:
        raise CheckpointError(
            path,
            number,
            f"is signed with audit key {checkpoint.key_id!r}, which is not configured in REKISTERI_AUDIT_KEY",
        )
    try:
        signature = base64.b64decode(_str(path, number, entry, "sig"), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    unsigned = {name: entry[name] for name in _FIELDS if name in entry}
    if not key.signature_valid(
        signature, CHECKPOINT_SIGNED_PREFIX + canonical_json(unsigned).encode("ascii")
    ):
        raise CheckpointError(path, number, "has no valid signature: it was edited or forged")
    if prev_text is not _UNCHECKED:
        expected_prev = GENESIS_HASH if prev_text is None else line_hash(prev_text)
        if entry.get("prev") != expected_prev:
            raise CheckpointError(
                path,
                number,
                "does not follow the line before it: checkpoint lines were removed, reordered or edited",
            )
    if checkpoint.events != checkpoint.seq:
        raise CheckpointError(path, number, "counts a different number of events than its sequence number")
    return checkpoint


def _int(path: Path, number: int | None, entry: dict, name: str) -> int:
    value = entry.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CheckpointError(path, number, f"is not a valid checkpoint ({name!r} is missing or wrong)")
    return value


def _str(path: Path, number: int | None, entry: dict, name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str):
        raise CheckpointError(path, number, f"is not a valid checkpoint ({name!r} is missing or wrong)")
    return value


class CheckpointFile:
    """The checkpoint file, locked while open: concurrent writers chain their lines in turn."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def __enter__(self) -> CheckpointFile:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc_info) -> None:
        assert self._fd is not None
        os.close(self._fd)  # releases the lock
        self._fd = None

    def read_text(self) -> str:
        """The whole file, read through the locked descriptor (another open would wait for
        this process's own lock)."""
        assert self._fd is not None
        return os.pread(self._fd, os.fstat(self._fd).st_size, 0).decode("utf-8")

    def last_line(self) -> str | None:
        """The last non-empty line, read from the end (the file grows for years)."""
        assert self._fd is not None
        end = os.fstat(self._fd).st_size
        data = b""
        position = end
        while position > 0:
            step = min(_TAIL_BLOCK, position)
            position -= step
            data = os.pread(self._fd, step, position) + data
            stripped = data.rstrip(b"\n")
            if b"\n" in stripped or position == 0:
                break
        stripped = data.rstrip(b"\n")
        if not stripped.strip():
            return None
        return stripped.rsplit(b"\n", 1)[-1].decode("utf-8")

    def append(self, text: str) -> None:
        assert self._fd is not None
        os.write(self._fd, (text + "\n").encode("utf-8"))
        os.fsync(self._fd)


class _SysLogHandler(SysLogHandler):
    def handleError(self, record: logging.LogRecord) -> None:
        # Called inside emit()'s except block: re-raise, so the caller reports the failure.
        raise


def send_to_syslog(address: tuple[str, int, str], text: str) -> None:
    """Send one checkpoint line to a syslog host (UDP or TCP); OSError if it cannot be sent."""
    host, port, transport = address
    tcp = transport == "tcp"
    handler = _SysLogHandler(
        address=(host, port),
        facility=SysLogHandler.LOG_AUTH,
        socktype=socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM,
    )
    try:
        handler.ident = "rekisteri-audit: "
        # TCP syslog (RFC 6587) separates messages by a newline; UDP sends one per datagram.
        handler.append_nul = False
        message = "checkpoint %s\n" if tcp else "checkpoint %s"
        handler.emit(logging.LogRecord("rekisteri.audit", logging.INFO, __file__, 0, message, (text,), None))
    finally:
        handler.close()
