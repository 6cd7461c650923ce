"""Persons: the contact persons of organizations, prospects and students."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.db.fields import RowIdAutoField
from rekisteri.encryption.fields import EncryptedTextField
from rekisteri.lib.ids import uuid7


class BirthDateReason(models.TextChoices):
    """Section 4: why a birth date is stored (there is no other reason to keep one)."""

    SAME_NAME = "same_name", _("Another person in the register has the same name")
    LICENSE_BODY = "license_body", _("The license body of a course requires it")


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
    # No index of its own: person_org_created_idx starts with it.
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
        db_index=False,
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
    # (rekisteri.people.restriction). The reasons are personal data, under the person's key.
    restricted_at = models.DateTimeField(null=True, blank=True)
    restriction_reason = EncryptedTextField(person_attr="pk", max_length=2000)
    restriction_lifted_at = models.DateTimeField(null=True, blank=True)
    restriction_lift_reason = EncryptedTextField(person_attr="pk", max_length=2000)
    # Art. 21(3): an objection to direct marketing ends it for good; never cleared.
    marketing_objection_at = models.DateTimeField(null=True, blank=True)
    # Section 4: a birth date only where it is needed to tell students apart, with the reason
    # (people.services.person_birth_date_set); ISO date text under the person's key.
    birth_date = EncryptedTextField(person_attr="pk", max_length=10)
    # db_default: rows written below the ORM (bulk loading) leave the column out.
    birth_date_reason = models.CharField(
        max_length=16, choices=BirthDateReason.choices, blank=True, default="", db_default=""
    )
    birth_date_reason_detail = EncryptedTextField(person_attr="pk", max_length=300)

    class Meta:
        # Names are ciphertext, so the database cannot sort by them; pages sort after decryption.
        ordering = ["-created_at", "id"]
        indexes = [
            # Serves the person list, newest first (and oldest first, read backwards).
            models.Index(fields=["-created_at", "id"], name="person_created_idx"),
            # Serves the person list filtered by organization, newest first; the list sorted
            # by organization (each organization's persons in turn); SET NULL on deletion.
            # No id: persons loaded in one batch share their time, and one organization's
            # ties are few to sort, while every insert would write the id once more.
            models.Index(fields=["organization", "-created_at"], name="person_org_created_idx"),
            # Serves the person list by last contact (both ways, never contacted at the old
            # end) and retention (people without recent activity). On PostgreSQL it is built
            # NULLS FIRST, as SQLite orders NULL (migration 0007).
            models.Index(fields=["last_activity_at", "id"], name="person_last_contact_idx"),
            # Art. 18: the few restricted persons, which every search but the privacy officer's
            # leaves out of its candidates (a lookup per candidate in this small index, not in
            # the table; people.selectors.search). Partial: creating a person writes nothing here.
            models.Index(
                fields=["id"], condition=models.Q(restricted_at__isnull=False), name="person_restricted_idx"
            ),
        ]
        permissions = [
            ("export_person", "Can export a person's data"),
            ("merge_person", "Can merge two records of the same person"),
            # Art. 17(3): deleting despite a contract, a legal obligation or a legal hold.
            ("override_deletion", "Can delete a person the register must keep, with reasons"),
        ]

    def __str__(self) -> str:
        # Ids only: __str__ ends up in logs, error messages and reprs, which outlive erasure.
        return f"Person {self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None


class MergeReason(models.TextChoices):
    """Why two records were merged; a code, because the audit trail holds no free text."""

    DUPLICATE_ENTRY = "duplicate_entry", _("The same person was entered twice")
    NEW_CONTACT_DETAILS = "new_contact_details", _("New contact details were entered as a new person")
    DATA_SUBJECT_REQUEST = "data_subject_request", _("A data-subject request showed they are the same person")
    OTHER = "other", _("Other reason")


class PersonRedirect(models.Model):
    """The id of a person merged into another (rekisteri.people.merge) and where it leads.

    Ids, a reason code and times only: nothing personal stays behind the old id. A merge
    of the survivor into a third person re-points these rows; the survivor's erasure
    deletes them (personal-data registry).
    """

    merged_id = models.UUIDField(primary_key=True)
    # Its index serves re-pointing on a later merge, erasure, and the audit trail's filter.
    survivor = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="merged_redirects")
    reason = models.CharField(max_length=32, choices=MergeReason.choices)
    merged_at = models.DateTimeField(default=timezone.now)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The merged person's data key is destroyed after the merge commits (the key store
    # commits on its own); until then this is empty, and the next merge finishes the job.
    key_destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Serves finding merges whose key destruction did not finish (a handful at most).
            models.Index(
                fields=["merged_at"],
                condition=models.Q(key_destroyed_at__isnull=True),
                name="redirect_key_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} -> {self.survivor_id}"


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
            # Serves lists of persons by category (students, prospects): the person list's
            # category filter counts a category's rows by it; checking one person's category
            # takes unique_person_category's index.
            models.Index(fields=["category"], name="person_category_idx"),
        ]

    def __str__(self) -> str:
        return self.category


class DeletionOverride(models.Model):
    """The privacy officer's decision to delete a person despite an obligation to keep them
    (Art. 17(3)): what stood in the way, and why it was overridden.

    Kept after the erasure, like the erasure journal: the person's id, the obstacles (purpose
    and basis codes, hold kinds and dates) and the reasons, written without personal values.
    """

    id = models.BigAutoField(primary_key=True)
    person_id = models.UUIDField()
    obstacles = models.JSONField(default=list)
    reason = models.TextField(max_length=2000)
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"deletion override for {self.person_id}"
