"""Forms of the student register's staff pages (rekisteri/web/views/training.py)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from rekisteri.accounts.models import Role
from rekisteri.organizations.models import Organization
from rekisteri.privacy.models import GroupCompany
from rekisteri.training.models import SCALE_GRADES, Course, GradingScale
from rekisteri.training.reports import FORMATS
from rekisteri.web.forms import DATE_INPUT, StaffForm


class CourseForm(StaffForm):
    code = forms.CharField(label=_("Course code"), max_length=32)
    name_fi = forms.CharField(label=_("Name in Finnish"), max_length=200)
    name_en = forms.CharField(label=_("Name in English"), max_length=200)
    company = forms.ModelChoiceField(
        label=_("Providing group company"), queryset=GroupCompany.objects.all(), empty_label=None
    )
    grading_scale = forms.ChoiceField(label=_("Grading scale"), choices=GradingScale.choices)
    license_body = forms.CharField(
        label=_("License body"),
        max_length=200,
        required=False,
        help_text=_("Only when the course leads to a licensed certificate."),
    )
    license_requires_birth_date = forms.BooleanField(
        label=_("The license body requires the students' birth dates"), required=False
    )


class TrainerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user) -> str:
        return user.get_full_name() or user.username


class InstanceForm(StaffForm):
    course = forms.ModelChoiceField(label=_("Course"), queryset=Course.objects.all())
    starts_on = forms.DateField(label=_("Starts"), widget=DATE_INPUT)
    ends_on = forms.DateField(label=_("Ends"), widget=DATE_INPUT)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    online = forms.BooleanField(label=_("Online"), required=False)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=10_000, required=False)
    trainers = TrainerChoiceField(
        label=_("Trainers"),
        queryset=get_user_model().objects.filter(is_active=True, staff_profile__role=Role.TRAINER),
        to_field_name="username",
        widget=forms.CheckboxSelectMultiple,
    )

    def cleaned(self) -> dict:
        data = dict(self.cleaned_data)
        data["trainers"] = [user.username for user in data["trainers"]]
        return data


class EnrollForm(StaffForm):
    person = forms.ChoiceField(label=_("Participant"))
    organization = forms.ModelChoiceField(
        label=_("Customer organization"),
        queryset=Organization.objects.all(),
        required=False,
        help_text=_("The organization under which the student attends: it receives their results."),
    )

    def __init__(self, *args, people: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "---------"), *people]


class StatusForm(StaffForm):
    status = forms.ChoiceField(
        choices=[("attended", _("Attended")), ("enrolled", _("Enrolled")), ("cancelled", _("Cancelled"))]
    )


class ResultForm(StaffForm):
    grade = forms.ChoiceField(label=_("Grade"))
    completed_on = forms.DateField(label=_("Completed"), widget=DATE_INPUT)
    passed = forms.BooleanField(label=_("Passed"), required=False)
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=1000,
        required=False,
        help_text=_("Required when a grade already given is changed."),
    )

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"pass": _("Pass"), "fail": _("Fail")}
        self.fields["grade"].choices = [(g, labels.get(g, g)) for g in SCALE_GRADES[course.grading_scale]]


class ReportForm(StaffForm):
    organization = forms.ModelChoiceField(
        label=_("Customer organization"), queryset=Organization.objects.all()
    )
    format = forms.ChoiceField(label=_("Format"), choices=[(f, f.upper()) for f in FORMATS if f != "json"])


class ReportSendForm(StaffForm):
    """The training report by mail: to which of the organization's contacts, in which form."""

    to_person = forms.ChoiceField(label=_("Contact person"))
    format = forms.ChoiceField(label=_("Attachment"), choices=[("pdf", "PDF"), ("csv", "CSV")])
    language = forms.ChoiceField(
        label=_("Language of the mail"), choices=[("fi", "suomi"), ("en", "English")]
    )

    def __init__(self, *args, contacts: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_person"].choices = [("", "---------"), *contacts]


class BirthDateForm(StaffForm):
    """A participant's birth date: stored only under the rule of section 4 (the service checks)."""

    birth_date = forms.DateField(
        label=_("Birth date"),
        widget=DATE_INPUT,
        required=False,
        help_text=_(
            "Only when another person in the register has the same name, or the license body of a "
            "course the person attends requires it. Leave empty to remove it."
        ),
    )
