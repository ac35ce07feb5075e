"""The database itself keeps the audit trail append-only: triggers refuse UPDATE and DELETE (and, on PostgreSQL,
TRUNCATE) of the audit tables, whatever path a write takes — the ORM's base manager, a save() of a copied row,
bulk_create(update_conflicts=True), loaddata over an existing event, or raw SQL.

The triggers are installed by the backoffice migration `…_audit_triggers_and_sweep_runs` and re-installed after every `migrate` (SQLite drops a
table's triggers when a later migration rebuilds the table).

The one way around them is `lifted()`, for maintenance that must remove audit rows on purpose: `manage.py flush`
(which empties every table of a scratch or test database) and the benchmark commands' resets of their own
synthetic cases. It drops the triggers and puts them back inside one transaction, so on failure nothing is left
unguarded, and it logs who asked. The application itself never calls it.
"""

import logging
from contextlib import contextmanager

from django.db import connections, transaction

logger = logging.getLogger(__name__)

# Every append-only table. The case timeline is the audit log (settings changes and lock-outs included).
AUDIT_TABLES = ["backoffice_caseevent"]

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION backoffice_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""


def _pg_install(table: str) -> list[str]:
    return [
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION backoffice_audit_append_only()",
        f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION backoffice_audit_append_only()",
    ]


def _pg_drop(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
    ]


def _sqlite_install(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'the audit table {table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'the audit table {table} is append-only: DELETE refused'); END",
    ]


def _sqlite_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_update", f"DROP TRIGGER IF EXISTS {table}_no_delete"]


def install_sql(vendor: str, tables: list[str] = AUDIT_TABLES) -> list[str]:
    """The statements that put the guard on `tables` (idempotent)."""
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [sql for table in tables for sql in _pg_install(table)]
    if vendor == "sqlite":
        return [sql for table in tables for sql in _sqlite_install(table)]
    raise NotImplementedError(f"no append-only triggers for {vendor}")


def drop_sql(vendor: str, tables: list[str] = AUDIT_TABLES) -> list[str]:
    """The statements that take the guard off `tables` (idempotent)."""
    if vendor == "postgresql":
        return [sql for table in tables for sql in _pg_drop(table)]
    if vendor == "sqlite":
        return [sql for table in tables for sql in _sqlite_drop(table)]
    raise NotImplementedError(f"no append-only triggers for {vendor}")


def _execute(connection, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def install(using: str = "default") -> None:
    connection = connections[using]
    _execute(connection, install_sql(connection.vendor))


def installed_triggers(using: str = "default") -> set[str]:
    """Names of the guard's triggers present in the database (for checks and tests)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid::regclass::text = ANY(%s)",
                [AUDIT_TABLES],
            )
        else:
            placeholders = ", ".join(["%s"] * len(AUDIT_TABLES))
            cursor.execute(
                f"SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({placeholders})",  # noqa: S608
                AUDIT_TABLES,
            )
        return {row[0] for row in cursor.fetchall()}


@contextmanager
def lifted(*, reason: str, using: str = "default"):
    """Maintenance only: inside the block the audit tables accept UPDATE and DELETE; the guard is back at the end,
    in the same transaction (on PostgreSQL the tables stay locked for others until then)."""
    connection = connections[using]
    logger.warning("audit guard lifted on %s for maintenance: %s", using, reason)
    with transaction.atomic(using=using):
        _execute(connection, drop_sql(connection.vendor))
        yield
        _execute(connection, install_sql(connection.vendor))


def reinstall_after_migrate(using: str = "default", **kwargs) -> None:
    """post_migrate: put the triggers back if a later migration rebuilt an audit table (SQLite drops a table's
    triggers with it), as long as the migration that installs them is applied (a reverse migration removes them)."""
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    applied = MigrationRecorder(connection).applied_migrations()
    if not any(app == "backoffice" and name.endswith(INSTALLING_MIGRATION) for app, name in applied):
        return
    install(using)


# The migration that installs the guard (its name without the number); post_migrate acts only while it is applied.
INSTALLING_MIGRATION = "_audit_triggers_and_sweep_runs"
