"""Legal holds on a person, declared for the personal-data registry (rekisteri.privacy.registry)."""

from __future__ import annotations

from typing import Any

from rekisteri.privacy.registry import ExemptModel, PersonalDataModel, exempt, iso, register


def _export_hold(hold: Any) -> dict[str, Any]:
    return {
        "kind": hold.kind,
        "reason": hold.reason,
        "starts_on": iso(hold.starts_on),
        "ends_on": iso(hold.ends_on),
        "released_at": iso(hold.released_at),
    }


register(
    PersonalDataModel(
        label="retention.LegalHold",
        person_lookup="person",
        merge="move",
        categories=("relationship",),
        purposes=("rights_and_obligations",),
        export=_export_hold,
        description="Legal holds that keep the person's data beyond its retention rule (section 7).",
    )
)


exempt(
    ExemptModel(
        label="retention.SweepErasure",
        reason=(
            "The deletion report: the id of a person the sweep erased, the rule and its dates; "
            "it is the record of the erasure, as the erasure journal is."
        ),
    )
)
