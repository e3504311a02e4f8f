"""Reading a summary workbook back, and the structural checks every workbook must pass."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import range_boundaries
from openpyxl.workbook.workbook import Workbook

SHEETS = ["Summary", "Measures", "Decisions", "Commitments", "Overdue", "Risks", "Ownership"]


def open_workbook(content: bytes) -> Workbook:
    return load_workbook(io.BytesIO(content))


def rows(wb: Workbook, sheet: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in wb[sheet].iter_rows(values_only=True)]


def records(wb: Workbook, sheet: str) -> list[dict[str, Any]]:
    """The rows of a one-table sheet as dicts keyed by header."""
    header, *body = rows(wb, sheet)
    return [dict(zip(header, r, strict=True)) for r in body]


def table_data(wb: Workbook, sheet: str, table: str) -> list[dict[str, Any]]:
    ws = wb[sheet]
    min_col, min_row, max_col, max_row = range_boundaries(ws.tables[table].ref)
    grid = [
        [c.value for c in row]
        for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col)
    ]
    return [dict(zip(grid[0], r, strict=True)) for r in grid[1:]]


def assert_well_formed(content: bytes) -> None:
    """What Excel checks before offering to repair a file: unique, valid table names; header
    cells that are strings equal to the table's column names; refs inside the written data;
    no table overlapping a sheet autofilter; a frozen, bold header row on every sheet."""
    wb = open_workbook(content)
    assert wb.sheetnames == SHEETS
    names: list[str] = []
    for ws in wb:
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.b for c in ws[1] if c.value is not None), ws.title
        assert ws.tables, f"{ws.title} has no table"
        assert not ws.auto_filter.ref, f"{ws.title} has a sheet autofilter as well as a table"
        for table in ws.tables.values():
            names.append(table.displayName)
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", table.displayName)
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            assert max_row > min_row, f"{table.displayName} has no data row"
            assert max_row <= ws.max_row and max_col <= ws.max_column
            assert table.autoFilter is not None and table.autoFilter.ref == table.ref
            header = [ws.cell(min_row, c) for c in range(min_col, max_col + 1)]
            assert all(c.data_type == "s" for c in header), table.displayName
            assert [c.value for c in header] == [col.name for col in table.tableColumns]
            assert len({c.value for c in header}) == len(header)
        for dim in ("A", "B"):
            assert ws.column_dimensions[dim].width and ws.column_dimensions[dim].width > 5
    assert len(names) == len({n.casefold() for n in names}), names
    # Last line of defence against formulas: no <f> element anywhere in the package.
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name
