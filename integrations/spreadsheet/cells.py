"""Cells for write-only worksheets: typed columns, shared styles, and the text safety rules.

**Nothing a user typed becomes a formula.** Every text value is written as a
string cell (``data_type = "s"``, which openpyxl's write-only writer emits as
an inline string, ``<c t="inlineStr">``): Excel and LibreOffice read an inline
string as text and never evaluate it. Text that *starts* with ``=``, ``+``,
``-``, ``@``, a tab, a carriage return or a line feed (what spreadsheets, and
CSV exports made from them, may treat as the start of a formula) additionally
gets the ``quotePrefix`` cell style: Excel and LibreOffice show the text as
typed, and keep it text when someone edits the cell and presses Enter. No
character is added to or removed from the text for this.

**Characters spreadsheets reject are removed**: the C0 control characters
other than tab, line feed and carriage return (openpyxl's
``ILLEGAL_CHARACTERS_RE``), the non-characters U+FFFE and U+FFFF, and lone
surrogates, none of which XML 1.0 allows. Carriage returns become line feeds
(``\r\n`` and a lone ``\r`` alike): a line feed is a cell's line break in Excel,
and XML parsers turn a raw carriage return into one anyway. Text is cut at
Excel's limit of 32,767 characters per cell.

**Links** become hyperlinks only when they are ``http://`` or ``https://`` URLs
of at most 2,000 characters (Excel's limit is 2,079), so a stored
``javascript:`` or ``file:`` link never becomes clickable.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

EXCEL_MAX_TEXT = 32_767
MAX_LINK = 2_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
_XML_ILLEGAL = re.compile("[\ufffe\uffff\ud800-\udfff]")
_LINK = re.compile(r"^https?://[^\s\x00-\x1f]+$", re.IGNORECASE)

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0%"

Kind = Literal["text", "long", "date", "datetime", "int", "percent", "link"]


def clean_text(value: str) -> str:
    """``value`` without the characters spreadsheets reject, cut at Excel's cell limit."""
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    value = _XML_ILLEGAL.sub("", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value[:EXCEL_MAX_TEXT]


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def safe_link(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    return value if len(value) <= MAX_LINK and _LINK.match(value) else None


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: Kind = "text"


class CellMaker:
    """Turns plain values into write-only cells with one shared style per look.

    Styles are built once per workbook (a StyleArray each) and shared by the
    cells that use them; plain numbers go in as bare values. This keeps a
    styled, safe workbook close to the cost of writing bare values.
    """

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self._ws = ws
        self._styles: dict[tuple[Any, ...], StyleArray] = {}

    def style(
        self,
        *,
        number_format: str | None = None,
        wrap: bool = False,
        bold: bool = False,
        quote: bool = False,
        link: bool = False,
    ) -> StyleArray:
        key = (number_format, wrap, bold, quote, link)
        style = self._styles.get(key)
        if style is None:
            template = WriteOnlyCell(self._ws)
            if number_format:
                template.number_format = number_format
            if wrap:
                template.alignment = Alignment(wrap_text=True, vertical="top")
            if bold:
                template.font = Font(bold=True)
            if link:
                template.font = Font(color="0563C1", underline="single")
            if quote:
                template.quotePrefix = True
            style = self._styles[key] = template._style
        return style

    def _cell(self, value: Any, data_type: str, style: StyleArray) -> WriteOnlyCell:
        # Set the value and type directly: the value is already clean and its type known,
        # and openpyxl's value binding would register a number format only to be replaced.
        cell = WriteOnlyCell(self._ws)
        cell._value = value
        cell.data_type = data_type
        cell._style = style
        return cell

    def text(self, value: str, *, wrap: bool = False, bold: bool = False) -> WriteOnlyCell | str:
        text = clean_text(value)
        quote = looks_like_formula(text)
        if not (quote or wrap or bold):
            return text  # a bare str is a string cell unless it starts with "=" (quoted above)
        return self._cell(text, "s", self.style(wrap=wrap, bold=bold, quote=quote))

    def link(self, url: str | None, label: str) -> WriteOnlyCell | None:
        target = safe_link(url)
        if target is None:
            return None
        cell = self._cell(label, "s", self.style(link=True))
        cell.hyperlink = target
        return cell

    def header(self, columns: Sequence[Column]) -> list[WriteOnlyCell | str]:
        return [self.text(c.header, bold=True) for c in columns]

    def converters(self, columns: Sequence[Column]) -> list[Callable[[Any], Any]]:
        """One function per column turning a plain value (never None) into what to append."""
        date_style = self.style(number_format=DATE_FORMAT)
        datetime_style = self.style(number_format=DATETIME_FORMAT)
        percent_style = self.style(number_format=PERCENT_FORMAT)
        by_kind: dict[str, Callable[[Any], Any]] = {
            "text": lambda v: self.text(str(v)),
            "long": lambda v: self.text(str(v), wrap=True),
            "date": lambda v: self._cell(_as_date(v), "d", date_style),
            "datetime": lambda v: self._cell(v, "d", datetime_style),
            "percent": lambda v: self._cell(v, "n", percent_style),
            "link": lambda v: self.link(v, "Open"),
            "int": lambda v: v,
        }
        return [by_kind[c.kind] for c in columns]

    def row(
        self,
        columns: Sequence[Column],
        values: Sequence[Any],
        converters: Sequence[Callable[[Any], Any]] | None = None,
    ) -> list[Any]:
        """One row of cells for ``columns`` (a link column shows ``Open`` and links the URL);
        pass ``converters(columns)`` when writing many rows, to make them once."""
        converters = converters or self.converters(columns)
        return [
            None if value is None else convert(value)
            for convert, value in zip(converters, values, strict=True)
        ]


def _as_date(value: dt.date) -> dt.date:
    # A datetime is also a date; a date column shows the day only.
    return value.date() if isinstance(value, dt.datetime) else value
