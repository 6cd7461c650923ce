import os
import socket
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command


def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REKISTERI_ENV"}}
    env["REKISTERI_DATA_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "rekisteri.cli", *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "eighty"], "port must be a whole number"),
        (["--port", "70000"], "port must be between 1 and 65535"),
        (["--workers", "0"], "workers must be between 1 and 64"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_message(tmp_path, args, message):
    result = _cli(tmp_path, "serve", *args)
    assert result.returncode == 2
    assert message in result.stderr


def test_it_refuses_to_serve_an_unmigrated_database(tmp_path):
    result = _cli(tmp_path, "serve", "--port", "1")
    assert result.returncode == 1
    assert "Run `rekisteri migrate` first" in result.stderr


@pytest.mark.django_db
def test_it_refuses_a_port_that_is_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Cannot listen on 127.0.0.1:{port}"):
            call_command("serve", "--port", str(port))


@pytest.mark.django_db
def test_it_refuses_to_serve_without_a_usable_audit_key(settings):
    settings.AUDIT_KEY = "audit-1:too-short"
    with pytest.raises(CommandError, match="audit key cannot be used: audit key 'audit-1' is not URL-safe"):
        call_command("serve", "--port", "1")
