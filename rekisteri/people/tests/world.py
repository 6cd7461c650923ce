"""A small register for the person list's tests: every filter and sort has something to tell
apart. Built through the services, as the UI and the API would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from rekisteri.audit.actor import Actor
from rekisteri.organizations.services import organization_create
from rekisteri.people.models import Person
from rekisteri.people.services import person_create
from rekisteri.privacy.models import GroupCompany, ProcessingBasis
from rekisteri.privacy.services import basis_set, source_add


@dataclass
class World:
    pohjola: object  # owned by the controller, sales responsible
    aalto: object  # owned by another group company, crm responsible
    controller: GroupCompany
    defsec: GroupCompany
    anna: Person  # Virtanen, Pohjola, customer rep., contract in force, contacted 2 days ago
    ville: Person  # Virtanen, Pohjola, prospect, legitimate interest ended, 100 days ago
    asa: Person  # Åberg, Aalto, student, training contract; marketing consent withdrawn; never
    orjan: Person  # Öhman, no organization, student, marketing consent in force, 10 days ago
    zoe: Person  # Zetterberg, no organization, prospect, basis starting later, yesterday
    aijo: Person  # Ärölä, Aalto, customer rep., no basis at all, never contacted

    @property
    def everybody(self) -> list[Person]:
        return [self.anna, self.ville, self.asa, self.orjan, self.zoe, self.aijo]

    def ids(self, *persons) -> set:
        return {person.pk for person in persons}


def build_world(cast) -> World:
    actor = Actor.system("test", origin="cli")
    today = timezone.localdate()
    controller = GroupCompany.objects.get(is_controller=True)
    defsec = GroupCompany.objects.exclude(pk=controller.pk).order_by("name").first()
    pohjola = organization_create(
        actor=actor, name="Pohjolan Data Oy", status="customer", owner_company=controller
    )
    aalto = organization_create(
        actor=actor, name="Aalto Koulutus Oy", status="customer", owner_company=defsec
    )
    pohjola.responsible_staff.set([cast.sales])
    aalto.responsible_staff.set([cast.crm])

    def add(first, last, organization, categories, email="", phone="", contacted_days_ago=None, title=""):
        person = person_create(
            actor=actor,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            organization=organization,
            categories=categories,
            title=title,
        )
        if contacted_days_ago is not None:
            moment = timezone.now() - timedelta(days=contacted_days_ago)
            Person.objects.filter(pk=person.pk).update(last_activity_at=moment)
            person.last_activity_at = moment
        return person

    anna = add(
        "Anna",
        "Virtanen",
        pohjola,
        ["customer_representative"],
        "anna.virtanen@pohjolandata.example",
        "040 772 1234",
        2,
    )
    ville = add(
        "Ville",
        "Virtanen",
        pohjola,
        ["prospect_contact"],
        "ville@pohjolandata.example",
        "+358 45 123 4567",
        100,
    )
    asa = add("Åsa", "Åberg", aalto, ["student"], "asa.aberg@aalto.example", "050 555 1234")
    orjan = add("Örjan", "Öhman", None, ["student"], "orjan@posti.example", "+358 40 772 9999", 10)
    # Values a spreadsheet would run as formulas (the export's injection guard).
    zoe = add(
        "Zoe", "Zetterberg", None, ["prospect_contact"], "=1+2@posti.example", "", 1, title='=HYPERLINK("x")'
    )
    aijo = add("Äijö", "Ärölä", aalto, ["customer_representative"], "", "09 123 4567")

    basis_set(actor=actor, person=anna, purpose="customer_relationship", basis="contract")
    basis_set(
        actor=actor,
        person=ville,
        purpose="products_and_services",
        basis="legitimate_interest",
        interest_ground="prospect_interest",
        valid_from=today - timedelta(days=400),
        valid_until=today - timedelta(days=30),
    )
    basis_set(actor=actor, person=asa, purpose="training", basis="contract")
    basis_set(actor=actor, person=asa, purpose="direct_marketing", basis="consent")
    ProcessingBasis.objects.filter(person=asa, purpose__slug="direct_marketing").update(
        withdrawn_at=timezone.now()
    )
    basis_set(actor=actor, person=orjan, purpose="direct_marketing", basis="consent")
    basis_set(
        actor=actor,
        person=zoe,
        purpose="customer_relationship",
        basis="contract",
        valid_from=today + timedelta(days=10),
    )
    source_add(actor=actor, person=anna, kind="employer_or_partner")
    source_add(actor=actor, person=ville, kind="public_source")
    source_add(actor=actor, person=asa, kind="data_subject")
    return World(pohjola, aalto, controller, defsec, anna, ville, asa, orjan, zoe, aijo)
