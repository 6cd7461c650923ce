"""Byte scans of stored files for what must not be there (erasure proof, plaintext checks).

Two scanners:

- `scan`: every needle of a few (values in several encodings, ciphertexts as raw, hex and
  base64) looked for in a few sources held in memory. Used by the tests that read a whole
  register's files and pg_dumps.
- `FragmentScan`: many fixed-length fragments (the ciphertexts and wrapped keys of a batch
  of erased persons, or only their public nonces) looked for in files of any size, read in
  chunks, in one pass.

How FragmentScan stays one pass for thousands of needles: each fragment is `length` bytes
long (31 by default; the erasure proof's nonce probes are 13), and any occurrence of it in a
file covers at least one whole aligned slot of `stride` = (length + 1) // 2 bytes (31 = 2 *
16 - 1; 13 = 2 * 7 - 1). So each fragment is indexed by its `stride` slices at offsets
0..stride-1, and the file is cut into its aligned slots (in C, by struct) and tested against
that set (in C, by set.isdisjoint). A hit is confirmed by searching the
chunk for the fragments holding the matched slice. Memory: about 1 kB per fragment plus one
chunk; time: one pass of slot-cutting over the file (measured in benchmarks/README.md),
whatever the number of fragments. Ciphertexts shorter than a fragment (values of one or two characters) are
searched for directly. No Django here.
"""

from __future__ import annotations

import re
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

STRIDE = 16
FRAGMENT = 2 * STRIDE - 1
SLOTS_PER_CALL = 4096  # 64 kB of 16-byte slots per call, cut in C
CHUNK = 8 * 1024 * 1024  # read at a time (rounded down to whole calls' slots)
# Up to this many fragments (one person's erasure has about six) each is searched for directly
# (C's substring search, a few ms per 8 MB chunk each), which beats cutting the chunk into
# slots; a batch's thousands of fragments take the one-pass slot test (benchmarks/README.md).
DIRECT_UP_TO = 24


def scan(sources: dict[str, bytes], needles: dict[bytes, str]) -> list[str]:
    """'what in where' for every needle found in any source."""
    # Database pages are mostly zero bytes, which make every UTF-16/32 needle a candidate
    # everywhere. Runs of zeros longer than any needle holds are shortened first: that keeps
    # every match (and makes none) and the scan some fifty times faster.
    longest = max((len(run) for needle in needles for run in re.findall(rb"\x00+", needle)), default=0)
    squeeze = re.compile(rb"\x00{%d,}" % (longest + 2))
    found = []
    for where, data in sources.items():
        data = squeeze.sub(b"\x00" * (longest + 1), data)
        found.extend(f"{what} in {where}" for needle, what in needles.items() if needle in data)
    return found


@dataclass
class FragmentScan:
    """Fragments of blobs, each with its owner (an id) and kind ("ciphertext", "data_key")."""

    fragments: list[tuple[bytes, object, str]] = field(default_factory=list)
    length: int = FRAGMENT
    _slices: set[bytes] = field(default_factory=set)
    _short: list[int] = field(default_factory=list)

    def __post_init__(self):
        self.stride = (self.length + 1) // 2
        self._cut = struct.Struct(f"{self.stride}s" * SLOTS_PER_CALL)

    def _chunk_size(self) -> int:
        unit = self._cut.size if CHUNK >= self._cut.size else self.stride
        return CHUNK - CHUNK % unit

    def add(self, blob: bytes | memoryview | None, *, owner, kind: str) -> None:
        if not blob:
            return
        blob = bytes(blob)
        if len(blob) < self.length:
            self._short.append(len(self.fragments))
            self.fragments.append((blob, owner, kind))
            return
        fragment = blob[: self.length]
        self.fragments.append((fragment, owner, kind))
        stride = self.stride
        self._slices.update([fragment[o : o + stride] for o in range(stride)])

    def __len__(self) -> int:
        return len(self.fragments)

    def owners(self) -> int:
        return len({owner for _, owner, _ in self.fragments})

    def _slots(self, chunk: bytes):
        whole = len(chunk) - len(chunk) % self._cut.size
        stride = self.stride
        return chain(
            chain.from_iterable(self._cut.iter_unpack(memoryview(chunk)[:whole])),
            (chunk[i : i + stride] for i in range(whole, len(chunk) - stride + 1, stride)),
        )

    def _found_in(self, chunk: bytes) -> set[int]:
        if len(self.fragments) <= DIRECT_UP_TO:
            return {n for n, (fragment, _, _) in enumerate(self.fragments) if fragment in chunk}
        found = {n for n in self._short if self.fragments[n][0] in chunk}
        if self._slices.isdisjoint(self._slots(chunk)):
            return found
        # A finding (or a chance match of 128 bits): the slices that matched, the fragments
        # that hold one of them, and of those the ones the chunk holds whole.
        matched = self._slices.intersection(self._slots(chunk))
        for n, (fragment, _, _) in enumerate(self.fragments):
            if (
                len(fragment) == self.length
                and any(piece in fragment for piece in matched)
                and fragment in chunk
            ):
                found.add(n)
        return found

    def run(self, files: Iterable[tuple[str, Path]]) -> dict:
        """Scan each (name, path); the result names files, sizes and what was found where.

        The result holds owners' ids and kinds only, never the bytes searched for.
        """
        began = time.perf_counter()
        scanned, found = [], []
        for name, path in files:
            hits: set[int] = set()
            size = 0
            chunk_size = self._chunk_size()
            try:
                with open(path, "rb") as stream:
                    tail = b""
                    while True:
                        block = stream.read(chunk_size)
                        if not block:
                            break
                        size += len(block)
                        # The previous chunk's last slots again, so a fragment across the
                        # boundary is whole in one chunk; aligned, as the file is.
                        chunk = tail + block
                        hits |= self._found_in(chunk)
                        keep = len(chunk) % self.stride + 2 * self.stride
                        tail = chunk[-keep:] if len(chunk) > keep else b""
            except FileNotFoundError:
                continue  # a WAL that a checkpoint removed: nothing there to find
            scanned.append({"file": name, "bytes": size})
            found.extend(
                {"owner": self.fragments[n][1], "kind": self.fragments[n][2], "file": name}
                for n in sorted(hits)
            )
        return {
            "performed": True,
            "files": scanned,
            "fragments": len(self.fragments),
            "owners": self.owners(),
            "found": found,
            "result": "found" if found else "clean",
            "seconds": round(time.perf_counter() - began, 3),
        }
