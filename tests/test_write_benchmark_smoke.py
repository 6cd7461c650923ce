"""The single-write pair still measures what it says (benchmarks/writes.py): both servers
answer 2xx. It once measured nothing but 403s for a whole run, when section 11's staff
instructions gated its writer; speed targets live in the benchmark, not here."""

import pytest

from benchmarks import writes

pytestmark = pytest.mark.slow


def test_the_write_pair_creates_persons_through_both_servers():
    figures = writes.measure_pair(database="sqlite", workers=1, concurrency=2, seconds=0.5, warmup=0.2)
    for side in ("bare", "project"):
        measured = figures[side]
        assert measured["errors"] == {}, (side, measured["errors"])
        assert measured["requests"] > 0 and measured["rate"] > 0, side
        assert 0 < measured["p50"] <= measured["p99"], side
    assert figures["ratio"] == figures["project"]["rate"] / figures["bare"]["rate"]
    assert "POST /api/v1/persons" in writes.report({"sqlite": figures}, {"sqlite": "SQLite"})
