"""The audit trail becomes append-only in the database itself (triggers on PostgreSQL and SQLite), and each periodic
task gets a row noting when it last ran (/healthz)."""

import django.utils.timezone
from django.db import migrations, models

from backoffice.cases.audit_guard import drop_sql, install_sql


class RunSQLOn(migrations.RunSQL):
    """RunSQL for one database vendor; on the others it does nothing."""

    def __init__(self, vendor, sql, reverse_sql):
        self.vendor = vendor
        super().__init__(sql, reverse_sql)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0008_gateway_inquiry_once"),
    ]

    operations = [
        migrations.CreateModel(
            name="SweepRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=60, unique=True, verbose_name="periodic task")),
                (
                    "first_seen_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="first seen"),
                ),
                ("last_ran_at", models.DateTimeField(blank=True, null=True, verbose_name="last ran")),
            ],
            options={
                "verbose_name": "periodic task run",
                "verbose_name_plural": "periodic task runs",
            },
        ),
        RunSQLOn(
            "postgresql",
            install_sql("postgresql"),
            drop_sql("postgresql") + ["DROP FUNCTION IF EXISTS backoffice_audit_append_only()"],
        ),
        RunSQLOn("sqlite", install_sql("sqlite"), drop_sql("sqlite")),
    ]
