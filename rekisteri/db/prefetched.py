"""Filling a related manager's cache by hand, as prefetch_related does after its query."""

from __future__ import annotations


def prefetched_set(instance, name: str, objects: list) -> None:
    """Make `instance.<name>.all()` return `objects` without a query, as prefetch_related does."""
    manager = getattr(instance, name)
    queryset = manager.get_queryset()
    queryset._result_cache = list(objects)
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[manager.field.remote_field.cache_name] = queryset
