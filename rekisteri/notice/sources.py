"""Where the notice reads each of its facts: one small function per topic.

Every fact the notice states comes from the configuration processing uses, read here and
nowhere else, so re-pointing a topic (a processor register, retention rules) is a change to
one function. Each returns plain data in both languages ({"fi": ..., "en": ...}).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from rekisteri.lib.deadlines import MAX_EXTENSION_MONTHS
from rekisteri.people.models import PersonCategory
from rekisteri.privacy.models import GroupCompany, LegalBasis, LegitimateInterestGround, Purpose, SourceKind
from rekisteri.retention.models import RetentionRule
from rekisteri.rights.fulfilment import information

LANGUAGES = ("fi", "en")


def both(label: Any) -> dict[str, str]:
    """A lazily translated label in both languages."""
    result = {}
    for language in LANGUAGES:
        with translation.override(language):
            result[language] = str(label)
    return result


def controller() -> dict[str, Any] | None:
    """Section 1: the controller and its representative (privacy.GroupCompany)."""
    company = GroupCompany.objects.filter(is_controller=True).first()
    if company is None:
        return None
    return {
        "name": company.name,
        "business_id": company.business_id,
        "street_address": company.street_address,
        "postal_code": company.postal_code,
        "city": company.city,
        "phone": company.phone,
        "email": company.email,
        "representative": {
            "name": company.representative_name,
            "title": company.representative_title,
            "phone": company.representative_phone,
            "email": company.representative_email,
            "postal_address": company.representative_postal_address,
        },
    }


def authority() -> dict[str, str]:
    """Section 8: the supervisory authority, the notice's own setting over the deployment's."""
    from rekisteri.notice.models import NoticeSettings

    defaults = dict(settings.SUPERVISORY_AUTHORITY)
    row = NoticeSettings.objects.filter(pk=1).first()
    if row is None:
        return defaults
    own = {
        "name_fi": row.authority_name_fi,
        "name_en": row.authority_name_en,
        "street_address": row.authority_street_address,
        "postal_address": row.authority_postal_address,
        "phone": row.authority_phone,
        "email": row.authority_email,
        "url": row.authority_url,
    }
    return {key: own.get(key) or value for key, value in defaults.items()}


def purposes() -> list[dict[str, Any]]:
    """Section 2: the purposes bases are recorded for (privacy.Purpose)."""
    return [
        {
            "slug": purpose.slug,
            "name": {"fi": purpose.name_fi, "en": purpose.name_en},
            "description": {"fi": purpose.description_fi, "en": purpose.description_en},
        }
        for purpose in Purpose.objects.filter(active=True).order_by("position", "slug")
    ]


def legal_bases() -> list[dict[str, Any]]:
    """Section 3: the bases a ProcessingBasis may carry (privacy.LegalBasis)."""
    return [{"code": value, "label": both(label)} for value, label in LegalBasis.choices]


def interest_grounds() -> list[dict[str, Any]]:
    """Section 3: the concrete connections a legitimate interest must name."""
    return [{"code": value, "label": both(label)} for value, label in LegitimateInterestGround.choices]


def data_subject_groups() -> list[dict[str, Any]]:
    """Section 4: the groups of persons (people.PersonCategory)."""
    return [{"code": value, "label": both(label)} for value, label in PersonCategory.Category.choices]


# Section 4's customer-register categories, in the notice's order, by the personal-data
# registry's codes (contact history, feedback and tracking are "relationship" data).
_CUSTOMER_CATEGORIES = (
    "name",
    "email",
    "phone",
    "company_and_position",
    "company_address",
    "self_given_info",
    "relationship",
    "contact_history",
    "feedback",
    "tracking",
)
# The student register's extra categories. No model holds them yet (the training register
# is not built); the notice states them because the seed notice does, and the promise map
# marks them as having no code.
STUDENT_CATEGORIES: dict[str, dict[str, str]] = {
    "grades": {"fi": "arvosanat ja suorituspäivämäärät", "en": "grades and dates of completion"},
    "birth_date": {
        "fi": "tarvittaessa oppilaan syntymäaika yksilöimistä varten",
        "en": "where needed, the student's date of birth to tell students apart",
    },
}


def categories() -> dict[str, list[dict[str, Any]]]:
    """Section 4: the data categories (labels from the access package's Art. 15 information)."""
    return {
        "customer_register": [
            {"code": code, "label": information.CATEGORY_LABELS[code]} for code in _CUSTOMER_CATEGORIES
        ],
        "student_register": [{"code": code, "label": label} for code, label in STUDENT_CATEGORIES.items()],
    }


def sources() -> list[dict[str, Any]]:
    """Section 5: the source kinds a DataSource may carry (privacy.SourceKind)."""
    return [{"code": value, "label": both(label)} for value, label in SourceKind.choices]


def recipients() -> dict[str, Any]:
    """Section 6: the group companies (privacy.GroupCompany) and the processors by category."""
    return {
        "group_companies": [
            {"name": company.name, "business_id": company.business_id, "is_controller": company.is_controller}
            for company in GroupCompany.objects.order_by("-is_controller", "name")
        ],
        "processors": information.processor_categories(),
        "outside_group": dict(information.OUTSIDE_GROUP),
    }


def retention() -> dict[str, Any]:
    """Section 7: how long data is kept: the review interval in years and each active rule of
    the retention engine (rekisteri.retention) with its reason, as the sweep applies them."""
    rules = [
        {"fi": rule.legal_reason_fi, "en": rule.legal_reason_en, "code": rule.code, "period": rule.period}
        for rule in RetentionRule.objects.filter(active=True)
    ]
    return {"review_interval_years": 2, "rules": rules, "statement": dict(information.RETENTION)}


def rights_deadlines() -> dict[str, int]:
    """Section 8: Art. 12(3) as the request register computes it (rekisteri.lib.deadlines)."""
    return {"answer_months": 1, "extension_months": MAX_EXTENSION_MONTHS}


def rights() -> list[dict[str, str]]:
    """Section 8: the rights the portal and the request register handle."""
    return [dict(item) for item in information.RIGHTS]


def portal_url() -> str:
    return f"{settings.PUBLIC_BASE_URL}/portal/"


def lead_time_days() -> int:
    """Section 12: how long before it takes effect a significant change must be announced."""
    return settings.NOTICE_LEAD_DAYS
