"""Headers every answer carries, staff pages, public pages, the API and errors alike."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/accounts/login/", "/portal/", "/api/v1/persons", "/no-such-page/"])
def test_every_answer_denies_the_browser_features_no_page_uses(path):
    response = Client().get(path)

    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_the_data_directory_and_its_files_are_the_owners_alone(tmp_path):
    import os
    import subprocess
    import sys

    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REKISTERI_ENV"}}

    refused = subprocess.run(
        [sys.executable, "-m", "rekisteri.cli", "check"],
        env={**env, "REKISTERI_DATA_DIR": str(loose)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert f"chmod 700 {loose}" in refused.stderr

    fresh = tmp_path / "fresh"
    migrate = subprocess.run(
        ["sh", "-c", f"umask 022 && {sys.executable} -m rekisteri.cli migrate --no-input -v 0"],
        env={**env, "REKISTERI_DATA_DIR": str(fresh)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert fresh.stat().st_mode & 0o777 == 0o700
    written = [path for path in fresh.rglob("*") if path.is_file()]
    assert any(path.name == "rekisteri.sqlite3" for path in written)
    assert {oct(path.stat().st_mode & 0o777) for path in written} == {oct(0o600)}
