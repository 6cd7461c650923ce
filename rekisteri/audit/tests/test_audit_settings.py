"""The audit settings: production keeps checkpoints out of the data directory and needs an
audit key; the embedded mode warns through `rekisteri check`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from rekisteri.lib.crypto import generate_master_key

PRODUCTION = {
    "REKISTERI_ENV": "production",
    "SECRET_KEY": "s" * 60,
    "ALLOWED_HOSTS": "rekisteri.firma.fi",
    "EMAIL_HOST": "smtp.firma.fi",
    "REKISTERI_MASTER_KEY": "prod-1:" + "A" * 43,
    "REKISTERI_AUDIT_KEY": generate_master_key("audit-1").to_string(),
}


def _settings_of(data_dir, **env) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "REKISTERI_"))}
    clean.pop("DATABASE_URL", None)
    clean.update(REKISTERI_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="rekisteri.settings")
    clean.update({key: value for key, value in env.items() if value is not None})
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.AUDIT_CHECKPOINT_FILE); print(s.AUDIT_SYSLOG)"
    )
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=60)


def test_production_refuses_checkpoints_inside_the_data_directory(tmp_path):
    result = _settings_of(tmp_path / "data", **PRODUCTION)

    assert result.returncode != 0
    assert "REKISTERI_AUDIT_CHECKPOINT_FILE must lie outside the data directory" in result.stderr


def test_production_accepts_checkpoints_elsewhere(tmp_path):
    elsewhere = tmp_path / "audit" / "checkpoints.jsonl"
    result = _settings_of(tmp_path / "data", **PRODUCTION, REKISTERI_AUDIT_CHECKPOINT_FILE=str(elsewhere))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(elsewhere), "None"]


def test_production_refuses_to_start_without_an_audit_key(tmp_path):
    result = _settings_of(
        tmp_path / "data",
        **{**PRODUCTION, "REKISTERI_AUDIT_KEY": None},
        REKISTERI_AUDIT_CHECKPOINT_FILE=str(tmp_path / "checkpoints.jsonl"),
    )

    assert result.returncode != 0
    assert "REKISTERI_AUDIT_KEY must be set when REKISTERI_ENV=production" in result.stderr


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("logs.firma.fi:514", "('logs.firma.fi', 514, 'udp')"),
        ("tcp://10.0.0.5:6514", "('10.0.0.5', 6514, 'tcp')"),
        ("udp://[::1]:514", "('::1', 514, 'udp')"),
    ],
)
def test_a_syslog_host_is_read_as_host_port_and_transport(tmp_path, value, address):
    result = _settings_of(tmp_path, REKISTERI_AUDIT_SYSLOG=value)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == address


@pytest.mark.parametrize("value", ["logs.firma.fi", "http://logs:514", "logs:99999", ":514"])
def test_a_malformed_syslog_host_stops_the_process(tmp_path, value):
    result = _settings_of(tmp_path, REKISTERI_AUDIT_SYSLOG=value)

    assert result.returncode != 0
    assert "REKISTERI_AUDIT_SYSLOG must look like host:port" in result.stderr


def test_the_deployment_check_warns_about_checkpoints_in_the_data_directory(settings):
    from django.core.checks.registry import registry

    from rekisteri.audit.checks import checkpoints_outside_the_data_directory as check

    settings.AUDIT_CHECKPOINT_IN_DATA_DIR = True
    assert [warning.id for warning in check(None)] == ["rekisteri.audit.W001"]
    assert check in registry.get_checks(include_deployment_checks=True)
    # Not on every command of an embedded installation's day: only `check --deploy`.
    assert check not in registry.get_checks(include_deployment_checks=False)
    call_command("check", "--fail-level", "WARNING")

    settings.AUDIT_CHECKPOINT_IN_DATA_DIR = False
    assert check(None) == []
