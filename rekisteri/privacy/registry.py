"""The personal-data registry: one declaration per model that holds personal data.

Access packages, erasure, merging and retention iterate this registry, so a model that is not
declared here would be silently forgotten by all of them. `test_registry.py` fails when
any model with a foreign key to Person is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Model, QuerySet

Exporter = Callable[[Model], dict[str, Any]]


@dataclass(frozen=True)
class PersonalDataModel:
    label: str  # "app_label.ModelName"
    # The lookup from this model to the person's id: "pk" for Person itself, "person" for a
    # direct foreign key.
    person_lookup: str
    # Section 4 data categories this model holds.
    categories: tuple[str, ...]
    # Section 2 purposes (Purpose.slug) for which the rows are processed.
    purposes: tuple[str, ...]
    # Turns one row into a plain dict for access packages (Art. 15) and exports; None for
    # derived rows that hold nothing readable (the blind index), erased with the person.
    export: Exporter | None
    # Which fields the person provided themselves (Art. 20 portability).
    provided_by_person: tuple[str, ...] = ()
    # How rows are erased. "delete": deleted with the person. "detach": the row stays and
    # its link to the person is cleared (records the controller must keep, such as the
    # request that asked for the erasure; their own values are under their own key).
    erasure: str = "delete"
    # Rows encrypted under a data key of their own (owner = the row's pk), such as rights
    # requests: erasure of the person destroys those keys too, so the detached row keeps
    # its non-personal facts but nothing of the person stays readable, not even in backups.
    own_key: bool = False
    # How merging two records of one person (rekisteri.people.merge) treats the rows:
    # "person" (the Person row itself), "move" (re-pointed to the survivor, values bound to
    # the person re-encrypted under the survivor's key), "union" (as "move", but a row that
    # repeats one of the survivor's on a unique constraint with the person is dropped),
    # "per_purpose" (legal bases: one per purpose, the caller picks), "rebuild" (derived rows,
    # rebuilt for the survivor). Empty: merges refuse to run until the model says how.
    merge: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The person's rows when the lookup has no index to use (the blind index, found
    # through its per-person record); rows_by_lookup still finds them with a scan.
    rows: Callable[[Any], QuerySet] | None = None
    # Deletes the rows of many persons at once, for models with a finder of their own (the
    # batch erasure of the retention sweep); returns the rows deleted.
    rows_delete_many: Callable[[list], int] | None = None

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.label)

    def rows_for(self, person_id: Any) -> QuerySet:
        if self.rows is not None:
            return self.rows(person_id)
        return self.rows_by_lookup(person_id)

    def rows_by_lookup(self, person_id: Any) -> QuerySet:
        """The rows whose link names the person, found by the link itself (for the blind
        index a scan: the sweep after a restore, which must find rows nothing lists)."""
        return self.model._default_manager.filter(**{self.person_lookup: person_id})


@dataclass(frozen=True)
class ExemptModel:
    """A model linked to persons by id that deliberately holds no personal values."""

    label: str
    reason: str


@dataclass(frozen=True)
class SubjectChecks:
    """How privacy's writes ask whether a person's data may be processed, without importing
    the app that holds persons: each raises a ValidationError with the rule in its message."""

    # Art. 18: processing beyond storage is refused while the person is restricted.
    processing: Callable[[Any], None]
    # Art. 21(3): direct marketing is refused once the person objected to it.
    marketing: Callable[[Any], None]


_REGISTRY: dict[str, PersonalDataModel] = {}
_EXEMPT: dict[str, ExemptModel] = {}
_SUBJECT_CHECKS: list[SubjectChecks] = []


def register(entry: PersonalDataModel) -> None:
    if entry.label in _REGISTRY:
        raise ValueError(f"{entry.label} is registered twice")
    _REGISTRY[entry.label] = entry


def exempt(entry: ExemptModel) -> None:
    _EXEMPT[entry.label] = entry


def subject_checks_register(checks: SubjectChecks) -> None:
    if _SUBJECT_CHECKS and _SUBJECT_CHECKS[0] != checks:
        raise ValueError("the data subject's checks are registered twice")
    _SUBJECT_CHECKS[:] = [checks]


# The purposes most customer data serves (section 2), for the apps' declarations.
CUSTOMER_PURPOSES = ("customer_relationship", "rights_and_obligations", "products_and_services")


def iso(value: Any) -> Any:
    """A date or time as ISO 8601 text for the exports; anything else as it is."""
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


_discovered = [False]


def _discover() -> None:
    """Import every installed app's `personal_data` module, where its models are declared.

    Each app declares its own models (as admin.py registers with the admin site), so the
    registry needs to know none of them, and the order is the order of INSTALLED_APPS:
    erasure, exports and merges follow it.
    """
    if _discovered[0]:
        return
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("personal_data")
    _discovered[0] = True


def personal_data_models() -> list[PersonalDataModel]:
    _discover()
    return list(_REGISTRY.values())


def exempt_models() -> list[ExemptModel]:
    _discover()
    return list(_EXEMPT.values())


def subject_checks() -> SubjectChecks:
    _discover()
    if not _SUBJECT_CHECKS:
        raise LookupError("no app registered the data subject's checks (people/personal_data.py does)")
    return _SUBJECT_CHECKS[0]


def entry_for(label: str) -> PersonalDataModel:
    personal_data_models()
    return _REGISTRY[label]
