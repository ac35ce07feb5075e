from django.conf import settings
from django.db import migrations, models

# PostgreSQL only. The year-long reports group rows by their Shanghai day (L1: orders by payment, R1: customer waits
# by their first message). Without statistics on that expression the planner expects one group per row, plans a
# partitioned hash aggregate and no parallel workers: a year of a million orders took 1.5–3 s. With them it expects a
# few hundred days and aggregates in parallel.
LOCAL_DAY = f"(({{column}} AT TIME ZONE '{settings.TIME_ZONE}')::date)"
STATEMENTS = [
    f"CREATE STATISTICS IF NOT EXISTS order_paid_local_day ON {LOCAL_DAY.format(column='paid_at')} "
    "FROM backoffice_order",
    f"CREATE STATISTICS IF NOT EXISTS wait_started_local_day ON {LOCAL_DAY.format(column='started_at')} "
    "FROM backoffice_responsewait",
    "ANALYZE backoffice_order",
    "ANALYZE backoffice_responsewait",
]
DROP = ["DROP STATISTICS IF EXISTS order_paid_local_day", "DROP STATISTICS IF EXISTS wait_started_local_day"]


def _run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0018_case_counter_words"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("promised_ship_at__lt", models.F("computed_ship_by"))),
                fields=["paid_at"],
                name="order_promise_earlier",
            ),
        ),
        migrations.RunPython(_run_on_postgresql(STATEMENTS), _run_on_postgresql(DROP)),
    ]
