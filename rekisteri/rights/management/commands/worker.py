"""`rekisteri worker`: deliver the outbox, run background tasks, enqueue the daily digest.

It is django-tasks-db's worker (the same loop as `db_worker`) with the outbox and a daily
schedule around it: each round it enqueues the privacy officer's digest if today's has not
been enqueued yet, runs every task that is ready, delivers every mail that is due (retries
included), and hourly destroys the content of mails past their retention and removes data
keys that no row owns; then it sleeps.
"""

from __future__ import annotations

import logging
import signal
import time as time_module
from datetime import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils.crypto import get_random_string

logger = logging.getLogger("rekisteri.rights")
_DELIVERY_ROUND = 100
_EXPIRY_EVERY = 3600.0  # seconds between sweeps of mail content past its retention
_SIGNALS = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGQUIT] if hasattr(signal, "SIGQUIT") else [])


def _clock(value: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--digest-at must be a time as HH:MM, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Run the background worker: it delivers the outbox's mail (retrying while the mail server "
        "is down), runs queued tasks, and enqueues the "
        "privacy officer's daily digest of due and overdue requests once a day, at --digest-at "
        "local time or as soon as it runs after that. Keep one running beside `rekisteri serve` "
        "(several are safe: the digest is still enqueued once a day)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=5.0, help="Seconds to sleep when idle (default 5)."
        )
        parser.add_argument(
            "--digest-at", default="07:00", help="Local time after which the day's digest is sent."
        )
        parser.add_argument(
            "--once", action="store_true", help="One round (schedule, run ready tasks), then exit."
        )

    def handle(self, *args, interval: float, digest_at: str, once: bool, **options):
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends
        from django_tasks_db.management.commands.db_worker import Worker

        from rekisteri.audit.services import checkpoint_if_due
        from rekisteri.encryption.orphans import orphan_keys_remove
        from rekisteri.outbox.services import outbox_content_expire, outbox_deliver
        from rekisteri.rights.tasks import daily_jobs_enqueue, digest_enqueue_if_due, worker_round_hooks

        at = _clock(digest_at)
        if options["verbosity"] < 2:
            # Each round logs its start and its end; only the tasks themselves are worth a line.
            logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        if not 0 <= interval <= 3600:
            raise CommandError("--interval must be between 0 and 3600 seconds.")
        if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
            raise CommandError(
                "The task backend is not the database backend (REKISTERI_TASKS_BACKEND): "
                "there is no queue for a worker to run."
            )
        # batch=True: each round runs what is ready and returns, so the schedule is checked
        # between rounds; shutdown on SIGTERM/SIGINT is db_worker's (finishes the task at hand).
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=True,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        # db_worker's own reset_signals() sets SIG_DFL; restore whatever was there instead.
        previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
        worker.configure_signals()
        self.stdout.write(f"Worker {worker.worker_id} running; the digest is enqueued daily after {at:%H:%M}")
        expired_at = 0.0
        try:
            while worker.running:
                close_old_connections()
                if digest_enqueue_if_due(at=at):
                    self.stdout.write("Enqueued today's deadline digest.")
                for hook in worker_round_hooks():
                    hook()  # e.g. campaigns due or left behind by a killed worker
                for name in daily_jobs_enqueue():  # the retention sweep, daily
                    self.stdout.write(f"Enqueued today's {name}.")
                worker.run()
                self._deliver(outbox_deliver, worker)
                if checkpoint := checkpoint_if_due():  # signed, at least every five minutes
                    self.stdout.write(f"Audit checkpoint written at event {checkpoint.seq}.")
                if time_module.monotonic() - expired_at > _EXPIRY_EVERY:
                    expired = outbox_content_expire()
                    expired_at = time_module.monotonic()
                    if expired:
                        self.stdout.write(f"Destroyed the content of {expired} mail(s) past their retention.")
                    # Keys made for rows that never came to be (a refused duplicate, a crash).
                    if orphans := orphan_keys_remove():
                        self.stdout.write(f"Removed {orphans} data key(s) that no row owns.")
                if once or not worker.running:
                    break
                time_module.sleep(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write(f"Worker stopped after {worker._run_tasks} task(s).")

    def _deliver(self, outbox_deliver, worker) -> None:
        """Deliver what is due, round after round while full rounds come back (a backlog)."""
        while worker.running:
            report = outbox_deliver(limit=_DELIVERY_ROUND)
            if report.claimed:
                self.stdout.write(
                    f"Mail: {report.sent} sent, {report.retrying} to retry, {report.failed} failed, "
                    f"{report.cancelled} cancelled."
                )
            if report.claimed < _DELIVERY_ROUND:
                return
