# Cases assigned before unread marks existed: each assignee has read their case up to their own newest entry on it (a
# reply, a step, a note), so only what the customer wrote after that shows as unread, not every case at once.

from django.db import migrations
from django.db.models import Max

OPEN_STATUSES = ("new", "in_progress", "waiting")


def seen_up_to_own_steps(apps, schema_editor):
    Case = apps.get_model("backoffice", "Case")
    CaseEvent = apps.get_model("backoffice", "CaseEvent")
    CaseSeen = apps.get_model("backoffice", "CaseSeen")
    alias = schema_editor.connection.alias
    cases = Case.objects.using(alias).filter(assignee__isnull=False, status__in=OPEN_STATUSES)
    rows = []
    for case_id, assignee_id in cases.values_list("pk", "assignee_id").iterator(chunk_size=2000):
        newest = (
            CaseEvent.objects.using(alias)
            .filter(case_id=case_id, actor_id=assignee_id)
            .aggregate(newest=Max("id"))["newest"]
        )
        if newest:
            rows.append(CaseSeen(user_id=assignee_id, case_id=case_id, event_id=newest))
        if len(rows) >= 2000:
            CaseSeen.objects.using(alias).bulk_create(rows, ignore_conflicts=True)
            rows = []
    CaseSeen.objects.using(alias).bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("backoffice", "0021_case_seen")]

    operations = [migrations.RunPython(seen_up_to_own_steps, migrations.RunPython.noop)]
