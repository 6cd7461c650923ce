"""The Art. 14 information given to a person about the sources of their data.

Declared for the personal-data registry (rekisteri.privacy.registry), which finds this
module in every installed app.
"""

from __future__ import annotations

from typing import Any

from rekisteri.privacy.registry import PersonalDataModel, iso, register


def _export_information(row: Any) -> dict[str, Any]:
    return {
        "source_kind": row.source.kind,
        "source_obtained_on": iso(row.source.obtained_on),
        "informed_on": iso(row.informed_on),
        "channel": row.channel,
        "notice_version": row.notice_version.number if row.notice_version_id else None,
    }


register(
    PersonalDataModel(
        label="notice.SourceInformation",
        person_lookup="person",
        categories=("relationship",),
        purposes=("rights_and_obligations",),
        export=_export_information,
        # The source moves with the person; so does the record of informing them of it.
        merge="move",
        description="When and how the person was told where their data came from (Art. 14).",
    )
)
