"""Realistic, deterministic Finnish demo data, written through the services (so it is audited).

The same seed gives the same organizations, names and bases every time; dates are relative
to today so the data looks current. E-mail domains end in .example (RFC 2606), so no demo
message can ever reach a real mailbox.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from rekisteri.accounts.models import Role, StaffProfile
from rekisteri.accounts.services import staff_create
from rekisteri.audit.actor import Actor
from rekisteri.contacts.models import Interaction
from rekisteri.contacts.services import interaction_create
from rekisteri.demo.vocabulary import (
    CITIES,
    FIRST_NAMES,
    INTERACTION_TEXTS,
    LAST_NAMES,
    LEAD_TITLES,
    LEGAL_FORMS,
    NAME_PREFIXES,
    PUBLIC_BODIES,
    SECTORS,
    SELF_GIVEN,
    STREETS,
    TITLES,
    TOPICS,
)
from rekisteri.governance.selectors import current_instruction
from rekisteri.governance.services import instruction_acknowledge
from rekisteri.organizations.models import Organization, RelationshipStatus
from rekisteri.organizations.services import organization_create
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.services import person_create
from rekisteri.privacy.models import GroupCompany, LegalBasis, LegitimateInterestGround, SourceKind
from rekisteri.privacy.services import basis_set, source_add

SEED = 20250601
# Demo only: printed by `rekisteri demo` and in the README. Never load demo data into a
# register that holds real people (demo_status refuses), since anyone knows this password.
DEMO_PASSWORD = "Tervetuloa-demoon-2025"


@dataclass(frozen=True)
class DemoStaff:
    username: str
    role: str
    first_name: str
    last_name: str
    nda_signed_on: date | None


DEMO_STAFF = [
    DemoStaff("myynti", Role.SALES, "Sari", "Laine", date(2024, 1, 15)),
    DemoStaff("asiakkuus", Role.CRM, "Mikko", "Heinonen", date(2024, 2, 1)),
    DemoStaff("markkinointi", Role.MARKETING, "Laura", "Niemi", date(2024, 3, 4)),
    DemoStaff("kouluttaja", Role.TRAINER, "Jukka", "Salo", date(2024, 4, 8)),
    DemoStaff("tietosuoja", Role.PRIVACY_OFFICER, "Päivi", "Koskinen", date(2023, 11, 20)),
    DemoStaff("yllapito", Role.ADMIN, "Antti", "Mäkelä", date(2023, 10, 2)),
    DemoStaff("ilman-nda", Role.SALES, "Niina", "Uusitalo", None),
]


@dataclass
class DemoResult:
    staff: int = 0
    organizations: int = 0
    persons: int = 0
    interactions: int = 0
    bases: int = 0
    sources: int = 0
    enrollments: int = 0
    seconds: float = 0.0
    logins: list[DemoStaff] = field(default_factory=list)


def demo_status() -> str:
    """'loaded', 'empty', 'conflict' (some demo usernames taken) or 'not_empty' (real data)."""
    usernames = {staff.username for staff in DEMO_STAFF}
    present = set(get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True))
    if present == usernames:
        return "loaded"
    if present:
        return "conflict"
    if Organization.objects.exists() or Person.objects.exists() or StaffProfile.objects.exists():
        return "not_empty"
    return "empty"


def ascii_fold(text: str) -> str:
    """'Päivi Åberg' -> 'paivi aberg', for e-mail addresses and domains."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def ytunnus(seven_digits: str) -> str | None:
    """The Y-tunnus with its check digit, or None when the seven digits have no valid one.

    Weights 7, 9, 10, 5, 8, 4, 2; r = sum mod 11; r = 0 gives 0, r = 1 is invalid, else 11 - r.
    """
    remainder = sum(w * int(d) for w, d in zip((7, 9, 10, 5, 8, 4, 2), seven_digits, strict=True)) % 11
    if remainder == 1:
        return None
    return f"{seven_digits}-{0 if remainder == 0 else 11 - remainder}"


class _Generator:
    def __init__(self, *, actor: Actor, seed: int, progress: Callable[[str], None]):
        self.actor = actor
        self.rng = random.Random(seed)
        self.progress = progress
        self.today = timezone.localdate()
        self.result = DemoResult(logins=list(DEMO_STAFF))
        self.used_emails: set[str] = set()
        self.used_phones: set[str] = set()
        self.used_business_ids = set(GroupCompany.objects.values_list("business_id", flat=True))

    def run(self, organizations: int, persons: int) -> DemoResult:
        staff = self._staff()
        orgs = self._organizations(organizations, staff)
        self._persons(persons, orgs)
        from rekisteri.demo.training import demo_training

        self.result.enrollments = demo_training(
            actor=self.actor, rng=self.rng, trainer_username="kouluttaja", today=self.today
        )
        return self.result

    def _staff(self) -> dict[str, object]:
        users = {}
        for member in DEMO_STAFF:
            profile = staff_create(
                actor=self.actor,
                username=member.username,
                role=member.role,
                password=DEMO_PASSWORD,
                nda_signed_on=member.nda_signed_on,
                first_name=member.first_name,
                last_name=member.last_name,
                email=f"{ascii_fold(member.first_name)}.{ascii_fold(member.last_name)}@insta.example",
            )
            users[member.username] = profile.user
            current = current_instruction()
            if current is not None and member.nda_signed_on is not None:
                # As the NDA dates: demo staff have read the written instructions (section 11).
                instruction_acknowledge(actor=self.actor, user=profile.user, instruction=current)
        self.result.staff = len(users)
        return users

    def _business_id(self) -> str:
        while True:
            candidate = ytunnus(f"{self.rng.randint(0, 3)}{self.rng.randint(0, 999999):06d}")
            if candidate and candidate not in self.used_business_ids:
                self.used_business_ids.add(candidate)
                return candidate

    def _organizations(self, count: int, staff: dict) -> list[tuple[Organization, str]]:
        owners = list(GroupCompany.objects.order_by("-is_controller", "name"))
        owner_weights = [6 if owner.is_controller else 1 for owner in owners]
        statuses = [
            RelationshipStatus.CUSTOMER,
            RelationshipStatus.PROSPECT,
            RelationshipStatus.PARTNER,
            RelationshipStatus.FORMER,
        ]
        names: set[str] = set()
        result = []
        public_bodies = list(PUBLIC_BODIES)
        for index in range(count):
            city, postal_code, _ = self.rng.choices(CITIES, weights=[c[2] for c in CITIES])[0]
            if index % 12 == 5 and public_bodies:
                name, domain, city = public_bodies.pop(0)
                postal_code = next(code for town, code, _ in CITIES if town == city)
            else:
                while True:
                    prefix, sector = self.rng.choice(NAME_PREFIXES), self.rng.choice(SECTORS)
                    name = f"{prefix} {sector} {self.rng.choice(LEGAL_FORMS)}"
                    base = f"{prefix} {sector}"
                    if base not in names:
                        names.add(base)
                        break
                domain = ascii_fold(f"{prefix}{sector}")
            status = self.rng.choices(statuses, weights=[52, 30, 10, 8])[0]
            responsible = (
                [staff["myynti"]]
                if status == RelationshipStatus.PROSPECT
                else [staff["myynti"], staff["asiakkuus"]][: self.rng.randint(1, 2)]
            )
            organization = organization_create(
                actor=self.actor,
                responsible_staff=responsible,
                name=name,
                business_id=self._business_id(),
                street_address=f"{self.rng.choice(STREETS)} {self.rng.randint(1, 60)}",
                postal_code=postal_code,
                city=city,
                status=status,
                owner_company=self.rng.choices(owners, weights=owner_weights)[0],
            )
            result.append((organization, f"{domain}.example"))
        self.result.organizations = len(result)
        self.progress(f"{len(result)} organizations")
        return result

    def _phone(self) -> str:
        while True:
            number = (
                f"0{self.rng.choice(['40', '41', '44', '45', '46', '50'])} "
                f"{self.rng.randint(100, 999)} {self.rng.randint(1000, 9999)}"
            )
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def _past(self, low_days: int, high_days: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low_days, high_days))

    def _persons(self, count: int, orgs: list[tuple[Organization, str]]) -> None:
        # Every organization gets two people; the rest go mostly to customers.
        weights = [3 if org.status == RelationshipStatus.CUSTOMER else 1 for org, _ in orgs]
        plan = [index for index in range(len(orgs)) for _ in range(2)][:count]
        plan += self.rng.choices(range(len(orgs)), weights=weights, k=max(0, count - len(plan)))
        plan.sort()
        previous = None
        for number, index in enumerate(plan, start=1):
            organization, domain = orgs[index]
            self._person(organization, domain, first_in_org=index != previous)
            previous = index
            if number % 100 == 0 or number == len(plan):
                self.progress(f"{number}/{len(plan)} persons")

    def _person(self, organization: Organization, domain: str, *, first_in_org: bool) -> None:
        rng = self.rng
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{ascii_fold(first)}.{ascii_fold(last)}@{domain}"
            if email not in self.used_emails:
                self.used_emails.add(email)
                break
        customer_side = organization.status != RelationshipStatus.PROSPECT
        lead = first_in_org or rng.random() < 0.1
        categories = [
            PersonCategory.Category.CUSTOMER_REPRESENTATIVE
            if customer_side
            else PersonCategory.Category.PROSPECT_CONTACT
        ]
        student = customer_side and rng.random() < 0.25
        if student:
            categories.append(PersonCategory.Category.STUDENT)
        # Trusted, generated data whose addresses and numbers are unique by construction:
        # the duplicate check would only cost a blind-index lookup per person.
        person = person_create(
            actor=self.actor,
            allow_duplicate=True,
            first_name=first,
            last_name=last,
            email=email,
            phone=self._phone() if rng.random() < 0.85 else "",
            organization=organization,
            title=rng.choice(LEAD_TITLES) if lead else rng.choice(TITLES),
            self_given_info=rng.choice(SELF_GIVEN) if rng.random() < 0.1 else "",
            categories=categories,
        )
        self.result.persons += 1
        obtained = self._past(60, 1000)
        self._bases(person, organization, lead=lead, student=student, obtained=obtained)
        self._sources(person, customer_side=customer_side, student=student, obtained=obtained)
        self._interactions(person, student=student, since=obtained)

    def _basis(self, person, purpose, basis, ground="", justification="", valid_from=None, valid_until=None):
        basis_set(
            actor=self.actor,
            person=person,
            purpose=purpose,
            basis=basis,
            interest_ground=ground,
            justification=justification,
            valid_from=valid_from,
            valid_until=valid_until,
        )
        self.result.bases += 1

    def _bases(self, person, organization, *, lead: bool, student: bool, obtained: date) -> None:
        rng = self.rng
        status = organization.status
        ended = None
        if status == RelationshipStatus.FORMER:
            ended = obtained + timedelta(days=rng.randint(30, max(31, (self.today - obtained).days - 1)))
        if status == RelationshipStatus.PROSPECT:
            self._basis(
                person,
                "products_and_services",
                LegalBasis.LEGITIMATE_INTEREST,
                LegitimateInterestGround.PROSPECT_INTEREST,
                "Yrityksen toimiala vastaa tarjoamiamme palveluja.",
                obtained,
            )
        elif lead:
            # Section 3: the person signed or manages the customer contract.
            self._basis(
                person,
                "customer_relationship",
                LegalBasis.CONTRACT,
                "",
                "Asiakassopimuksen yhteyshenkilö.",
                obtained,
                ended,
            )
            # Accounting Act 1336/1997: contract and invoicing records are kept.
            self._basis(
                person,
                "rights_and_obligations",
                LegalBasis.LEGAL_OBLIGATION,
                "",
                "Kirjanpitolaki: sopimus- ja laskutusasiakirjat.",
                obtained,
            )
        else:
            self._basis(
                person,
                "customer_relationship",
                LegalBasis.LEGITIMATE_INTEREST,
                LegitimateInterestGround.EMPLOYER_RELATIONSHIP,
                "Työnantaja on asiakkaamme.",
                obtained,
                ended,
            )
            if rng.random() < 0.5 and ended is None:
                self._basis(
                    person,
                    "products_and_services",
                    LegalBasis.LEGITIMATE_INTEREST,
                    LegitimateInterestGround.EMPLOYER_RELATIONSHIP,
                    "Ylläpito ja tekninen tuki työnantajan hankkimiin palveluihin.",
                    obtained,
                )
        if student:
            self._basis(person, "training", LegalBasis.CONTRACT, "", "Kurssi-ilmoittautuminen.", obtained)
        if rng.random() < 0.3:
            # Act 917/2014, chapter 24: e-marketing to a natural person needs an opt-in.
            self._basis(
                person,
                "direct_marketing",
                LegalBasis.CONSENT,
                "",
                rng.choice(["Tilasi uutiskirjeen verkkosivuilta.", "Antoi suostumuksen tapahtumassa."]),
                self._past(1, (self.today - obtained).days),
            )

    def _sources(self, person, *, customer_side: bool, student: bool, obtained: date) -> None:
        rng = self.rng
        if customer_side:
            kinds = [(SourceKind.EMPLOYER_OR_PARTNER, "Asiakkaan yhteyshenkilöilmoitus.")]
        else:
            kinds = [
                rng.choice(
                    [
                        (SourceKind.PUBLIC_SOURCE, "Yrityksen verkkosivut."),
                        (SourceKind.PUBLIC_SOURCE, "Kaupparekisteri."),
                        (SourceKind.ASIAKASTIETO, "Suomen Asiakastieto Oy:n päättäjätiedot."),
                    ]
                )
            ]
        if student:
            kinds.append((SourceKind.DATA_SUBJECT, "Kurssi-ilmoittautumislomake."))
        elif rng.random() < 0.35:
            kinds.append((SourceKind.DATA_SUBJECT, "Henkilö itse tapaamisessa."))
        for kind, detail in kinds:
            report = obtained if kind == SourceKind.ASIAKASTIETO else None
            source_add(
                actor=self.actor,
                person=person,
                kind=kind,
                detail=detail,
                obtained_on=obtained,
                report_date=report,
            )
            self.result.sources += 1

    def _interactions(self, person, *, student: bool, since: date) -> None:
        rng = self.rng
        kinds = [
            Interaction.Kind.MEETING,
            Interaction.Kind.CALL,
            Interaction.Kind.EMAIL,
            Interaction.Kind.EVENT,
            Interaction.Kind.NOTE,
        ]
        if student:
            kinds.append(Interaction.Kind.FEEDBACK)
        span = max(1, (self.today - since).days)
        moments = sorted(
            timezone.make_aware(
                datetime.combine(
                    since + timedelta(days=rng.randint(0, span - 1)),
                    time(rng.randint(8, 16), rng.choice([0, 15, 30, 45])),
                )
            )
            for _ in range(rng.randint(1, 5))
        )
        for moment in moments:
            kind = rng.choices(kinds, weights=[3, 3, 3, 1, 1] + ([2] if student else []))[0]
            text = rng.choice(INTERACTION_TEXTS[kind]).format(topic=rng.choice(TOPICS))
            interaction_create(actor=self.actor, person=person, kind=kind, text=text, occurred_at=moment)
            self.result.interactions += 1


def demo_load(
    *,
    actor: Actor,
    organizations: int = 50,
    persons: int = 300,
    seed: int = SEED,
    progress: Callable[[str], None] = lambda message: None,
) -> DemoResult:
    """Write the demo staff, organizations and persons. The caller holds the transaction."""
    return _Generator(actor=actor, seed=seed, progress=progress).run(organizations, persons)
