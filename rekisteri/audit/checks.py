"""System checks of the audit trail's configuration (`rekisteri check`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


# A deployment check (`rekisteri check --deploy`): the embedded demo keeps its checkpoints
# beside the database on purpose, and every command of a newcomer's first run would repeat
# the warning otherwise. Production refuses this setting outright (settings.py).
@register(Tags.security, deploy=True)
def checkpoints_outside_the_data_directory(app_configs, **kwargs) -> list[Warning]:
    if not settings.AUDIT_CHECKPOINT_IN_DATA_DIR:
        return []
    return [
        Warning(
            f"The audit checkpoints are written into the data directory ({settings.AUDIT_CHECKPOINT_FILE}).",
            hint="Whoever can rewrite the database there can rewrite the checkpoints too. Set "
            "REKISTERI_AUDIT_CHECKPOINT_FILE to a path outside the data directory, ideally on "
            "another host (or also set REKISTERI_AUDIT_SYSLOG).",
            id="rekisteri.audit.W001",
        )
    ]
