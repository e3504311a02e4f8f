"""The shared outcome and its measures on a real database (SQLite, and PostgreSQL when
configured): commands, bad input, permissions, links, the summary, the workbook, and the
values the daily nudge asks for."""

from __future__ import annotations

import datetime as dt

import pytest

from commands.dispatch import run
from commands.invocation import Invocation
from commands.measures import value_from_form
from commands.weekly import IsoWeek
from integrations.spreadsheet import export_week
from storage.database import Database
from storage.models import (
    AuditEvent,
    Commitment,
    Measure,
    MeasureLink,
    MeasureValue,
    OutcomeStatement,
)
from tests.reminder_support import RecordingNotifier, refs, run_sweep, utc
from tests.spreadsheets import assert_well_formed, open_workbook, table_data
from tests.support import Desk

LEAD = "alex@council.example"
SAM = "sam.jones@health.example"
KIM = "kim@police.example"
ROUGH = "measure add People sleeping rough target 20 baseline 64 unit people by 2027-11-18"


def ok(desk: Desk, text: str, **kw):  # type: ignore[no-untyped-def]
    reply = desk.say(text, **kw)
    assert reply.ok, reply.headline
    return reply


@pytest.fixture
def desk(db: Database, now: dt.datetime) -> Desk:
    d = Desk(db, now)
    ok(d, "dept me Housing")
    ok(d, f"dept {SAM} Health")
    return d


def written(desk: Desk) -> tuple[int, int, int, int, int]:
    return (
        desk.count(Measure),
        desk.count(MeasureValue),
        desk.count(MeasureLink),
        desk.count(AuditEvent),
        desk.count(Commitment),
    )


# --- adding and recording ------------------------------------------------------------------


def test_a_measure_takes_its_owners_department_and_the_next_m_number(desk: Desk) -> None:
    reply = ok(desk, f"{ROUGH} owner {SAM} lower is better every week")
    assert reply.ref == "M-1" and reply.visibility == "channel"
    [m] = desk.rows(Measure)
    assert (m.number, m.owner.email, m.department.name if m.department else None) == (
        1,
        SAM,
        "Health",
    )
    assert (m.frequency, m.lower_is_better, m.baseline, m.target) == ("week", True, 64.0, 20.0)
    assert m.target_date == dt.date(2027, 11, 18) and m.start_date == dt.date(2026, 11, 18)
    assert m.created_by_id == desk.person_id(LEAD)
    [event] = desk.rows(AuditEvent, AuditEvent.action == "measure.added")
    assert event.entity_id == m.id and event.after["frequency"] == "week"
    # Defaults: monthly, higher is better, owned by whoever added it.
    second = ok(desk, "measure add Move-ons target 30", as_=SAM)
    assert second.ref == "M-2"
    assert second.data["every"] == "month" and second.data["lower_is_better"] is False
    assert second.data["owner"] == "Sam Jones" and second.data["department"] == "Health"


def test_a_value_is_recorded_for_the_current_period_in_the_teams_timezone(desk: Desk) -> None:
    ok(desk, ROUGH)
    late_evening = utc("2026-11-30T23:30")  # still November in London
    assert ok(desk, "measure M-1 58", now=late_evening).data["latest_period"] == "2026-11"
    ok(desk, "team set timezone Europe/Berlin")  # already 1 December there
    assert ok(desk, "measure M-1 57", now=late_evening).data["latest_period"] == "2026-12"
    assert [(v.period, v.value) for v in desk.rows(MeasureValue, order_by=MeasureValue.id)] == [
        ("2026-11", 58.0),
        ("2026-12", 57.0),
    ]


def test_a_second_value_for_a_period_replaces_the_first_with_an_audit_event(desk: Desk) -> None:
    ok(desk, ROUGH)
    ok(desk, "measure M-1 61 for 2026-10 first count")
    reply = ok(desk, "measure M-1 59 for 2026-10 recounted", as_=SAM)
    assert "replaced (was 61 people)" in reply.headline
    [value] = desk.rows(MeasureValue)
    assert (value.period, value.value, value.note) == ("2026-10", 59.0, "recounted")
    assert value.period_start == dt.date(2026, 10, 1) and value.period_end == dt.date(2026, 10, 31)
    [event] = desk.rows(AuditEvent, AuditEvent.action == "measure.value_replaced")
    assert event.before == {"period": "2026-10", "value": 61.0, "note": "first count"}
    assert event.after == {"period": "2026-10", "value": 59.0, "note": "recounted"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("measure M-1 fifty-eight", '"fifty-eight" is not a number'),
        ("measure M-7 58", "There is no M-7 in Rough Sleeping"),
        ("measure M-1 58 for Nov-2026", '"Nov-2026" is not a period'),
        ("measure M-1 58 for 2026-W47", "is a week, but this measure is monthly"),
        ("measure M-1 58 for 2026-13", "has no month 13"),
        ("measure M-1 58 for 2026-12", "2026-12 hasn't started yet"),
        ("measure add Beds target 40 baseline 40", "target equals the baseline"),
        ("measure edit M-1 target 64", "target would equal the baseline"),
        ("measure edit M-1 baseline 20", "target would equal the baseline"),
        ("measure edit M-1 by yesterday", "should be after today"),
        ("measure edit M-9 target 3", "There is no M-9"),
        ("link C-4 M-1", "There is no C-4"),
        ("link C-1 M-9", "There is no M-9"),
        ("commit me Open the shelter by Friday for M-9", "There is no M-9"),
        ("measure add Beds target 40 by 2026-11-01", "should be after today"),
    ],
)
def test_bad_measure_input_gets_a_specific_message_and_writes_nothing(
    desk: Desk, text: str, words: str
) -> None:
    ok(desk, ROUGH)
    ok(desk, "commit me Open the winter shelter by Friday")
    before = written(desk)
    reply = desk.say(text)
    assert not reply.ok and words in reply.headline, reply.headline
    assert written(desk) == before
    # Nothing was used up: the next commitment is still C-2, the next measure M-2.
    assert ok(desk, "commit me Book the venue").ref == "C-2"
    assert ok(desk, "measure add Beds target 40").ref == "M-2"


# --- status, history, links ------------------------------------------------------------------


def test_measures_lists_latest_target_trend_and_status(desk: Desk) -> None:
    ok(desk, "outcome Fewer people sleeping rough in the city")
    ok(desk, ROUGH + " lower is better")
    ok(desk, "measure add Discharges into housing within 7 days target 80 baseline 20 unit %")
    ok(desk, "measure M-1 60 for 2026-10")
    ok(desk, "measure M-1 63 for 2026-11")  # worse than October
    ok(desk, "measure M-2 18 for 2026-11")  # below its baseline: red
    reply = ok(desk, "measures")
    assert reply.body == "Fewer people sleeping rough in the city"
    assert reply.data["ids"] == ["M-1", "M-2"]
    rough, discharges = reply.data["measures"]
    assert (rough["latest"], rough["latest_period"], rough["trend"]) == (63.0, "2026-11", "worse")
    # The line from 64 (18 Nov 2026) to 20 (18 Nov 2027) expects 64 - 44 * 12/365 = 62.55 on
    # 30 Nov; 63 is 0.45 behind, within the amber band of 4.4.
    assert rough["status"] == "amber"
    assert rough["values"][0] == {
        "period": "2026-10",
        "period_end": "2026-10-31",
        "value": 60.0,
        "target_line": 64.0,  # October ended before the line started: the baseline
    }
    assert discharges["status"] == "red" and discharges["trend"] is None
    first = reply.sections[0].items[0]
    assert ("Trend", "worse (from 60 people)") in [(f.label, f.value) for f in first.fields]
    assert reply.sections[0].items[1].highlight  # red
    assert "1 red, 1 amber" in reply.fields[0].value


def test_show_m_n_gives_its_history_newest_first_and_what_serves_it(desk: Desk) -> None:
    ok(desk, ROUGH + " lower is better")
    ok(desk, "measure M-1 60 for 2026-10 street count")
    ok(desk, "measure M-1 58")
    served = ok(desk, "commit me Open the winter shelter by Friday for M-1")
    assert served.ref == "C-1" and ("Serves", "M-1 People sleeping rough") in [
        (f.label, f.value) for f in served.fields
    ]
    ok(desk, "decision Pool the outreach budget for M-1")
    ok(desk, "risk Shelter staff shortage impact high for M-1")
    ok(desk, "commit me Book the venue")
    ok(desk, "link C-2 M-1")
    again = desk.say("link C-2 M-1")
    assert not again.ok and "already serves M-1" in again.headline

    shown = ok(desk, "show M-1")
    assert shown.visibility == "private"
    values, serving = shown.sections
    assert [(i.ref, i.title) for i in values.items] == [
        ("2026-11", "58 people"),
        ("2026-10", "60 people"),
    ]
    assert ("Note", "street count") in [(f.label, f.value) for f in values.items[1].fields]
    assert [i.ref for i in serving.items] == ["C-1", "C-2", "D-1", "R-1"]
    assert {(link.kind, link.created_by_id) for link in desk.rows(MeasureLink)} == {
        ("C", desk.person_id(LEAD)),
        ("D", desk.person_id(LEAD)),
        ("R", desk.person_id(LEAD)),
    }


def test_a_baseline_left_out_is_the_first_value(desk: Desk) -> None:
    ok(desk, "measure add Move-ons target 30 by 2027-06-30")
    first = ok(desk, "measure M-1 10 for 2026-10")
    assert first.data["baseline"] == 10.0 and first.data["status"] == "green"
    assert ("Baseline", "10 (its first value)") in [(f.label, f.value) for f in first.fields]


# --- who may change a measure ----------------------------------------------------------------


def test_only_the_owner_whoever_added_it_or_a_lead_may_edit_or_retire_a_measure(
    desk: Desk,
) -> None:
    ok(desk, f"measure add Move-ons target 30 baseline 10 owner {SAM}", as_=SAM)  # M-1
    refused = desk.say("measure edit M-1 target 40", as_=KIM)
    assert not refused.ok and "Only Sam Jones (the owner), whoever added it, or a team lead" in (
        refused.headline
    )
    assert not desk.say("measure retire M-1", as_=KIM).ok
    assert desk.rows(Measure)[0].target == 30.0

    ok(desk, "measure edit M-1 target 40", as_=SAM)  # the owner
    ok(desk, f"measure edit M-1 owner {KIM}")  # a lead
    ok(desk, "measure edit M-1 baseline 12", as_=SAM)  # whoever added it, no longer the owner
    m = desk.rows(Measure)[0]
    assert (m.target, m.baseline, m.owner.email) == (40.0, 12.0, KIM)
    events = desk.rows(AuditEvent, AuditEvent.action == "measure.edited", order_by=AuditEvent.id)
    assert [(e.before["target"], e.after["target"]) for e in events][0] == (30.0, 40.0)

    ok(desk, "measure retire M-1", as_=KIM)
    assert desk.rows(Measure)[0].status == "retired"
    retired = desk.say("measure M-1 20")
    assert not retired.ok and "M-1 is retired" in retired.headline
    assert desk.count(MeasureValue) == 0
    assert ok(desk, "measures").data["ids"] == []


def test_the_reporting_period_changes_only_before_any_value(desk: Desk) -> None:
    ok(desk, "measure add Move-ons target 30 baseline 10")
    ok(desk, "measure edit M-1 every week")
    ok(desk, "measure M-1 12 for 2026-W46")
    refused = desk.say("measure edit M-1 every month")
    assert not refused.ok and "already has weekly values" in refused.headline
    assert desk.rows(Measure)[0].frequency == "week"


# --- the outcome -------------------------------------------------------------------------------


def test_the_outcome_is_reworded_with_its_history_kept_and_only_by_a_lead(desk: Desk) -> None:
    ok(desk, "outcome Fewer people sleeping rough")
    refused = desk.say("outcome Something else", as_=SAM)
    assert not refused.ok and "Only a team lead" in refused.headline
    reworded = ok(desk, "outcome Nobody sleeping rough for a second night")
    assert reworded.data["previous"] == "Fewer people sleeping rough"
    ok(desk, ROUGH)
    shown = ok(desk, "outcome", as_=SAM)
    assert shown.body == "Nobody sleeping rough for a second night"
    assert [i.ref for i in shown.sections[0].items] == ["M-1"]
    assert [o.text for o in desk.rows(OutcomeStatement, order_by=OutcomeStatement.id)] == [
        "Fewer people sleeping rough",
        "Nobody sleeping rough for a second night",
    ]


# --- summary and workbook ----------------------------------------------------------------------


def test_the_summary_leads_with_the_outcome_and_the_measures_status(desk: Desk) -> None:
    ok(desk, "outcome Fewer people sleeping rough")
    ok(desk, ROUGH + " lower is better")
    ok(desk, "measure M-1 70 for 2026-11")
    reply = ok(desk, "summary")
    assert reply.body is not None and reply.body.startswith("1 measure: 1 red")
    first = reply.sections[0]
    assert first.title == "Outcome: Fewer people sleeping rough"
    assert [i.ref for i in first.items] == ["M-1"] and first.items[0].highlight
    assert reply.sections[1].title == "By department"
    assert reply.data["measures"][0]["status"] == "red"


def test_the_workbook_has_a_measures_sheet_and_a_chart_per_measure(
    desk: Desk, db: Database
) -> None:
    ok(desk, "outcome Fewer people sleeping rough")
    ok(desk, ROUGH + " lower is better")
    ok(desk, f"measure add Discharges target 80 baseline 20 unit % every quarter owner {SAM}")
    ok(desk, "measure add Move-ons target 30")  # no values yet: no chart
    ok(desk, "measure M-1 62 for 2026-10")
    ok(desk, "measure M-1 60 for 2026-11")
    ok(desk, "measure M-2 25 for 2026-Q4")
    content = export_week(
        db, team_id=1, week=IsoWeek(2026, 46), now=utc("2026-11-18T12:00")
    ).content
    assert_well_formed(content)
    wb = open_workbook(content)

    summary = table_data(wb, "Summary", "tblOutcome")
    ws = wb["Summary"]
    first = int(ws.tables["tblOutcome"].ref.split(":")[0][1:])
    assert str(ws["A1"].value).endswith("weekly joint delivery summary")  # the title first
    assert ws[f"B{first}"].value == "Outcome and measures"
    assert ws[f"A{first + 1}"].value == "Outcome"
    assert [(r["ID"], r["Outcome and measures"], r["Status"]) for r in summary] == [
        ("Outcome", "Fewer people sleeping rough", None),
        ("M-1", "People sleeping rough", "green"),
        ("M-2", "Discharges", "amber"),  # no target date: better than baseline, not there
        ("M-3", "Move-ons", "no value"),
    ]
    # The activity figures come after the outcome.
    headline_row = int(wb["Summary"].tables["tblHeadline"].ref.split(":")[0][1:])
    assert headline_row > first + len(summary)

    measures = {r["ID"]: r for r in table_data(wb, "Measures", "tblMeasures")}
    rough = measures["M-1"]
    assert (rough["Baseline"], rough["Target"], rough["Latest"], rough["Latest period"]) == (
        64,
        20,
        60,
        "2026-11",
    )
    assert rough["Target date"].date() == dt.date(2027, 11, 18)
    assert (rough["Owner"], rough["Department"], rough["Every"]) == ("Alex", "Housing", "month")
    assert (rough["Direction"], rough["Trend"], rough["Status"]) == (
        "lower is better",
        "better",
        "green",
    )
    assert measures["M-2"]["Department"] == "Health"
    values = table_data(wb, "Measures", "tblMeasureValues")
    assert [(r["ID"], r["Period"], r["Value"]) for r in values] == [
        ("M-1", "2026-10", 62),
        ("M-1", "2026-11", 60),
        ("M-2", "2026-Q4", 25),
    ]
    # Before the line starts (October ended before the measure was added) it is the baseline.
    assert values[0]["Target line"] == 64
    assert values[1]["Target line"] == pytest.approx(64 - 44 * 12 / 365)

    charts = wb["Measures"]._charts
    assert [c.tagname for c in charts] == ["lineChart", "lineChart"]
    first_value_row = int(wb["Measures"].tables["tblMeasureValues"].ref.split(":")[0][1:]) + 1
    rows = f"${first_value_row}:$E${first_value_row + 1}"
    assert [s.val.numRef.f for s in charts[0].series] == [
        f"'Measures'!$E{rows}",
        f"'Measures'!$F{rows.replace('$E', '$F')}",
    ]
    assert [s.tx.v for s in charts[0].series] == ["Value", "Target line"]


# --- asking for values ---------------------------------------------------------------------------


@pytest.fixture
def slack_desk(db: Database) -> Desk:
    d = Desk(db, utc("2026-11-18T10:00"), platform="slack", channel_id="C-LOG")
    ok(d, "dept me Housing")
    ok(d, f"dept {SAM} Health")
    ok(d, f"measure add People sleeping rough target 20 baseline 64 owner {SAM}")
    return d


def _value_items(reply):  # type: ignore[no-untyped-def]
    return [i for s in reply.sections if s.title.endswith("Values to give") for i in s.items]


def test_the_owner_is_asked_for_a_value_each_working_day_until_it_is_given(
    slack_desk: Desk, db: Database
) -> None:
    slack = RecordingNotifier()
    sam = slack_desk.person_id(SAM)
    # Monday 30 Nov: November has not ended, October ended before the measure was added.
    run_sweep(db, slack, utc("2026-11-30T09:00"))
    assert slack.dms == []

    run_sweep(db, slack, utc("2026-12-01T09:00"))  # Tuesday: November's value is due
    (nudge,) = slack.dms_to(sam)
    [item] = _value_items(nudge)
    assert item.ref == "M-1" and "2026-11" in item.title
    assert item.input is not None
    assert (item.input.measure, item.input.period, item.input.team_id) == (1, "2026-11", 1)
    assert "1 measure value to give" in nudge.headline
    assert ("Or say", "measure M-1 <value> for 2026-11") in [
        (f.label, f.value) for f in item.fields
    ]
    run_sweep(db, slack, utc("2026-12-01T15:00"))  # the same day: once
    assert len(slack.dms_to(sam)) == 1
    assert slack.posts == []  # not late yet: no digest

    run_sweep(db, slack, utc("2026-12-02T09:00"))  # asked again the next working day
    assert len(slack.dms_to(sam)) == 2 and slack.posts == []

    run_sweep(db, slack, utc("2026-12-03T09:00"))  # two working days late: the digest says so
    assert len(slack.dms_to(sam)) == 3
    [(channel, digest)] = slack.posts
    assert channel == "C-LOG" and refs(digest) == ["M-1"]
    assert digest.sections[-1].title == "Measure values late"
    assert ("Late", "2 working days") in [
        (f.label, f.value) for f in digest.sections[-1].items[0].fields
    ]

    # Sam submits the input: the same typed command as `measure M-1 57 for 2026-11`.
    command = value_from_form(measure=item.input.measure, period=item.input.period, value="57")
    invocation = Invocation(
        text="", person_id=sam, platform="slack", now=utc("2026-12-03T09:05"), team_id=1
    )
    reply = run(command, invocation, db.uow)
    assert reply.ok and reply.data["latest_period"] == "2026-11"

    slack.clear()
    run_sweep(db, slack, utc("2026-12-04T09:00"))
    assert slack.dms == [] and slack.posts == []


def test_a_value_request_rides_in_the_owners_one_nudge_with_their_commitments(
    slack_desk: Desk, db: Database
) -> None:
    ok(slack_desk, f"commit {SAM} Send the DPIA draft by 2026-11-27")
    slack = RecordingNotifier()
    sam = slack_desk.person_id(SAM)
    run_sweep(db, slack, utc("2026-12-01T09:00"))
    (nudge,) = slack.dms_to(sam)
    assert refs(nudge) == ["C-1", "M-1"]
    assert [s.title for s in nudge.sections] == ["Overdue", "Values to give"]
    assert "1 overdue and 1 measure value to give" in nudge.headline
    assert (nudge.data["commitments"], nudge.data["measures"]) == (["C-1"], ["M-1 2026-11"])


def test_a_non_number_submitted_from_the_input_is_refused_and_nothing_is_written(
    slack_desk: Desk,
) -> None:
    from commands.language import CommandError

    with pytest.raises(CommandError) as refused:
        value_from_form(measure=1, period="2026-11", value="about 60")
    assert '"about 60" is not a number' in refused.value.message
    assert slack_desk.count(MeasureValue) == 0


def test_values_given_at_once_for_the_same_period_leave_one_value_and_no_error(
    desk: Desk,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ok(desk, ROUGH)
    desk.person_id(SAM)  # both people exist before the race

    def give(i: int):  # type: ignore[no-untyped-def]
        return desk.say(f"measure M-1 {50 + i} for 2026-10", as_=(LEAD, SAM)[i % 2])

    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(give, range(12)))

    assert [r.headline for r in replies if not r.ok] == []
    [value] = desk.rows(MeasureValue)
    assert value.period == "2026-10" and 50 <= value.value <= 61
    recorded = desk.count(AuditEvent, AuditEvent.action == "measure.value_recorded")
    replaced = desk.count(AuditEvent, AuditEvent.action == "measure.value_replaced")
    assert (recorded, replaced) == (1, 11)


def test_a_team_made_before_the_migration_numbers_its_measures_from_m_1(tmp_path) -> None:
    from sqlalchemy import text

    from storage.engine import make_engine
    from storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine, "0004")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO teams (id, name, key, timezone, reminder_time, escalation_days, "
                "summary_weekday, summary_time, suggestions_enabled, decision_reaction, "
                "commitment_reaction, created_at) VALUES (1, 'Old Team', 'old team', "
                "'Europe/London', '09:00', 3, 5, '16:00', 1, 'pushpin', "
                "'ballot_box_with_check', '2026-01-01 00:00:00')"
            )
        )
        for kind in ("D", "C", "R"):
            conn.execute(
                text("INSERT INTO counters (team_id, kind, last_number) VALUES (1, :k, 4)"),
                {"k": kind},
            )
        conn.execute(
            text(
                "INSERT INTO channel_links (team_id, platform, tenant, channel_id, created_at) "
                "VALUES (1, 'console', 'T1', 'C-OLD', '2026-01-01 00:00:00')"
            )
        )
    upgrade(engine)
    engine.dispose()

    db = Database(url)
    try:
        old = Desk(db, utc("2026-11-18T10:00"), team=None, channel_id="C-OLD")
        assert ok(old, "measure add Move-ons target 30").ref == "M-1"
        assert ok(old, "decision Keep going").ref == "D-5"
    finally:
        db.dispose()
