from django.apps import AppConfig


class RetentionConfig(AppConfig):
    """Section 7: retention rules, legal holds and the sweep that erases what has expired."""

    name = "rekisteri.retention"
    label = "retention"
    verbose_name = "Retention"

    def ready(self) -> None:
        # People sits below retention: it learns of holds through the hook installed here,
        # so a staff deletion honours them as an erasure request does.
        from rekisteri.people.deletion import deletion_guard_install
        from rekisteri.retention.selectors import holds_of_person

        deletion_guard_install("legal_hold", holds_of_person)
        # The worker (rights) runs the daily jobs installed here: the sweep once a day.
        from rekisteri.retention.tasks import sweep_enqueue_if_due
        from rekisteri.rights.tasks import daily_job_install

        daily_job_install("retention sweep", sweep_enqueue_if_due)
