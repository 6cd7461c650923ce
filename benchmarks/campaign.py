"""Campaign benchmark (issue 11): a campaign to N recipients into a local SMTP sink.

    .venv/bin/python benchmarks/campaign.py [--recipients 100000] [--suppressed 1000] [--rate 0]
        [--owed N] [--audience-only] [--aiosmtpd] [--profile [--profile-out F]] [--sink-profile F]

A throwaway SQLite register in a temporary directory: N persons and S more loaded through
the bulk service, each with an opt-in consent and a subscription to one list (inserted in
bulk, as an import would), the S further persons' addresses on the suppression list. Then it
times the audience computation (every exclusion check in SQL, the suppression list matched
against the persons' address-hash entries; only the matches decrypted) and the send itself
(campaign_run, what the worker runs): the recipients' addresses decrypted a batch at a
time, their mails written into the outbox with their per-recipient delivery rows, and handed
to a local SMTP sink (benchmarks/smtp_sink.py, another process) over one connection, each
"sent" mark committed before the next message. It checks that the sink received every
recipient exactly once and that the delivery log has a row for each, and prints the CPU
time of both sides per message.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=0, help="messages a second (0: no limit)")
    parser.add_argument(
        "--suppressed",
        type=int,
        default=1000,
        help="further persons, subscribed too, whose addresses are on the suppression list",
    )
    parser.add_argument(
        "--owed",
        type=int,
        default=0,
        help="this many recipients have a source from their employer not yet informed of: their "
        "copies carry the Art. 14 information (notice.first_communication)",
    )
    parser.add_argument("--aiosmtpd", action="store_true", help="the sink serves with aiosmtpd (as before)")
    parser.add_argument("--profile-out", type=Path, help="with --profile: also write the stats here")
    parser.add_argument("--sink-profile", type=Path, help="the sink writes its cProfile here")
    parser.add_argument("--audience-only", action="store_true", help="time the audience, send nothing")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the audience and the send"
    )
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="rekisteri-bench-campaign-")
    port = _free_port()
    received = Path(data_dir) / "received.txt"
    sys.path.insert(0, str(ROOT))
    from rekisteri.lib.crypto import generate_master_key

    os.environ.update(
        DJANGO_SETTINGS_MODULE="rekisteri.settings",
        REKISTERI_ENV="embedded",
        REKISTERI_DATA_DIR=data_dir,
        REKISTERI_MASTER_KEY=generate_master_key("bench").to_string(),
        REKISTERI_LOG_LEVEL="WARNING",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        REKISTERI_MARKETING_RATE_LIMIT=str(args.rate),
    )
    for name in ("DATABASE_URL", "KEYSTORE_DATABASE_URL", "EMAIL_BACKEND", "REKISTERI_AUDIT_CHECKPOINT_FILE"):
        os.environ.pop(name, None)
    sink = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "smtp_sink.py"),
            "--port",
            str(port),
            "--out",
            str(received),
            *(["--profile", str(args.sink_profile)] if args.sink_profile else []),
            *(["--aiosmtpd"] if args.aiosmtpd else []),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout.readline().strip() == "ready"
        figures = _run(args)
    finally:
        sink.terminate()
        sink.wait()
    # The sink is this process's only child: its CPU time, user and system.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    sink_cpu = children.ru_utime + children.ru_stime
    if args.audience_only:
        shutil.rmtree(data_dir, ignore_errors=True)
        print(
            f"| audience of {args.recipients:,} recipients ({args.suppressed:,} more suppressed) "
            f"computed | < 2 s | {figures['audience_s']:.2f} s (CPU {figures['audience_cpu']:.2f} s) |"
        )
        return
    counts = Counter(received.read_text().split())
    shutil.rmtree(data_dir, ignore_errors=True)
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    print()
    print("| operation | target | SQLite |")
    print("|---|---|---|")
    print(f"| audience of {args.recipients:,} recipients computed | < 2 s | {figures['audience_s']:.2f} s |")
    print(
        f"| campaign queued into the outbox (mails, keys, delivery rows) | | {figures['queue_rate']:,.0f}/s |"
    )
    print(f"| campaign sent end to end (queue + SMTP), messages/s | ≥ 1,000/s | {figures['rate']:,.0f}/s |")
    print(f"| of which handing to the SMTP sink, messages/s | | {figures['send_rate']:,.0f}/s |")
    print()
    print(
        f"sink received {sum(counts.values()):,} messages for {len(counts):,} addresses, "
        f"{duplicates} duplicates; "
        f"delivery log rows {figures['deliveries']:,}, outbox sent {figures['sent']:,}; "
        f"total {figures['total_s']:.1f} s"
    )
    if args.owed:
        print(f"Art. 14 information carried in the copies of {figures['informed']:,} persons owed it")
    n = args.recipients
    print(
        f"CPU per message: sender (audience, queue, SMTP, marks) {figures['send_cpu'] / n * 1000:.2f} ms, "
        f"sink {sink_cpu / n * 1000:.2f} ms; audience CPU {figures['audience_cpu']:.2f} s"
    )


def _run(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import transaction
    from django.utils import timezone

    from rekisteri.audit.actor import Actor
    from rekisteri.marketing import sending as _sending
    from rekisteri.marketing.audience import audience_compute
    from rekisteri.marketing.models import Campaign, Consent, Delivery, Subscription, Wording

    campaign_run = _sending.campaign_run
    from rekisteri.marketing.services.campaigns import campaign_create, campaign_send
    from rekisteri.marketing.services.consents import topic_create
    from rekisteri.outbox.models import OutgoingMail
    from rekisteri.people.bulk import person_bulk_create
    from rekisteri.people.models import Person

    actor = Actor.system("cli:benchmark", origin="cli")
    n = args.recipients
    started = time.perf_counter()
    person_bulk_create(
        actor=actor,
        rows=(
            {"first_name": "Lukija", "last_name": f"Numero{i}", "email": f"lukija{i}@bench.example"}
            for i in range(n + args.suppressed)
        ),
    )
    print(f"loaded {n + args.suppressed:,} persons in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    from rekisteri.marketing.services.lists import suppression_add

    for i in range(n, n + args.suppressed):
        suppression_add(actor=actor, email=f"lukija{i}@bench.example")
    topic = topic_create(actor=actor, slug="uutiset", name_fi="Uutiset", name_en="News")
    wording = Wording.objects.get(topic=topic)
    now = timezone.now()
    ids = list(Person.objects.values_list("pk", flat=True))
    with transaction.atomic():
        Consent.objects.bulk_create(
            (
                Consent(person_id=pid, topic=topic, wording=wording, given_at=now, given_channel="paper")
                for pid in ids
            ),
            batch_size=5000,
        )
        Subscription.objects.bulk_create(
            (Subscription(person_id=pid, topic=topic, channel="paper") for pid in ids), batch_size=5000
        )
    if args.owed:
        from rekisteri.privacy.models import DataSource

        with transaction.atomic():
            DataSource.objects.bulk_create(
                (
                    DataSource(person_id=pid, kind="employer_or_partner", obtained_on=now.date())
                    for pid in ids[: args.owed]
                ),
                batch_size=5000,
            )
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu = time.perf_counter(), time.process_time()
    audience = audience_compute(topic=topic, basis="opt_in")
    audience_s, audience_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert audience.count == n and audience.excluded["suppressed"] == args.suppressed, audience.counts()
    if args.audience_only:
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(20)
        return {"audience_s": audience_s, "audience_cpu": audience_cpu}
    campaign = campaign_create(
        actor=actor,
        topic=topic,
        subject="Uutiskirje 1/2027",
        body_markdown="# Hei\n\nTämän kuun uutiset: [lue lisää](https://example.fi/uutiset).\n\n"
        + "Tekstiä. " * 60,
        rate_limit=args.rate,
    )
    campaign_send(actor=actor, campaign=campaign, enqueue=False)
    queue_time = [0.0]
    from rekisteri.marketing import sending

    original = sending._queue_batch

    def timed(*a, **kw):
        t = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            queue_time[0] += time.perf_counter() - t

    sending._queue_batch = timed
    started, cpu = time.perf_counter(), time.process_time()
    report = campaign_run(campaign.pk)
    total, send_cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler is not None:
        import pstats

        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        if args.profile_out:
            profiler.dump_stats(str(args.profile_out))
    assert report.finished, report
    return {
        "audience_s": audience_s,
        "audience_cpu": audience_cpu,
        "rate": n / total,
        "queue_rate": n / queue_time[0],
        "send_rate": n / (total - queue_time[0] - audience_s),
        "total_s": total,
        "send_cpu": send_cpu,
        "deliveries": Delivery.objects.filter(campaign=campaign).count(),
        "sent": OutgoingMail.objects.filter(about_type="campaign", state="sent").count(),
        "status": Campaign.objects.get(pk=campaign.pk).status,
        "informed": _informed_count(),
    }


def _informed_count() -> int:
    from rekisteri.notice.models import SourceInformation

    return SourceInformation.objects.count()


if __name__ == "__main__":
    main()
