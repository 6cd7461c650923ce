"""`rekisteri check --deploy --fail-level WARNING` with production settings, as a deployment runs it."""

import os
import secrets
import subprocess
import sys

from rekisteri.lib.crypto import generate_master_key


def _check(tmp_path, **env_overrides) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "KEYSTORE_DATABASE_URL",
            "DEBUG",
            "SECRET_KEY",
            "ALLOWED_HOSTS",
            "REKISTERI_ENV",
            "REKISTERI_MASTER_KEY",
            "REKISTERI_AUDIT_KEY",
        }
    }
    env.update(
        REKISTERI_DATA_DIR=str(tmp_path / "data"),
        REKISTERI_AUDIT_CHECKPOINT_FILE=str(tmp_path / "audit" / "checkpoints.jsonl"),
        REKISTERI_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="rekisteri.example.fi",
        EMAIL_HOST="smtp.example.fi",
        REKISTERI_MASTER_KEY=generate_master_key("prod-1").to_string(),
        REKISTERI_AUDIT_KEY=generate_master_key("audit-1").to_string(),
    )
    env.update(env_overrides)
    env = {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, "-m", "rekisteri.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deployment_check_without_warnings(tmp_path):
    result = _check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_check_fails_when_debug_is_left_on_in_production(tmp_path):
    result = _check(tmp_path, DEBUG="true")
    assert result.returncode == 1
    assert "security.W018" in result.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _check(tmp_path, SECRET_KEY=None)
    assert result.returncode == 2
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_master_key(tmp_path):
    result = _check(tmp_path, REKISTERI_MASTER_KEY=None)
    assert result.returncode != 0
    assert "REKISTERI_MASTER_KEY" in result.stderr
