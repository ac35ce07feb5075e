"""PDD's after-sales statuses — every API code and every export wording — and what the platform stepping in does."""

import datetime as dt

import pytest

from backoffice.models import Case, EventType, Notification, Priority, Status
from backoffice.platform.importing import aftersales_status
from backoffice.platform.importing.aftersales_status import CLOSED, DONE, PENDING
from backoffice.platform.pdd import sync
from tests.factories import AgentFactory, SupervisorFactory

from .conftest import NOW, fixture
from .test_aftersales import FIELD, application, write_aftersales

# after_sales_status as the public SDKs document it (pdd.refund.list.increment.get, pdd.order.information.get).
DOCUMENTED = {
    0: ("无售后", CLOSED),
    2: ("买家申请退款，待商家处理", PENDING),
    3: ("退货退款，待商家处理", PENDING),
    4: ("商家同意退款，退款中", PENDING),
    5: ("平台同意退款，退款中", PENDING),
    6: ("驳回退款，待买家处理", PENDING),
    7: ("已同意退货退款，待用户发货", PENDING),
    8: ("平台处理中", PENDING),
    9: ("平台拒绝退款，退款关闭", CLOSED),
    10: ("退款成功", DONE),
    11: ("买家撤销", CLOSED),
    12: ("买家逾期未处理，退款失败", CLOSED),
    13: ("买家逾期，超过有效期", CLOSED),
    14: ("换货补寄待商家处理", PENDING),
    15: ("换货补寄待用户处理", PENDING),
    16: ("换货补寄成功", DONE),
    17: ("换货补寄失败", CLOSED),
    18: ("换货补寄待用户确认完成", PENDING),
    21: ("待商家同意维修", PENDING),
    22: ("待用户确认发货", PENDING),
    24: ("维修关闭", CLOSED),
    25: ("维修成功", DONE),
    27: ("待用户确认收货", PENDING),
    31: ("已同意拒收退款，待用户拒收", PENDING),
    32: ("补寄待商家发货", PENDING),
    33: ("同意召回后退款，待商家召回", PENDING),
}
INTERVENED = {5, 8, 9}
EXPIRED = {12, 13}


def test_the_mapping_knows_exactly_the_documented_codes():
    assert set(aftersales_status.CODES) == set(DOCUMENTED)


@pytest.mark.parametrize("code", sorted(DOCUMENTED))
def test_every_api_status_code_maps(code):
    text, state = DOCUMENTED[code]

    for value in (code, str(code)):
        status = aftersales_status.from_code(value)
        assert (status.code, status.text, status.state) == (str(code), text, state)
        assert status.intervened == (code in INTERVENED)
        assert status.expired == (code in EXPIRED)


@pytest.mark.parametrize("code", sorted(DOCUMENTED))
def test_every_status_text_means_the_same_as_its_code(code):
    text, _state = DOCUMENTED[code]
    by_code = aftersales_status.from_code(code)

    for wording in (text, text.replace("，", ","), text.replace("，", " ")):
        by_text = aftersales_status.from_text(wording)
        assert (by_text.state, by_text.intervened, by_text.expired) == (
            by_code.state,
            by_code.intervened,
            by_code.expired,
        )
        assert by_text.text == wording.strip()


@pytest.mark.parametrize(
    "text, state, intervened, expired",
    [
        ("待商家处理", PENDING, False, False),
        ("买家申请退货，待商家处理", PENDING, False, False),
        ("无售后或售后取消", CLOSED, False, False),
        ("售后处理中", PENDING, False, False),
        ("平台介入中", PENDING, True, False),
        ("平台同意退款", PENDING, True, False),
        ("平台拒绝退款", CLOSED, True, False),
        ("超过有效期", CLOSED, False, True),
        ("售后超时关闭", CLOSED, False, True),
        ("退款关闭", CLOSED, False, False),
        # Wordings nobody listed are read by their words.
        ("平台判定退款，退款中", PENDING, True, False),
        ("平台介入，退款成功", DONE, True, False),
        ("待买家寄回", PENDING, False, False),
    ],
)  # fmt: skip
def test_export_wordings_map(text, state, intervened, expired):
    status = aftersales_status.from_text(text)
    assert (status.code, status.state, status.intervened, status.expired) == ("", state, intervened, expired)


def test_an_unknown_code_stays_open_and_keeps_its_number():
    status = aftersales_status.from_code(99)
    assert (status.code, status.text, status.state, status.intervened) == ("99", "99", PENDING, False)


def test_the_api_row_keeps_the_raw_code_and_the_platforms_text():
    row = sync.aftersales_row(
        {"id": 7001, "order_sn": "261120-100000000000002", "after_sales_type": 2, "after_sales_status": 13,
         "created_time": "2026-11-22 10:00:00"}
    )  # fmt: skip
    assert (row.status_code, row.status_text, row.state) == ("13", "买家逾期，超过有效期", CLOSED)


# --- the platform steps in ---------------------------------------------------------------------------------------


@pytest.fixture
def aftersales_imported(run_import, orders_imported):
    job = run_import(fixture("aftersales_gbk.csv"))
    assert job.state == "done", job.message
    return job


@pytest.fixture
def people(db):
    return {
        "assignee": AgentFactory(username="assignee"),
        "bystander": AgentFactory(username="bystander"),
        "supervisor": SupervisorFactory(username="boss"),
        "supervisor2": SupervisorFactory(username="boss2"),
    }


def intervene(run_import, tmp_path, number="900000002", status="平台处理中", name="newer.csv"):
    row = application(number)
    row[FIELD["aftersales_status"]] = status
    return run_import(write_aftersales(tmp_path / name, [row]))


def test_a_platform_intervention_in_the_export_escalates_the_case_and_keeps_the_raw_text(
    run_import, aftersales_imported, tmp_path, people
):
    case = Case.objects.get(external_id="900000002")
    Case.objects.filter(pk=case.pk).update(assignee=people["assignee"])

    job = intervene(run_import, tmp_path)

    assert job.updated == 1
    case.refresh_from_db()
    assert case.platform_status == "平台处理中"
    assert case.platform_status_code == ""
    assert case.platform_intervened_at == NOW
    assert case.priority == Priority.URGENT
    assert case.is_open
    event = case.events.get(type=EventType.PLATFORM_INTERVENED)
    assert (event.before, event.after["priority"], event.actor) == (
        {"priority": Priority.NORMAL},
        Priority.URGENT,
        None,
    )
    status_event = case.events.filter(type=EventType.PLATFORM_STATUS).last()
    assert status_event.after["platform_status"] == "平台处理中"
    notified = set(Notification.objects.filter(case=case).values_list("recipient__username", flat=True))
    assert notified == {"assignee", "boss", "boss2"}
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_the_same_intervention_reported_again_notifies_and_counts_once(
    run_import, aftersales_imported, tmp_path, people
):
    intervene(run_import, tmp_path)
    case = Case.objects.get(external_id="900000002")
    first = case.platform_intervened_at

    job = intervene(run_import, tmp_path, name="again.csv")

    assert job.unchanged == 1
    case.refresh_from_db()
    assert case.platform_intervened_at == first
    assert case.events.filter(type=EventType.PLATFORM_INTERVENED).count() == 1
    assert Notification.objects.filter(case=case).count() == 2  # the two supervisors; nobody is assigned


def test_the_platform_stepping_into_a_settled_case_reopens_it(run_import, aftersales_imported, tmp_path, people):
    case = Case.objects.get(external_id="900000001")
    assert case.status == Status.RESOLVED  # A5 approved it

    intervene(run_import, tmp_path, number="900000001")

    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS
    assert case.platform_intervened_at is not None
    assert case.priority == Priority.URGENT


@pytest.mark.parametrize("status", ["买家逾期未处理，退款失败", "买家逾期，超过有效期"])
def test_an_expired_application_closes_its_case_and_keeps_the_platforms_words(
    run_import, aftersales_imported, tmp_path, status
):
    intervene(run_import, tmp_path, status=status)

    case = Case.objects.get(external_id="900000002")
    assert case.status == Status.CLOSED
    assert case.platform_status == status
    assert case.platform_intervened_at is None


def test_an_intervention_from_the_api_keeps_its_code(db, client_factory, clock, fake, people):
    fake.add_order("261122-000000000000001", updated=NOW - dt.timedelta(minutes=90))
    fake.add_refund(5001, "261122-000000000000001", updated=NOW - dt.timedelta(minutes=20), after_sales_type=3,
                    after_sales_status=8, refund_amount=5990)  # fmt: skip
    runner = sync.StreamSync(client=client_factory(), now=NOW, initial=dt.timedelta(hours=2))

    runner.run("orders")
    runner.run("aftersales")

    case = Case.objects.get(external_id="5001")
    assert (case.platform_status_code, case.platform_status) == ("8", "平台处理中")
    assert case.platform_intervened_at is not None
    assert case.priority == Priority.URGENT
    assert Notification.objects.filter(case=case).count() == 2
