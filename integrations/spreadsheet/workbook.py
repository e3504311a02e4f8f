"""The weekly joint delivery summary as an .xlsx workbook (openpyxl, write-only mode).

Sheets: Summary, Decisions, Commitments, Overdue, Risks, Ownership. Each has a
bold header row frozen in place, an Excel table (which brings its own
autofilter), set column widths, wrapped long text, real Excel dates, hyperlinks
to source messages, and conditional formatting where a row can be overdue (or
a risk red).

Write-only mode streams each row to a temporary file as it is appended, so
memory stays flat however many commitments a team has. Its constraints shape
the code: there is no random cell access, so column widths, styles and the
frozen pane are set *before* the first row; tables, conditional formatting and
the chart refer to ranges by address and are added after the rows, once the
row count is known (openpyxl writes them in the sheet's tail); table columns
are named explicitly, because openpyxl cannot read the header cells back from a
write-only sheet. A table needs at least one data row, so an empty sheet gets
one row saying so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from commands.measure_views import OutcomeReport
from commands.weekly import FIGURE_LABELS, NO_DEPARTMENT, Figures, WeeklyReport
from integrations.spreadsheet.cells import CellMaker, Column, clean_text

SHEETS = ("Summary", "Measures", "Decisions", "Commitments", "Overdue", "Risks", "Ownership")
TABLE_STYLE = "TableStyleMedium2"

OVERDUE_FILL = PatternFill(bgColor="FFC7CE")
OVERDUE_FONT = Font(color="9C0006")
AMBER_FILL = PatternFill(bgColor="FFEB9C")
GREEN_FILL = PatternFill(bgColor="C6EFCE")

DECISIONS = (
    Column("ID", 8),
    Column("Date", 17, "datetime"),
    Column("Decision", 60, "long"),
    Column("Rationale", 45, "long"),
    Column("Decided by", 22),
    Column("Department", 20),
    Column("Status", 12),
    Column("Supersedes", 12),
    Column("Source", 10, "link"),
    Column("How made", 40, "long"),
)
COMMITMENTS = (
    Column("ID", 8),
    Column("Commitment", 60, "long"),
    Column("Owner", 22),
    Column("Department", 20),
    Column("Created", 12, "date"),
    Column("Due", 12, "date"),
    Column("Status", 11),
    Column("Done on", 12, "date"),
    Column("Days overdue", 13, "int"),
    Column("Days late", 10, "int"),
    Column("Escalated", 12, "date"),
    Column("Source", 10, "link"),
)
OVERDUE = (
    Column("ID", 8),
    Column("Commitment", 60, "long"),
    Column("Owner", 22),
    Column("Department", 20),
    Column("Due", 12, "date"),
    Column("Days overdue", 13, "int"),
    Column("Status", 11),
    Column("Accountable", 24),
    Column("Escalated", 12, "date"),
    Column("Source", 10, "link"),
)
RISKS = (
    Column("ID", 8),
    Column("Risk", 60, "long"),
    Column("Impact", 10),
    Column("Likelihood", 11),
    Column("RAG", 8),
    Column("Owner", 22),
    Column("Department", 20),
    Column("Status", 10),
    Column("Logged", 12, "date"),
)
OWNERSHIP = (
    Column("Area", 32, "long"),
    Column("Responsible", 26, "long"),
    Column("Responsible departments", 24, "long"),
    Column("Accountable", 22),
    Column("Accountable department", 22),
    Column("Consulted", 26, "long"),
    Column("Consulted departments", 24, "long"),
    Column("Informed", 26, "long"),
    Column("Informed departments", 24, "long"),
)
HEADLINE = (Column("Figure", 28), Column("Value", 24, "text"))
# The Summary's open proposals and escalated items (issue 16), below the departments.
OPEN_PROPOSALS = (
    Column("Proposal", 28),
    Column("Text", 24, "long"),
    Column("Proposed by", 13),
    Column("Decide by", 13, "date"),
    Column("Agreed", 13, "long"),
    Column("Objected", 13, "long"),
    Column("Waiting for", 13, "long"),
)
ESCALATED = (
    Column("Escalated", 28),
    Column("Item", 24, "long"),
    Column("Why", 13, "long"),
    Column("Step", 13, "int"),
    Column("To", 13),
    Column("On", 13, "date"),
)
# Each figure column as wide as its header, so that no header is cut off on screen or paper.
DEPARTMENT = (Column("Department", 28),) + tuple(
    Column(label, max(12, len(label) + 3), "percent" if attr == "on_time_percent" else "int")
    for attr, label in FIGURE_LABELS
)
TITLE_FONT = Font(bold=True, size=14)


def _footer_text(text: str) -> str:
    # "&" starts a header/footer code in Excel and LibreOffice: a literal one is "&&". Excel
    # allows 255 characters for the whole footer, codes included.
    return clean_text(text).replace("\n", " ")[:120].replace("&", "&&")


def print_setup(ws: WriteOnlyWorksheet, *, footer: str) -> None:
    """Print landscape on A4, scaled to one page wide (as many pages tall as it takes), the
    first row repeated on every page, and a footer: ``footer`` (team and week), the sheet's
    name, and "Page n of m". Set before the first row: write-only sheets write the sheet
    properties (fit to page) ahead of the rows."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.print_title_rows = "1:1"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.left.text = _footer_text(footer)
    ws.oddFooter.center.text = "&A"
    ws.oddFooter.right.text = "Page &P of &N"
    ws.evenFooter.left.text = ws.oddFooter.left.text
    ws.evenFooter.center.text = "&A"
    ws.evenFooter.right.text = "Page &P of &N"


class _Sheet:
    """A write-only sheet with a frozen bold header, whose rows are counted for its table."""

    def __init__(self, wb: Workbook, title: str, columns: Sequence[Column], *, footer: str) -> None:
        self.ws: WriteOnlyWorksheet = wb.create_sheet(title)
        print_setup(self.ws, footer=footer)
        self.columns = columns
        self.cells = CellMaker(self.ws)
        self.converters = self.cells.converters(columns)
        self.rows = 0
        self.ws.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = column.width

    def header(self, columns: Sequence[Column] | None = None) -> None:
        self.ws.append(self.cells.header(columns or self.columns))
        self.rows += 1

    def append(self, values: Sequence[Any], columns: Sequence[Column] | None = None) -> None:
        if columns is None:
            self.ws.append(self.cells.row(self.columns, values, self.converters))
        else:
            self.ws.append(self.cells.row(columns, values))
        self.rows += 1

    def blank(self) -> None:
        self.ws.append([])
        self.rows += 1

    def table(self, name: str, *, first_row: int, columns: Sequence[Column] | None = None) -> str:
        """Make rows ``first_row``..now into an Excel table; returns the data range (no header)."""
        columns = columns or self.columns
        last_col = get_column_letter(len(columns))
        ref = f"A{first_row}:{last_col}{self.rows}"
        table = Table(
            displayName=name,
            ref=ref,
            autoFilter=AutoFilter(ref=ref),
            tableColumns=[TableColumn(id=i, name=c.header) for i, c in enumerate(columns, 1)],
            tableStyleInfo=TableStyleInfo(name=TABLE_STYLE, showRowStripes=True),
        )
        with warnings.catch_warnings():
            # openpyxl warns on every write-only add_table that columns must be named by
            # hand; they are, above.
            warnings.filterwarnings("ignore", "In write-only mode", UserWarning)
            self.ws.add_table(table)
        return f"A{first_row + 1}:{last_col}{self.rows}"


def _data_sheet(
    wb: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    table: str,
    empty: str,
    footer: str,
    formatting: Callable[[WriteOnlyWorksheet, str], None] | None = None,
) -> None:
    sheet = _Sheet(wb, title, columns, footer=footer)
    sheet.header()
    for row in rows:
        sheet.append(row)
    if sheet.rows == 1:
        sheet.append([empty] + [None] * (len(columns) - 1), (Column("", 0),) * len(columns))
    data = sheet.table(table, first_row=1)
    if formatting:
        formatting(sheet.ws, data)


def _highlight_overdue(column: str) -> Callable[[WriteOnlyWorksheet, str], None]:
    """Conditional formatting: the whole row red when its days-overdue cell is above zero."""

    def add(ws: WriteOnlyWorksheet, data: str) -> None:
        first = data.split(":")[0][1:]
        ws.conditional_formatting.add(
            data,
            FormulaRule(formula=[f"${column}{first}>0"], fill=OVERDUE_FILL, font=OVERDUE_FONT),
        )

    return add


def _rag(column: str, *, status: str | None = None) -> Callable[[WriteOnlyWorksheet, str], None]:
    """The RAG cell coloured red, amber or green; with ``status`` (a risk's status column)
    only while it is open: a closed risk's rating stays as text, uncoloured (a closed risk
    is not a live red one)."""

    def add(ws: WriteOnlyWorksheet, data: str) -> None:
        first, last = data.split(":")
        row = first[1:]
        cells = f"{column}{row}:{column}{''.join(c for c in last if c.isdigit())}"
        for word, fill in (("red", OVERDUE_FILL), ("amber", AMBER_FILL), ("green", GREEN_FILL)):
            ws.conditional_formatting.add(
                cells,
                FormulaRule(
                    formula=[
                        f'AND(${column}{row}="{word}",${status}{row}="open")'
                        if status
                        else f'${column}{row}="{word}"'
                    ],
                    fill=fill,
                ),
            )

    return add


def _summary_sheet(
    wb: Workbook, report: WeeklyReport, outcome: OutcomeReport, *, footer: str
) -> None:
    sheet = _Sheet(wb, "Summary", DEPARTMENT, footer=footer)
    sheet.ws.column_dimensions["B"].width = 24
    # The team's name is text someone typed: made safe like every other cell, then enlarged.
    title = sheet.cells.text(f"{report.team_name}: weekly joint delivery summary", bold=True)
    if not isinstance(title, str):
        title.font = TITLE_FONT
    sheet.ws.append([title])
    sheet.rows += 1
    sheet.append(
        [
            f"{report.week.label} ({report.week.span()}). Generated "
            f"{report.generated_at:%Y-%m-%d %H:%M} ({report.timezone})."
        ],
        (Column("", 0),),
    )
    sheet.blank()
    _outcome_rows(sheet, outcome)
    headline_first = sheet.rows + 1
    sheet.header(HEADLINE)
    details: list[tuple[str, Any, str]] = [
        ("Team", report.team_name, "text"),
        ("Week", f"{report.week.label} ({report.week.span()})", "text"),
        ("Week starts", report.week.monday, "date"),
        ("Week ends", report.week.sunday, "date"),
        ("Timezone", report.timezone, "text"),
        ("Generated at (team time)", report.generated_at, "datetime"),
    ]
    for attr, label in FIGURE_LABELS:
        if attr == "on_time_percent":
            details.append((label, report.totals.on_time_ratio, "percent"))
        else:
            details.append((label, getattr(report.totals, attr), "int"))
    for label, value, kind in details:
        sheet.append([label, value], (Column("", 0), Column("", 0, kind)))  # type: ignore[arg-type]
    sheet.table("tblHeadline", first_row=headline_first, columns=HEADLINE)

    sheet.blank()
    sheet.blank()
    first = sheet.rows + 1
    sheet.header(DEPARTMENT)
    departments = report.departments or []
    for d in departments:
        sheet.append([d.name, *_figure_values(d.figures)])
    if not departments:
        sheet.append([NO_DEPARTMENT, *_figure_values(Figures())])
    sheet.table("tblDepartments", first_row=first)
    last = sheet.rows
    overdue_col = get_column_letter(1 + [a for a, _ in FIGURE_LABELS].index("overdue") + 1)
    sheet.ws.conditional_formatting.add(
        f"{overdue_col}{first + 1}:{overdue_col}{last}",
        CellIsRule(operator="greaterThan", formula=["0"], fill=OVERDUE_FILL, font=OVERDUE_FONT),
    )

    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = "Completed vs overdue, by department"
    chart.y_axis.title = "Commitments"
    chart.x_axis.title = "Department"
    # openpyxl 3.1 writes axes as deleted unless told otherwise; Excel would hide them.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    # Whole commitments on the value axis: from 0, integer ticks, about five of them.
    peak = max((max(d.figures.completed, d.figures.overdue) for d in departments), default=0)
    chart.y_axis.scaling.min = 0
    chart.y_axis.majorUnit = max(1, -(-peak // 5))
    chart.y_axis.number_format = "0"
    labels = [a for a, _ in FIGURE_LABELS]
    for attr in ("completed", "overdue"):
        col = 2 + labels.index(attr)
        chart.add_data(
            Reference(sheet.ws, min_col=col, min_row=first, max_row=last), titles_from_data=True
        )
    categories = Reference(sheet.ws, min_col=1, min_row=first + 1, max_row=last)
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(categories)))
    chart.width, chart.height = 18, 8
    sheet.ws.add_chart(chart, f"D{headline_first}")
    _proposals_and_escalations(sheet, report)


def _proposals_and_escalations(sheet: _Sheet, report: WeeklyReport) -> None:
    """Two tables under the departments: the proposals open now (who agreed, who objected,
    who has not answered) and what is escalated now, and how high on the ladder."""
    for name, columns, rows, empty in (
        ("tblOpenProposals", OPEN_PROPOSALS, report.open_proposals(), "No open proposals."),
        ("tblEscalated", ESCALATED, report.escalated(), "Nothing is escalated."),
    ):
        sheet.blank()
        first = sheet.rows + 1
        sheet.header(columns)
        for row in rows:
            sheet.append(list(row), columns)
        if not rows:
            sheet.append([empty] + [None] * (len(columns) - 1), columns)
        sheet.table(name, first_row=first, columns=columns)


def _figure_values(figures: Figures) -> list[Any]:
    return [
        figures.on_time_ratio if attr == "on_time_percent" else getattr(figures, attr)
        for attr, _ in FIGURE_LABELS
    ]


def build_workbook(
    report: WeeklyReport, out: str | Path | IO[bytes], *, outcome: OutcomeReport | None = None
) -> None:
    """Write the week's workbook to ``out`` (a path or a binary file object).

    Iterates the report's row generators, so call it inside the unit of work
    that loaded ``report``. ``outcome`` (the team's outcome and measures) leads the
    Summary sheet and fills the Measures sheet.
    """
    outcome = outcome or OutcomeReport(outcome=None, measures=())
    wb = Workbook(write_only=True)
    footer = f"{report.team_name}, {report.week.label}"
    _summary_sheet(wb, report, outcome, footer=footer)
    _measures_sheet(wb, outcome, footer=footer)
    # (title, columns, rows, table name, text for an empty sheet, conditional formatting)
    sheets = (
        ("Decisions", DECISIONS, report.decisions(), "tblDecisions",
         "No decisions this week.", None),
        ("Commitments", COMMITMENTS, report.commitments(), "tblCommitments",
         "No open commitments, and none closed this week.", _highlight_overdue("I")),
        ("Overdue", OVERDUE, report.overdue(), "tblOverdue",
         "Nothing is overdue.", _highlight_overdue("F")),
        ("Risks", RISKS, report.risks(), "tblRisks", "No risks logged.", _rag("E", status="H")),
        ("Ownership", OWNERSHIP, report.ownership(), "tblOwnership",
         "No ownership areas recorded.", None),
    )  # fmt: skip
    for title, columns, rows, table, empty, formatting in sheets:
        _data_sheet(
            wb,
            title,
            columns,
            rows,
            table=table,
            empty=empty,
            footer=footer,
            formatting=formatting,
        )
    wb.save(out)


# --- the shared outcome and its measures ---------------------------------------------------------

OUTCOME = (
    Column("ID", 28),
    Column("Outcome and measures", 24, "long"),
    Column("Latest", 13, "int"),
    Column("Target", 13, "int"),
    Column("Status", 13),
)
MEASURES = (
    Column("ID", 8),
    Column("Measure", 40, "long"),
    Column("Unit", 10),
    Column("Baseline", 11, "int"),
    Column("Target", 11, "int"),
    Column("Target date", 12, "date"),
    Column("Owner", 22),
    Column("Department", 20),
    Column("Every", 9),
    Column("Direction", 16),
    Column("Latest", 11, "int"),
    Column("Latest period", 13),
    Column("Trend", 11),
    Column("Status", 10),
)
MEASURE_VALUES = (
    Column("ID", 8),
    Column("Measure", 40, "long"),
    Column("Period", 13),
    Column("Period ends", 12, "date"),
    Column("Value", 11, "int"),
    Column("Target line", 11, "int"),
)
_CHART_ROWS = 16


def _outcome_rows(sheet: _Sheet, outcome: OutcomeReport) -> None:
    """The Summary sheet's first table: the outcome, then each measure's latest value, target
    and status (before the week's activity figures), under the sheet's title."""
    first = sheet.rows + 1
    sheet.header(OUTCOME)
    sheet.append(["Outcome", outcome.outcome or "No outcome set yet.", None, None, None], OUTCOME)
    for m in outcome.measures:
        latest = m.latest
        sheet.append(
            [m.ref, m.name, latest.value if latest else None, m.target, m.status or "no value"],
            OUTCOME,
        )
    data = sheet.table("tblOutcome", first_row=first, columns=OUTCOME)
    _rag("E")(sheet.ws, data)
    sheet.blank()
    sheet.blank()


def _measures_sheet(wb: Workbook, outcome: OutcomeReport, *, footer: str) -> None:
    """Each measure (baseline, target, target date, owner and department, latest, status),
    every value by period with the target line, and a line chart per measure of its values
    against its target line."""
    sheet = _Sheet(wb, "Measures", MEASURES, footer=footer)
    sheet.header()
    for m in outcome.measures:
        latest = m.latest
        sheet.append(
            [
                m.ref,
                m.name,
                m.unit,
                m.baseline,
                m.target,
                m.target_date,
                m.owner,
                m.department,
                m.frequency,
                m.direction,
                latest.value if latest else None,
                latest.period if latest else None,
                m.trend,
                m.status or "no value",
            ]
        )
    if not outcome.measures:
        sheet.append(["No measures yet."] + [None] * (len(MEASURES) - 1), (Column("", 0),) * 14)
    _rag("N")(sheet.ws, sheet.table("tblMeasures", first_row=1))

    sheet.blank()
    sheet.blank()
    first = sheet.rows + 1
    sheet.header(MEASURE_VALUES)
    blocks: list[tuple[str, int, int]] = []
    converters = sheet.cells.converters(MEASURE_VALUES)
    for m in outcome.measures:
        start = sheet.rows + 1
        for v in m.values:
            sheet.ws.append(
                sheet.cells.row(
                    MEASURE_VALUES,
                    [m.ref, m.name, v.period, v.period_end, v.value, v.expected],
                    converters,
                )
            )
            sheet.rows += 1
        if m.values:
            blocks.append((f"{m.ref} {m.name}", start, sheet.rows))
    if sheet.rows == first:
        sheet.append(["No values yet."] + [None] * 5, (Column("", 0),) * 6)
    sheet.table("tblMeasureValues", first_row=first, columns=MEASURE_VALUES)

    for index, (title, start, end) in enumerate(blocks):
        chart = LineChart()
        chart.title = clean_text(title)[:250]
        chart.y_axis.title = "Value"
        chart.x_axis.title = "Period"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        for col in (5, 6):  # Value, Target line
            chart.add_data(Reference(sheet.ws, min_col=col, min_row=start, max_row=end))
        categories = Reference(sheet.ws, min_col=3, min_row=start, max_row=end)
        for series, name in zip(chart.series, ("Value", "Target line"), strict=True):
            series.cat = AxDataSource(strRef=StrRef(f=str(categories)))
            series.tx = SeriesLabel(v=name)
        chart.series[1].graphicalProperties.line.dashStyle = "dash"
        chart.width, chart.height = 16, 7.5
        sheet.ws.add_chart(chart, f"H{first + index * _CHART_ROWS}")
