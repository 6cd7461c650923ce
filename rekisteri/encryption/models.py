"""Blind-index entries: keyed HMAC codes of a person's e-mail, phone and name forms.

They let the register find people without storing searchable plaintext. The index key
lives in the key store; without it these numbers reveal nothing but equality.
"""

from __future__ import annotations

from django.db import models


class SearchTerm(models.Model):
    class Kind(models.IntegerChoices):
        EMAIL = 1  # e-mail code: the domain's level, then the address's (exact or by domain)
        PHONE = 2  # prefix code of the number's digits, looked up by range
        NAME = 3  # prefix code of a name form of 3+ letters, looked up by range
        NAME_WORD = 4  # a whole name word of 1-2 letters
        # The suppression list's keyed hash of the whole address, truncated to an e-mail
        # code's width (lib.blind_index.address_hash_entry): campaigns leave out suppressed
        # addresses in SQL, without decrypting anyone's
        ADDRESS_HASH = 5

    # The primary key is the lookup itself: "persons with a term of kind K in [low, high]"
    # reads one index and no table. On SQLite the table is WITHOUT ROWID (migration 0002), so
    # an entry is written once, not into a table and two indexes.
    pk = models.CompositePrimaryKey("kind", "term", "person")
    # No foreign-key constraint: the database would check every entry against the person
    # table while loading (a third of the load time on PostgreSQL). No index by person
    # either: a person's entries are found by their primary keys, which PersonSearchTerms
    # lists (on SQLite that index was a tenth of a bulk load). The entries are derived
    # data, removed with the person through the personal-data registry.
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    kind = models.PositiveSmallIntegerField(choices=Kind.choices)
    term = models.BigIntegerField()

    def __str__(self) -> str:
        return f"{self.get_kind_display()} term of {self.person_id}"


class PersonSearchTerms(models.Model):
    """The blind-index entries written for one person, packed into one value.

    SearchTerm has no index by person: this row is how a person's entries are found to be
    removed (erasure, a change of name or address), exactly the ones that were written,
    by their primary keys. Written and removed together with the entries
    (rekisteri.encryption.services); on SQLite the table is WITHOUT ROWID.
    """

    person = models.OneToOneField(
        "people.Person",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    # (kind, term) pairs, nine bytes each (rekisteri.encryption.services.pack_terms).
    terms = models.BinaryField()

    def __str__(self) -> str:
        return f"search terms of {self.person_id}"
