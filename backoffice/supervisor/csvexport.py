"""Every CSV the back office hands out is written through here, so that no cell can run as a spreadsheet formula.

Customer text, usernames, product names and JSON all end up in exports; a cell that starts like a formula (= + - @,
their full-width or small forms ＝ ＋ － ＠ ﹦ ﹢ ﹣, even after leading spaces, or a tab, CR or LF) would be
evaluated by Excel or WPS when the file is opened. Such a cell gets a leading apostrophe (OWASP's advice), which
spreadsheets show as text. Numbers are data, not formulas, and stay numbers.
"""

import csv
import unicodedata
from decimal import Decimal

_FORMULA_STARTS = frozenset("=+-@")
_CONTROL_STARTS = frozenset("\t\r\n")
# Spaces a spreadsheet skips before it looks for a formula (ASCII, no-break, ideographic).
_LEADING_SPACES = " \u00a0\u3000"


def safe_cell(value: object) -> object:
    """The cell as it may go into a CSV: text that could start a formula is prefixed with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if not text:
        return text
    if text[0] in _CONTROL_STARTS:
        return "'" + text
    first = text.lstrip(_LEADING_SPACES)[:1]
    if first and unicodedata.normalize("NFKC", first)[:1] in _FORMULA_STARTS:
        return "'" + text
    return text


class SafeWriter:
    """csv.writer with every cell of every row passed through safe_cell; writerow returns what the stream does."""

    def __init__(self, stream, **kwargs) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def writer(stream, **kwargs) -> SafeWriter:
    """The one way to write a CSV export (the same arguments as csv.writer)."""
    return SafeWriter(stream, **kwargs)
