"""The layout's import contracts (pyproject.toml, [tool.importlinter]) hold on the code, and
each of them fails when a violation is planted in a copy of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("layout")
    shutil.copytree(
        ROOT / "rekisteri", tree / "rekisteri", ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_code_keeps_every_contract(copy):
    result = _lint(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("rekisteri/lib/planted.py", "import django.conf\n", "lib is Django-free"),
        ("rekisteri/api/planted.py", "import rekisteri.people.models\n", "api is a toolkit"),
        ("rekisteri/people/planted.py", "import rekisteri.web.views.home\n", "Domain apps never import"),
        ("rekisteri/privacy/planted.py", "import rekisteri.rights.models\n", "No two apps import each other"),
    ],
)
def test_a_planted_violation_breaks_its_contract(copy, module, line, contract):
    planted = copy / module
    planted.write_text(line)
    try:
        result = _lint(copy)
    finally:
        planted.unlink()
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in " ".join(broken.split()), result.stdout
