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


def reminder_day(team: Team, now: dt.datetime) -> dt.date | None:
    """The team's local date if, at ``now``, its reminders are due: a working day, at or
    after its reminder time (wall-clock time in its timezone, so 09:00 stays 09:00 across a
    daylight-saving change). Any later moment of the same local day counts too (catch-up)."""
    try:
        local = now.astimezone(ZoneInfo(team.timezone))
        hour, minute = (int(x) for x in team.reminder_time.split(":"))
    except (ValueError, KeyError) as exc:
        log.warning("team %s: cannot read its reminder settings: %s", team.id, exc)
        return None
    if not is_working_day(local.date(), team.holidays):
        return None
    if (local.hour, local.minute) < (hour, minute):
        return None
    return local.date()


def end_of_local_day(day_: dt.date, timezone: str) -> dt.datetime:
    tz = ZoneInfo(timezone)
    return dt.datetime.combine(day_ + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(dt.UTC)
