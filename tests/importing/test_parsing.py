import datetime as dt

import pytest

from backoffice.platform.importing import headers, parsing
from backoffice.platform.importing.parsing import ImportFileError, RowError
from tests.factories import shanghai

from . import make_fixtures
from .conftest import fixture


def test_committed_fixture_files_match_the_generator():
    for name, content in make_fixtures.expected_files().items():
        assert fixture(name).read_bytes() == content, f"run tests/importing/make_fixtures.py to refresh {name}"


@pytest.mark.parametrize(
    "raw, fen",
    [("12.50", 1250), ("¥12.50", 1250), ("￥1,234.5", 123450), ("12.5元", 1250), (" 0 ", 0), (12.5, 1250), (3, 300)],
)
def test_amounts_in_yuan_become_fen(raw, fen):
    assert parsing.money_fen(raw, label="x") == fen


@pytest.mark.parametrize("raw", ["abc", "-1", "12.345", "¥"])
def test_bad_amounts_are_refused_with_the_value(raw):
    with pytest.raises(RowError) as error:
        parsing.money_fen(raw, label="实付金额", required=True)

    assert "实付金额" in str(error.value)


def test_an_empty_optional_amount_is_none():
    assert parsing.money_fen("", label="x") is None
    assert parsing.money_fen("-", label="x") is None


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-11-20 13:05:11", shanghai(2026, 11, 20, 13, 5, 11)),
        ("2026/11/20 13:05", shanghai(2026, 11, 20, 13, 5)),
        ("2026/1/5 9:05", shanghai(2026, 1, 5, 9, 5)),
        ("2026-11-20", shanghai(2026, 11, 20)),
        (dt.datetime(2026, 11, 20, 13, 5), shanghai(2026, 11, 20, 13, 5)),  # noqa: DTZ001 - as openpyxl gives it
        (46346.5, shanghai(2026, 11, 20, 12, 0)),  # a spreadsheet's serial date
    ],
)
def test_dates_in_both_export_formats_are_read_as_shanghai_time(raw, expected):
    assert parsing.moment(raw, label="支付时间") == expected


def test_an_impossible_date_names_the_value_and_the_column():
    with pytest.raises(RowError, match="2026-13-45 25:00.*支付时间"):
        parsing.moment("2026-13-45 25:00", label="支付时间")


@pytest.mark.parametrize(
    "raw",
    ["261120-123456789012345", "'261120-123456789012345", "\t261120-123456789012345", '="261120-123456789012345"'],
)
def test_order_numbers_are_read_plain_or_quoted(raw):
    assert parsing.order_number(raw) == "261120-123456789012345"


@pytest.mark.parametrize("raw", ["2.61E+20", "2.61112E+20", 2.61e20])
def test_a_spreadsheet_mangled_order_number_is_refused_because_its_digits_are_lost(raw):
    with pytest.raises(RowError, match="digits are lost"):
        parsing.order_number(raw)


def test_something_else_is_not_an_order_number():
    with pytest.raises(RowError, match="not a PDD order number"):
        parsing.order_number("ABC")


def test_header_variants_of_different_export_versions_map_to_one_field():
    assert headers.field_for("订单号") == headers.field_for("订单编号") == "order_number"
    assert headers.field_for("商品数量（件）") == "quantity"  # full-width brackets
    assert headers.field_for(" 用户实付金额(元) ") == "paid_amount"
    assert headers.field_for("\ufeff订单号") == "order_number"  # a BOM glued to the first header
    assert headers.field_for("商家备注") is None


def test_missing_required_columns_are_named():
    assert headers.missing_columns("orders", {"order_number", "order_status"}) == [
        "商品",
        "用户实付金额(元)",
        "支付时间",
    ]


def test_gbk_and_utf8_bom_files_read_the_same_records():
    def read(name):
        with parsing.Table(fixture(name)) as table:
            return table.encoding, [
                (line, record["order_number"], record["paid_amount"].replace("￥", "¥"))
                for line, record in table.records()
            ]

    gbk_encoding, gbk = read("orders_gbk.csv")
    utf_encoding, utf = read("orders_utf8bom.csv")

    assert (gbk_encoding, utf_encoding) == ("gb18030", "utf-8-sig")
    assert gbk == utf
    assert gbk[0] == (2, "261120-100000000000001", "¥59.90")


def test_unknown_columns_are_ignored():
    with parsing.Table(fixture("orders_gbk.csv")) as table:
        assert "merchant_note" not in table.fields
        assert {"order_number", "paid_amount", "courier"} <= table.fields


def test_a_title_line_above_the_header_is_skipped_and_lines_keep_their_numbers(tmp_path):
    path = tmp_path / "titled.csv"
    path.write_text("订单导出 2026-11-22\n订单号,订单状态\n261120-123456789012345,待发货\n", encoding="utf-8")

    with parsing.Table(path) as table:
        assert list(table.records()) == [(3, {"order_number": "261120-123456789012345", "order_status": "待发货"})]


def test_a_file_without_a_header_is_refused(tmp_path):
    path = tmp_path / "nothing.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")

    with pytest.raises(ImportFileError, match="No header row"), parsing.Table(path):
        pass


def test_an_old_xls_file_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)

    with pytest.raises(ImportFileError, match="xlsx"), parsing.Table(path):
        pass


def test_xlsx_rows_stream_with_typed_cells(tmp_path):
    path = make_fixtures.write_xlsx(
        tmp_path / "orders.xlsx",
        ["订单号", "订单状态", "支付时间", "用户实付金额(元)"],
        [["261120-123456789012345", "待发货", dt.datetime(2026, 11, 20, 13, 5), 59.9]],  # noqa: DTZ001
    )

    with parsing.Table(path) as table:
        records = list(table.records())
        assert table.fraction_done() == 1.0

    assert records == [
        (
            2,
            {
                "order_number": "261120-123456789012345",
                "order_status": "待发货",
                "paid_at": dt.datetime(2026, 11, 20, 13, 5),  # noqa: DTZ001
                "paid_amount": 59.9,
            },
        )
    ]


def test_tab_separated_utf16_from_excel_is_read(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_text("订单号\t订单状态\n261120-123456789012345\t待发货\n", encoding="utf-16")

    with parsing.Table(path) as table:
        assert [record for _line, record in table.records()] == [
            {"order_number": "261120-123456789012345", "order_status": "待发货"}
        ]


def test_progress_follows_the_bytes_read(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("订单号,订单状态\n" + "261120-123456789012345,待发货\n" * 20000, encoding="utf-8")

    with parsing.Table(path) as table:
        records = table.records()
        for _ in range(1000):
            next(records)
        early = table.fraction_done()
        for _ in records:
            pass
        assert 0 < early < 0.5
        assert table.fraction_done() == 1.0
