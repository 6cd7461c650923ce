"""Blind-index entries: keyed HMACs of a person's e-mail, phone and name forms.

They let the register find people without storing searchable plaintext. The index key
lives in the key store; without it these numbers reveal nothing but equality.
"""

from __future__ import annotations

from django.db import models


class SearchTerm(models.Model):
    class Kind(models.IntegerChoices):
        EMAIL = 1
        PHONE = 2
        NAME = 3  # prefix code of a name form of 3+ letters, looked up by range
        NAME_WORD = 4  # a whole name word of 1-2 letters

    # The primary key is the lookup itself: "persons with a term of kind K in [low, high]"
    # reads one index and no table. On SQLite the table is WITHOUT ROWID (migration 0002), so
    # an entry is written once, not into a table and two indexes.
    pk = models.CompositePrimaryKey("kind", "term", "person")
    # No foreign-key constraint: the database would check every entry against the person
    # table while loading (a third of the load time on PostgreSQL). The entries are derived
    # data, removed with the person through the personal-data registry; the person index
    # serves that removal and the reindex after a change.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    term = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.get_kind_display()} term of {self.person_id}"
