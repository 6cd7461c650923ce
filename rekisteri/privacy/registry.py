"""The personal-data registry: one declaration per model that holds personal data.

Access packages, erasure and retention iterate this registry, so a model that is not
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
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The person's rows when the lookup has no index to use (the blind index, found
    # through its per-person record); rows_by_lookup still finds them with a scan.
    rows: Callable[[Any], QuerySet] | None = None

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


_REGISTRY: dict[str, PersonalDataModel] = {}
_EXEMPT: dict[str, ExemptModel] = {}


def register(entry: PersonalDataModel) -> None:
    if entry.label in _REGISTRY:
        raise ValueError(f"{entry.label} is registered twice")
    _REGISTRY[entry.label] = entry


def exempt(entry: ExemptModel) -> None:
    _EXEMPT[entry.label] = entry


def personal_data_models() -> list[PersonalDataModel]:
    from rekisteri.privacy import personal_data  # noqa: F401  (declarations register on import)

    return list(_REGISTRY.values())


def exempt_models() -> list[ExemptModel]:
    from rekisteri.privacy import personal_data  # noqa: F401

    return list(_EXEMPT.values())


def entry_for(label: str) -> PersonalDataModel:
    personal_data_models()
    return _REGISTRY[label]
