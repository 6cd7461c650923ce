"""The student register's staff pages: courses and instances, a trainer's participants,
attendance, grading, certificates, and the report to a customer organization.

Thin: the forms validate, training.services and training.reports decide and audit. A
trainer reaches only the instances they teach (others are 404).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rekisteri.audit.services import audit_record
from rekisteri.organizations.models import Organization
from rekisteri.people.models import Person
from rekisteri.people.selectors import person_names, visible_persons
from rekisteri.people.services import person_birth_date_set
from rekisteri.training.documents import certificate_document
from rekisteri.training.models import Certificate, Course
from rekisteri.training.report_mail import report_contacts, training_report_send
from rekisteri.training.reports import training_report
from rekisteri.training.selectors import (
    enrollment_for,
    instance_for,
    instance_participants,
    instances_visible,
    sees_grades,
)
from rekisteri.training.services import (
    certificate_issue,
    course_create,
    enrollment_create,
    enrollment_status_set,
    instance_create,
    result_set,
)
from rekisteri.web.forms.training import (
    BirthDateForm,
    CourseForm,
    EnrollForm,
    InstanceForm,
    ReportForm,
    ReportSendForm,
    ResultForm,
    StatusForm,
)
from rekisteri.web.views.common import ui_actor

# The enroll form lists at most this many candidates (students the user may see).
ENROLL_CHOICES = 300


def _instance(request, instance_id: int):
    instance = instance_for(request.user, instance_id)
    if instance is None:
        raise Http404
    return instance


def _enrollment(request, enrollment_id):
    enrollment = enrollment_for(request.user, enrollment_id)
    if enrollment is None:
        raise Http404
    return enrollment


@never_cache
@require_GET
@permission_required("training.view_courseinstance", raise_exception=True)
def training_index(request):
    instances = list(instances_visible(request.user).prefetch_related("trainers")[:200])
    context = {
        "instances": instances,
        "courses": Course.objects.select_related("company")[:200],
        "report_form": ReportForm() if request.user.has_perm("training.report_training") else None,
    }
    return render(request, "training/index.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("training.add_course", raise_exception=True)
def course_new(request):
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course_create(actor=ui_actor(request), **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The course was saved."))
            return redirect("web:training")
    return render(request, "training/course_form.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("training.add_courseinstance", raise_exception=True)
def instance_new(request):
    initial = {"trainers": [request.user.username]} if request.method == "GET" else None
    form = InstanceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            instance = instance_create(actor=ui_actor(request), **form.cleaned())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("The course instance was saved."))
            if instance_for(request.user, instance.pk) is not None:
                return redirect("web:training_instance", instance_id=instance.pk)
            return redirect("web:training")
    return render(request, "training/instance_form.html", {"form": form})


def _enroll_candidates(request, instance) -> list[tuple[str, str]]:
    """Students the user may see who are not yet in the instance, by name (bounded)."""
    enrolled = instance.enrollments.values("person_id")
    ids = list(
        visible_persons(request.user)
        .filter(categories__category="student")
        .exclude(pk__in=enrolled)
        .values_list("pk", flat=True)[:ENROLL_CHOICES]
    )
    if not ids:
        return []
    names = person_names(actor=ui_actor(request), person_ids=ids, via="enroll_choices")
    return sorted(((str(pk), name) for pk, name in names.items()), key=lambda item: item[1].casefold())


@never_cache
@require_GET
@permission_required("training.view_courseinstance", raise_exception=True)
def instance_detail(request, instance_id: int):
    instance = _instance(request, instance_id)
    participants = instance_participants(actor=ui_actor(request), instance=instance)
    can_work = request.user.has_perm("training.add_result")
    rows = [
        {
            "participant": participant,
            "result_form": ResultForm(
                course=instance.course,
                prefix=str(participant.enrollment.pk),
                initial=(
                    {
                        "grade": participant.result.grade,
                        "completed_on": participant.result.completed_on,
                        "passed": participant.result.passed,
                    }
                    if participant.result
                    else {"completed_on": instance.ends_on, "passed": True}
                ),
            )
            if can_work
            else None,
        }
        for participant in participants
    ]
    context = {
        "instance": instance,
        "rows": rows,
        "grades_shown": sees_grades(request.user),
        "can_work": can_work,
        "enroll_form": EnrollForm(people=_enroll_candidates(request, instance))
        if request.user.has_perm("training.add_enrollment")
        else None,
    }
    return render(request, "training/instance_detail.html", context)


@require_POST
@permission_required("training.add_enrollment", raise_exception=True)
def enrollment_new(request, instance_id: int):
    instance = _instance(request, instance_id)
    # The choice is checked against what the user may see below, not re-listed (and re-audited).
    posted = request.POST.get("person", "")
    form = EnrollForm(request.POST, people=[(posted, posted)])
    if form.is_valid():
        person = visible_persons(request.user).filter(pk=form.cleaned_data["person"]).first()
        try:
            if person is None:
                raise ValidationError({"person": _("No such person.")})
            enrollment_create(
                actor=ui_actor(request),
                instance=instance,
                person=person,
                organization=form.cleaned_data["organization"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The participant was enrolled."))
    else:
        messages.error(request, _("Choose the participant."))
    return redirect("web:training_instance", instance_id=instance.pk)


@require_POST
@permission_required("training.change_enrollment", raise_exception=True)
def enrollment_status(request, enrollment_id):
    enrollment = _enrollment(request, enrollment_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            enrollment_status_set(
                actor=ui_actor(request), enrollment=enrollment, status=form.cleaned_data["status"]
            )
        except (ValidationError, PermissionDenied) as exc:
            for message in getattr(exc, "messages", [str(exc)]):
                messages.error(request, message)
        else:
            messages.success(request, _("The status was saved."))
    return redirect("web:training_instance", instance_id=enrollment.instance_id)


@require_POST
@permission_required("training.add_result", raise_exception=True)
def enrollment_result(request, enrollment_id):
    enrollment = _enrollment(request, enrollment_id)
    form = ResultForm(request.POST, course=enrollment.instance.course, prefix=str(enrollment.pk))
    if form.is_valid():
        try:
            result_set(actor=ui_actor(request), enrollment=enrollment, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("The grade was saved."))
    else:
        messages.error(request, _("Check the grade and the completion date."))
    return redirect("web:training_instance", instance_id=enrollment.instance_id)


@require_POST
@permission_required("training.add_certificate", raise_exception=True)
def enrollment_certificate(request, enrollment_id):
    enrollment = _enrollment(request, enrollment_id)
    try:
        certificate = certificate_issue(actor=ui_actor(request), enrollment=enrollment)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Certificate %(number)s was issued.") % {"number": certificate.number})
    return redirect("web:training_instance", instance_id=enrollment.instance_id)


@never_cache
@require_GET
@permission_required("training.view_certificate", raise_exception=True)
def certificate_file(request, enrollment_id):
    enrollment = _enrollment(request, enrollment_id)
    certificate = Certificate.objects.filter(enrollment=enrollment).first()
    if certificate is None:
        raise Http404
    response = HttpResponse(
        certificate_document(actor=ui_actor(request), certificate=certificate), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{certificate.number}.pdf"'
    return response


@never_cache
@require_GET
@permission_required("training.report_training", raise_exception=True)
def report(request):
    """The training report to a customer organization: a disclosure, logged per person."""
    form = ReportForm(request.GET)
    if not form.is_valid():
        return render(request, "training/index.html", {"report_form": form, "instances": [], "courses": []})
    if "send" in request.GET:
        # "Send by mail" of the same form: choose the contact person first (nothing is disclosed yet).
        url = reverse("web:training_report_send", args=[form.cleaned_data["organization"].pk])
        return redirect(f"{url}?{urlencode({'format': form.cleaned_data['format']})}")
    result = training_report(
        actor=ui_actor(request),
        organization=form.cleaned_data["organization"],
        format=form.cleaned_data["format"],
    )
    response = HttpResponse(result.content, content_type=result.content_type)
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


def _report_contacts(request, organization) -> list[tuple[str, str]]:
    """The organization's contact persons by name (a read of their names, audited)."""
    ids = list(report_contacts(organization).values_list("pk", flat=True)[:ENROLL_CHOICES])
    if not ids:
        return []
    names = person_names(actor=ui_actor(request), person_ids=ids, via="training_report_contacts")
    return sorted(((str(pk), name) for pk, name in names.items()), key=lambda item: item[1].casefold())


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("training.report_training", raise_exception=True)
def report_send(request, organization_id: int):
    """The training report by mail to a contact person of the organization (section 6): a
    disclosure, logged per person; any other recipient is refused."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        raise Http404
    if request.method == "POST":
        # The choice is checked by the service (a contact of this organization), not re-listed.
        posted = request.POST.get("to_person", "")
        form = ReportSendForm(request.POST, contacts=[(posted, posted)])
        if form.is_valid():
            try:
                person = Person.objects.filter(pk=form.cleaned_data["to_person"]).first()
            except ValidationError:  # not a UUID
                person = None
            try:
                if person is None:
                    raise ValidationError({"to_person_id": _("No such person.")})
                sent = training_report_send(
                    actor=ui_actor(request),
                    organization=organization,
                    to_person=person,
                    format=form.cleaned_data["format"],
                    language=form.cleaned_data["language"],
                )
            except ValidationError as exc:
                form.add_service_errors(exc, field_map={"to_person_id": "to_person"})
            else:
                messages.success(
                    request,
                    _("The report (%(persons)s persons) is in the outbox, to be sent to the contact person.")
                    % {"persons": sent.persons},
                )
                return redirect("web:training")
        form.fields["to_person"].choices = [("", "---------"), *_report_contacts(request, organization)]
    else:
        initial = {
            "format": request.GET.get("format") if request.GET.get("format") in ("pdf", "csv") else "pdf"
        }
        form = ReportSendForm(initial=initial, contacts=_report_contacts(request, organization))
    return render(request, "training/report_send.html", {"form": form, "organization": organization})


@never_cache
@require_http_methods(["GET", "POST"])
@permission_required("training.change_enrollment", raise_exception=True)
def enrollment_birth_date(request, enrollment_id):
    """A participant's birth date, set by the trainer of the instance. Section 4: only when a
    namesake exists or the course's license body requires it; otherwise the rule's refusal is
    the form's error and nothing is stored."""
    enrollment = _enrollment(request, enrollment_id)
    person = enrollment.person
    actor = ui_actor(request)
    if request.method == "POST":
        form = BirthDateForm(request.POST)
        if form.is_valid():
            try:
                person_birth_date_set(actor=actor, person=person, birth_date=form.cleaned_data["birth_date"])
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, _("The birth date was saved."))
                return redirect("web:training_instance", instance_id=enrollment.instance_id)
    else:
        form = BirthDateForm(initial={"birth_date": person.birth_date or None})
        audit_record(
            actor=actor,
            action="view",
            object_type="person",
            object_ids=[person.pk],
            person_ids=[person.pk],
            detail={"fields": ["first_name", "last_name", "birth_date"], "via": "training_birth_date"},
        )
    context = {
        "form": form,
        "enrollment": enrollment,
        "name": f"{person.first_name} {person.last_name}",
        "reason": person.get_birth_date_reason_display() if person.birth_date_reason else "",
    }
    return render(request, "training/birth_date_form.html", context)
