"""Who sees which persons, which parts of them, and for which purpose (notice sections 2 and 11).

roles.py says what a role may *do* (permissions); this module says what it may *see* when it
reads a person. Each role has one row in VIEW_RULES:

- `persons`: the scope, a function narrowing a Person queryset to the persons the role's
  purpose covers (people.selectors.visible_persons applies it to every read: search, lists,
  the card, the API). A person outside the scope does not exist for that role: 404.
- `fields`: the field groups of a person the role is shown. A group not listed is left out
  of the card's context and sent as null by the API; a permission the role lacks (roles.py)
  hides its group as well, so both tables must allow a group.
- `interaction_kinds` and `interaction_texts`: which kinds of contact history the role sees,
  and whether it reads their texts or only their kinds and dates.
- `purpose`: the purpose of section 2 every read by the role is audited under.

Changing what a role sees is a change to its row here, and to the hand-written matrix in
tests/test_view_rules_matrix.py, which checks this table from the outside.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from rekisteri.accounts.models import Role
from rekisteri.accounts.roles import ROLE_DEFAULT_PURPOSE
from rekisteri.people.models import Person, PersonCategory
from rekisteri.people.restriction import persons_marketable, persons_processable
from rekisteri.privacy.bases import in_force_q
from rekisteri.privacy.models import ProcessingBasis

# Field groups of a person (section 4 of the notice). The name, and when the person was added
# and last active, are shown to everyone who sees the person at all.
CONTACT = "contact"  # e-mail and phone
ORGANIZATION = "organization"  # the organization and the position in it ("yritys ja asema")
CATEGORIES = "categories"  # customer representative, prospect, student
SELF_GIVEN = "self_given"  # "henkilön itse antamat lisätiedot": free text of any content
BASES = "bases"  # purposes and legal bases (section 3), consents included
SOURCES = "sources"  # where the data came from (section 5)
INTERACTIONS = "interactions"  # contact history and feedback (narrowed by interaction_kinds)
TRACKING = "tracking"  # newsletter opens and clicks, web visits ("seurantatiedot")

FIELD_GROUPS = (CONTACT, ORGANIZATION, CATEGORIES, SELF_GIVEN, BASES, SOURCES, INTERACTIONS, TRACKING)

# The permission without which a group stays hidden whatever the rule says.
GROUP_PERMISSIONS = {
    BASES: "privacy.view_processingbasis",
    SOURCES: "privacy.view_datasource",
    INTERACTIONS: "contacts.view_interaction",
    TRACKING: "contacts.view_trackingevent",
}

# Every kind of contact history: contacts.Interaction.Kind, an app above this one, so the
# rules name its kinds as the strings they are stored as (a test holds them to the model).
ALL_KINDS = None
# What a course needs: events attended and course feedback. Meetings, calls, e-mails and notes
# carry the sales history (offers, pricing talks, budgets) and stay with sales.
TRAINING_KINDS = frozenset({"event", "feedback"})

MARKETING_PURPOSE = "direct_marketing"

Scope = Callable[[object, QuerySet[Person]], QuerySet[Person]]


def everyone(user, persons: QuerySet[Person]) -> QuerySet[Person]:
    return persons


def everyone_unrestricted(user, persons: QuerySet[Person]) -> QuerySet[Person]:
    """Art. 18: every person whose processing is not restricted. A restricted person's data
    is only stored: left out of the lists, searches, cards, exports and reports of every role
    but the privacy officer's."""
    return persons_processable(persons)


def nobody(user, persons: QuerySet[Person]) -> QuerySet[Person]:
    return persons.none()


# The training app, which knows course instances and their trainers, installs the narrowing
# of a trainer's students (people sits below it): (persons enrolled in an instance the user
# teaches, persons enrolled in any instance), as person-id subqueries.
_student_scope: list[Callable[[object], tuple[QuerySet, QuerySet]]] = []


def student_scope_install(scope: Callable[[object], tuple[QuerySet, QuerySet]]) -> None:
    _student_scope[:] = [scope]


def students(user, persons: QuerySet[Person]) -> QuerySet[Person]:
    """Section 2 and 11: persons who take part in the controller's courses; for a trainer,
    the participants of the instances they teach, and students not yet enrolled anywhere
    (whom a trainer enrolls), never other trainers' participants.
    """
    persons = persons_processable(persons).filter(
        pk__in=PersonCategory.objects.filter(category=PersonCategory.Category.STUDENT).values("person_id")
    )
    if _student_scope:
        own, enrolled = _student_scope[0](user)
        persons = persons.filter(Q(pk__in=own) | ~Q(pk__in=enrolled))
    return persons


def bases_in_force(day=None) -> QuerySet[ProcessingBasis]:
    """Bases that apply on `day` (today): begun, not ended, not withdrawn."""
    return ProcessingBasis.objects.filter(in_force_q(day))


def marketing_audience(user, persons: QuerySet[Person]) -> QuerySet[Person]:
    """Section 2 (direct marketing) and Art. 21(3): persons with a direct-marketing basis in
    force, who never objected and whose processing is not restricted (Art. 18).

    Reading anyone else's data for direct marketing would be processing without a basis.
    """
    return persons_marketable(persons).filter(
        pk__in=bases_in_force().filter(purpose__slug=MARKETING_PURPOSE).values("person_id")
    )


@dataclass(frozen=True)
class ViewRule:
    purpose: str
    persons: Scope
    fields: frozenset[str]
    # None: every kind (ALL_KINDS).
    interaction_kinds: frozenset[str] | None = frozenset()
    interaction_texts: bool = False

    @property
    def kind_filter(self) -> frozenset[str] | None:
        """The interaction kinds to filter on, or None when the role sees every kind."""
        return self.interaction_kinds

    @property
    def sees_everyone(self) -> bool:
        # Lets the hot read paths skip the scope query for the roles that see every person.
        return self.persons is everyone


_CUSTOMER_WORK = frozenset({CONTACT, ORGANIZATION, CATEGORIES, SELF_GIVEN, BASES, SOURCES, INTERACTIONS})

VIEW_RULES: dict[str, ViewRule] = {
    Role.SALES: ViewRule(
        purpose=ROLE_DEFAULT_PURPOSE[Role.SALES],
        persons=everyone_unrestricted,
        fields=_CUSTOMER_WORK,
        interaction_kinds=ALL_KINDS,
        interaction_texts=True,
    ),
    Role.CRM: ViewRule(
        purpose=ROLE_DEFAULT_PURPOSE[Role.CRM],
        persons=everyone_unrestricted,
        fields=_CUSTOMER_WORK | {TRACKING},
        interaction_kinds=ALL_KINDS,
        interaction_texts=True,
    ),
    # Targeting needs who can be reached and how, their organization and groups, the basis
    # (opt-in consent or opt-out legitimate interest, section 3) and the tracking data
    # (section 9). Kinds and dates of contacts show recency (event attendees, persons in an
    # ongoing sales cycle); what was said is not needed, so no texts.
    Role.MARKETING: ViewRule(
        purpose=ROLE_DEFAULT_PURPOSE[Role.MARKETING],
        persons=marketing_audience,
        fields=frozenset({CONTACT, ORGANIZATION, CATEGORIES, BASES, INTERACTIONS, TRACKING}),
        interaction_kinds=ALL_KINDS,
        interaction_texts=False,
    ),
    # A trainer reaches their students and sees course events and feedback. The free-text
    # self-given information is left out: courses will carry their own fields (section 4,
    # "oppilasrekisterit": grades, completion dates).
    Role.TRAINER: ViewRule(
        purpose=ROLE_DEFAULT_PURPOSE[Role.TRAINER],
        persons=students,
        fields=frozenset({CONTACT, ORGANIZATION, CATEGORIES, INTERACTIONS}),
        interaction_kinds=TRAINING_KINDS,
        interaction_texts=True,
    ),
    # Answering access, rectification and erasure requests needs the whole record, restricted
    # persons included (shown marked: Art. 18 lets the controller store them, and the officer
    # decides when a restriction is lifted).
    Role.PRIVACY_OFFICER: ViewRule(
        purpose=ROLE_DEFAULT_PURPOSE[Role.PRIVACY_OFFICER],
        persons=everyone,
        fields=frozenset(FIELD_GROUPS),
        interaction_kinds=ALL_KINDS,
        interaction_texts=True,
    ),
    Role.ADMIN: ViewRule(
        purpose=ROLE_DEFAULT_PURPOSE[Role.ADMIN],
        persons=everyone_unrestricted,
        fields=_CUSTOMER_WORK | {TRACKING},
        interaction_kinds=ALL_KINDS,
        interaction_texts=True,
    ),
}

# Staff without a role see no one (the NDA gate stops them earlier anyway).
NO_RULE = ViewRule(purpose="", persons=nobody, fields=frozenset())
# A system actor (a CLI command run by the operator, a task) reads as the register itself;
# its purpose is the one the caller names.
SYSTEM_RULE = ViewRule(
    purpose="",
    persons=everyone,
    fields=frozenset(FIELD_GROUPS),
    interaction_kinds=ALL_KINDS,
    interaction_texts=True,
)


def view_rule(user) -> ViewRule:
    """The row of VIEW_RULES for the user's role; NO_RULE without a role."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_RULE
    profile = getattr(user, "staff_profile", None)
    if profile is None:
        return NO_RULE
    return VIEW_RULES.get(profile.role, NO_RULE)


def actor_rule(actor) -> ViewRule:
    """The rule a read by this actor follows: its user's, or SYSTEM_RULE without a user."""
    return SYSTEM_RULE if actor.user is None else view_rule(actor.user)


def shown_groups(user, rule: ViewRule | None = None) -> frozenset[str]:
    """The field groups the user is shown: allowed by their rule and by their permissions."""
    rule = rule or view_rule(user)
    if user is None:
        return rule.fields
    return frozenset(
        group
        for group in rule.fields
        if group not in GROUP_PERMISSIONS or user.has_perm(GROUP_PERMISSIONS[group])
    )
