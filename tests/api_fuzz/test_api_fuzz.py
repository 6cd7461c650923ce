"""The OpenAPI document and the API's behaviour agree: schemathesis over the real server.

One installation with (a fifth of) the demo data, served by `rekisteri serve` as in
production, is probed by three clients: anonymous, a staff member without a confidentiality
agreement, and the privacy officer. Every check of schemathesis runs, with positive and
negative input, in all its phases (examples, coverage, fuzzing, stateful), plus the two of
hooks.py. Zero failures is the bar: any answer the document does not list, any input it
allows that the API refuses as malformed (or the other way round), any 500, fails the test
with schemathesis's report and a curl command to reproduce it.

REKISTERI_FUZZ_SEED picks another seed (the run prints the one it used);
REKISTERI_THOROUGH=1 tries ten times as many examples per operation, and runs the coverage
phase for the two clients without access too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import free_port, scratch_installation, wait_until_serving
from tests.thoroughness import THOROUGH, examples

pytestmark = [pytest.mark.slow, pytest.mark.database]

HERE = Path(__file__).parent
SEED = os.environ.get("REKISTERI_FUZZ_SEED", "20261206")
PRIVACY_OFFICER = "tietosuoja"  # the demo's privacy officer
WITHOUT_NDA = "ilman-nda"  # the demo's staff member without a confidentiality agreement


def _cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "rekisteri.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"rekisteri {' '.join(args)}: {result.stderr}"
    return result.stdout


def _token(env: dict[str, str], username: str) -> str:
    # `token create` prints the secret as the last line of its output.
    return _cli(env, "token", "create", "--user", username).strip().splitlines()[-1]


@pytest.fixture(scope="module")
def served_demo(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("api-fuzz")
    with scratch_installation(tmp_path, tag="fuzz") as env:
        # Every kind of record the demo makes, with more persons than a page holds (50) but a
        # fifth of its 300: loading those took longer than a gated client's whole run.
        _cli(env, "demo", "--organizations", "10", "--persons", "60")
        tokens = {
            "anonymous": None,
            "no_nda": _token(env, WITHOUT_NDA),
            "privacy_officer": _token(env, PRIVACY_OFFICER),
        }
        port = free_port()
        log = (tmp_path / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "rekisteri.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_until_serving(port, server, path="/api/v1/openapi.json")
            yield {"url": f"http://127.0.0.1:{port}/api/v1/openapi.json", "tokens": tokens, "tmp": tmp_path}
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()


@pytest.mark.parametrize("client", ["anonymous", "no_nda", "privacy_officer"])
def test_schemathesis_finds_no_disagreement_between_the_openapi_document_and_the_api(served_demo, client):
    command = [
        str(Path(sys.executable).parent / "st"),
        "--no-color",
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "run",
        served_demo["url"],
        "--checks",
        "all",
        "--mode",
        "all",
        "--max-examples",
        str(examples(250)),
        "--seed",
        SEED,
        "--workers",
        "2",
    ]
    if client != "privacy_officer" and not THOROUGH:
        # For a client refused before its input is read (401/403), the coverage phase's
        # thousands of boundary inputs per client only ask the same question again: a quarter
        # of a pass's time. Examples, fuzzing and stateful sequences still probe every
        # operation; the privacy officer, whose answers follow the input, gets every phase.
        command += ["--phases", "examples,fuzzing,stateful"]
    token = served_demo["tokens"][client]
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HERE / "hooks.py"),
        "REKISTERI_FUZZ_CLIENT": client,
    }
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1200)
    report = result.stdout + result.stderr
    (served_demo["tmp"] / f"schemathesis-{client}.txt").write_text(report)
    assert result.returncode == 0, report[-20000:]
