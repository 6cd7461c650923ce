"""Several server workers writing at once must never lose or reject a write.

These tests run real processes against a real database of their own (a SQLite file, or a
scratch PostgreSQL database when the suite runs on PostgreSQL), because the test
database lives inside one transaction of one process.
"""

from __future__ import annotations

import http.client
import json
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest

from tests.live import free_port, scratch_installation, wait_until_serving

pytestmark = [pytest.mark.slow, pytest.mark.database]

WRITERS = 4
WRITES_EACH = 50

WRITER = """
import json, os, sys, time
import django
django.setup()
from rekisteri.audit.actor import Actor
from rekisteri.people.selectors import person_get
from rekisteri.people.services import person_create

from django.db import connection

worker, count, barrier = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
actor = Actor.system(f"test:writer-{worker}", origin="cli")
connection.ensure_connection()
open(os.path.join(barrier, f"ready-{worker}"), "w").close()
while not os.path.exists(os.path.join(barrier, "go")):  # start together, so the writes overlap
    time.sleep(0.002)
started = time.time()
for i in range(count):
    person = person_create(actor=actor, first_name=f"Kirjoittaja{worker}", last_name=f"Henkilo{i}",
                           email=f"w{worker}.p{i}@rinnakkain.example", phone=f"040 {worker}{i:02d} 0000",
                           categories=["prospect_contact"])
    # A read appends its audit event outside any transaction (on PostgreSQL one statement).
    person_get(actor=actor, person_id=person.pk)
print(json.dumps({"started": started, "finished": time.time()}))
"""

REPORT = """
import json
import django
django.setup()
from django.contrib.sessions.models import Session
from rekisteri.audit.models import AuditEvent
from rekisteri.audit.services import audit_verify
from rekisteri.people.models import Person

result = audit_verify()
print(json.dumps({
    "persons": Person.objects.count(),
    "distinct_emails": len({person.email for person in Person.objects.all()}),
    "person_events": AuditEvent.objects.filter(action="create", object_type="person").count(),
    "view_events": AuditEvent.objects.filter(action="view", object_type="person").count(),
    "sessions": Session.objects.count(),
    "verify_ok": result.ok, "events_checked": result.events_checked, "problem": result.problem,
}))
"""


@pytest.fixture
def scratch_env(tmp_path):
    with scratch_installation(tmp_path) as env:
        yield env


def _report(env) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", REPORT], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_parallel_writer_processes_lose_and_reject_nothing_and_the_audit_chain_stays_intact(
    scratch_env, tmp_path
):
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(n), str(WRITES_EACH), str(barrier)],
            env=scratch_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    deadline = time.monotonic() + 30
    while len(list(barrier.glob("ready-*"))) < WRITERS and time.monotonic() < deadline:
        if any(writer.poll() is not None for writer in writers):
            break
        time.sleep(0.01)
    (barrier / "go").touch()
    outcomes = [writer.communicate(timeout=60) for writer in writers]

    for writer, (_, stderr) in zip(writers, outcomes, strict=True):
        assert "database is locked" not in stderr
        assert writer.returncode == 0, stderr
    windows = [json.loads(stdout) for stdout, _ in outcomes]
    # Every writer was already trying to write before the first one finished: they contended.
    assert max(w["started"] for w in windows) < min(w["finished"] for w in windows)
    report = _report(scratch_env)
    assert report["persons"] == report["distinct_emails"] == WRITERS * WRITES_EACH
    assert report["person_events"] == report["view_events"] == WRITERS * WRITES_EACH
    assert report["verify_ok"], report["problem"]
    assert report["events_checked"] >= 2 * WRITERS * WRITES_EACH

    verify = subprocess.run(
        [sys.executable, "-m", "rekisteri.cli", "audit", "verify"],
        env=scratch_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verify.returncode == 0, verify.stderr
    assert f"intact: {report['events_checked']} event(s)" in verify.stdout


def _login(port: int, username: str, password: str) -> int:
    # The CSRF secret may be any 32 letters and digits, as long as cookie and form agree.
    csrf = secrets.token_hex(16)
    body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": csrf})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    conn.request(
        "POST",
        "/accounts/login/",
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
        },
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def test_the_real_server_with_several_workers_keeps_every_concurrent_login_session(scratch_env, tmp_path):
    password = "a long and unusual passphrase 93"
    create = subprocess.run(
        [
            sys.executable,
            "-m",
            "rekisteri.cli",
            "createstaff",
            "--username",
            "rinnakkain",
            "--role",
            "sales",
            "--nda-signed",
            "2024-01-15",
        ],
        env={**scratch_env, "REKISTERI_PASSWORD": password},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert create.returncode == 0, create.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "rekisteri.cli", "serve", "--port", str(port), "--workers", "3"],
        env=scratch_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_serving(port, server, timeout=20)
        statuses: list[int] = []
        lock = threading.Lock()

        def client():
            # Each successful login writes a session row and the user's last_login.
            for _ in range(5):
                status = _login(port, "rinnakkain", password)
                with lock:
                    statuses.append(status)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        server.terminate()
        out, log = server.communicate(timeout=30)

    assert statuses == [302] * 20, log
    assert "database is locked" not in log
    assert f"http://127.0.0.1:{port}/" in out
    assert log.count("Booting worker") >= 3
    assert _report(scratch_env)["sessions"] == 20
