"""Payouts moved from the after-sales app to the shared payout service: a database that has payouts keeps every row,
before and after the move, and forwards and back again."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from backoffice.payouts.models import Payout
from tests.factories import CaseFactory

BEFORE = [("backoffice", "0014_queue_search_and_report_indexes"), ("aftersales", "0003_small_defect_offer")]
AFTER = [("backoffice", "0015_payouts_belong_to_every_desk"), ("aftersales", "0004_payouts_moved_to_backoffice")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest():
    """Every app back at its newest migration, as the rest of the suite expects the database."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_payouts_written_before_the_move_are_the_same_rows_after_it():
    case = CaseFactory()
    old_apps = migrate(BEFORE)
    try:
        OldPayout = old_apps.get_model("aftersales", "Payout")
        old_ct = ContentType.objects.get_or_create(app_label="aftersales", model="payout")[0]
        ContentType.objects.filter(app_label="backoffice", model="payout").delete()
        old = OldPayout.objects.create(
            case_id=case.pk, order_id=case.order_id, kind="refund", amount_fen=1250, state="succeeded"
        )
    finally:
        migrate_to_latest()

    moved = Payout.objects.get(pk=old.pk)
    assert (moved.case_id, moved.order_id, moved.kind, moved.amount_fen, moved.state) == (
        case.pk,
        case.order_id,
        "refund",
        1250,
        "succeeded",
    )
    assert list(case.payouts.all()) == [moved]
    # The content type (and so its permissions and admin history) went with the model.
    old_ct.refresh_from_db()
    assert (old_ct.app_label, old_ct.model) == ("backoffice", "payout")

    # And back: the after-sales app owns the same row again.
    back_apps = migrate(BEFORE)
    try:
        assert back_apps.get_model("aftersales", "Payout").objects.get(pk=old.pk).amount_fen == 1250
        old_ct.refresh_from_db()
        assert old_ct.app_label == "aftersales"
    finally:
        migrate_to_latest()
    assert Payout.objects.filter(pk=old.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_when_both_apps_have_a_payout_type_the_groups_keep_their_payout_permissions():
    """After migrating back, a start makes the moved model's content type again: going forward once more keeps one
    type, with every permission a group held on either."""
    from django.contrib.auth.models import Group, Permission

    migrate(BEFORE)
    try:
        old_ct = ContentType.objects.get_or_create(app_label="aftersales", model="payout")[0]
        new_ct = ContentType.objects.get_or_create(app_label="backoffice", model="payout")[0]
        Permission.objects.filter(content_type__in=[old_ct, new_ct]).delete()
        change_old = Permission.objects.create(content_type=old_ct, codename="change_payout", name="Can change payout")
        Permission.objects.create(content_type=new_ct, codename="change_payout", name="Can change payout")
        view_old = Permission.objects.create(content_type=old_ct, codename="view_payout", name="Can view payout")
        cashiers = Group.objects.create(name="出纳")
        cashiers.permissions.add(change_old, view_old)
    finally:
        migrate_to_latest()

    assert not ContentType.objects.filter(app_label="aftersales", model="payout").exists()
    held = set(cashiers.permissions.values_list("content_type__app_label", "codename"))
    assert held == {("backoffice", "change_payout"), ("backoffice", "view_payout")}


@pytest.mark.django_db(transaction=True)
def test_a_database_already_past_the_move_with_both_payout_types_is_merged_by_the_next_migration():
    from django.contrib.auth.models import Group, Permission

    migrate([("backoffice", "0022_case_seen_from_own_steps")])
    try:
        old_ct = ContentType.objects.get_or_create(app_label="aftersales", model="payout")[0]
        view_old = Permission.objects.get_or_create(
            content_type=old_ct, codename="view_payout", defaults={"name": "Can view payout"}
        )[0]
        auditors = Group.objects.create(name="审计")
        auditors.permissions.add(view_old)
    finally:
        migrate_to_latest()

    assert not ContentType.objects.filter(app_label="aftersales", model="payout").exists()
    assert set(auditors.permissions.values_list("content_type__app_label", "codename")) == {
        ("backoffice", "view_payout")
    }
