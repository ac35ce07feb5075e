"""Every cell of every CSV export is defused against spreadsheet formulas, in one place (backoffice.supervisor.csvexport)."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.urls import reverse

from backoffice.models import CaseEvent, EventType
from backoffice.supervisor import csvexport
from tests.factories import AgentFactory, CaseFactory, ProductFactory, SkuFactory, make_order, shanghai

from .conftest import NOW


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+1",
        "-2+3",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        "\n=1",
        '＝HYPERLINK("http://x")',  # full-width equals sign
        "＋1",
        "－2+3",
        "＠SUM(A1)",
        "﹦1",  # small form
        "  =1+1",  # leading spaces do not stop a spreadsheet
        "\u3000=1",  # ideographic space
    ],
)
def test_text_that_could_start_a_formula_gets_an_apostrophe(text):
    assert csvexport.safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "agent1", "AS-20261124-0001", "亲，您好~", "2026-11-20T10:00:00+08:00", "a=b"])
def test_ordinary_text_is_left_alone(text):
    assert csvexport.safe_cell(text) == text


@pytest.mark.parametrize("number", [-3, -2.5, 0, 12])
def test_numbers_stay_numbers(number):
    assert csvexport.safe_cell(number) == number


def test_the_writer_guards_every_cell_of_every_row():
    buffer = io.StringIO()
    writer = csvexport.writer(buffer)
    writer.writerow(["=header", "ok"])
    writer.writerows([["-2+3", 5, None], ["x", "＝1", "@a"]])
    rows = list(csv.reader(io.StringIO(buffer.getvalue())))
    assert rows == [["'=header", "ok"], ["'-2+3", "5", ""], ["x", "'＝1", "'@a"]]


def _audit_rows(client) -> list[list[str]]:
    response = client.get(reverse("supervisor:audit_csv"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_audit_csv_defuses_a_username_that_looks_like_a_formula(supervisor_client):
    sneaky = AgentFactory(username="-2+3")
    CaseEvent.objects.create(at=NOW, actor=sneaky, case=CaseFactory(), type=EventType.NOTE, body="正常备注")
    rows = _audit_rows(supervisor_client)
    assert rows[1][1] == "'-2+3"
    assert rows[1][6] == "正常备注"


def test_audit_csv_defuses_full_width_formulas_in_every_text_column(supervisor_client, agent):
    CaseEvent.objects.create(
        at=NOW, actor=agent, case=CaseFactory(), type=EventType.NOTE, body="＝cmd|' /C calc'!A0", target="＋1"
    )
    rows = _audit_rows(supervisor_client)
    assert rows[1][5] == "'＋1"
    assert rows[1][6] == "'＝cmd|' /C calc'!A0"


def test_report_csv_defuses_a_full_width_formula_in_a_product_name(supervisor_client, make_case, now):
    product = ProductFactory(name='＝HYPERLINK("http://x")')
    make_case(at=shanghai(2026, 11, 18), order=make_order(skus=[SkuFactory(product=product)]))
    response = supervisor_client.get(reverse("supervisor:report_csv", args=["products"]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == '\'＝HYPERLINK("http://x")'


def test_no_export_writes_csv_around_the_guard():
    """Every CSV the app hands out goes through csvexport.writer (management commands writing test data aside)."""
    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for app in ("backoffice", "aftersales", "logistics", "surveys", "quality")
        for path in (root / app).rglob("*.py")
        if "management" not in path.parts
        and path.name != "csvexport.py"
        and re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
