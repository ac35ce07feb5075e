"""Reading PDD export files row by row (CSV in GBK/GB18030/UTF-8/UTF-16, or XLSX) and parsing their cell values.

Files are streamed: one row in memory at a time, so a 100,000-row export costs no more memory than a small one.
A cell that cannot be read raises RowError with the reason a person can act on.
"""

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from backoffice.platform import timestamps
from backoffice.platform.importing import headers
from backoffice.store import money

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The header is usually the first row; some exports put a title line or two above it.
HEADER_SEARCH_ROWS = 10
SNIFF_BYTES = 256 * 1024
# Excel's day 0 for serial date numbers (with its 1900 leap-year bug folded in).
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - a naive wall-clock epoch, made aware below

csv.field_size_limit(1024 * 1024)


class RowError(ValueError):
    """This row cannot be imported; the message says why."""


class ImportFileError(ValueError):
    """The whole file cannot be imported (unreadable, no header, a required column missing)."""


# --- cell values ------------------------------------------------------------------------------------------------

_EMPTY = {"", "-", "--", "—", "无", "null", "none", "n/a", "NULL", "None", "N/A"}
# Up to 9,999,999.99 yuan: always below money.MAX_YUAN, so the fast path needs no further check.
_PLAIN_AMOUNT = re.compile(r"^(\d{1,7})(?:\.(\d{1,2}))?$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_ORDER_NUMBER = re.compile(r"^\d{6}-\d{6,24}$")
_PLATFORM_ID = re.compile(r"^[0-9A-Za-z_-]{3,40}$")
_DATETIME = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:\.\d+)?)?$"
)


def text(value: object) -> str:
    """A cell as clean text: None and placeholders become "", a spreadsheet's 12.0 becomes "12"."""
    if type(value) is str:  # the common case, kept fast: 100,000 rows × 20 cells
        result = value.strip()
        return "" if result in _EMPTY else result
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    return "" if result in _EMPTY else result


def _unquote(raw: str) -> str:
    # Exports and spreadsheets keep long numbers as text with a leading ' or tab, or as ="…".
    raw = raw.strip().lstrip("\t'‘`")
    if raw.startswith('="') and raw.endswith('"'):
        raw = raw[2:-1]
    return raw.strip()


def order_number(value: object) -> str:
    """261120-123456789012345; a quoted '261120-… is fine; a spreadsheet's 2.61E+20 has lost its digits."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise RowError(_lost_digits(text(value) or str(value)))
    raw = _unquote(text(value))
    if not raw:
        raise RowError(_("The order number is empty."))
    if _SCIENTIFIC.match(raw):
        raise RowError(_lost_digits(raw))
    if not _ORDER_NUMBER.match(raw):
        raise RowError(
            _("“%(value)s” is not a PDD order number (they look like 261120-123456789012345).") % {"value": raw[:40]}
        )
    return raw


def platform_id(value: object, *, label: str) -> str:
    """An after-sales number or other platform ID: digits a spreadsheet may also have mangled."""
    if isinstance(value, float) and not value.is_integer():
        raise RowError(_lost_digits(str(value)))
    raw = _unquote(text(value))
    if not raw:
        raise RowError(_("The %(label)s is empty.") % {"label": label})
    if _SCIENTIFIC.match(raw):
        raise RowError(_lost_digits(raw))
    if not _PLATFORM_ID.match(raw):
        raise RowError(_("“%(value)s” is not a valid %(label)s.") % {"value": raw[:40], "label": label})
    return raw


def _lost_digits(raw: str) -> str:
    return _(
        "The number “%(value)s” was turned into scientific notation by a spreadsheet, so its digits are lost. "
        "Import the file as exported, or format the column as text before saving."
    ) % {"value": raw}


def money_fen(value: object, *, label: str, required: bool = False) -> int | None:
    """12.50, ¥12.50, ￥1,234.5 or 12.50元 → fen. Empty → None (or an error when required).

    Anything but the plain common case is read by the one money parser (backoffice.store.money.parse_yuan)."""
    if type(value) is str:
        plain = _PLAIN_AMOUNT.match(value.strip().lstrip("¥￥"))
        if plain is not None:
            yuan, cents = plain.groups()
            return int(yuan) * 100 + (int(cents.ljust(2, "0")) if cents else 0)
    if not (isinstance(value, int | float) and not isinstance(value, bool)):
        value = text(value)
        if not value:
            if required:
                raise RowError(_("The %(label)s is empty.") % {"label": label})
            return None
    try:
        return money.parse_yuan(value)
    except money.MoneyError as exc:
        shown = {"label": label, "value": text(value)[:20]}
        if exc.code == "negative":
            message = _("The %(label)s cannot be “%(value)s”.") % shown
        elif exc.code == "decimals":
            message = _("The %(label)s has more than two decimals: “%(value)s”.") % shown
        elif exc.code == "too_large":
            message = _("The %(label)s is too large: “%(value)s”.") % shown
        else:
            message = _("“%(value)s” is not an amount in yuan (%(label)s).") % shown
        raise RowError(message) from None


def fen_amount(value: object, *, label: str) -> int | None:
    """An amount the platform gives in fen (1500 → 1500). Empty → None."""
    if value is None or (isinstance(value, str) and not text(value)):
        return None
    try:
        return money.parse_fen(value)
    except money.MoneyError as exc:
        raise RowError(
            _("The %(label)s “%(value)s” is refused: %(reason)s")
            % {"label": label, "value": text(value)[:20], "reason": exc}
        ) from None


def moment(
    value: object, *, label: str, required: bool = False, ahead: dt.timedelta = timestamps.FUTURE_SLACK
) -> dt.datetime | None:
    """2026-11-20 13:05:11, 2026/11/20 13:05, 2026-11-20, a spreadsheet date, or its serial number; Shanghai time.

    The time must lie in the window every outside time is held to (backoffice.platform.timestamps); a time that is a promise
    about the future (the platform's promised ship time) may lie `ahead` further."""
    raw = ""
    if isinstance(value, dt.datetime):
        result = value if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    elif isinstance(value, dt.date):
        result = dt.datetime.combine(value, dt.time(0), SHANGHAI)
    elif isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        result = (EXCEL_EPOCH + dt.timedelta(days=float(value))).replace(tzinfo=SHANGHAI, microsecond=0)
    else:
        raw = text(value)
        if not raw:
            if required:
                raise RowError(_("The %(label)s is empty.") % {"label": label})
            return None
        match = _DATETIME.match(raw)
        if match is None:
            raise RowError(_("“%(value)s” is not a date and time (%(label)s).") % {"value": raw[:30], "label": label})
        year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
        try:
            result = dt.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)
        except ValueError:
            raise RowError(
                _("“%(value)s” is not a real date (%(label)s).") % {"value": raw[:30], "label": label}
            ) from None
    try:
        return timestamps.check_timestamp(result, ahead=ahead)
    except timestamps.TimestampError as exc:
        raise RowError(
            _("The %(label)s “%(value)s” is refused: %(reason)s")
            % {"label": label, "value": raw[:30] or str(value)[:30], "reason": exc}
        ) from None


def count(value: object, *, label: str, default: int = 1) -> int:
    raw = text(value)
    if not raw:
        return default
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = Decimal(-1)
    if number != number.to_integral_value() or number < 1 or number > 100_000:
        raise RowError(_("“%(value)s” is not a quantity (%(label)s).") % {"value": raw[:20], "label": label})
    return int(number)


# --- files ------------------------------------------------------------------------------------------------------


class IncompleteRecord(dict):
    """The cells of a row that cannot be imported as it stands (cut off); `reason` says why, with the line."""

    def __init__(self, cells: dict, *, reason: str) -> None:
        super().__init__(cells)
        self.reason = reason


def check_complete(record: dict) -> dict:
    """The record itself, or RowError when the file left it incomplete."""
    if isinstance(record, IncompleteRecord):
        raise RowError(record.reason)
    return record


class _CutRow(list):
    """A CSV row read up to the end of a file that stopped inside a quoted cell."""


def _ends_inside_quotes(raw: str, delimiter: str) -> bool:
    """Whether the last record's text leaves a quoted cell open (the file was cut in the middle of it)."""
    try:
        for _row in csv.reader(io.StringIO(raw), delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return True
    return False


class _CountingReader(io.RawIOBase):
    """Counts the bytes the text layer has read, for a progress bar over a streamed file."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text"), or else GB18030, the superset of GBK."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is still UTF-8.
        if exc.start < len(head) - 3:
            return "gb18030"
    return "utf-8"


class Table:
    """The rows of an export after its header: `records()` yields (line number, {field: cell}), streaming."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.size = self.path.stat().st_size or 1
        self.encoding = ""
        self._rows: Iterator[tuple[int, list]] | None = None
        self._close = None
        self._fraction = lambda: 0.0
        self.columns: dict[int, str] = {}
        self.header_line = 0
        self.header_width = 0

    # The file's own format decides, not its name: PDD and spreadsheets save CSVs as .xls and the like.
    def __enter__(self) -> "Table":
        with open(self.path, "rb") as probe:
            head = probe.read(SNIFF_BYTES)
        if head.startswith(b"PK\x03\x04"):
            self._open_xlsx()
        elif head.startswith(b"\xd0\xcf\x11\xe0"):
            raise ImportFileError(_("Old Excel files (.xls) cannot be read. Save the file as .xlsx or CSV."))
        else:
            self._open_csv(head)
        self._find_header()
        return self

    def __exit__(self, *exc) -> None:
        if self._close is not None:
            self._close()

    def _open_csv(self, head: bytes) -> None:
        self.encoding = detect_encoding(head)
        counting = _CountingReader(open(self.path, "rb"))  # noqa: SIM115 - closed in __exit__
        stream = io.TextIOWrapper(io.BufferedReader(counting), encoding=self.encoding, newline="")
        sample = head.decode(self.encoding, errors="ignore").split("\n", 1)[0]
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
        # The physical lines of the record being read: only needed to tell a file cut inside a quoted field.
        pending: list[str] = []

        def lines():
            for line in stream:
                pending.append(line)
                yield line

        reader = csv.reader(lines(), delimiter=delimiter)

        def rows():
            try:
                for row in reader:
                    last = pending[-1] if pending else "\n"
                    if last[-1] not in "\r\n" and _ends_inside_quotes("".join(pending), delimiter):
                        row = _CutRow(row)
                    pending.clear()
                    yield reader.line_num, row
            except UnicodeDecodeError:
                raise ImportFileError(
                    _("The file is not in one text encoding (GBK or UTF-8): it cannot be read after line %(line)s.")
                    % {"line": reader.line_num}
                ) from None
            except csv.Error as exc:
                raise ImportFileError(
                    _("The CSV is malformed near line %(line)s: %(error)s") % {"line": reader.line_num, "error": exc}
                ) from None

        self._rows = rows()
        self._close = stream.close
        self._fraction = lambda: counting.consumed / self.size

    def _open_xlsx(self) -> None:
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise ImportFileError(_("The XLSX file cannot be opened: %(error)s") % {"error": exc}) from None
        sheet = workbook.worksheets[0]
        total = sheet.max_row or 0
        position = {"row": 0}

        def rows():
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                position["row"] = number
                yield number, list(row)

        self.encoding = "xlsx"
        self._rows = rows()
        self._close = workbook.close
        self._fraction = lambda: (position["row"] / total) if total else 0.0

    def _find_header(self) -> None:
        for _index in range(HEADER_SEARCH_ROWS):
            try:
                line, row = next(self._rows)
            except StopIteration:
                break
            columns = headers.map_columns(row)
            if len(columns) >= 2:
                self.columns, self.header_line = columns, line
                named = [index for index, cell in enumerate(row) if cell not in (None, "") and str(cell).strip()]
                self.header_width = named[-1] + 1 if named else 0
                return
        raise ImportFileError(
            _("No header row found: one of the first rows must hold the column names (订单号, 订单状态 …).")
        )

    @property
    def fields(self) -> set[str]:
        return set(self.columns.values())

    def fraction_done(self) -> float:
        return min(self._fraction(), 1.0)

    def records(self) -> Iterator[tuple[int, dict]]:
        """(line, record) for each row; a row a cut-off file left incomplete comes as an IncompleteRecord."""
        columns = self.columns
        # A CSV row with fewer cells than the header was cut (an interrupted export or copy): its last cells would be
        # read short ("2026-11-1" for 2026-11-15) or be missing. Spreadsheet rows have no such failure.
        width = self.header_width if self.encoding != "xlsx" else 0
        for line, row in self._rows:
            if not any(cell not in (None, "") and str(cell).strip() for cell in row):
                continue  # blank lines, and the empty rows spreadsheets leave at the end
            record = {field: row[index] for index, field in columns.items() if index < len(row)}
            if isinstance(row, _CutRow):
                yield (
                    line,
                    IncompleteRecord(
                        record,
                        reason=_(
                            "Line %(line)s: the file ends inside a quoted cell of this row, so it was cut off. "
                            "Nothing of this row is imported; export the file again."
                        )
                        % {"line": line},
                    ),
                )
            elif len(row) < width:
                yield (
                    line,
                    IncompleteRecord(
                        record,
                        reason=_(
                            "Line %(line)s has %(cells)s cells where the header has %(columns)s: the row is incomplete "
                            "(a cut-off file?). Nothing of this row is imported."
                        )
                        % {"line": line, "cells": len(row), "columns": width},
                    ),
                )
            else:
                yield line, record
