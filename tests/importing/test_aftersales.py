import pytest

from backoffice.models import Case, CaseEvent, CaseKind, EventType, ImportJob, Reason, Status
from backoffice.payouts.models import Payout
from backoffice.platform.importing import aftersales
from tests.factories import shanghai

from . import make_fixtures
from .conftest import fixture

EXPECTED_REJECTIONS = {
    6: "The number “9.00000005E+08” was turned into scientific notation by a spreadsheet, so its digits are lost.",
    7: "Order 261120-999999999999999 is not in the back office yet: import the order export first.",
    8: "The refund amount ¥500.00 is more than the ¥44.00 paid for order 261120-100000000000003.",
    9: "Unknown after-sales type “维权”.",
    10: "The number “2.61E+20” was turned into scientific notation by a spreadsheet, so its digits are lost.",
}


def write_aftersales(path, rows):
    path.write_bytes(make_fixtures.csv_bytes(make_fixtures.AFTERSALES_HEADERS_V1, rows, encoding="gbk"))
    return path


def application(number: str) -> list[str]:
    return next(list(row) for row in make_fixtures.AFTERSALES_ROWS if row[0] == number)


FIELD = {name: index for index, name in enumerate(make_fixtures.AFTERSALES_FIELDS)}


@pytest.fixture
def aftersales_imported(run_import, orders_imported):
    job = run_import(fixture("aftersales_gbk.csv"))
    assert job.state == ImportJob.State.DONE, job.message
    return job


@pytest.mark.parametrize("name", ["aftersales_gbk.csv", "aftersales_utf8bom.csv"])
def test_the_after_sales_export_opens_cases_and_rejects_each_broken_row_with_its_reason(
    run_import, orders_imported, name
):
    job = run_import(fixture(name))

    assert (job.created, job.skipped, job.rejected) == (3, 1, 5)
    assert sorted(Case.objects.filter(source="import").values_list("external_id", flat=True)) == [
        "900000001",
        "900000002",
        "900000004",
    ]
    reasons = {error["line"]: error["reason"] for error in job.errors}
    assert set(reasons) == set(EXPECTED_REJECTIONS)
    for line, expected in EXPECTED_REJECTIONS.items():
        assert reasons[line].startswith(expected), (line, reasons[line])


def test_a_refund_under_the_threshold_is_approved_automatically(aftersales_imported):
    case = Case.objects.get(external_id="900000001")

    assert case.kind == CaseKind.REFUND
    assert case.status == Status.RESOLVED  # A5
    assert case.reason == Reason.SIZE
    assert Payout.objects.get(case=case).amount_fen == 1500
    assert case.created_at == shanghai(2026, 11, 22, 10, 0)


def test_the_application_time_starts_the_review_deadline(aftersales_imported):
    case = Case.objects.get(external_id="900000002")

    assert (case.kind, case.status, case.reason, case.amount_fen) == (CaseKind.RETURN, Status.NEW, Reason.QUALITY, 4400)
    assert case.created_at == shanghai(2026, 11, 22, 11, 0)
    assert case.resolve_due == shanghai(2026, 11, 23, 11, 0)  # A7: returns reviewed within 24 h
    assert case.subject == "质量问题 · 杯盖破损"
    assert case.customer == case.order.customer


def test_an_application_already_finished_on_the_platform_opens_no_case(aftersales_imported):
    assert not Case.objects.filter(external_id="900000003").exists()
    assert aftersales_imported.skipped == 1


def test_importing_the_same_applications_again_changes_nothing(run_import, aftersales_imported):
    cases = list(Case.objects.order_by("pk").values())
    events = CaseEvent.objects.count()

    again = run_import(fixture("aftersales_utf8bom.csv"))

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert list(Case.objects.order_by("pk").values()) == cases
    assert CaseEvent.objects.count() == events


def test_a_changed_amount_updates_the_open_case_and_logs_it(run_import, aftersales_imported, tmp_path):
    row = application("900000002")
    row[FIELD["refund_amount"]] = "30.00"

    job = run_import(write_aftersales(tmp_path / "newer.csv", [row]))

    assert job.updated == 1
    case = Case.objects.get(external_id="900000002")
    assert case.amount_fen == 3000
    event = case.events.get(type=EventType.CASE_UPDATED)
    assert (event.before, event.after, event.actor) == ({"amount_fen": 4400}, {"amount_fen": 3000}, None)


def test_a_refund_lowered_under_the_threshold_is_then_approved_automatically(run_import, orders_imported, tmp_path):
    row = application("900000002")
    row[FIELD["aftersales_type"]] = "仅退款"
    run_import(write_aftersales(tmp_path / "first.csv", [row]))
    row[FIELD["refund_amount"]] = "12.00"

    run_import(write_aftersales(tmp_path / "second.csv", [row]))

    case = Case.objects.get(external_id="900000002")
    assert case.status == Status.RESOLVED
    assert Payout.objects.get(case=case).amount_fen == 1200


def test_an_application_withdrawn_on_the_platform_closes_its_case(run_import, aftersales_imported, tmp_path):
    row = application("900000002")
    row[FIELD["aftersales_status"]] = "买家撤销"

    job = run_import(write_aftersales(tmp_path / "newer.csv", [row]))

    assert job.updated == 1
    case = Case.objects.get(external_id="900000002")
    assert case.status == Status.CLOSED
    assert "买家撤销" in case.events.filter(type=EventType.CASE_STATUS).last().body


def test_a_refund_done_on_the_platform_is_recorded_on_its_open_case(run_import, aftersales_imported, tmp_path):
    row = application("900000002")
    row[FIELD["aftersales_status"]] = "退款成功"

    run_import(write_aftersales(tmp_path / "newer.csv", [row]))

    case = Case.objects.get(external_id="900000002")
    assert case.status == Status.RESOLVED
    assert Payout.objects.get(case=case).amount_fen == 4400


def test_a_case_the_desk_already_resolved_is_left_alone(run_import, aftersales_imported, tmp_path):
    row = application("900000001")
    row[FIELD["refund_amount"]] = "10.00"

    job = run_import(write_aftersales(tmp_path / "newer.csv", [row]))

    assert job.unchanged == 1
    assert Case.objects.get(external_id="900000001").amount_fen == 1500


@pytest.mark.parametrize(
    "text, kind",
    [("仅退款", "refund"), ("退货退款", "return"), ("换货", "exchange"), ("补寄", "reship"), ("缺货补寄", "reship"),
     ("维修", "inquiry")],
)  # fmt: skip
def test_after_sales_types_map_to_case_kinds(text, kind):
    assert aftersales.after_sales_kind(text) == kind


@pytest.mark.parametrize(
    "text, state",
    [("待商家处理", "pending"), ("驳回退款，待买家处理", "pending"), ("退款成功", "done"), ("换货补寄成功", "done"),
     ("退款关闭", "closed"), ("买家撤销", "closed"), ("买家逾期，超过有效期", "closed"), ("", "pending")],
)  # fmt: skip
def test_platform_after_sales_states_are_read(text, state):
    assert aftersales.platform_state(text) == state


@pytest.mark.parametrize(
    "text, reason",
    [("尺码不合适", "size"), ("质量问题", "quality"), ("商家发错货", "wrong_item"), ("与描述不符", "not_as_described"),
     ("快递一直没收到", "logistics"), ("不想要了", "changed_mind"), ("其他", "other"), ("", "")],
)  # fmt: skip
def test_buyer_reasons_map_to_report_reasons(text, reason):
    assert aftersales.reason_code(text) == reason
