"""Daily nudges, digests and escalations on a real database, with a controllable clock.

Every sweep gets ``now`` as a parameter; nothing here sleeps on the wall clock.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from commands import reminders
from commands.ports import DeliveryError
from storage import outbox
from storage.database import Database
from storage.models import AuditEvent, Commitment
from storage.models import OutboxMessage as Row
from tests.reminder_support import RecordingNotifier, refs, run_sweep, utc
from tests.support import Desk

LEAD = "alex@council.example"
SAM = "sam@health.example"
KIM = "kim@police.example"
MONDAY = utc("2026-11-23T09:00")  # 09:00 in London (GMT)


def day_of(row: Row) -> str:
    """The local day in a row's dedupe key (``owner_nudge:person:3:2026-11-23``)."""
    return (row.dedupe_key or "").rsplit(":", 1)[1]


def about(subject: str):  # type: ignore[no-untyped-def]
    """Rows about ``subject`` (``person:3``), whatever their kind and day."""
    return Row.dedupe_key.like(f"%:{subject}:%")


def ok(desk: Desk, text: str, **kw) -> None:
    reply = desk.say(text, **kw)
    assert reply.ok, reply.headline


def joint_team(db: Database, **kw) -> Desk:
    """A Slack-linked team: Sam has one overdue and one due-today commitment, Alex one
    overdue, Kim one due this week and one blocked, and one is done."""
    desk = Desk(db, utc("2026-11-18T10:00"), platform="slack", channel_id="C-LOG", **kw)
    ok(desk, "dept me Housing")
    ok(desk, f"dept {SAM} Health")
    ok(desk, f"commit {SAM} Send the DPIA draft by 2026-11-19")  # C-1: overdue Friday on
    ok(desk, f"commit {SAM} Book the venue by 2026-11-23")  # C-2: due Monday
    ok(desk, "commit me Chase the data extract by 2026-11-20")  # C-3: overdue Monday
    ok(desk, f"commit {KIM} Draft the comms plan by 2026-11-26")  # C-4: due this week
    ok(desk, f"commit {KIM} Agree the budget by 2026-11-27")  # C-5: blocked
    ok(desk, "block C-5 waiting for the finance board")
    ok(desk, f"commit {SAM} Share the minutes by 2026-11-16")  # C-6: done
    ok(desk, "done C-6")
    return desk


# --- what goes out ----------------------------------------------------------------------------


def test_a_weekday_sweep_sends_one_dm_per_owner_and_one_digest_per_channel(db) -> None:
    desk = joint_team(db)
    slack = RecordingNotifier()

    report = run_sweep(db, slack, MONDAY)

    sam, alex = desk.person_id(SAM), desk.person_id(LEAD)
    assert slack.dm_counts() == {sam: 1, alex: 1}  # Kim has nothing overdue or due today
    (to_sam,) = slack.dms_to(sam)
    assert refs(to_sam) == ["C-1", "C-2"]
    assert [s.title for s in to_sam.sections] == ["Overdue", "Due today"]
    assert "1 overdue and 1 due today" in to_sam.headline
    labels = [b.label for b in to_sam.sections[0].items[0].buttons]
    assert labels[0] == "Done" and "Reassign" in labels and any("Snooze" in x for x in labels)
    assert refs(slack.dms_to(alex)[0]) == ["C-3"]

    (channel, digest) = slack.posts[0]
    assert len(slack.posts) == 1 and channel == "C-LOG"
    titles = [s.title for s in digest.sections]
    assert titles == [
        "Overdue: Sam (Health)",
        "Overdue: Alex (Housing)",
        "Due this week",
        "Blocked",
    ]
    assert refs(digest) == ["C-1", "C-3", "C-2", "C-4", "C-5"]
    blocked = digest.sections[-1].items[0]
    assert ("Status", "blocked: waiting for the finance board") in [
        (f.label, f.value) for f in blocked.fields
    ]
    assert "C-6" not in refs(digest)
    assert {r.status for r in report.results} == {"sent"}


def test_running_the_sweep_again_that_day_sends_nothing_more(db) -> None:
    joint_team(db)
    slack = RecordingNotifier()
    run_sweep(db, slack, MONDAY)
    sent = len(slack.dms) + len(slack.posts)

    again = run_sweep(db, slack, MONDAY.replace(hour=9, minute=30))
    later = run_sweep(db, slack, MONDAY.replace(hour=17))

    assert len(slack.dms) + len(slack.posts) == sent
    assert again.claimed == set() and later.results == []
    assert again.plan.teams == [] and len(again.plan.already_swept) == 1  # not planned again
    assert "already swept today, nothing more: Rough Sleeping" in "\n".join(
        reminders.describe(again)
    )
    run_sweep(db, slack, utc("2026-11-24T09:00"))  # the next working day: nudges again
    assert len(slack.dms) + len(slack.posts) > sent


def test_nothing_goes_out_before_the_reminder_time_or_at_the_weekend(db) -> None:
    joint_team(db)
    slack = RecordingNotifier()
    run_sweep(db, slack, utc("2026-11-23T08:59"))
    run_sweep(db, slack, utc("2026-11-21T10:00"))  # Saturday
    run_sweep(db, slack, utc("2026-11-22T10:00"))  # Sunday
    assert slack.dms == [] and slack.posts == []
    assert Desk(db, MONDAY, team=None).count(Row) == 0


def test_a_server_down_at_reminder_time_catches_up_that_day_but_not_for_past_days(db) -> None:
    desk = joint_team(db)
    slack = RecordingNotifier()
    # Down all Monday; back on Tuesday before 09:00: Monday is not replayed.
    run_sweep(db, slack, utc("2026-11-24T08:00"))
    assert slack.dms == []
    # Back at 15:40 on Tuesday: Tuesday's nudges go now.
    run_sweep(db, slack, utc("2026-11-24T15:40"))
    assert slack.dm_counts()[desk.person_id(SAM)] == 1
    days = {day_of(d) for d in desk.rows(Row)}
    assert days == {"2026-11-24"}


def test_a_snoozed_commitment_is_left_out_until_its_snooze_date(db) -> None:
    desk = joint_team(db)
    ok(desk, "snooze C-1 until 2026-11-25", as_=SAM)
    slack = RecordingNotifier()
    sam = desk.person_id(SAM)

    run_sweep(db, slack, MONDAY)
    assert refs(slack.dms_to(sam)[0]) == ["C-2"]
    assert "C-1" not in refs(slack.posts[0][1])

    slack.clear()
    run_sweep(db, slack, utc("2026-11-25T09:00"))
    assert refs(slack.dms_to(sam)[0]) == ["C-1", "C-2"]


def test_done_and_cancelled_commitments_never_appear(db) -> None:
    desk = joint_team(db)
    ok(desk, "done C-1", as_=SAM)
    ok(desk, "cancel C-3 not needed")
    slack = RecordingNotifier()
    run_sweep(db, slack, MONDAY)
    everything = [ref for _, r in [*slack.dms, *slack.posts] for ref in refs(r)]
    assert "C-1" not in everything and "C-3" not in everything
    assert desk.person_id(LEAD) not in slack.dm_counts()


# --- calendars ------------------------------------------------------------------------------


def test_reminders_go_at_nine_local_on_both_sides_of_the_clocks_going_back(db) -> None:
    desk = joint_team(db)
    ok(desk, "due C-1 2026-10-20", as_=SAM)
    slack = RecordingNotifier()
    sam = desk.person_id(SAM)

    # Friday 23 October: British Summer Time, 09:00 local is 08:00 UTC.
    run_sweep(db, slack, utc("2026-10-23T07:59"))
    assert slack.dms_to(sam) == []
    run_sweep(db, slack, utc("2026-10-23T08:00"))
    assert len(slack.dms_to(sam)) == 1
    # Monday 26 October, after the change: 09:00 local is 09:00 UTC.
    run_sweep(db, slack, utc("2026-10-26T08:30"))
    assert len(slack.dms_to(sam)) == 1
    run_sweep(db, slack, utc("2026-10-26T09:00"))
    assert len(slack.dms_to(sam)) == 2
    days = sorted(day_of(d) for d in desk.rows(Row, Row.kind == reminders.NUDGE))
    assert days == ["2026-10-23", "2026-10-26"]  # Sam only: nothing else was due yet


def test_a_team_in_sydney_is_nudged_on_its_own_monday_morning(db) -> None:
    london = joint_team(db)
    sydney = Desk(
        db,
        utc("2026-11-18T10:00"),
        team="Outreach NSW",
        platform="slack",
        channel_id="C-NSW",
        lead="lee@nsw.example",
    )
    ok(sydney, "team set timezone Australia/Sydney")
    ok(sydney, "commit me Call the shelter by 2026-11-20")
    slack = RecordingNotifier()
    lee = sydney.person_id("lee@nsw.example")

    run_sweep(db, slack, utc("2026-11-22T21:59"))  # Sunday in London, Monday 08:59 in Sydney
    assert slack.dms == []
    run_sweep(db, slack, utc("2026-11-22T22:00"))  # Monday 09:00 AEDT
    assert slack.dm_counts() == {lee: 1}
    assert [c for c, _ in slack.posts] == ["C-NSW"]
    (row,) = london.rows(Row, about(f"person:{lee}"))
    assert day_of(row) == "2026-11-23"


def test_no_nudges_on_the_teams_public_holidays(db) -> None:
    desk = joint_team(db)
    ok(desk, "team set holidays GB-ENG")
    slack = RecordingNotifier()
    run_sweep(db, slack, utc("2026-12-25T10:00"))  # Christmas Day, a Friday
    run_sweep(db, slack, utc("2026-12-28T10:00"))  # Boxing Day (substitute), a Monday
    assert slack.dms == [] and slack.posts == []
    run_sweep(db, slack, utc("2026-12-29T10:00"))
    assert slack.dms and slack.posts


# --- escalation -----------------------------------------------------------------------------


def test_escalation_goes_to_the_accountable_person_after_the_threshold_in_working_days_once(
    db,
) -> None:
    desk = joint_team(db)
    ok(desk, "team set holidays GB-ENG")
    ok(desk, "due C-1 2026-12-22", as_=SAM)  # a Tuesday before Christmas
    ok(desk, "due C-3 2026-12-31")
    ok(desk, "owns DPIA jo@police.example accountable")
    ok(desk, "due C-2 2027-01-15", as_=SAM)
    ok(desk, "cancel C-4 folded into C-2")
    ok(desk, "cancel C-5 no longer needed")
    slack = RecordingNotifier()
    jo = desk.person_id("jo@police.example")

    run_sweep(db, slack, utc("2026-12-29T09:00"))  # 3 working days overdue: not more than 3
    assert slack.dms_to(jo) == []
    run_sweep(db, slack, utc("2026-12-30T09:00"))  # 4 working days overdue
    (escalation,) = slack.dms_to(jo)
    assert escalation.headline == "Escalation: C-1 is 4 working days overdue"
    assert "You are accountable for DPIA" in (escalation.body or "")
    assert "Sam (Health)" in (escalation.body or "")
    assert refs(escalation) == ["C-1"] and escalation.sections[0].items[0].buttons
    (c1,) = desk.rows(Commitment, Commitment.number == 1)
    assert c1.escalated_at == utc("2026-12-30T09:00")
    digest = slack.posts[-1][1]
    c1_item = next(i for s in digest.sections for i in s.items if i.ref == "C-1")
    assert ("Escalated", "today, to Jo (step 1 of 2)") in [
        (f.label, f.value) for f in c1_item.fields
    ]
    assert "1 escalated" in (digest.body or "")

    run_sweep(db, slack, utc("2026-12-31T09:00"))
    run_sweep(db, slack, utc("2027-01-04T09:00"))
    assert len(slack.dms_to(jo)) == 1  # only once
    later_digest = slack.posts[-1][1]
    c1_later = next(i for s in later_digest.sections for i in s.items if i.ref == "C-1")
    assert "Escalated" in [f.label for f in c1_later.fields]
    assert desk.count(AuditEvent, AuditEvent.action == "commitment.escalated") == 1


def test_without_a_matching_area_the_team_lead_gets_the_escalation(db) -> None:
    desk = joint_team(db)
    ok(desk, "owns DPIA jo@police.example accountable")
    ok(desk, "due C-2 2026-11-30", as_=SAM)
    slack = RecordingNotifier()
    alex = desk.person_id(LEAD)

    run_sweep(db, slack, utc("2026-11-27T09:00"))  # C-3 due Fri 20th: 5 working days
    escalations = [r for r in slack.dms_to(alex) if r.data["kind"] == reminders.ESCALATION]
    # C-3 overdue; C-5 blocked since Wednesday 18th (7 working days; the blocked threshold is 3).
    assert [(r.ref, r.data["ladder"]["kind"]) for r in escalations] == [
        ("C-3", "overdue"),
        ("C-5", "blocked"),
    ]
    assert "You lead Rough Sleeping" in (escalations[0].body or "")
    jo = desk.person_id("jo@police.example")
    assert [r.ref for r in slack.dms_to(jo)] == ["C-1"]  # DPIA's: due 19th, 6 working days


# --- one nudge per person across teams ------------------------------------------------------


def discharge_team(db) -> Desk:  # type: ignore[no-untyped-def]
    """A second team on Slack where Sam owns an item overdue on Monday."""
    second = Desk(
        db,
        utc("2026-11-18T10:00"),
        team="Hospital Discharge",
        platform="slack",
        channel_id="C-HD",
        lead="pat@nhs.example",
    )
    ok(second, f"commit {SAM} Confirm the discharge list by 2026-11-20")
    return second


def test_one_dm_per_person_across_two_teams_lists_both_teams(db) -> None:
    first = joint_team(db)
    second = discharge_team(db)
    ok(second, "team set reminders 10:00")
    slack = RecordingNotifier()
    sam = first.person_id(SAM)

    run_sweep(db, slack, MONDAY)  # only the first team is due at 09:00...
    (nudge,) = slack.dms_to(sam)  # ...but Sam's nudge carries both teams
    assert [s.title for s in nudge.sections] == [
        "Rough Sleeping: Overdue",
        "Rough Sleeping: Due today",
        "Hospital Discharge: Overdue",
    ]
    assert refs(nudge) == ["C-1", "C-2", "C-1"]

    run_sweep(db, slack, MONDAY.replace(hour=10))  # the second team's reminder time
    assert len(slack.dms_to(sam)) == 1
    assert sorted(c for c, _ in slack.posts) == ["C-HD", "C-LOG"]


def test_two_teams_due_at_the_same_time_still_give_one_dm(db) -> None:
    first = joint_team(db)
    discharge_team(db)
    slack = RecordingNotifier()
    run_sweep(db, slack, MONDAY)
    assert slack.dm_counts()[first.person_id(SAM)] == 1
    assert len(slack.posts) == 2


# --- exactly once ---------------------------------------------------------------------------


def _claim_without_sending(db: Database, now) -> int:
    with db.uow() as uow:
        plan = reminders.plan_sweep(uow.session, now=now)
        won = reminders.enqueue_plan(uow.session, plan, now=now)
        uow.commit()
    return len(won)


def test_a_crash_after_claiming_is_sent_on_a_later_tick_once(db) -> None:
    joint_team(db)
    claimed = _claim_without_sending(db, MONDAY)  # the process dies before sending
    assert claimed == 3  # Sam's and Alex's nudges, the channel's digest
    slack = RecordingNotifier()

    report = run_sweep(db, slack, MONDAY.replace(minute=1), worker="replica-2")

    assert report.claimed == set()  # nothing new to write...
    assert len(report.results) == 3 and len(slack.dms) + len(slack.posts) == 3  # ...all sent
    run_sweep(db, slack, MONDAY.replace(minute=2))
    assert len(slack.dms) + len(slack.posts) == 3


def test_a_crash_after_leasing_waits_for_the_lease_then_sends_once(db) -> None:
    desk = joint_team(db)
    _claim_without_sending(db, MONDAY)
    with db.uow() as uow:  # a scheduler leases the rows, then dies
        for _ in range(3):
            assert outbox.lease(uow.session, platforms=["slack"], now=MONDAY, worker="dead")
        uow.commit()
    slack = RecordingNotifier()

    run_sweep(db, slack, MONDAY + outbox.LEASE - dt.timedelta(seconds=1), worker="alive")
    assert slack.dms == [] and slack.posts == []  # the lease still holds

    run_sweep(db, slack, MONDAY + outbox.LEASE, worker="alive")
    run_sweep(db, slack, MONDAY.replace(minute=30), worker="alive")
    assert len(slack.dms) + len(slack.posts) == 3
    messages = desk.rows(Row, Row.kind != reminders.SWEPT)
    assert {d.status for d in messages} == {"sent"}
    assert {d.leased_by for d in messages} == {"alive"}
    assert {d.attempts for d in messages} == {2}


def test_a_platform_error_is_retried_after_retry_after_and_then_sent(db) -> None:
    desk = joint_team(db)
    slack = RecordingNotifier()
    slack.failures.append(DeliveryError("ratelimited", retry_after=120))
    sam = desk.person_id(SAM)

    first = run_sweep(db, slack, MONDAY)
    assert [r.status for r in first.results].count("retry") == 1
    failed_id = next(r.row_id for r in first.results if r.status == "retry")

    run_sweep(db, slack, MONDAY.replace(minute=1))  # 60 s later: Slack said 120
    assert len(slack.dms) + len(slack.posts) == 2
    run_sweep(db, slack, MONDAY.replace(minute=2, second=1))
    assert len(slack.dms) + len(slack.posts) == 3
    (row,) = desk.rows(Row, Row.id == failed_id)
    assert row.status == "sent" and row.attempts == 2 and row.last_error == "ratelimited"
    assert slack.dm_counts()[sam] == 1


def test_a_failing_nudge_keeps_retrying_past_five_attempts_and_is_sent_that_day(db) -> None:
    desk = joint_team(db)
    slack = RecordingNotifier()
    ok(desk, "done C-2", as_=SAM)
    ok(desk, "done C-1", as_=SAM)  # Sam has nothing: Alex's nudge and the digest
    slack.failures.extend(DeliveryError("internal_error") for _ in range(20))
    now = MONDAY
    while slack.failures:
        run_sweep(db, slack, now)
        now += dt.timedelta(minutes=6)  # past every backoff (30 s .. 5 min)
    run_sweep(db, slack, now)
    rows = desk.rows(Row, Row.kind != reminders.SWEPT)
    assert {r.status for r in rows} == {"sent"}
    assert sum(r.attempts for r in rows) == 22 and max(r.attempts for r in rows) > 5
    assert len(slack.dms) + len(slack.posts) == 2
    assert now < utc("2026-11-23T12:00")


def test_a_permanent_error_or_an_unreachable_person_fails_at_once(db) -> None:
    desk = joint_team(db)
    alex = desk.person_id(LEAD)
    slack = RecordingNotifier(unreachable=frozenset({alex}))
    report = run_sweep(db, slack, MONDAY)
    failed = [r for r in report.results if r.status == "failed"]
    assert {(r.kind, r.to) for r in failed} == {(reminders.NUDGE, "Alex")}
    assert "cannot reach person" in (failed[0].detail or "")
    assert "failed" in "\n".join(reminders.describe(report))


def test_a_nudge_still_unsent_when_its_day_is_over_expires_instead_of_going_late(db) -> None:
    desk = joint_team(db)
    ok(desk, "due C-3 2026-11-16")  # five working days overdue on Monday: escalated
    _claim_without_sending(db, MONDAY)
    slack = RecordingNotifier()
    run_sweep(db, slack, utc("2026-11-24T00:30"))  # Tuesday, before Tuesday's reminders
    assert slack.dms_to(desk.person_id(SAM)) == [] and slack.posts == []
    expired = desk.rows(Row, Row.kind.in_([reminders.NUDGE, reminders.DIGEST]))
    assert {r.status for r in expired} == {"expired"}
    assert all("expired" in (r.last_error or "") for r in expired)
    # An escalation undelivered on its day does not count: the next working day plans it again.
    (escalation,) = desk.rows(Row, Row.kind == reminders.ESCALATION)
    assert escalation.status == "expired"
    (c3,) = desk.rows(Commitment, Commitment.number == 3)
    assert c3.escalated_at is None
    run_sweep(db, slack, utc("2026-11-24T09:00"))
    (c3,) = desk.rows(Commitment, Commitment.number == 3)
    assert c3.escalated_at == utc("2026-11-24T09:00")


def test_two_schedulers_sweeping_at_the_same_moment_send_every_nudge_once(database_url) -> None:
    """Two replicas, each with its own engine, race on one database (PostgreSQL when
    JOINEDUP_TEST_DATABASE_URL is set; SQLite too)."""
    setup = Database(database_url)
    try:
        desk = joint_team(setup)
        for i in range(30):
            ok(desk, f"commit owner{i}@dept{i % 4}.example Task {i} by 2026-11-20")
    finally:
        setup.dispose()
    replicas = [Database(database_url), Database(database_url)]
    notifiers = [RecordingNotifier(), RecordingNotifier()]
    start = threading.Barrier(2)

    def replica(i: int) -> None:
        start.wait()
        run_sweep(replicas[i], notifiers[i], MONDAY, worker=f"r{i}")

    try:
        threads = [threading.Thread(target=replica, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        dms = notifiers[0].dm_counts() + notifiers[1].dm_counts()
        posts = [c for n in notifiers for c, _ in n.posts]
        nudged = {
            p for p, r in [*notifiers[0].dms, *notifiers[1].dms] if r.data["kind"] == "owner_nudge"
        }
        assert len(nudged) == 32  # Sam, Alex and the thirty owners
        escalations = sum(n.kinds()[reminders.ESCALATION] for n in notifiers)
        assert sum(dms.values()) == 32 + escalations
        assert all(
            count == 1
            for p, count in (notifiers[0].dm_counts() + notifiers[1].dm_counts()).items()
            if p != desk.person_id(LEAD)
        )
        assert posts == ["C-LOG"]
        with replicas[0].uow() as uow:
            rows = list(uow.session.query(Row).filter(Row.kind != reminders.SWEPT))
            assert len(rows) == 1 + 32 + escalations
            assert {r.status for r in rows} == {"sent"}
    finally:
        for r in replicas:
            r.dispose()


# --- dry run and the command line -------------------------------------------------------------


def test_a_dry_run_claims_and_sends_nothing_and_shows_what_was_already_sent(db) -> None:
    desk = joint_team(db)
    slack = RecordingNotifier()
    report = run_sweep(db, slack, MONDAY, dry_run=True)
    lines = reminders.describe(report)
    assert slack.dms == [] and desk.count(Row) == 0
    assert any("nudge -> Sam: C-1, C-2 [would send]" in line for line in lines)
    assert any(line.startswith("  digest -> slack") for line in lines)

    run_sweep(db, slack, MONDAY)
    again = reminders.describe(run_sweep(db, slack, MONDAY, dry_run=True))
    assert any("nudge -> Sam: C-1, C-2 [already sent today]" in line for line in again)


def test_a_sweep_for_one_team_leaves_the_others_alone(db) -> None:
    joint_team(db)
    other = Desk(
        db,
        utc("2026-11-18T10:00"),
        team="Hospital Discharge",
        platform="slack",
        channel_id="C-HD",
        lead="pat@nhs.example",
    )
    ok(other, "commit me Confirm the discharge list by 2026-11-20")
    slack = RecordingNotifier()
    run_sweep(db, slack, MONDAY, team_name="hospital discharge")
    assert [c for c, _ in slack.posts] == ["C-HD"]
    assert slack.dm_counts() == {other.person_id("pat@nhs.example"): 1}


def test_an_unknown_team_is_refused_by_name(db) -> None:
    from commands.language import CommandError

    joint_team(db)
    with pytest.raises(CommandError, match='no team called "Nope"'):
        run_sweep(db, RecordingNotifier(), MONDAY, team_name="Nope")


def test_planning_takes_as_many_statements_for_four_teams_as_for_one(db) -> None:
    from sqlalchemy import event

    def statements_to_plan() -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            with db.uow() as uow:
                plan = reminders.plan_sweep(uow.session, now=utc("2026-11-27T09:00"))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert any(o.kind == reminders.ESCALATION for o in plan.outgoing)
        return len(seen)

    desk = joint_team(db)
    ok(desk, "owns DPIA jo@police.example accountable")
    one = statements_to_plan()
    for n in range(3):
        other = Desk(
            db,
            utc("2026-11-18T10:00"),
            team=f"Team {n}",
            platform="slack",
            channel_id=f"C-{n}",
            lead=f"lead{n}@council.example",
        )
        ok(other, f"owns Outreach owner{n}@health.example accountable")
        for i in range(5):
            ok(other, f"commit {SAM} Outreach visit {i} by 2026-11-1{i}")
            ok(other, f"commit owner{n}@health.example Task {i} by 2026-11-2{i}")
    assert statements_to_plan() == one
