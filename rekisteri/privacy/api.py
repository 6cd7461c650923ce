"""/api/v1/erasures: the proof of every erasure (issue 13, section 4), for the privacy officer.

A request's, a sweep batch's or a staff deletion's (UI or DELETE /api/v1/persons/{id}): the
keys destroyed, rows deleted per model, the WAL checkpoint and the byte scan, "pending" until
the worker has scanned. Ids, codes and counts only.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema

from rekisteri.accounts.api_auth import staff_with
from rekisteri.api.errors import ApiError, error_responses
from rekisteri.api.pagination import DEFAULT_LIMIT, Limit, Offset, PageOut
from rekisteri.privacy.erasure_proof import erasure_as_dict, erasures_recent
from rekisteri.privacy.models import ErasureRecord

router = Router(tags=["erasures"])
VIEW = "privacy.view_erasurerecord"


class ErasureOut(Schema):
    id: UUID
    created_at: str
    origin: Literal["request", "sweep", "staff", "system"]
    reason: str
    request_ref: str
    erased_by: str
    person_id: UUID | None
    persons: int
    scan_state: Literal["pending", "done", "not_applicable"]
    scanned_at: str | None
    evidence: dict[str, Any]


class ErasurePageOut(PageOut):
    items: list[ErasureOut]


@router.get("", response={200: ErasurePageOut, **error_responses(401, 403, 422)}, auth=staff_with(VIEW))
def list_erasures(
    request: HttpRequest,
    origin: Annotated[
        Literal["request", "sweep", "staff", "system"] | None,
        Query(None, description="Only erasures of this origin (staff: deletions in the UI or API)."),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
):
    records, total = erasures_recent(origin=origin, limit=limit, offset=offset)
    return {"items": [erasure_as_dict(r) for r in records], "total": total, "limit": limit, "offset": offset}


@router.get(
    "/{erasure_id}", response={200: ErasureOut, **error_responses(401, 403, 404, 422)}, auth=staff_with(VIEW)
)
def get_erasure(request: HttpRequest, erasure_id: Annotated[UUID, Path(description="The erasure's id.")]):
    record = ErasureRecord.objects.filter(pk=erasure_id).first()
    if record is None:
        raise ApiError(404, "No such erasure.", code="not_found")
    return erasure_as_dict(record)
