"""The weekly summary for a week of decisions and commitments across two departments:
its figures (the `summary` command) and its workbook, read back with openpyxl."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from commands.reply import SummaryAttachment
from commands.rules import matching_area
from commands.weekly import IsoWeek, load_report
from integrations.spreadsheet import Export, export_week
from storage.database import Database
from storage.models import Area, Commitment, Decision, Team
from tests.spreadsheets import SHEETS, assert_well_formed, open_workbook, records, table_data
from tests.support import Desk

ALEX = "alex@council.example"  # the lead, Housing
SAM = "sam@health.example"  # Health
UTC = dt.UTC


def at(day: int, hour: int = 10, minute: int = 0, month: int = 11) -> dt.datetime:
    # Europe/London is on GMT in late November, so these are also the team's local times.
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


REPORT_TIME = at(23, 9)  # Monday of W48: "last week" is W47, Mon 16 - Sun 22 Nov.
W47 = IsoWeek(2026, 47)
SLACK_LINK = "https://example.slack.com/archives/C1/p1700000000000100"
TEAMS_LINK = "https://teams.microsoft.com/l/message/19:abc/1700000000000"


@pytest.fixture
def week(db: Database) -> Desk:
    desk = Desk(db, at(9), lead=ALEX)
    desk.say("dept me Housing")
    desk.say(f"dept {SAM} Health")
    # Before the week.
    assert desk.say(f"commit {SAM} Old DPIA task by 12 Nov", now=at(10)).ref == "C-1"
    assert desk.say("commit me Sunday night job by 30 Nov", now=at(15, 23, 59)).ref == "C-2"
    # The week.
    desk.say("decision Pool the data budget because both need it", now=at(16, 9))
    desk.say("decision Share the caseload list", as_=SAM, now=at(16, 10))
    desk.say(f"commit {SAM} Send DPIA draft by 18 Nov", now=at(17, 9))  # C-3
    desk.say("done C-3", as_=SAM, now=at(19, 9))  # late
    desk.say("commit me Book venue by Friday", now=at(17, 9, 30))  # C-4, due Fri 20
    desk.say("done C-4", now=at(18, 9))  # on time
    desk.say("commit me Write up notes", now=at(18, 11))  # C-5, no due date
    desk.say("done C-5", now=at(22, 23, 30))  # Sunday night: still in the week
    desk.say(f"commit {SAM} Collect figures by Thursday", now=at(18, 12))  # C-6, due Thu 19
    desk.say("commit me Chase police data by 25 Nov", now=at(19, 9))  # C-7
    desk.say("block C-7 waiting for the police extract", now=at(19, 9, 5))
    desk.say(f"commit {SAM} Draft comms plan by 30 Nov", now=at(20, 10))  # C-8
    desk.say("done C-8", as_=SAM, now=at(23, 0, 30))  # Monday: after the week
    desk.say("commit me Cancel me by Friday", now=at(20, 11))  # C-9
    desk.say("cancel C-9 not needed", now=at(20, 11, 5))
    desk.say("decision supersede D-1 Pool the data and analyst budget", now=at(20, 14))
    desk.say(f"risk Data breach impact high likelihood medium owner {SAM}", now=at(17))
    desk.say("risk Venue unavailable impact low likelihood low", now=at(17))
    desk.say(f"owns DPIA {SAM} accountable", now=at(17))
    desk.say("owns DPIA me responsible", now=at(17))
    with db.uow() as uow:
        s = uow.session
        s.execute(update(Decision).where(Decision.number == 1).values(source_link=SLACK_LINK))
        s.execute(update(Commitment).where(Commitment.number == 4).values(source_link=TEAMS_LINK))
        s.execute(
            update(Commitment)
            .where(Commitment.number == 6)
            .values(source_link="javascript:alert(1)")
        )
        # Escalation is the reminders job's; here it happened on Thursday.
        s.execute(update(Commitment).where(Commitment.number == 1).values(escalated_at=at(19, 9)))
        uow.commit()
    return desk


EXPECTED = {
    "decisions_made": 3,
    "commitments_made": 7,
    "completed": 3,
    "completed_on_time": 2,
    "completed_on_time_percent": 67,
    "open": 4,
    "overdue": 2,
    "escalated": 1,
    "blocked": 1,
}
EXPECTED_BY_DEPARTMENT = {
    "Health": {
        "decisions_made": 1,
        "commitments_made": 3,
        "completed": 1,
        "completed_on_time": 0,
        "completed_on_time_percent": 0,
        "open": 2,
        "overdue": 2,
        "escalated": 1,
        "blocked": 0,
    },
    "Housing": {
        "decisions_made": 2,
        "commitments_made": 4,
        "completed": 2,
        "completed_on_time": 2,
        "completed_on_time_percent": 100,
        "open": 2,
        "overdue": 0,
        "escalated": 0,
        "blocked": 1,
    },
}


def export(db: Database, team_id: int = 1) -> Export:
    return export_week(db, team_id=team_id, week=W47, now=REPORT_TIME)


def test_the_summary_command_counts_last_week_overall_and_per_department(week: Desk) -> None:
    reply = week.say("summary", now=REPORT_TIME)
    assert reply.ok, reply.headline
    assert reply.headline == (
        "Weekly summary for Rough Sleeping: 2026-W47 (Mon 16 Nov – Sun 22 Nov 2026)"
    )
    assert reply.summary == SummaryAttachment(team_id=1, week="2026-W47")
    assert {k: reply.data[k] for k in EXPECTED} == EXPECTED
    assert reply.data["departments"] == EXPECTED_BY_DEPARTMENT
    fields = {f.label: f.value for f in reply.fields}
    assert fields["Completed on time (%)"] == "67%" and fields["Overdue now"] == "2"
    # The measures lead (none in this log), then the week's activity by department.
    [measures, by_department] = reply.sections
    assert measures.title == "Measures" and not measures.items
    assert [i.title for i in by_department.items] == ["Health", "Housing"]
    assert by_department.items[0].highlight  # Health has overdue work
    assert reply.visibility == "channel"


def test_this_week_and_a_named_week_are_summarised_and_a_bad_week_is_refused(
    week: Desk,
) -> None:
    this_week = week.say("summary this week", now=REPORT_TIME).summary
    assert this_week is not None and this_week.week == "2026-W48"
    # C-1, and C-2 made at 23:59 on the Sunday that ends W46.
    assert week.say("summary 2026-W46", now=REPORT_TIME).data["commitments_made"] == 2
    bad = week.say("summary fortnight", now=REPORT_TIME)
    assert not bad.ok and '"fortnight" is not a week' in bad.headline
    assert bad.usage == "summary [this week|last week|YYYY-Www]"


def test_the_workbook_has_every_sheet_well_formed(week: Desk, db: Database) -> None:
    result = export(db)
    assert result.filename == "joinedup-rough-sleeping-2026-W47.xlsx"
    assert_well_formed(result.content)
    assert open_workbook(result.content).sheetnames == SHEETS


def test_the_summary_sheet_figures_match_the_log(week: Desk, db: Database) -> None:
    wb = open_workbook(export(db).content)
    headline = {r["Figure"]: r["Value"] for r in table_data(wb, "Summary", "tblHeadline")}
    assert headline["Team"] == "Rough Sleeping"
    assert headline["Week"].startswith("2026-W47")
    assert headline["Week starts"].date() == dt.date(2026, 11, 16)
    assert headline["Generated at (team time)"] == dt.datetime(2026, 11, 23, 9, 0)
    assert headline["Decisions made"] == 3
    assert headline["Commitments made"] == 7
    assert headline["Completed"] == 3
    assert headline["Completed on time"] == 2
    assert headline["Completed on time (%)"] == pytest.approx(2 / 3)
    assert (headline["Open"], headline["Overdue now"]) == (4, 2)
    assert (headline["Escalated"], headline["Blocked"]) == (1, 1)
    ws = wb["Summary"]
    percent_cell = next(c for c in ws["B"] if c.value == pytest.approx(2 / 3))
    assert percent_cell.number_format == "0%"

    departments = {r["Department"]: r for r in table_data(wb, "Summary", "tblDepartments")}
    assert set(departments) == {"Health", "Housing"}
    assert departments["Health"]["Overdue now"] == 2
    assert departments["Health"]["Completed on time (%)"] == 0
    assert departments["Housing"]["Completed"] == 2
    assert departments["Housing"]["Blocked"] == 1
    assert sum(d["Commitments made"] for d in departments.values()) == 7


def test_the_summary_sheet_has_a_completed_vs_overdue_chart_by_department(
    week: Desk, db: Database
) -> None:
    ws = open_workbook(export(db).content)["Summary"]
    [chart] = ws._charts
    assert chart.tagname == "barChart"
    refs = [s.val.numRef.f for s in chart.series]
    assert len(refs) == 2
    first, last = (int(ref[1:]) for ref in ws.tables["tblDepartments"].ref.split(":"))
    # Completed (column D) and Overdue now (column H) of the department table, by department,
    # each titled by its header cell.
    assert refs == [
        f"'Summary'!$D${first + 1}:$D${last}",
        f"'Summary'!$H${first + 1}:$H${last}",
    ]
    assert [s.tx.strRef.f for s in chart.series] == [
        f"'Summary'!D{first}",
        f"'Summary'!H{first}",
    ]
    assert chart.series[0].cat.strRef.f == f"'Summary'!$A${first + 1}:$A${last}"


def test_the_decisions_sheet_lists_the_weeks_decisions_with_dates_and_links(
    week: Desk, db: Database
) -> None:
    wb = open_workbook(export(db).content)
    rows = records(wb, "Decisions")
    assert [r["ID"] for r in rows] == ["D-1", "D-2", "D-3"]
    d1, d2, d3 = rows
    assert (d1["Decision"], d1["Rationale"], d1["Status"]) == (
        "Pool the data budget",
        "both need it",
        "superseded",
    )
    assert (d2["Decided by"], d2["Department"]) == ("Sam", "Health")
    assert d3["Supersedes"] == "D-1"
    ws = wb["Decisions"]
    assert ws["B2"].is_date and ws["B2"].value == dt.datetime(2026, 11, 16, 9, 0)
    assert ws["I2"].hyperlink is not None and ws["I2"].hyperlink.target == SLACK_LINK
    assert ws["I3"].value is None and ws["I3"].hyperlink is None
    assert ws["C2"].alignment.wrap_text


def test_the_commitments_sheet_has_open_ones_and_those_closed_in_the_week(
    week: Desk, db: Database
) -> None:
    wb = open_workbook(export(db).content)
    rows = {r["ID"]: r for r in records(wb, "Commitments")}
    # Open: C-1, C-2, C-6, C-7; closed in the week: C-3, C-4, C-5 (done), C-9 (cancelled).
    # C-8 was done on Monday after the week, so it is neither. Overdue first (C-1, C-6), then
    # by due date, then by number; C-5 has no due date.
    assert list(rows) == ["C-1", "C-6", "C-3", "C-4", "C-9", "C-7", "C-2", "C-5"]
    c3 = rows["C-3"]
    assert c3["Due"].date() == dt.date(2026, 11, 18)
    assert c3["Done on"].date() == dt.date(2026, 11, 19)
    assert (c3["Status"], c3["Days overdue"], c3["Department"]) == ("done", 0, "Health")
    assert c3["Days late"] == 1 and rows["C-4"]["Days late"] == 0
    assert rows["C-6"]["Days overdue"] == 4 and rows["C-1"]["Days overdue"] == 11
    assert rows["C-1"]["Escalated"].date() == dt.date(2026, 11, 19)
    assert rows["C-7"]["Status"] == "blocked" and rows["C-9"]["Status"] == "cancelled"
    assert rows["C-5"]["Due"] is None
    ws = wb["Commitments"]
    for cell in ws["E"][1:] + ws["F"][1:]:
        assert cell.value is None or cell.is_date, cell.coordinate
    links = {ws.cell(r, 1).value: ws.cell(r, 12) for r in range(2, ws.max_row + 1)}
    assert links["C-4"].hyperlink.target == TEAMS_LINK
    assert links["C-6"].hyperlink is None and links["C-6"].value is None  # javascript: refused
    [rule_range] = [str(r.sqref) for r in ws.conditional_formatting]
    assert rule_range == ws.tables["tblCommitments"].ref.replace("A1", "A2")
    [rule] = ws.conditional_formatting[rule_range]
    assert rule.formula == ["$I2>0"] and rule.dxf.fill.bgColor.rgb.endswith("FFC7CE")


def test_the_overdue_sheet_puts_the_most_overdue_first_with_who_is_accountable(
    week: Desk, db: Database
) -> None:
    wb = open_workbook(export(db).content)
    rows = records(wb, "Overdue")
    assert [(r["ID"], r["Days overdue"]) for r in rows] == [("C-1", 11), ("C-6", 4)]
    # C-1 is about the DPIA, whose accountable person is Sam; C-6 falls to the team lead.
    assert [r["Accountable"] for r in rows] == ["Sam", "Alex"]
    assert rows[0]["Due"].date() == dt.date(2026, 11, 12)
    ws = wb["Overdue"]
    assert any(r.formula == ["$F2>0"] for cf in ws.conditional_formatting for r in cf.rules)


def test_the_risks_sheet_is_the_register_with_a_rag_rating(week: Desk, db: Database) -> None:
    wb = open_workbook(export(db).content)
    rows = records(wb, "Risks")
    assert [(r["ID"], r["RAG"], r["Owner"], r["Department"]) for r in rows] == [
        ("R-1", "red", "Sam", "Health"),
        ("R-2", "green", None, None),
    ]
    assert rows[0]["Logged"].date() == dt.date(2026, 11, 17)
    rules = [r for cf in wb["Risks"].conditional_formatting for r in cf.rules]
    # Coloured only while open: a closed risk's rating is not shown as a live red one.
    assert {r.formula[0] for r in rules} == {
        f'AND($E2="{word}",$H2="open")' for word in ("red", "amber", "green")
    }


def test_the_ownership_sheet_lists_raci_people_and_departments(week: Desk, db: Database) -> None:
    rows = records(open_workbook(export(db).content), "Ownership")
    assert rows == [
        {
            "Area": "DPIA",
            "Responsible": "Alex",
            "Responsible departments": "Housing",
            "Accountable": "Sam",
            "Accountable department": "Health",
            "Consulted": None,
            "Consulted departments": None,
            "Informed": None,
            "Informed departments": None,
        }
    ]


def test_an_empty_team_still_gets_a_well_formed_workbook(db: Database) -> None:
    Desk(db, at(9), team="Quiet Team")
    result = export(db)
    assert_well_formed(result.content)
    wb = open_workbook(result.content)
    assert records(wb, "Decisions")[0]["ID"] == "No decisions this week."
    assert records(wb, "Overdue")[0]["ID"] == "Nothing is overdue."


def test_the_overdue_sheet_names_whoever_an_escalation_would_go_to(db) -> None:
    """One rule for "the accountable person of its area": escalation and the summary agree,
    including a hyphenated "data-sharing" matching the area "Data sharing"."""
    now = dt.datetime(2026, 11, 18, 10, 0, tzinfo=dt.UTC)
    desk = Desk(db, now)
    desk.say("owns Data sharing priya@police.example accountable")
    desk.say("commit me Finish the data-sharing agreement by 2026-11-10")
    desk.say("commit me Book the venue by 2026-11-10")
    with db.uow() as uow:
        team = uow.session.scalars(select(Team)).one()
        report = load_report(uow.session, team, IsoWeek.from_label("2026-W47"), now=now)
        named = {row.text: row.accountable for row in report.overdue()}
        areas = list(uow.session.scalars(select(Area)))
        assert matching_area(areas, "Finish the data-sharing agreement") is not None
    assert named == {"Finish the data-sharing agreement": "Priya", "Book the venue": "Alex"}
