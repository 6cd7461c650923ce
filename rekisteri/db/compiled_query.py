"""Querysets compiled to SQL once and run many times with other values (hot read paths).

Django compiles a queryset to SQL every time it is evaluated. For the few queries that
every read of personal data runs (a person with their organization, the card's lists) the
compiling costs several times what the database does (figures: benchmarks/README.md). A
CompiledQuery builds its
queryset once per database vendor and number of values, with sample values in place of the
real ones, keeps the SQL and the compiler, and then only swaps the values in, runs the SQL
(on PostgreSQL as a prepared statement, rekisteri.db.prepared, so the server does not plan
it again either) and turns the rows into model instances the way Django's ModelIterable
does (converters, select_related populators, annotations).
tests/db/test_compiled_query.py compares every use with the plain queryset's result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field, Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators

from rekisteri.db.prepared import prepared_cursor


def sample_ids(count: int) -> list[UUID]:
    """Distinct UUIDs that no query contains by chance: `samples` for queries by ids."""
    return [UUID(int=(0x5A3B1E << 100) | number) for number in range(1, count + 1)]


def padded_to_power_of_two(values: list) -> list:
    """`values` with its first value repeated up to a power-of-two length (none if empty).

    A statement with an IN list has one shape per length; padded, a handful of shapes serve
    every length (each shape is compiled once here and prepared once per PostgreSQL connection).
    """
    if not values:
        return []
    return values + values[:1] * ((1 << (len(values) - 1).bit_length()) - len(values))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: tuple[int, ...]  # where each value goes in params
    compiler: Any  # SQLCompiler after as_sql(): select and klass_info are set
    converters: dict  # the compiler's column converters (results_iter would look them up per run)


class CompiledQuery:
    """`build(values)` must return a model queryset whose only varying parameters are `values`.

    `field` prepares each value for the database (a UUID primary key: hex on SQLite, uuid on
    PostgreSQL); `samples(n)` gives n distinct values that appear nowhere else in the query,
    so their positions among the compiled parameters are unambiguous.
    """

    def __init__(
        self,
        build: Callable[[Sequence[Any]], QuerySet],
        *,
        field: Field,
        samples: Callable[[int], list],
        using: str = DEFAULT_DB_ALIAS,
    ):
        self._build = build
        self._field = field
        self._samples = samples
        self._using = using
        self._compiled: dict[tuple[str, int], _Compiled] = {}
        self._lock = threading.Lock()

    def run(self, values: Sequence[Any]) -> list[Model]:
        connection = connections[self._using]
        compiled = self._get(connection, len(values))
        params = list(compiled.params)
        for position, value in zip(compiled.positions, values, strict=True):
            params[position] = self._field.get_db_prep_value(value, connection)
        with prepared_cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return _instances(compiled, rows, connection.alias)

    def _get(self, connection, count: int) -> _Compiled:
        key = (connection.vendor, count)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(connection, count)
                self._compiled[key] = compiled
        return compiled

    def _compile(self, connection, count: int) -> _Compiled:
        samples = self._samples(count)
        queryset = self._build(samples)
        if queryset._known_related_objects or queryset._iterable_class is not ModelIterable:
            raise ValueError("a compiled query builds model querysets (no related managers, no values())")
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        positions = []
        for sample in samples:
            prepared = self._field.get_db_prep_value(sample, connection)
            found = [index for index, param in enumerate(params) if param == prepared]
            if len(found) != 1:
                raise ValueError(f"sample value {sample!r} appears {len(found)} times in the compiled query")
            positions.append(found[0])
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ValueError("a compiled query selects no composite fields")
        converters = compiler.get_converters(fields)
        return _Compiled(sql, tuple(params), tuple(positions), compiler, converters)


def _instances(compiled: _Compiled, rows: list, db: str) -> list[Model]:
    """Model instances from rows of the compiled SQL, as ModelIterable makes them: converters
    applied (results_iter does nothing else for these selects), related objects populated,
    annotations set as attributes."""
    compiler = compiled.compiler
    select, klass_info = compiler.select, compiler.klass_info
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, db)
    annotations = compiler.annotation_col_map.items()
    model = klass_info["model"]
    instances = []
    if compiled.converters:
        rows = compiler.apply_converters(rows, compiled.converters)
    for row in rows:
        instance = model.from_db(db, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, instance)
        for name, position in annotations:
            setattr(instance, name, row[position])
        instances.append(instance)
    return instances
