"""One new gateway inquiry per customer and order, held by the database.

Concurrent retries of one message used to open several inquiry cases. Duplicates already stored are closed first
(the oldest stays open), each with a timeline event naming the case it duplicates, so the constraint can be added.
"""

from django.db import migrations, models
from django.utils import timezone

GATEWAY_NEW_INQUIRY = {"desk": "aftersales", "kind": "inquiry", "source": "gateway", "status": "new"}


def close_duplicates(apps, schema_editor):
    Case = apps.get_model("backoffice", "Case")
    CaseEvent = apps.get_model("backoffice", "CaseEvent")
    now = timezone.now()
    kept: dict[tuple, object] = {}
    for case in Case.objects.filter(**GATEWAY_NEW_INQUIRY).order_by("created_at", "pk").iterator():
        key = (case.customer_id, case.order_id)
        first = kept.setdefault(key, case)
        if first is case:
            continue
        Case.objects.filter(pk=case.pk, status="new").update(
            status="closed",
            closed_at=now,
            updated_at=now,
            awaiting_reply_since=None,
            first_response_due=None,
            resolve_due=None,
            due_at=None,
        )
        CaseEvent.objects.create(
            case=case,
            type="case.status_changed",
            body=f"Duplicate of {first.number}, opened by a repeated gateway delivery.",
            before={"status": "new"},
            after={"status": "closed", "duplicate_of": first.number},
            target=case.number,
            at=now,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0007_remote_areas_return_shipping_act_within"),
    ]

    operations = [
        migrations.RunPython(close_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("desk", "aftersales"), ("kind", "inquiry"), ("source", "gateway"), ("status", "new")
                ),
                fields=("customer", "order"),
                name="case_gateway_inquiry_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="case",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("desk", "aftersales"),
                    ("kind", "inquiry"),
                    ("order", None),
                    ("source", "gateway"),
                    ("status", "new"),
                ),
                fields=("customer",),
                name="case_gateway_inquiry_no_order_once",
            ),
        ),
    ]
