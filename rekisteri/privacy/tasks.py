"""The erasure proof's byte scan as a background task (rekisteri.privacy.erasure_scan).

An erasure enqueues it after it has answered; one run scans for every pending erasure at once,
so a burst of erasures (or a sweep's batches) costs one pass over the files.
"""

from __future__ import annotations

from django_tasks import task

from rekisteri.privacy.erasure_scan import pending_scans_complete


@task()
def run_erasure_scans() -> int:
    """Complete the proof of every erasure whose scan is pending; returns how many."""
    return pending_scans_complete()


def erasure_scans_enqueue() -> None:
    """Enqueue the scan unless a run is already waiting. Called in the transaction that keeps
    the pending record: a waiting run claimed later sees it, and a new one commits with it."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.ready().filter(task_path=run_erasure_scans.module_path)
    if not waiting.exists():
        run_erasure_scans.enqueue()
