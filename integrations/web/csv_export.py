"""Lists as CSV downloads that a spreadsheet opens without running anything.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
(``integrations.spreadsheet.cells.FORMULA_STARTS``) would be read as a formula
when the CSV is opened in Excel or LibreOffice, so it gets a leading
apostrophe, the OWASP advice for CSV; a CSV cell has no "quote prefix" style to
carry that instead, as the workbook does. Control characters the spreadsheet
rejects are removed (``clean_text``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from integrations.spreadsheet.cells import clean_text, looks_like_formula


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, int | float | dt.date):
        return str(value)
    text = clean_text(str(value))
    return "'" + text if looks_like_formula(text) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    # A byte-order mark so that Excel reads the file as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")
