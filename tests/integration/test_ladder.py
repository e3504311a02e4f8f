"""The escalation ladder across working days and public holidays, on a real database.

Every sweep gets its ``now``; the team's calendar is GB-ENG, so Christmas Day (Fri 25
Dec 2026), the Boxing Day substitute (Mon 28 Dec) and New Year's Day (Fri 1 Jan 2027)
are not working days and do not count.
"""

from __future__ import annotations

import datetime as dt

from commands import reminders
from commands.ladder import rungs_due
from commands.reply import Reply
from commands.weekly import IsoWeek
from integrations.spreadsheet import export_week
from storage.database import Database
from storage.models import AuditEvent, LadderStep, Team
from tests.reminder_support import RecordingNotifier, run_sweep, utc
from tests.spreadsheets import assert_well_formed, open_workbook, records, table_data
from tests.support import Desk

ALEX = "alex@council.example"  # lead, Housing
SAM = "sam@health.example"
KIM = "kim@police.example"  # the SRO
JO = "jo@police.example"  # accountable for DPIA


def ok(desk: Desk, text: str, **kw) -> Reply:  # type: ignore[no-untyped-def]
    reply = desk.say(text, **kw)
    assert reply.ok, reply.headline
    return reply


def team(db: Database) -> Desk:
    desk = Desk(db, utc("2026-11-18T10:00"), platform="slack", channel_id="C-LOG")
    ok(desk, "dept me Housing")
    ok(desk, f"dept {SAM} Health")
    ok(desk, "team set holidays GB-ENG")
    ok(desk, f"owns DPIA {JO} accountable")
    ok(desk, f"team sro {KIM}")
    ok(desk, "team ladder accountable, lead, sro, channel")
    return desk


def escalations(slack: RecordingNotifier) -> list[tuple[str, str, str | None]]:
    """(to, headline, ref) for every escalation sent, DMs and channel posts."""
    out = [
        (f"person:{p}", r.headline, r.ref)
        for p, r in slack.dms
        if r.data.get("kind") == reminders.ESCALATION
    ]
    out += [
        (f"channel:{c}", r.headline, r.ref)
        for c, r in slack.posts
        if r.data.get("kind") == reminders.ESCALATION
    ]
    return out


def days(start: str, end: str) -> list[dt.datetime]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [
        dt.datetime.combine(first + dt.timedelta(days=n), dt.time(9, 0), tzinfo=dt.UTC)
        for n in range((last - first).days + 1)
    ]


def test_rung_n_is_due_once_an_item_is_more_than_n_thresholds_old() -> None:
    assert [rungs_due(n, 3) for n in range(0, 11)] == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 3]
    assert [rungs_due(n, 1) for n in range(0, 4)] == [0, 0, 1, 2]


def test_an_overdue_commitment_climbs_each_step_once_skipping_weekends_and_holidays(db) -> None:
    desk = team(db)
    ok(desk, f"commit {SAM} Send the DPIA draft by 2026-12-21")  # a Monday
    slack = RecordingNotifier()
    sent: dict[str, list[tuple[str, str, str | None]]] = {}
    for now in days("2026-12-22", "2027-01-13"):
        before = len(escalations(slack))
        run_sweep(db, slack, now)
        run_sweep(db, slack, now.replace(hour=15))  # a second tick the same day adds nothing
        new = escalations(slack)[before:]
        if new:
            sent[now.date().isoformat()] = new

    jo, alex, kim = (desk.person_id(x) for x in (JO, ALEX, KIM))
    # Working days overdue: 22, 23, 24 Dec (3); 29 Dec is the 4th (25 and 28 are holidays);
    # 4 Jan the 7th (1 Jan is a holiday); 7 Jan the 10th; 12 Jan the 13th.
    assert sent == {
        "2026-12-29": [(f"person:{jo}", "Escalation: C-1 is 4 working days overdue", "C-1")],
        "2027-01-04": [
            (f"person:{alex}", "Escalation: C-1 is 7 working days overdue (step 2 of 4)", "C-1")
        ],
        "2027-01-07": [
            (f"person:{kim}", "Escalation: C-1 is 10 working days overdue (step 3 of 4)", "C-1")
        ],
        "2027-01-12": [
            ("channel:C-LOG", "Escalation: C-1 is 13 working days overdue (step 4 of 4)", "C-1")
        ],
    }
    steps = desk.rows(LadderStep, LadderStep.rung > 0, order_by=LadderStep.rung)
    assert [(s.round, s.rung, s.step, s.local_day.isoformat()) for s in steps] == [
        (0, 1, "accountable", "2026-12-29"),
        (0, 2, "lead", "2027-01-04"),
        (0, 3, "sro", "2027-01-07"),
        (0, 4, "channel", "2027-01-12"),
    ]
    assert desk.count(AuditEvent, AuditEvent.action == "ladder.step_taken") == 4
    # The digest says how high it is.
    digest = [r for _, r in slack.posts if r.data.get("kind") == reminders.DIGEST][-1]
    c1 = next(i for s in digest.sections for i in s.items if i.ref == "C-1")
    assert ("Escalated", "Tue 12 Jan 2027, to the team's channels (step 4 of 4)") in [
        (f.label, f.value) for f in c1.fields
    ]


def test_re_dating_starts_the_commitment_again_at_the_bottom(db) -> None:
    desk = team(db)
    ok(desk, f"commit {SAM} Send the DPIA draft by 2026-12-21")
    slack = RecordingNotifier()
    for now in days("2026-12-22", "2027-01-04"):
        run_sweep(db, slack, now)
    assert len(escalations(slack)) == 2  # Jo, then Alex
    ok(desk, "due C-1 2027-01-05", now=utc("2027-01-04T12:00"))
    slack.clear()
    for now in days("2027-01-05", "2027-01-11"):
        run_sweep(db, slack, now)
    # Due Tue 5 Jan: 6, 7, 8 Jan are 3 working days; Mon 11 Jan the 4th: Jo again.
    assert escalations(slack) == [
        (f"person:{desk.person_id(JO)}", "Escalation: C-1 is 4 working days overdue", "C-1")
    ]
    steps = desk.rows(LadderStep, order_by=LadderStep.id)
    assert [(s.round, s.rung, s.step) for s in steps] == [
        (0, 1, "accountable"),
        (0, 2, "lead"),
        (1, 0, "reset"),
        (1, 1, "accountable"),
    ]


def test_reassigning_restarts_the_clock_from_the_day_it_changed_hands(db) -> None:
    desk = team(db)
    ok(desk, f"commit {SAM} Send the DPIA draft by 2026-11-19")
    slack = RecordingNotifier()
    ok(desk, f"reassign C-1 {KIM}", now=utc("2026-11-24T12:00"))  # Tuesday
    run_sweep(db, slack, utc("2026-11-25T09:00"))  # 4 working days after the due date...
    assert escalations(slack) == []  # ...but 1 since it changed hands
    run_sweep(db, slack, utc("2026-11-30T09:00"))  # 25, 26, 27, 30: the 4th
    assert [e[2] for e in escalations(slack)] == ["C-1"]


def test_a_red_risk_a_blocked_commitment_and_a_late_proposal_each_have_their_threshold(
    db,
) -> None:
    desk = Desk(db, utc("2026-11-18T10:00"), platform="slack", channel_id="C-LOG")
    ok(desk, "dept me Housing")
    ok(desk, "team set escalation red risk 2")
    ok(desk, "team set escalation blocked 1")
    ok(desk, "team set escalation proposal 1")
    ok(desk, "risk The night shelter may close impact high likelihood high")  # R-1, red
    ok(desk, "risk Minor delay impact low likelihood low")  # R-2, green: never climbs
    ok(desk, f"commit {SAM} Book the venue by 2026-12-18")
    ok(desk, "block C-1 waiting for the finance board")
    ok(desk, "propose Open the hub on Sundays decide by 2026-11-19")
    slack = RecordingNotifier()

    run_sweep(db, slack, utc("2026-11-19T09:00"))  # 1 working day for each: nothing yet
    assert escalations(slack) == []
    run_sweep(db, slack, utc("2026-11-20T09:00"))  # blocked 2 days (> 1): the lead
    assert [e[2] for e in escalations(slack)] == ["C-1"]
    run_sweep(db, slack, utc("2026-11-23T09:00"))  # risk 3 (> 2), proposal 2 (> 1)
    alex = f"person:{desk.person_id(ALEX)}"
    assert escalations(slack) == [
        (alex, "Escalation: C-1 has been blocked for 2 working days", "C-1"),
        (alex, "Escalation: red risk R-1 has been open for 3 working days", "R-1"),
        (alex, "Escalation: P-1 is 2 working days past its deadline", "P-1"),
    ]
    run_sweep(db, slack, utc("2026-11-24T09:00"))  # one step on this ladder: nothing more
    assert len(escalations(slack)) == 3
    digest = [r for _, r in slack.posts if r.data.get("kind") == reminders.DIGEST][-1]
    escalated = next(s for s in digest.sections if s.title == "Escalated")
    assert [i.ref for i in escalated.items] == ["R-1", "P-1"]


def test_unblocking_starts_the_blocked_commitment_again(db) -> None:
    desk = Desk(db, utc("2026-11-18T10:00"), platform="slack", channel_id="C-LOG")
    ok(desk, "team set escalation blocked 1")
    ok(desk, f"commit {SAM} Book the venue by 2026-12-18")
    ok(desk, "block C-1 waiting for the finance board")
    slack = RecordingNotifier()
    run_sweep(db, slack, utc("2026-11-20T09:00"))
    assert len(escalations(slack)) == 1
    ok(desk, "reopen C-1", now=utc("2026-11-20T12:00"))
    ok(desk, "block C-1 waiting again", now=utc("2026-11-23T12:00"))
    run_sweep(db, slack, utc("2026-11-24T09:00"))  # blocked again 1 working day
    assert len(escalations(slack)) == 1
    run_sweep(db, slack, utc("2026-11-25T09:00"))  # 2 working days: the bottom rung again
    assert len(escalations(slack)) == 2


def test_deciders_who_have_not_answered_are_reminded_in_their_daily_nudge(db) -> None:
    desk = Desk(db, utc("2026-11-18T10:00"), platform="slack", channel_id="C-LOG")
    ok(desk, "dept me Housing")
    ok(desk, f"dept {SAM} Health")
    ok(desk, f"dept {KIM} Police")
    ok(desk, f"team decider Health {SAM}")
    ok(desk, f"team decider Police {KIM}")
    ok(desk, f"commit {SAM} Send the DPIA draft by 2026-11-19")
    ok(desk, "propose Open the hub on Sundays decide by 2026-11-27")
    ok(desk, "agree P-1")  # Alex answers for Housing
    slack = RecordingNotifier()

    run_sweep(db, slack, utc("2026-11-20T09:00"))
    sam, kim, alex = (desk.person_id(x) for x in (SAM, KIM, ALEX))
    (to_sam,) = slack.dms_to(sam)
    assert [s.title for s in to_sam.sections] == ["Overdue", "Waiting for your answer"]
    (to_kim,) = slack.dms_to(kim)
    assert to_kim.headline == "Good morning Kim: 1 proposal waiting for your answer"
    (item,) = to_kim.sections[0].items
    assert item.ref == "P-1" and [b.command for b in item.buttons] == [
        "agree P-1",
        "object P-1",
        "abstain P-1",
    ]
    assert slack.dms_to(alex) == []  # Alex has answered

    ok(desk, "abstain P-1", as_=KIM, now=utc("2026-11-20T10:00"))
    slack.clear()
    run_sweep(db, slack, utc("2026-11-23T09:00"))
    assert slack.dms_to(kim) == []
    assert [s.title for s in slack.dms_to(sam)[0].sections] == [
        "Overdue",
        "Waiting for your answer",
    ]


def test_the_weekly_workbook_shows_how_decisions_were_made_open_proposals_and_escalations(
    db,
) -> None:
    desk = team(db)
    ok(desk, f"dept {KIM} Police")
    ok(desk, f"team decider Police {KIM}")
    ok(desk, f"team decider Health {SAM}")
    ok(desk, f"commit {SAM} Send the DPIA draft by 2026-11-10")
    ok(desk, "decision Meet on Tuesdays")  # D-1: recorded
    ok(desk, "propose Share the list weekly from Health, Police")  # P-1 -> D-2
    ok(desk, "agree P-1", as_=SAM)
    ok(desk, "agree P-1", as_=KIM)
    ok(desk, "propose Open on Sundays decide by 2026-11-20")  # P-2 stays open
    ok(desk, "object P-2 no staff on Sundays", as_=KIM)
    slack = RecordingNotifier()
    run_sweep(db, slack, utc("2026-11-18T11:00"))  # C-1 6 working days overdue: Jo

    (row,) = desk.rows(Team)
    export = export_week(
        db, team_id=row.id, week=IsoWeek.from_label("2026-W47"), now=utc("2026-11-18T12:00")
    )
    assert_well_formed(export.content)
    wb = open_workbook(export.content)
    how = {r["ID"]: r["How made"] for r in records(wb, "Decisions")}
    assert how == {"D-1": "recorded", "D-2": "agreed by Sam (Health), Kim (Police)"}
    (proposal,) = table_data(wb, "Summary", "tblOpenProposals")
    assert (proposal["Proposal"], proposal["Objected"]) == ("P-2", "Kim (Police)")
    assert proposal["Waiting for"] == "Sam (Health), Alex (Housing)"
    (escalated,) = table_data(wb, "Summary", "tblEscalated")
    assert (escalated["Escalated"], escalated["Why"], escalated["Step"], escalated["To"]) == (
        "C-1",
        "overdue commitment",
        1,
        "Jo",
    )


def test_the_summary_reply_lists_open_proposals_and_escalated_items(db) -> None:
    desk = team(db)
    ok(desk, f"commit {SAM} Send the DPIA draft by 2026-11-10")
    ok(desk, "propose Open on Sundays from Housing")
    run_sweep(db, RecordingNotifier(), utc("2026-11-18T11:00"))
    reply = ok(desk, "summary this week", now=utc("2026-11-18T12:00"))
    assert reply.data["open_proposals"] == ["P-1"] and reply.data["escalated_items"] == {"C-1": 1}
    titles = [s.title for s in reply.sections]
    assert titles[-2:] == ["Open proposals", "Escalated"]
    assert ("Step", "1, to Jo") in [(f.label, f.value) for f in reply.sections[-1].items[0].fields]


def test_re_rating_a_red_risk_starts_it_again_at_the_bottom(db) -> None:
    desk = Desk(db, utc("2026-11-18T10:00"), platform="slack", channel_id="C-LOG")
    ok(desk, "team set escalation red risk 1")
    ok(desk, "risk The night shelter may close impact high likelihood high")
    slack = RecordingNotifier()
    run_sweep(db, slack, utc("2026-11-20T09:00"))  # 2 working days (> 1): the lead
    assert [e[2] for e in escalations(slack)] == ["R-1"]
    rated = ok(desk, "risk rate R-1 likelihood medium", now=utc("2026-11-20T12:00"))
    assert rated.data["rating"] == "red" and rated.visibility == "channel"
    run_sweep(db, slack, utc("2026-11-23T09:00"))  # 1 working day since the re-rating
    assert len(escalations(slack)) == 1
    run_sweep(db, slack, utc("2026-11-24T09:00"))  # 2: the bottom step again
    assert len(escalations(slack)) == 2
    ok(desk, "risk rate R-1 impact low", now=utc("2026-11-24T12:00"))  # amber: no more
    run_sweep(db, slack, utc("2026-11-30T09:00"))
    assert len(escalations(slack)) == 2
    same = desk.say("risk rate R-1 impact low")
    assert not same.ok and same.headline == "R-1 is already rated that way."
