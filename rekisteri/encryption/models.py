"""Blind-index entries: keyed HMACs of a person's e-mail, phone and name terms.

They let the register find people without storing searchable plaintext. The index key
lives in the key store; without it these numbers reveal nothing but equality.
"""

from __future__ import annotations

from django.db import models


class SearchTerm(models.Model):
    class Kind(models.IntegerChoices):
        EMAIL = 1
        PHONE = 2
        NAME = 3

    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+", db_index=True)
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    term = models.BigIntegerField()

    class Meta:
        indexes = [
            # Serves every search: "persons with term T of kind K" (covering, no table visit).
            models.Index(fields=["kind", "term", "person"], name="search_term_lookup_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} term of {self.person_id}"
