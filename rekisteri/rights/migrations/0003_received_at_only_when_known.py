"""The clock time of receipt only when it is known: the portal's requests keep theirs; the
time of the requests staff entered (the moment they typed them in, not when the letter or
call came) is cleared, and the register shows the day alone."""

from django.db import migrations, models


def clear_invented_times(apps, schema_editor):
    DataSubjectRequest = apps.get_model("rights", "DataSubjectRequest")
    DataSubjectRequest.objects.exclude(channel="portal").update(received_at=None)
    # A staff member may also have entered a request that came through the portal's address
    # by another way; only those the portal itself received carry its verification link.
    DataSubjectRequest.objects.filter(channel="portal", verification_links__isnull=True).update(
        received_at=None
    )


def restore_times(apps, schema_editor):
    # The earlier schema wants a time on every request: the moment it was entered, as before.
    DataSubjectRequest = apps.get_model("rights", "DataSubjectRequest")
    DataSubjectRequest.objects.filter(received_at__isnull=True).update(received_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("rights", "0002_objection_decision_and_answer"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="datasubjectrequest",
            options={"ordering": ["due_on", "received_on", "created_at"]},
        ),
        migrations.AlterField(
            model_name="datasubjectrequest",
            name="received_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(clear_invented_times, restore_times),
    ]
