"""The fragment scan of the erasure proof: one pass finds any fragment at any offset."""

from __future__ import annotations

import json
import os

import pytest

from rekisteri.lib import bytescan
from rekisteri.lib.bytescan import FRAGMENT, FragmentScan


@pytest.fixture(autouse=True, params=["direct", "slots"])
def strategy(request, monkeypatch):
    """Every test runs with both searches: each fragment directly (a single erasure's few) and
    the one-pass slot test (a batch's thousands)."""
    if request.param == "slots":
        monkeypatch.setattr(bytescan, "DIRECT_UP_TO", 0)
    return request.param


@pytest.fixture(autouse=True, params=[FRAGMENT, 13])
def length(request, monkeypatch):
    """And with both fragment lengths: ciphertext prefixes (31) and the proof's nonce probes (13)."""
    monkeypatch.setattr(bytescan, "FRAGMENT", request.param)  # FragmentScan's default below
    return request.param


def _scan_of(blobs: dict[str, bytes]) -> FragmentScan:
    scan = FragmentScan(length=bytescan.FRAGMENT)
    for owner, blob in blobs.items():
        scan.add(blob, owner=owner, kind="ciphertext")
    return scan


@pytest.mark.parametrize("offset", range(17))
def test_a_fragment_is_found_at_every_offset(tmp_path, offset):
    blob = os.urandom(60)
    path = tmp_path / "db"
    path.write_bytes(os.urandom(1000) + b"x" * offset + blob + os.urandom(500))

    result = _scan_of({"p1": blob, "p2": os.urandom(60)}).run([("db", path)])

    assert result["result"] == "found"
    assert result["found"] == [{"owner": "p1", "kind": "ciphertext", "file": "db"}]


def test_a_fragment_across_a_chunk_boundary_is_found(tmp_path, monkeypatch):
    monkeypatch.setattr(bytescan, "CHUNK", 4096)
    blob = os.urandom(45)
    for start in range(4096 - bytescan.FRAGMENT, 4096 + 1):
        path = tmp_path / f"db{start}"
        data = bytearray(os.urandom(3 * 4096 + 7))
        data[start : start + len(blob)] = blob
        path.write_bytes(bytes(data))

        result = _scan_of({"p": blob}).run([("db", path)])

        assert result["found"] == [{"owner": "p", "kind": "ciphertext", "file": "db"}], start


def test_a_clean_file_says_clean_and_names_its_size_but_never_the_bytes_looked_for(tmp_path):
    blob = os.urandom(64)
    path = tmp_path / "rekisteri.sqlite3"
    path.write_bytes(bytes(100_000))

    result = _scan_of({"p": blob}).run([("rekisteri.sqlite3", path), ("missing-wal", tmp_path / "none")])

    assert result["result"] == "clean" and result["found"] == []
    assert result["files"] == [{"file": "rekisteri.sqlite3", "bytes": 100_000}]  # a missing WAL is skipped
    assert (result["fragments"], result["owners"]) == (1, 1)
    text = json.dumps(result)
    assert blob.hex() not in text and blob[:FRAGMENT].hex()[:16] not in text


def test_a_ciphertext_shorter_than_a_fragment_is_looked_for_whole(tmp_path):
    short = os.urandom(29)  # version, nonce and tag of a one-byte value
    path = tmp_path / "db"
    path.write_bytes(os.urandom(300) + short + os.urandom(300))

    assert _scan_of({"p": short}).run([("db", path)])["result"] == "found"
    assert _scan_of({"p": os.urandom(29)}).run([("db", path)])["result"] == "clean"
