from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "rekisteri.training"
    label = "training"

    def ready(self):
        from rekisteri.people.services import birth_date_requirement_install
        from rekisteri.people.visibility import student_scope_install
        from rekisteri.training.selectors import birth_date_required_by_course, trainer_student_scope

        # Section 4: a course's license body may require a birth date (people sits below).
        birth_date_requirement_install(birth_date_required_by_course)
        # Section 11: a trainer sees the participants of their own instances only.
        student_scope_install(trainer_student_scope)
