"""The team's calendar: working days, public holidays, its local day and reminder time."""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holiday_calendars

from storage.models import Team

log = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def _holidays(calendar: str) -> holiday_calendars.HolidayBase:
    country, _, subdiv = calendar.upper().partition("-")
    return holiday_calendars.country_holidays(country, subdiv=subdiv or None)


def is_working_day(day_: dt.date, calendar: str | None) -> bool:
    """Monday to Friday, less the public holidays of ``calendar`` (``GB-ENG``) if any."""
    if day_.isoweekday() > 5:
        return False
    return calendar is None or day_ not in _holidays(calendar)


@lru_cache(maxsize=65536)
def working_days_overdue(due: dt.date, today: dt.date, calendar: str | None) -> int:
    """Working days after ``due`` up to and including ``today``: due Monday, it is one
    working day overdue on Tuesday and four on Friday (holidays and weekends not counted)."""
    count, d = 0, due + dt.timedelta(days=1)
    while d <= today:
        count += is_working_day(d, calendar)
        d += dt.timedelta(days=1)
    return count


def wall_clock(hhmm: str) -> dt.time:
    """A stored ``HH:MM`` (``09:00``; ``9:00`` too) as a time; ValueError for anything else."""
    hour, sep, minute = hhmm.strip().partition(":")
    if not (sep and hour.isdigit() and minute.isdigit() and len(minute) == 2 and len(hour) <= 2):
        raise ValueError(f"{hhmm!r} is not a time of day (HH:MM)")
    return dt.time(int(hour), int(minute))


def local_day_from(now: dt.datetime, *, timezone: str, hhmm: str) -> dt.date | None:
    """The local date at ``now`` in ``timezone`` when its wall clock has reached ``hhmm``
    (compared as times, to the minute), else None: "due at 09:00 local time".

    Wall-clock time, so 09:00 stays 09:00 across a daylight-saving change; on the night a
    time does not exist (01:30 when clocks jump from 01:00 to 02:00) it is reached at the
    jump, and a time that happens twice (clocks going back) is reached the first time.
    ValueError for a time, KeyError for a timezone, that cannot be read."""
    at = wall_clock(hhmm)
    local = now.astimezone(ZoneInfo(timezone))
    if (local.hour, local.minute) < (at.hour, at.minute):
        return None
    return local.date()


def reminder_day(team: Team, now: dt.datetime) -> dt.date | None:
    """The team's local date if, at ``now``, its reminders are due: a working day, at or
    after its reminder time (``local_day_from``). Any later moment of the same local day
    counts too (catch-up)."""
    try:
        today = local_day_from(now, timezone=team.timezone, hhmm=team.reminder_time)
    except (ValueError, KeyError) as exc:
        log.warning("team %s: cannot read its reminder settings: %s", team.id, exc)
        return None
    if today is None or not is_working_day(today, team.holidays):
        return None
    return today


@lru_cache(maxsize=4096)  # a sweep asks it for the same few days for thousands of messages
def end_of_local_day(day_: dt.date, timezone: str) -> dt.datetime:
    tz = ZoneInfo(timezone)
    return dt.datetime.combine(day_ + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
