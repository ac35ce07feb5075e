"""A cut-off export (an interrupted download or copy) never imports its last row with wrong values."""

import csv
import io

from backoffice.models import ImportJob, Order
from backoffice.platform.importing import parsing

from . import make_fixtures

HEADER = make_fixtures.ORDER_HEADERS_V1
FULL = [list(row) for row in make_fixtures.ORDER_ROWS[:3]]  # lines 2-4: three good orders


def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([HEADER, *rows])
    return buffer.getvalue()


def write(tmp_path, text: str):
    path = tmp_path / "orders.csv"
    path.write_bytes(text.encode("utf-8-sig"))
    return path


def rejections(job: ImportJob) -> dict[int, str]:
    return {error["line"]: error["reason"] for error in job.errors}


def test_a_file_cut_in_the_middle_of_its_last_row_rejects_that_row_with_its_line(tmp_path, run_import, clock):
    text = csv_text(FULL)
    # Cut inside line 4's payment time: "2026-11-18 08:00:00" becomes "2026-11-1" (1 November if read).
    cut = text[: text.rindex("2026-11-18 08:00:00") + len("2026-11-1")]

    job = run_import(write(tmp_path, cut))

    assert job.state == ImportJob.State.DONE
    assert (job.created, job.rejected) == (2, 1)
    assert rejections(job)[4].startswith("Line 4 has 10 cells where the header has 21")
    assert not Order.objects.filter(number=FULL[2][0]).exists()


def test_a_file_that_ends_inside_a_quoted_cell_rejects_that_row_with_its_line(tmp_path, run_import, clock):
    rows = [list(row) for row in FULL]
    rows[2][-1] = "请尽快发货, 谢谢"  # the last cell has a comma, so the export quotes it
    text = csv_text(rows)
    cut = text[: text.rindex("请尽快") + len("请尽快")]  # all 21 cells are there, the last one cut short
    assert cut.endswith('"请尽快')

    job = run_import(write(tmp_path, cut))

    assert (job.created, job.rejected) == (2, 1)
    assert rejections(job)[4].startswith("Line 4: the file ends inside a quoted cell")


def test_a_courier_cut_short_inside_its_quotes_is_not_imported(tmp_path, run_import, clock):
    rows = [list(row) for row in FULL]
    rows[2][12] = "圆通速递, 省内"  # a quoted courier cell
    text = csv_text(rows)
    cut = text[: text.rindex("圆通速递") + 2]  # …,"圆通

    job = run_import(write(tmp_path, cut))

    assert job.rejected == 1 and 4 in rejections(job)
    assert not Order.objects.filter(number=FULL[2][0]).exists()


def test_a_complete_file_without_a_final_newline_imports_every_row(tmp_path, run_import, clock):
    job = run_import(write(tmp_path, csv_text(FULL).rstrip("\r\n")))

    assert (job.created, job.rejected) == (3, 0)


def test_a_short_row_in_the_middle_is_rejected_and_the_rows_after_it_import(tmp_path, run_import, clock):
    rows = [list(row) for row in FULL]
    rows[1] = rows[1][:5]

    job = run_import(write(tmp_path, csv_text(rows)))

    assert (job.created, job.rejected) == (2, 1)
    assert rejections(job)[3].startswith("Line 3 has 5 cells where the header has 21")


def test_the_table_marks_the_cut_row_and_keeps_its_line_number(tmp_path):
    text = csv_text(FULL)
    path = write(tmp_path, text[: text.rindex("2026-11-18 08:00:00") + len("2026-11-1")])

    with parsing.Table(path) as table:
        records = list(table.records())

    assert [line for line, _record in records] == [2, 3, 4]
    assert not isinstance(records[0][1], parsing.IncompleteRecord)
    assert isinstance(records[2][1], parsing.IncompleteRecord)
    assert records[2][1]["paid_at"] == "2026-11-1"
