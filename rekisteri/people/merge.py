"""Merging two records of the same person into one.

Driven by the personal-data registry: every registered model declares how its rows are
merged (`PersonalDataModel.merge`), and a merge refuses to start while any model has not,
so a new model holding personal data cannot be silently left behind on the merged id.

The survivor keeps its id. In one transaction every row of the merged person moves to the
survivor, values bound to the merged person's data key are re-encrypted under the
survivor's (the associated data still binds table, column and row, whose ids do not
change), the blind index is rebuilt, the merged Person row is deleted, a PersonRedirect
leads the old id to the survivor, and the audit trail records a "merge" naming both ids.
After the commit the merged person's data key is destroyed with a tombstone (reason
"duplicate"), so old copies of their ciphertexts (WAL, backups) stay unreadable; the key
store commits on its own, which is why this runs outside any transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rekisteri.audit.actor import Actor
from rekisteri.audit.services import audit_record
from rekisteri.encryption.fields import EncryptedTextField, attach_ciphers
from rekisteri.encryption.services import person_reindex
from rekisteri.errors import ServiceError, choose_one
from rekisteri.keystore.services import cipher_for, key_scope
from rekisteri.people.models import MergeReason, Person, PersonRedirect
from rekisteri.people.restriction import ProcessingRestricted
from rekisteri.privacy.erasure import inside_transaction, key_erase, storage_scrub
from rekisteri.privacy.models import ProcessingBasis
from rekisteri.privacy.registry import PersonalDataModel, personal_data_models

# The person fields a merge may take from the merged record instead of the survivor's.
MERGEABLE_FIELDS = ("first_name", "last_name", "email", "phone", "organization", "title", "self_given_info")
MERGE_RULES = frozenset({"person", "move", "union", "per_purpose", "rebuild"})
MARKETING = "direct_marketing"
RESTRICTION_HISTORY = ("restriction_reason", "restriction_lifted_at", "restriction_lift_reason")


class MergeNotDeclared(RuntimeError):
    """A registered model does not say how its rows are merged: a programming error."""


@dataclass
class MergeResult:
    survivor: Person
    # Rows moved to the survivor, per registered model (dropped duplicates not counted).
    moved: dict[str, int]
    # Legal bases given up because both records had one for the same purpose.
    bases_replaced: list[dict[str, Any]]


def merge_rules_check() -> list[PersonalDataModel]:
    """The registry's entries, once every one declares a known merge rule."""
    entries = personal_data_models()
    undeclared = [entry.label for entry in entries if entry.merge not in MERGE_RULES]
    if undeclared:
        raise MergeNotDeclared(
            f"declare how a merge treats {', '.join(undeclared)} (PersonalDataModel.merge in "
            "the personal_data.py of its app)"
        )
    return entries


def _link(entry: PersonalDataModel) -> models.ForeignKey:
    return entry.model._meta.get_field(entry.person_lookup)


def _bound_fields(entry: PersonalDataModel) -> list[EncryptedTextField]:
    """The encrypted fields of the model that are under the linked person's data key.

    Fields under another key (a rights request's own key) keep their ciphertext as it is.
    """
    link = _link(entry)
    return [
        field
        for field in entry.model._meta.concrete_fields
        if isinstance(field, EncryptedTextField) and field.person_attr in (link.attname, link.name)
    ]


def _move_rows(entry: PersonalDataModel, rows, *, survivor_id: UUID, merged_cipher) -> int:
    """Re-point rows to the survivor, re-encrypting what is bound to the person's key."""
    link = _link(entry)
    fields = _bound_fields(entry)
    if not fields:
        return rows.update(**{link.attname: survivor_id})
    moved = 0
    for row in rows:
        attach_ciphers([row], {str(getattr(row, link.attname)): merged_cipher}, link.attname)
        for field in fields:
            getattr(row, field.attname)  # decrypted now, under the merged person's key
        setattr(row, link.attname, survivor_id)
        # Saving encrypts the plain values again, now under the survivor's key (the row's
        # cached cipher names the merged person, so the survivor's is looked up).
        row.save(update_fields=[link.attname, *(field.attname for field in fields)])
        moved += 1
    return moved


def _person_unique_fields(entry: PersonalDataModel) -> list[tuple[list[str], Any]]:
    """For each unique constraint that includes the person link, its other fields and its
    condition (a partial constraint, such as one current consent per topic, binds only the
    rows it names; the others are history and move along)."""
    link = _link(entry)
    result = []
    for constraint in entry.model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and link.name in constraint.fields:
            result.append(([name for name in constraint.fields if name != link.name], constraint.condition))
    return result


def _merge_union(entry, *, survivor, merged, merged_cipher, **_) -> int:
    manager = entry.model._default_manager
    for others, condition in _person_unique_fields(entry):
        rows = entry.rows_for(merged.pk)
        theirs = entry.rows_for(survivor.pk)
        if condition is not None:
            rows, theirs = rows.filter(condition), theirs.filter(condition)
        attnames = [entry.model._meta.get_field(name).attname for name in others]
        held = set(theirs.values_list(*attnames))
        repeated = [pk for pk, *values in rows.values_list("pk", *attnames) if tuple(values) in held]
        manager.filter(pk__in=repeated).delete()
    return _move_rows(entry, entry.rows_for(merged.pk), survivor_id=survivor.pk, merged_cipher=merged_cipher)


def _merge_move(entry, *, survivor, merged, merged_cipher, **_) -> int:
    return _move_rows(entry, entry.rows_for(merged.pk), survivor_id=survivor.pk, merged_cipher=merged_cipher)


def _basis_facts(basis: ProcessingBasis, side: str) -> dict[str, Any]:
    # Codes and dates only: the audit trail holds no personal values (no justification).
    return {
        "from": side,
        "purpose": basis.purpose.slug,
        "basis": basis.basis,
        "valid_from": basis.valid_from.isoformat(),
        "valid_until": basis.valid_until.isoformat() if basis.valid_until else None,
        "withdrawn": basis.withdrawn_at is not None,
    }


def _merge_per_purpose(entry, *, survivor, merged, merged_cipher, bases_from_merged, replaced, **_) -> int:
    """One current basis per purpose (one_current_basis_per_purpose): where both records have
    one, the caller's choice stays and the other is given up, its facts kept in the audit
    event. Withdrawn bases are history and move along beside it."""
    current = ProcessingBasis.objects.filter(withdrawn_at__isnull=True).select_related("purpose")
    own = {basis.purpose_id: basis for basis in current.filter(person=survivor)}
    for basis in current.filter(person=merged):
        kept = own.get(basis.purpose_id)
        if kept is None:
            continue
        if basis.purpose.slug in bases_from_merged:
            replaced.append(_basis_facts(kept, "survivor"))
            kept.delete()
        else:
            replaced.append(_basis_facts(basis, "merged"))
            basis.delete()
    return _move_rows(entry, entry.rows_for(merged.pk), survivor_id=survivor.pk, merged_cipher=merged_cipher)


def _merge_rebuild(entry, *, merged, **_) -> int:
    rows = entry.rows_for(merged.pk)
    rows._raw_delete(rows.db)  # derived rows; the survivor's are rebuilt at the end
    return 0


_HANDLERS = {
    "move": _merge_move,
    "union": _merge_union,
    "per_purpose": _merge_per_purpose,
    "rebuild": _merge_rebuild,
}


def _end_marketing_bases(person: Person) -> None:
    """Art. 21(3): after an objection no direct marketing, whichever record carried it."""
    today = timezone.localdate()
    in_force = ProcessingBasis.objects.filter(
        person=person, purpose__slug=MARKETING, withdrawn_at__isnull=True
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
    for basis in in_force:
        basis.valid_until = today
        basis.valid_from = min(basis.valid_from, today)
        basis.save(update_fields=["valid_until", "valid_from"])


def _validate(
    *,
    survivor: Person,
    merged: Person,
    reason: str,
    fields_from_merged: set[str],
    bases_from_merged: set[str],
) -> None:
    errors: dict[str, ValidationError] = {}
    if survivor.pk == merged.pk:
        errors["merged_id"] = ServiceError(_("A person cannot be merged with themselves."), code="merge.self")
    if reason not in MergeReason.values:
        errors["reason"] = choose_one(MergeReason.values)
    unknown = fields_from_merged - set(MERGEABLE_FIELDS)
    if unknown:
        errors["fields_from_merged"] = ServiceError(
            _("Choose from: %(choices)s."),
            code="merge.field",
            params={"choices": ", ".join(MERGEABLE_FIELDS)},
        )
    if bases_from_merged:
        purposes = set(ProcessingBasis.objects.filter(person=merged).values_list("purpose__slug", flat=True))
        if bases_from_merged - purposes:
            errors["bases_from_merged"] = ServiceError(
                _("Name only purposes for which the merged person has a legal basis."), code="merge.basis"
            )
    if errors:
        raise ValidationError(errors)


def person_merge(
    *,
    actor: Actor,
    survivor: Person,
    merged: Person,
    reason: str,
    fields_from_merged: Collection[str] = (),
    bases_from_merged: Collection[str] = (),
) -> MergeResult:
    """Merge `merged` into `survivor`: every registered row moves, the merged id redirects.

    `fields_from_merged` names the person fields (MERGEABLE_FIELDS) that take the merged
    record's value instead of the survivor's; categories are united. Where both records
    have a legal basis for the same purpose, the survivor's stays unless the purpose's slug
    is in `bases_from_merged`. An objection to direct marketing on either record holds for
    the survivor (Art. 21(3)). Refused (ProcessingRestricted) while either is restricted
    (Art. 18): merging is processing.
    """
    fields_from_merged = set(fields_from_merged)
    bases_from_merged = set(bases_from_merged)
    entries = merge_rules_check()
    if inside_transaction():
        # The merged person's key is destroyed after the commit, in the key store's own
        # transaction; a rollback of an outer one would leave rows under a destroyed key.
        raise RuntimeError("person_merge must not run inside a transaction")
    _validate(
        survivor=survivor,
        merged=merged,
        reason=reason,
        fields_from_merged=fields_from_merged,
        bases_from_merged=bases_from_merged,
    )
    moved: dict[str, int] = {}
    replaced: list[dict[str, Any]] = []
    with key_scope(), transaction.atomic(durable=True):
        # Both rows locked in a fixed order, so two merges of the same pair cannot deadlock.
        locked = {
            p.pk: p
            for p in Person.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk]).order_by("pk")
        }
        if len(locked) != 2:
            raise ServiceError(_("No such person."), code="person.unknown", field="merged_id")
        survivor, merged = locked[survivor.pk], locked[merged.pk]
        if survivor.restricted_at is not None or merged.restricted_at is not None:
            raise ProcessingRestricted()
        merged_cipher = cipher_for(merged.pk)
        for entry in entries:
            handler = _HANDLERS.get(entry.merge)
            if handler is None:
                continue  # "person": the Person rows themselves, below
            moved[entry.label] = handler(
                entry,
                survivor=survivor,
                merged=merged,
                merged_cipher=merged_cipher,
                bases_from_merged=bases_from_merged,
                replaced=replaced,
            )
        changed = []
        for name in sorted(fields_from_merged):
            attname = Person._meta.get_field(name).attname
            if getattr(survivor, attname) != getattr(merged, attname):
                setattr(survivor, attname, getattr(merged, attname))
                changed.append(name)
        # Art. 18: a restriction the merged record had (and that was lifted) stays on record,
        # unless the survivor has its own; the rights requests behind both move anyway.
        restriction_history = "none"
        if merged.restriction_lifted_at is not None:
            restriction_history = "kept_survivors"
            if survivor.restriction_lifted_at is None and not survivor.restriction_reason:
                for name in RESTRICTION_HISTORY:
                    setattr(survivor, name, getattr(merged, name))
                restriction_history = "taken"
        objections = [at for at in (survivor.marketing_objection_at, merged.marketing_objection_at) if at]
        survivor.marketing_objection_at = min(objections) if objections else None
        activity = [at for at in (survivor.last_activity_at, merged.last_activity_at) if at]
        survivor.last_activity_at = max(activity) if activity else None
        # The register has held this person's data since the earlier of the two records.
        survivor.created_at = min(survivor.created_at, merged.created_at)
        survivor.updated_at = timezone.now()
        survivor.save()
        if survivor.marketing_objection_at is not None:
            _end_marketing_bases(survivor)
        Person.objects.filter(pk=merged.pk)._raw_delete(Person.objects.db)
        person_reindex(survivor)
        PersonRedirect.objects.create(
            merged_id=merged.pk,
            survivor=survivor,
            reason=reason,
            merged_by=actor.recorded_user,
        )
        audit_record(
            actor=actor,
            action="merge",
            object_type="person",
            object_ids=[survivor.pk, merged.pk],
            person_ids=[survivor.pk, merged.pk],
            detail={
                "survivor": str(survivor.pk),
                "merged": str(merged.pk),
                "reason": reason,
                "fields": changed,
                "rows": {label: count for label, count in moved.items() if count},
                "bases_replaced": replaced,
                "restriction_history": restriction_history,
            },
        )
    merged_keys_destroy()
    return MergeResult(survivor=survivor, moved=moved, bases_replaced=replaced)


def merged_keys_destroy() -> int:
    """Destroy the data keys of merged persons whose merge committed; returns how many.

    Normally one, the merge just made. A merge interrupted between its commit and this step
    left its key behind: the next merge finishes it.
    """
    pending = list(
        PersonRedirect.objects.filter(key_destroyed_at__isnull=True).values_list("merged_id", flat=True)
    )
    for merged_id in pending:
        key_erase(person_id=merged_id, reason="duplicate")
        PersonRedirect.objects.filter(merged_id=merged_id).update(key_destroyed_at=timezone.now())
    if pending:
        storage_scrub()
    return len(pending)
