"""The calendar and the escalation rule of daily reminders, without a database."""

from __future__ import annotations

import datetime as dt
import json

from bot.weekly_post import is_due
from commands.reminders import (
    is_working_day,
    reminder_day,
    working_days_overdue,
)
from commands.rules import matching_area
from commands.workdays import local_day_from
from storage.models import Area, Team
from storage.outbox import NUDGE, policy

D = dt.date


def team(**kw) -> Team:
    values = {"timezone": "Europe/London", "reminder_time": "09:00", "holidays": None} | kw
    return Team(id=1, name="T", key="t", escalation_days=3, **values)


def area(id_: int, name: str, created: str = "2026-01-01") -> Area:
    return Area(
        id=id_,
        team_id=1,
        name=name,
        key=name.casefold(),
        created_at=dt.datetime.fromisoformat(created).replace(tzinfo=dt.UTC),
    )


def test_weekends_and_the_teams_public_holidays_are_not_working_days() -> None:
    assert is_working_day(D(2026, 12, 24), "GB-ENG")
    assert not is_working_day(D(2026, 12, 25), "GB-ENG")  # Christmas, a Friday
    assert not is_working_day(D(2026, 12, 26), "GB-ENG")  # a Saturday anyway
    assert not is_working_day(D(2026, 12, 28), "GB-ENG")  # Boxing Day, moved to Monday
    assert is_working_day(D(2026, 12, 28), None)  # no calendar: only weekends are off
    assert not is_working_day(D(2026, 8, 3), "GB-SCT") and is_working_day(D(2026, 8, 3), "GB-ENG")


def test_working_days_overdue_skip_weekends_and_holidays() -> None:
    assert working_days_overdue(D(2026, 11, 16), D(2026, 11, 17), None) == 1  # Mon -> Tue
    assert working_days_overdue(D(2026, 11, 16), D(2026, 11, 20), None) == 4  # Mon -> Fri
    assert working_days_overdue(D(2026, 11, 20), D(2026, 11, 23), None) == 1  # Fri -> Mon
    # Due Tue 22 Dec: 23, 24, (25, 26, 27, 28 off), 29, 30.
    assert working_days_overdue(D(2026, 12, 22), D(2026, 12, 29), "GB-ENG") == 3
    assert working_days_overdue(D(2026, 12, 22), D(2026, 12, 30), "GB-ENG") == 4
    assert working_days_overdue(D(2026, 12, 22), D(2026, 12, 22), "GB-ENG") == 0


def test_reminders_are_due_from_the_local_reminder_time_to_the_end_of_a_working_day() -> None:
    london = team()
    assert reminder_day(london, dt.datetime(2026, 11, 23, 8, 59, tzinfo=dt.UTC)) is None
    assert reminder_day(london, dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)) == D(2026, 11, 23)
    assert reminder_day(london, dt.datetime(2026, 11, 23, 23, 59, tzinfo=dt.UTC)) == D(2026, 11, 23)
    assert reminder_day(london, dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)) is None  # Sunday
    # Summer time: 09:00 in London is 08:00 UTC.
    assert reminder_day(london, dt.datetime(2026, 10, 23, 8, 0, tzinfo=dt.UTC)) == D(2026, 10, 23)
    late = team(reminder_time="17:30", timezone="America/New_York")
    assert reminder_day(late, dt.datetime(2026, 11, 23, 22, 29, tzinfo=dt.UTC)) is None
    assert reminder_day(late, dt.datetime(2026, 11, 23, 22, 30, tzinfo=dt.UTC)) == D(2026, 11, 23)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_a_local_time_is_reached_at_its_minute_not_a_minute_before() -> None:
    def at(moment: dt.datetime, hhmm: str = "09:00") -> dt.date | None:
        return local_day_from(moment, timezone="Europe/London", hhmm=hhmm)

    assert at(utc(2026, 11, 23, 8, 59, 59)) is None
    assert at(utc(2026, 11, 23, 9, 0)) == D(2026, 11, 23)
    assert at(utc(2026, 11, 23, 23, 59)) == D(2026, 11, 23)
    assert at(utc(2026, 11, 24, 0, 0)) is None  # a new local day starts over
    assert at(utc(2026, 11, 23, 9, 0), "9:00") == D(2026, 11, 23)  # no leading zero
    assert at(utc(2026, 11, 23, 10, 0), "10:00") == D(2026, 11, 23)


def test_a_local_time_keeps_its_wall_clock_across_a_daylight_saving_change() -> None:
    def at(moment: dt.datetime, hhmm: str) -> dt.date | None:
        return local_day_from(moment, timezone="Europe/London", hhmm=hhmm)

    # Clocks go forward on Sun 29 Mar 2026: 09:00 is 09:00 UTC on Friday, 08:00 UTC Monday.
    assert at(utc(2026, 3, 27, 8, 59), "09:00") is None
    assert at(utc(2026, 3, 27, 9, 0), "09:00") == D(2026, 3, 27)
    assert at(utc(2026, 3, 30, 7, 59), "09:00") is None
    assert at(utc(2026, 3, 30, 8, 0), "09:00") == D(2026, 3, 30)
    # 01:30 does not exist that night (01:00 GMT -> 02:00 BST): reached at the jump.
    assert at(utc(2026, 3, 29, 0, 59), "01:30") is None
    assert at(utc(2026, 3, 29, 1, 0), "01:30") == D(2026, 3, 29)
    # Clocks go back on Sun 25 Oct 2026: 01:30 happens twice; the first one counts.
    assert at(utc(2026, 10, 25, 0, 29), "01:30") is None
    assert at(utc(2026, 10, 25, 0, 30), "01:30") == D(2026, 10, 25)


def test_reminders_and_the_weekly_summary_read_a_time_of_day_the_same_way() -> None:
    friday = team(summary_weekday=5, summary_time="16:00", reminder_time="16:00")
    for moment in (utc(2026, 11, 27, 15, 59), utc(2026, 11, 27, 16, 0), utc(2026, 10, 23, 15, 0)):
        assert is_due(friday, moment) == reminder_day(friday, moment), moment
    assert is_due(friday, utc(2026, 11, 27, 16, 0)) == D(2026, 11, 27)
    assert is_due(friday, utc(2026, 11, 26, 16, 0)) is None  # a Thursday


def test_a_weekly_summary_time_without_a_leading_zero_is_due_at_that_time() -> None:
    # "9:00" compared as text with "09:30" never came due (the digit 0 sorts before 9).
    early = team(summary_weekday=5, summary_time="9:00")
    assert is_due(early, utc(2026, 11, 27, 8, 59)) is None
    assert is_due(early, utc(2026, 11, 27, 9, 30)) == D(2026, 11, 27)


def test_an_unreadable_time_of_day_is_never_due() -> None:
    # Compared as text, "" was always due and "later" never; read as a time, neither is.
    for bad in ("", "later", "25:00", "9:5", "09:00:00"):
        assert is_due(team(summary_weekday=5, summary_time=bad), utc(2026, 11, 27, 12)) is None
        assert reminder_day(team(reminder_time=bad), utc(2026, 11, 27, 12)) is None


def test_an_area_matches_when_all_its_name_words_are_in_the_commitment() -> None:
    areas = [area(1, "Data sharing"), area(2, "DPIA"), area(3, "Data")]
    assert matching_area(areas, "Finish the data-sharing agreement").id == 1  # type: ignore[union-attr]
    assert matching_area(areas, "Send the DPIA draft").id == 2  # type: ignore[union-attr]
    assert matching_area(areas, "Clean the data extract").id == 3  # type: ignore[union-attr]
    assert matching_area(areas, "Book the room") is None
    assert matching_area([area(4, "Share data")], "data sharing") is None


def test_the_most_specific_area_wins_then_the_oldest() -> None:
    areas = [area(1, "Housing"), area(2, "Housing data", "2026-05-01")]
    assert matching_area(areas, "Housing data extract").id == 2  # type: ignore[union-attr]
    twins = [area(5, "Outreach", "2026-05-01"), area(6, "outreach", "2026-01-01")]
    assert matching_area(twins, "Outreach rota").id == 6  # type: ignore[union-attr]


def test_a_nudge_backoff_doubles_to_a_five_minute_cap_and_honours_retry_after() -> None:
    backoff = policy(NUDGE).backoff
    assert backoff(1, None) == dt.timedelta(seconds=30)
    assert backoff(3, None) == dt.timedelta(minutes=2)
    assert backoff(20, None) == dt.timedelta(minutes=5)
    assert backoff(1, 600) == dt.timedelta(seconds=600)
    assert policy(NUDGE).max_attempts is None  # until the end of the working day


def test_a_stored_reply_reads_back_exactly() -> None:
    from commands.reminders import reply_as_dict
    from commands.reply import Button, Field, Item, Reply, Section

    reply = Reply(
        headline="h",
        body="b",
        fields=(Field("a", "1"),),
        sections=(
            Section(
                "s",
                (Item("t", "C-1", (Field("x", "y"),), (Button("Done", "done C-1", "primary"),)),),
                empty="none",
            ),
        ),
        buttons=(Button("Reassign", "reassign C-1", picks_person=True),),
        visibility="channel",
        ref="C-1",
        link="https://example.org",
        data={"kind": "owner_nudge", "commitments": ["C-1"]},
    )
    assert Reply.from_dict(reply_as_dict(reply)) == reply
    assert reply_as_dict(reply) == json.loads(json.dumps(reply.to_dict()))


def test_a_stored_reply_keeps_its_attachment_teams_and_refused_field() -> None:
    from commands.reminders import reply_as_dict
    from commands.reply import Reply, Section, SummaryAttachment

    reply = Reply(
        headline="h",
        sections=(Section("Housing"), Section("Health")),
        summary=SummaryAttachment(team_id=3, week="2026-W47"),
        team_id=3,
        section_team_ids=(3, 4),
        field="owner",
        ok=False,
    )
    stored = json.loads(json.dumps(reply.to_dict()))
    assert Reply.from_dict(stored) == reply
    assert reply_as_dict(reply) == stored
    assert Reply.from_dict(reply_as_dict(reply)) == reply
    assert stored["summary"] == {"team_id": 3, "week": "2026-W47"}
