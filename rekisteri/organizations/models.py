"""Customer, prospect and partner organizations."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RelationshipStatus(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    PROSPECT = "prospect", _("Prospect")
    PARTNER = "partner", _("Partner")
    FORMER = "former", _("Former customer")


class Organization(models.Model):
    name = models.CharField(max_length=200)
    # Canonical form from rekisteri.lib.normalize.normalize_business_id.
    business_id = models.CharField(max_length=32, blank=True)
    business_id_country = models.CharField(max_length=2, default="FI")
    street_address = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, default="FI")
    status = models.CharField(
        max_length=16, choices=RelationshipStatus.choices, default=RelationshipStatus.PROSPECT
    )
    # Section 6: the group company that owns the relationship. Its foreign-key index serves
    # the person list's owner-company filter (and the through table's index by user its
    # responsible-staff filter).
    owner_company = models.ForeignKey(
        "privacy.GroupCompany", on_delete=models.PROTECT, related_name="organizations"
    )
    # Section 4: "rekisterinpitäjän vastuuhenkilöt", the staff responsible for the customer.
    responsible_staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="responsible_for"
    )
    # Section 7: when the status last changed. A customer becoming a former customer starts the
    # retention clocks of its contacts (rekisteri.retention).
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [
            # Serves the organization search by name prefix and the ordered list.
            models.Index(fields=["name"], name="org_name_idx"),
        ]
        constraints = [
            # Serves lookup by business ID and keeps one record per company.
            models.UniqueConstraint(
                fields=["business_id_country", "business_id"],
                condition=~Q(business_id=""),
                name="unique_business_id",
            ),
        ]
        permissions = []

    def __str__(self) -> str:
        return self.name
