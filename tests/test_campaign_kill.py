"""A campaign survives kill -9 of the process sending it: after a restart nobody gets the
message twice and nobody is missed (issue 11, section 5).

A real installation (tests.live), a real SMTP server (aiosmtpd) that kills the sender with
SIGKILL while it waits for the server's reply to one message, and `rekisteri campaign send
ID --wait` as the sender, twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from tests.live import free_port, scratch_installation

pytestmark = [pytest.mark.slow, pytest.mark.database]

RECIPIENTS = 80
KILL_AT = 50  # the sender dies waiting for the reply to this message

SETUP = f"""
import django
django.setup()
from rekisteri.audit.actor import Actor
from rekisteri.marketing.services.campaigns import campaign_create
from rekisteri.marketing.services.consents import consent_give, topic_create
from rekisteri.marketing.services.lists import subscription_add
from rekisteri.people.services import person_create

actor = Actor.system("cli:test", origin="cli")
topic = topic_create(actor=actor, slug="uutiset", name_fi="Uutiset", name_en="News")
for i in range({RECIPIENTS}):
    person = person_create(
        actor=actor, first_name="Lukija", last_name=f"N{{i}}", email=f"lukija{{i}}@kill.example"
    )
    consent_give(actor=actor, person=person, topic=topic, channel="paper")
    subscription_add(actor=actor, person=person, topic=topic)
campaign = campaign_create(actor=actor, topic=topic, subject="Uutiset", body_markdown="# Hei\\n\\nMoi")
print(campaign.pk)
"""


class KillingSink:
    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.seen = 0
        self.victim: int | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.seen += 1
            if self.seen == KILL_AT and self.victim is not None:
                # Before answering: the message is not accepted, the sender never learns more.
                os.kill(self.victim, signal.SIGKILL)
                return "451 going away"
            self.accepted.extend(envelope.rcpt_tos)
        return "250 OK"


def _run(env, *args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "rekisteri.cli", *args], env=env, capture_output=True, text=True, **kwargs
    )


def test_kill_9_in_the_middle_resumes_without_duplicates_or_misses(tmp_path):
    with scratch_installation(tmp_path, tag="campaignkill") as env:
        campaign_id = subprocess.run(
            [sys.executable, "-c", SETUP], env=env, check=True, capture_output=True, text=True
        ).stdout.split()[-1]
        sink = KillingSink()
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        env = {
            **env,
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "REKISTERI_MARKETING_RATE_LIMIT": "0",
            "REKISTERI_MARKETING_SEND_LEASE_SECONDS": "2",
        }
        env.pop("EMAIL_BACKEND", None)
        try:
            sender = subprocess.Popen(
                [sys.executable, "-m", "rekisteri.cli", "campaign", "send", campaign_id, "--wait"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            sink.victim = sender.pid
            sender.communicate(timeout=300)
            assert sender.returncode == -signal.SIGKILL
            assert len(sink.accepted) == KILL_AT - 1
            time.sleep(2.5)  # the killed sender's claim runs out
            resumed = _run(env, "campaign", "send", campaign_id, "--wait", timeout=300)
            assert resumed.returncode == 0, resumed.stderr
            shown = _run(env, "campaign", "show", campaign_id)
        finally:
            controller.stop()
    counts = Counter(sink.accepted)
    assert len(counts) == RECIPIENTS, "someone was missed"
    assert max(counts.values()) == 1, "someone got the message twice"
    assert "status: sent" in shown.stdout and f'"sent": {RECIPIENTS}' in shown.stdout
