"""The database refuses to rewrite the audit trail, whatever path the write takes (SQLite here, PostgreSQL in CI)."""

import importlib
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction

from backoffice.cases import audit_guard
from backoffice.models import CaseEvent, EventType
from tests.factories import CaseEventFactory

MIGRATIONS = Path(audit_guard.__file__).resolve().parents[1] / "migrations"

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: set DATABASE_URL (CI does)"
)


@pytest.fixture
def event(db):
    return CaseEventFactory(type=EventType.NOTE, body="客户说尺码偏小")


def refused():
    """The write fails in the database (a trigger), inside its own savepoint so the test can go on."""
    return pytest.raises(DatabaseError, match="append-only")


def assert_unchanged(event):
    assert CaseEvent.objects.filter(pk=event.pk).values_list("body", flat=True).get() == "客户说尺码偏小"


def test_the_triggers_are_installed_by_the_migrations(db):
    expected = {"postgresql": 2, "sqlite": 2}[connection.vendor]

    assert len(audit_guard.installed_triggers()) == expected


def test_saving_a_new_instance_with_an_existing_id_is_refused(event):
    copy = CaseEvent(pk=event.pk, case=event.case, type=EventType.NOTE, body="改写历史")

    with refused(), transaction.atomic():
        copy.save()

    assert_unchanged(event)


def test_an_update_through_the_base_manager_is_refused(event):
    with refused(), transaction.atomic():
        CaseEvent._base_manager.filter(pk=event.pk).update(body="改写历史")

    assert_unchanged(event)


def test_a_delete_through_the_base_manager_is_refused(event):
    with refused(), transaction.atomic():
        CaseEvent._base_manager.filter(pk=event.pk).delete()

    assert_unchanged(event)


def test_bulk_create_with_update_conflicts_is_refused(event):
    copy = CaseEvent(pk=event.pk, case=event.case, type=EventType.NOTE, body="改写历史")

    with refused(), transaction.atomic():
        CaseEvent.objects.bulk_create([copy], update_conflicts=True, unique_fields=["id"], update_fields=["body"])

    assert_unchanged(event)


def test_loaddata_over_an_existing_event_is_refused(event, tmp_path):
    fixture = tmp_path / "rewrite.json"
    row = {"type": EventType.NOTE, "body": "改写历史", "case": event.case_id, "at": event.at.isoformat()}
    fixture.write_text(json.dumps([{"model": "backoffice.caseevent", "pk": event.pk, "fields": row}]))

    with refused(), transaction.atomic():
        call_command("loaddata", str(fixture), verbosity=0)

    assert_unchanged(event)


def test_raw_sql_update_and_delete_are_refused(event):
    with refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE backoffice_caseevent SET body = 'x' WHERE id = %s", [event.pk])
    with refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM backoffice_caseevent WHERE id = %s", [event.pk])

    assert_unchanged(event)


def test_the_refusal_is_an_integrity_error(event):
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseEvent._base_manager.filter(pk=event.pk).update(body="改写历史")


def test_new_events_are_still_appended(event):
    CaseEventFactory(case=event.case, type=EventType.NOTE, body="第二条")

    assert CaseEvent.objects.filter(case=event.case).count() == 2


@pytest.mark.postgres
@on_postgres
@pytest.mark.django_db(transaction=True)
def test_truncate_is_refused_on_postgresql(event):
    with refused(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE backoffice_caseevent CASCADE")

    assert_unchanged(event)


def test_the_maintenance_path_lifts_the_guard_for_its_block_only(event):
    with audit_guard.lifted(reason="test"):
        CaseEvent._base_manager.filter(pk=event.pk).delete()

    assert not CaseEvent.objects.filter(pk=event.pk).exists()
    other = CaseEventFactory(type=EventType.NOTE, body="客户说尺码偏小")
    with refused(), transaction.atomic():
        CaseEvent._base_manager.filter(pk=other.pk).delete()


def test_a_failure_inside_the_maintenance_path_leaves_the_guard_in_place(event):
    with pytest.raises(RuntimeError), audit_guard.lifted(reason="test"):
        CaseEvent._base_manager.filter(pk=event.pk).delete()
        raise RuntimeError("stop")

    assert_unchanged(event)
    with refused(), transaction.atomic():
        CaseEvent._base_manager.filter(pk=event.pk).delete()


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_table_and_keeps_the_guard(event):
    call_command("flush", interactive=False, verbosity=0)

    assert not CaseEvent.objects.exists()
    assert len(audit_guard.installed_triggers()) == 2


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_to_no_triggers_and_forwards_again():
    path = next(MIGRATIONS.glob("*" + audit_guard.INSTALLING_MIGRATION + ".py"))
    migration = importlib.import_module(f"backoffice.migrations.{path.stem}").Migration
    sql_operations = [op for op in migration.operations if hasattr(op, "vendor")]
    try:
        with connection.schema_editor() as editor:
            for operation in reversed(sql_operations):
                operation.database_backwards("backoffice", editor, None, None)
        assert audit_guard.installed_triggers() == set()
    finally:
        with connection.schema_editor() as editor:
            for operation in sql_operations:
                operation.database_forwards("backoffice", editor, None, None)
    assert len(audit_guard.installed_triggers()) == 2


@pytest.mark.django_db(transaction=True)
def test_the_guard_comes_back_after_migrate_if_a_table_rebuild_dropped_it():
    with connection.cursor() as cursor:
        for sql in audit_guard.drop_sql(connection.vendor):
            cursor.execute(sql)

    call_command("migrate", verbosity=0)

    assert len(audit_guard.installed_triggers()) == 2
