"""Persons: the contact persons of organizations, prospects and students."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.lib.fields import RowIdAutoField
from rekisteri.lib.ids import uuid7


class Person(models.Model):
    # A UUID assigned before the first write, so later layers (encryption associated
    # data, blind indexes) can bind values to the row id inside the same insert.
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    # Every personal value is encrypted under the person's own data key (encryption/fields.py).
    first_name = EncryptedTextField(person_attr="pk", max_length=100)
    last_name = EncryptedTextField(person_attr="pk", max_length=100)
    # Normalised by rekisteri.lib.normalize.normalize_email; searched by blind index.
    email = EncryptedTextField(person_attr="pk", max_length=254)
    # E.164; searched by blind index.
    phone = EncryptedTextField(person_attr="pk", max_length=20)
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="people"
    )
    title = EncryptedTextField(_("position"), person_attr="pk", max_length=200)
    # Section 4: "henkilön itse antamat lisätiedot".
    self_given_info = EncryptedTextField(person_attr="pk", max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    # No index: nothing looks persons up by their creator, and every insert would pay for
    # it. Deleting a user (only the optional admin site can) sets it NULL with one scan.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Art. 18: while set, the data is only stored; every processing path refuses the person
    # (rekisteri.privacy.restriction). The reasons are personal data, under the person's key.
    restricted_at = models.DateTimeField(null=True, blank=True)
    restriction_reason = EncryptedTextField(person_attr="pk", max_length=2000)
    restriction_lifted_at = models.DateTimeField(null=True, blank=True)
    restriction_lift_reason = EncryptedTextField(person_attr="pk", max_length=2000)
    # Art. 21(3): an objection to direct marketing ends it for good; never cleared.
    marketing_objection_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Names are ciphertext, so the database cannot sort by them; pages sort after decryption.
        ordering = ["-created_at", "id"]
        indexes = [
            # Serves the person list, newest first.
            models.Index(fields=["-created_at", "id"], name="person_created_idx"),
            # Serves retention: people without recent activity.
            models.Index(fields=["last_activity_at"], name="person_last_activity_idx"),
        ]
        permissions = [("export_person", "Can export a person's data")]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs, error messages and reprs, which outlive erasure.
        return f"Person {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None


class PersonCategory(models.Model):
    """Section 4: the groups of persons the register holds; a person may be in several."""

    id = RowIdAutoField(primary_key=True)  # nothing refers to a category row by its id

    class Category(models.TextChoices):
        CUSTOMER_REPRESENTATIVE = "customer_representative", _("Customer representative")
        PROSPECT_CONTACT = "prospect_contact", _("Prospect contact")
        STUDENT = "student", _("Student")

    # No index of its own: unique_person_category's index starts with the person and serves
    # every lookup by person; a second one would only cost every insert (bulk loading). No
    # foreign-key constraint in the database either, as for the blind index: rows of a
    # person are removed through the personal-data registry (erasure, person_delete), and on
    # PostgreSQL the constraint's check is a trigger query, and a row lock, per inserted row.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="categories", db_index=False, db_constraint=False
    )
    category = models.CharField(max_length=32, choices=Category.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "category"], name="unique_person_category")]
        indexes = [
            # Serves lists of persons by category (students, prospects).
            models.Index(fields=["category"], name="person_category_idx"),
        ]

    def __str__(self) -> str:
        return self.category
