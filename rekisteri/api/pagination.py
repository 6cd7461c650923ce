"""Limit/offset pagination: every list answers {"items", "total", "limit", "offset"}."""

from __future__ import annotations

from typing import Annotated

from django.conf import settings
from ninja import Query, Schema

DEFAULT_LIMIT = 50
# Larger offsets are refused (422) rather than passed on for the database to overflow.
MAX_OFFSET = 1_000_000_000

# Use as `limit: Limit = DEFAULT_LIMIT, offset: Offset = 0`; out-of-range values are 422s.
Limit = Annotated[
    int, Query(DEFAULT_LIMIT, ge=1, le=settings.API_MAX_PAGE_SIZE, description="Items per page.")
]
Offset = Annotated[int, Query(0, ge=0, le=MAX_OFFSET, description="Items to skip.")]


class PageOut(Schema):
    total: int
    limit: int
    offset: int
