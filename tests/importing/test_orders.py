import csv
import datetime as dt

import pytest
from django.db import DatabaseError

from backoffice.errors import DomainError
from backoffice.models import Courier, Customer, ImportJob, Order, OrderItem, Product, Shipment, Sku
from backoffice.platform.importing import jobs, orders
from backoffice.platform.importing.orders import OrderImporter, OrderRow
from tests.factories import shanghai

from . import make_fixtures
from .conftest import fixture

EXPECTED_REJECTIONS = {
    9: "The number “2.61E+20” was turned into scientific notation by a spreadsheet, so its digits are lost.",
    10: "“五十九” is not an amount in yuan (用户实付金额).",
    11: "“2026-13-45 25:00” is not a real date (支付时间).",
    12: "Unknown order status “神秘状态”.",
    13: "Unknown courier “火星快递”. Add it in Store admin → Couriers (with this name) and import again.",
    14: "The order number is empty.",
}


def snapshot():
    """Everything an order import writes, to compare before and after."""
    return (
        list(Order.objects.order_by("number").values()),
        list(OrderItem.objects.order_by("pk").values()),
        list(Shipment.objects.order_by("pk").values()),
        list(Customer.objects.order_by("pk").values()),
        list(Sku.objects.order_by("pk").values()),
        list(Courier.objects.order_by("pk").values()),
    )


def write_orders(path, rows, header=make_fixtures.ORDER_HEADERS_V1, encoding="gbk"):
    path.write_bytes(make_fixtures.csv_bytes(header, rows, encoding=encoding))
    return path


def row_of(number: str) -> list[str]:
    return next(list(row) for row in make_fixtures.ORDER_ROWS if row[0].lstrip("'") == number)


FIELD = {name: index for index, name in enumerate(make_fixtures.ORDER_FIELDS)}


@pytest.mark.parametrize("name", ["orders_gbk.csv", "orders_utf8bom.csv"])
def test_the_order_export_imports_its_good_rows_and_rejects_each_broken_one_with_its_reason(run_import, clock, name):
    job = run_import(fixture(name))

    assert job.state == ImportJob.State.DONE
    assert (job.created, job.updated, job.rejected) == (7, 0, 6)
    assert sorted(Order.objects.values_list("number", flat=True)) == make_fixtures.GOOD_ORDERS
    reasons = {error["line"]: error["reason"] for error in job.errors}
    assert set(reasons) == set(EXPECTED_REJECTIONS)
    for line, expected in EXPECTED_REJECTIONS.items():
        assert reasons[line].startswith(expected), (line, reasons[line])


def test_an_imported_order_carries_money_times_tracking_and_ship_by(orders_imported):
    order = Order.objects.get(number="261120-100000000000002")

    assert order.status == Order.Status.SHIPPED
    assert (order.goods_fen, order.discount_fen, order.paid_fen) == (11980, 1000, 10980)
    assert order.paid_at == shanghai(2026, 11, 20, 14, 30)
    assert order.ship_by == shanghai(2026, 11, 22, 14, 30)  # L1: 48 hours after payment
    assert order.shipped_at == shanghai(2026, 11, 21, 9, 0)
    item = order.items.get()
    assert (item.product_name, item.spec, item.quantity, item.unit_price_fen) == ("纯棉短袖T恤", "黑色 M", 2, 5990)
    shipment = order.shipments.get()
    assert (shipment.courier.code, shipment.tracking_no) == ("zto", "77310000000002")
    assert order.receiver_address == "江苏省 南京市 鼓楼区 中山路 1 号"


@pytest.mark.parametrize(
    "name, code",
    [("中通", "zto"), ("中通快递", "zto"), ("圆通速递", "yto"), ("韵达", "yunda"), ("申通快递", "sto"), ("极兔速递", "jtexpress"),
     ("顺丰速运", "sf"), ("邮政快递包裹", "ems"), ("EMS", "ems"), ("京东物流", "jd"), ("德邦快递", "debangwuliu")],
)  # fmt: skip
def test_couriers_are_known_by_their_chinese_names(db, name, code):
    assert orders.Catalog(dry_run=True).courier_for(name).code == code


def test_a_courier_the_store_added_in_admin_is_found_by_its_name(db):
    Courier.objects.create(code="ane", name="安能物流")

    assert orders.Catalog(dry_run=True).courier_for("安能物流").code == "ane"


@pytest.mark.parametrize(
    "text, status",
    [("待发货", "awaiting_shipment"), ("已发货，待签收", "shipped"), ("已签收", "delivered"), ("交易成功", "completed"),
     ("已取消", "cancelled"), ("未成交", "cancelled"), ("已退款", "refunded"), ("未发货，退款成功", "refunded")],
)  # fmt: skip
def test_pdd_order_statuses_map_to_ours(text, status):
    assert orders.order_status(text) == status


def test_importing_the_same_file_twice_changes_nothing(run_import, orders_imported):
    before = snapshot()

    again = run_import(fixture("orders_utf8bom.csv"))

    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 7, 6)
    assert snapshot() == before


def test_the_same_receiver_is_one_customer_across_orders(orders_imported):
    first = Order.objects.get(number="261120-100000000000001")
    sixth = Order.objects.get(number="261120-100000000000006")

    assert first.customer_id == sixth.customer_id
    assert Customer.objects.count() == 6
    assert first.customer.pdd_user_id.startswith("rcv-")
    assert "13812341234" not in first.customer.pdd_user_id


def test_a_masked_phone_makes_a_customer_per_order():
    shared = {"name": "张**", "phone": "138****1234"}

    assert orders.customer_key(order_number="a", **shared) != orders.customer_key(order_number="b", **shared)
    assert orders.customer_key(name="张小花", phone="13812341234", order_number="a") == orders.customer_key(
        name="张小花", phone="138-1234-1234", order_number="b"
    )


def test_a_newer_export_moves_statuses_and_tracking_on(run_import, orders_imported, tmp_path):
    first = row_of("261120-100000000000001")
    first[FIELD["order_status"]] = "已发货，待签收"
    first[FIELD["shipped_at"]] = "2026-11-21 16:00:00"
    first[FIELD["courier"]] = "申通快递"
    first[FIELD["tracking_no"]] = "773100000001"
    second = row_of("261120-100000000000002")
    second[FIELD["order_status"]] = "交易成功"
    second[FIELD["received_at"]] = "2026-11-22 10:00:00"
    second[FIELD["tracking_no"]] = "77310000000099"  # corrected by the store
    newer = write_orders(tmp_path / "newer.csv", [first, second, row_of("261120-100000000000003")])

    job = run_import(newer)

    assert (job.created, job.updated, job.unchanged, job.rejected) == (0, 2, 1, 0)
    one = Order.objects.get(number="261120-100000000000001")
    assert one.status == Order.Status.SHIPPED
    assert one.shipped_at == shanghai(2026, 11, 21, 16, 0)
    assert [(s.courier.code, s.tracking_no) for s in one.shipments.all()] == [("sto", "773100000001")]
    two = Order.objects.get(number="261120-100000000000002")
    assert two.status == Order.Status.COMPLETED
    assert two.delivered_at == shanghai(2026, 11, 22, 10, 0)
    assert list(two.shipments.values_list("tracking_no", flat=True)) == ["77310000000099"]


def test_an_older_export_never_moves_a_status_back(run_import, orders_imported, tmp_path):
    Order.objects.filter(number="261120-100000000000001").update(status=Order.Status.COMPLETED)

    job = run_import(write_orders(tmp_path / "older.csv", [row_of("261120-100000000000001")]))

    assert job.unchanged == 1
    assert Order.objects.get(number="261120-100000000000001").status == Order.Status.COMPLETED


def test_the_check_shows_what_would_change_and_writes_nothing(run_import, orders_imported, tmp_path):
    changed = row_of("261120-100000000000001")
    changed[FIELD["order_status"]] = "已取消"
    new = row_of("261120-100000000000001")
    new[FIELD["order_number"]] = "261121-100000000000099"
    before = snapshot()

    job = run_import(write_orders(tmp_path / "mixed.csv", [changed, new]), check_only=True)

    assert job.state == ImportJob.State.CHECKED
    assert {key: job.preview[key] for key in ("create", "update", "unchanged", "reject")} == {
        "create": 1,
        "update": 1,
        "unchanged": 0,
        "reject": 0,
    }
    assert job.preview["samples"]["update"] == [
        {"line": 2, "key": "261120-100000000000001", "detail": "Awaiting shipment → Cancelled"}
    ]
    assert job.preview["samples"]["create"][0]["key"] == "261121-100000000000099"
    assert snapshot() == before


def test_new_products_and_skus_are_made_once_by_name_and_spec(orders_imported):
    assert sorted(Sku.objects.values_list("product__name", "spec")) == [
        ("保温杯 500ml", "星空蓝"),
        ("保温杯 500ml", "樱花粉"),
        ("纯棉短袖T恤", "白色 L"),
        ("纯棉短袖T恤", "黑色 M"),
    ]
    assert Product.objects.count() == 2


def test_an_existing_sku_is_matched_by_product_name_and_spec(db, clock):
    product = Product.objects.create(goods_id="g-1", name="纯棉短袖T恤")
    sku = Sku.objects.create(product=product, code="TSHIRT-W-L", spec="白色 L", price_fen=5990)
    row = OrderRow(
        line=2,
        number="261120-100000000000001",
        status="awaiting_shipment",
        paid_at=shanghai(2026, 11, 20, 13, 5),
        paid_fen=5990,
        product_name="纯棉短袖T恤",
        spec="白色 L",
    )

    OrderImporter().apply([row])

    assert Order.objects.get().items.get().sku == sku
    assert Sku.objects.count() == 1


def test_a_batch_the_database_refuses_is_written_row_by_row_without_half_orders(db, clock, monkeypatch):
    rows = [
        OrderRow(
            line=n,
            number=f"261120-10000000000000{n}",
            status="awaiting_shipment",
            paid_at=shanghai(2026, 11, 20, 13, 5),
            paid_fen=5990,
            product_name="纯棉短袖T恤",
            spec="白色 L",
            receiver_name=f"买家{n}",
            phone=f"1380000000{n}",
        )
        for n in (1, 2, 3)
    ]
    rows[1].spec = "refused spec"
    real_insert = orders.insert_rows

    def refuse_order_two(model, values, **kwargs):
        values = list(values)
        if model is OrderItem and any(value["spec"] == "refused spec" for value in values):
            raise DatabaseError("item refused")
        return real_insert(model, values, **kwargs)

    monkeypatch.setattr(orders, "insert_rows", refuse_order_two)

    outcomes = OrderImporter().apply(rows)

    assert [(o.line, o.action) for o in outcomes] == [(1, "create"), (2, "reject"), (3, "create")]
    assert "item refused" in outcomes[1].detail
    assert sorted(Order.objects.values_list("number", flat=True)) == [
        "261120-100000000000001",
        "261120-100000000000003",
    ]
    assert OrderItem.objects.count() == 2
    assert not Customer.objects.filter(name="买家2").exists()


def test_all_or_nothing_refuses_to_start_when_the_check_rejected_rows(run_import, clock):
    before = snapshot()
    job = run_import(fixture("orders_gbk.csv"), check_only=True)

    with pytest.raises(DomainError, match="all or nothing"):
        jobs.start_import(job=job, all_or_nothing=True)

    job.refresh_from_db()
    assert job.state == ImportJob.State.CHECKED
    assert snapshot() == before


def test_all_or_nothing_rolls_everything_back_when_a_row_fails_during_the_import(run_import, clock):
    job = jobs.create_job(
        source=fixture("orders_gbk.csv"), original_name="orders.csv", all_or_nothing=True, check=False
    )
    before = snapshot()

    job = jobs.run_job(job.pk)

    assert job.state == ImportJob.State.FAILED
    assert "nothing was imported" in job.message
    assert job.rejected == 6
    assert job.created == 0
    assert snapshot() == before


def test_all_or_nothing_imports_a_clean_file(run_import, clock, tmp_path):
    clean = write_orders(tmp_path / "clean.csv", make_fixtures.ORDER_ROWS[:7])

    job = run_import(clean, all_or_nothing=True)

    assert job.state == ImportJob.State.DONE
    assert Order.objects.count() == 7


def test_an_xlsx_export_imports_like_the_csv(run_import, clock, tmp_path):
    rows = [list(row) for row in make_fixtures.ORDER_ROWS[:7]]
    rows[0][FIELD["paid_at"]] = dt.datetime(2026, 11, 20, 13, 5, 11)  # noqa: DTZ001 - a date cell
    rows[0][FIELD["paid_amount"]] = 59.9  # a number cell
    path = make_fixtures.write_xlsx(tmp_path / "orders.xlsx", make_fixtures.ORDER_HEADERS_V1, rows)

    job = run_import(path)

    assert (job.state, job.created, job.rejected) == (ImportJob.State.DONE, 7, 0)
    assert Order.objects.get(number="261120-100000000000001").paid_at == shanghai(2026, 11, 20, 13, 5, 11)


def test_a_missing_required_column_is_named(run_import, tmp_path):
    path = tmp_path / "partial.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows([["订单号", "订单状态", "商品"], ["261120-100000000000001", "待发货", "T恤"]])

    job = run_import(path, kind="orders")

    assert job.state == ImportJob.State.FAILED
    assert "用户实付金额(元)、支付时间" in job.message
