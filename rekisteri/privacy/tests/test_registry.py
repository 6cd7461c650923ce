"""The personal-data registry must know every model that links to a person."""

import pytest
from django.apps import apps
from django.db import models

from rekisteri.people.models import Person
from rekisteri.privacy.models import GroupCompany, Purpose
from rekisteri.privacy.registry import exempt_models, personal_data_models


def _links_to_person(model) -> bool:
    if model is Person:
        return True
    for field in model._meta.get_fields():
        if isinstance(field, (models.ForeignKey, models.OneToOneField)) and field.related_model is Person:
            return True
        if isinstance(field, models.ManyToManyField) and field.related_model is Person:
            return True
    return False


def _holds_person_ids(model) -> bool:
    return any(isinstance(f, models.UUIDField) and f.name == "person_id" for f in model._meta.get_fields())


def test_every_model_that_links_to_a_person_is_declared():
    declared = {entry.label for entry in personal_data_models()}
    exempt = {entry.label for entry in exempt_models()}
    missing = [
        model._meta.label
        for model in apps.get_models()
        if (_links_to_person(model) or _holds_person_ids(model))
        and model._meta.label not in declared | exempt
    ]
    assert missing == [], f"declare these in their app's personal_data.py: {missing}"


def test_the_registry_test_would_notice_a_new_personal_data_model():
    class Undeclared(models.Model):  # noqa: DJ008
        person = models.ForeignKey(Person, on_delete=models.CASCADE)

        class Meta:
            app_label = "people"

    try:
        declared = {entry.label for entry in personal_data_models()}
        assert _links_to_person(Undeclared)
        assert Undeclared._meta.label not in declared
    finally:
        apps.all_models["people"].pop("undeclared", None)
        apps.clear_cache()


def test_every_exemption_gives_a_reason():
    assert all(len(entry.reason) > 20 for entry in exempt_models())


@pytest.mark.django_db
def test_every_declared_purpose_exists_and_every_entry_exports(person):
    slugs = set(Purpose.objects.values_list("slug", flat=True))
    for entry in personal_data_models():
        assert set(entry.purposes) <= slugs, entry.label
        assert entry.categories, entry.label
        if entry.export is None:
            continue  # derived rows (the blind index) hold nothing readable to export
        for row in entry.rows_for(person.pk):
            exported = entry.export(row)
            assert isinstance(exported, dict) and exported


@pytest.mark.django_db
def test_the_notice_s_five_purposes_and_four_group_companies_are_seeded():
    assert Purpose.objects.count() == 5
    assert set(GroupCompany.objects.values_list("name", flat=True)) == {
        "Insta Group Oy",
        "Insta DefSec Oy",
        "Insta Automation Oy",
        "Insta ILS Oy",
    }
    controller = GroupCompany.objects.get(is_controller=True)
    assert controller.business_id == "0154088-5"
