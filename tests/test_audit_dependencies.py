"""The dependency audit's offline fallback reads OSV ranges as pip-audit's service would."""

import json
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest
from packaging.version import Version

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "audit-dependencies"


@pytest.fixture(scope="module")
def audit():
    loader = SourceFileLoader("audit_dependencies", str(SCRIPT))
    module = module_from_spec(spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


_TWO_SPANS = ({"introduced": "4.2"}, {"fixed": "4.2.15"}, {"introduced": "5.0"}, {"fixed": "5.0.8"})


def _affected(*events, versions=()):
    ranges = [{"type": "ECOSYSTEM", "events": list(events)}] if events else []
    return {"package": {"name": "Django"}, "ranges": ranges, "versions": list(versions)}


@pytest.mark.parametrize(
    ("affected", "version", "vulnerable"),
    [
        (_affected({"introduced": "0"}, {"fixed": "4.2.15"}), "4.2.14", True),
        (_affected({"introduced": "0"}, {"fixed": "4.2.15"}), "4.2.15", False),
        # Two spans in one range: 4.2 up to 4.2.15 and 5.0 up to 5.0.8; 4.2.20 lies between them.
        (_affected(*_TWO_SPANS), "4.2.20", False),
        (_affected(*_TWO_SPANS), "5.0.7", True),
        (_affected({"introduced": "5.0"}, {"last_affected": "5.0.3"}), "5.0.3", True),
        (_affected({"introduced": "5.0"}, {"last_affected": "5.0.3"}), "5.0.4", False),
        # No fix yet: everything from the introduction on.
        (_affected({"introduced": "5.1"}), "5.2.9", True),
        (_affected({"introduced": "5.1"}), "5.0.1", False),
        (_affected(versions=["1.0", "1.1"]), "1.1", True),
        (_affected(versions=["1.0", "1.1"]), "1.2", False),
    ],
)
def test_osv_ranges_are_read_as_spans(audit, affected, version, vulnerable):
    assert audit._affects(affected, Version(version)) is vulnerable


def test_the_snapshot_flags_an_old_release_and_passes_the_pinned_one(audit, monkeypatch, tmp_path):
    snapshot = tmp_path / "advisories.json"
    snapshot.write_text(
        json.dumps(
            {
                "commit": "0" * 40,
                "date": "2024-10-10",
                "advisories": [
                    {
                        "id": "PYSEC-2024-70",
                        "aliases": ["CVE-2024-42005"],
                        "affected": [_affected({"introduced": "5.0"}, {"fixed": "5.0.8"})],
                    }
                ],
            }
        )
    )
    monkeypatch.setattr(audit, "SNAPSHOT", snapshot)
    monkeypatch.setattr(audit, "ROOT", tmp_path)

    vulnerable, source = audit.check_against_snapshot({"django": "5.0.7", "requests": "2.0"})
    expected_hit = {"id": "PYSEC-2024-70", "aliases": ["CVE-2024-42005"], "fix_versions": ["5.0.8"]}
    assert vulnerable == [{"name": "django", "version": "5.0.7", "vulns": [expected_hit]}]
    assert "2024-10-10" in source and "NOT covered" in source

    assert audit.check_against_snapshot({"django": "5.2.9"})[0] == []


def test_the_committed_snapshot_covers_the_register_s_main_dependencies(audit):
    snapshot = json.loads(audit.SNAPSHOT.read_text(encoding="utf-8"))
    names = {a["package"]["name"].lower() for adv in snapshot["advisories"] for a in adv["affected"]}
    assert {"django", "cryptography", "pip"} <= names
