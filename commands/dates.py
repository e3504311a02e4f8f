"""Due dates as people write them in chat: "by Friday", "eom", "4/12", "in 2 working days".

Everything here is pure: the caller passes the team's LOCAL date as ``today`` (converted with
the team's IANA timezone), so nothing reads a clock and every rule is testable on any day.

Conventions are British: numeric dates are day first (``4/12`` is 4 December), weeks are ISO
weeks (Monday to Sunday), and the "end of the week" is Friday.

Our own rules cover the forms people actually type. ``dateparser`` is the fallback for the long
tail ("fri 4th dec", "two weeks from now"); it is lenient, so its answers are only accepted
within five years of today, and bare numbers ("5") never reach it.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import re
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["UnreadableDate", "looks_like_date", "parse_when", "split_trailing_date"]

_MAX_DISTANCE = datetime.timedelta(days=5 * 366)


class UnreadableDate(ValueError):
    """Text that was meant to be a date but is not one we can read.

    ``.words`` holds the text that could not be read; ``str(e)`` is a short message fit to show
    the user, naming those words and giving two forms that work.
    """

    def __init__(self, words: str, *, today: datetime.date | None = None) -> None:
        self.words = words
        example = (today + datetime.timedelta(days=14)) if today else datetime.date(2026, 12, 4)
        forms = f'Try "by Friday" or "by {example.isoformat()}".'
        if words.strip():
            message = f'I couldn\'t read "{words.strip()}" as a date. {forms}'
        else:
            message = f"I couldn't find a date there. {forms}"
        super().__init__(message)


# --- vocabulary -------------------------------------------------------------------------------

_WEEKDAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?)"
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINAL = r"(?:st|nd|rd|th)"
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "a couple of": 2,
    "couple of": 2,
}
_NUMBER = (
    r"(?:\d{1,3}|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|(?:a )?couple of)"
)

_TODAY_WORDS = frozenset(
    {
        "today",
        "eod",
        "tonight",
        "end of day",
        "end of the day",
        "end of today",
        "cob",
        "close of play",
        "end of play",
        "this morning",
        "this afternoon",
        "this evening",
        "now",
    }
)
_TOMORROW_WORDS = frozenset(
    {"tomorrow", "tmrw", "tmr", "tmw", "tomoz", "tomorow", "tommorow", "tommorrow", "2moro"}
)

# Leading words the caller may have left on ("by Friday") and filler before the date itself.
_LEAD = re.compile(
    r"^(?:(?:by|until|till|til|before|on|due|no later than|not later than|latest|at the latest"
    r"|the)\b[\s:]*)+"
)
# A time of day around a date: "3pm tomorrow", "friday at noon", "cob friday".
_TIME = (
    r"(?:(?:at\s+)?\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm)|(?:at\s+)?(?:noon|midday|lunchtime|lunch)"
    r"|first thing|cob|close of play|end of play|eod|end of (?:the )?day"
    r"|morning|afternoon|evening|night)"
)
_LEADING_TIME = re.compile(rf"^{_TIME}\s+(?:on\s+)?(?=\S)")
_TRAILING_TIME = re.compile(rf"(?<=\S)\s+{_TIME}$")

_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
# Day first. A dash only with a year: "4-12-2026" is a date, "21-28" is a range of days.
_NUMERIC_DMY = re.compile(
    r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?$|^(\d{1,2})-(\d{1,2})-(\d{4})$"
)
_DAY_MONTH = re.compile(
    rf"^(?:{_WEEKDAY},?\s+)?(?:the\s+)?(\d{{1,2}}){_ORDINAL}?(?:\s+of)?\s+({_MONTH})\.?"
    r"(?:,?\s+(\d{4}|\d{2}))?$"
)
_MONTH_DAY = re.compile(
    rf"^(?:{_WEEKDAY},?\s+)?({_MONTH})\.?\s+(?:the\s+)?(\d{{1,2}}){_ORDINAL}?(?:,?\s+(\d{{4}}))?$"
)
_DAY_ONLY = re.compile(rf"^(?:{_WEEKDAY},?\s+)?(?:the\s+)?(\d{{1,2}}){_ORDINAL}$")
_MONTH_ONLY = re.compile(
    rf"^(?:(end|start|beginning|mid|early|late)(?:\s+of|-)?\s*)?(?:the\s+)?({_MONTH})"
    r"(?:\s+(\d{4}))?$"
)
_WEEKDAY_PHRASE = re.compile(
    rf"^(?:(this coming|the coming|coming|this|next)\s+)?({_WEEKDAY})"
    r"(?:(\s+week)|\s+(next|this) week)?$"
)
_A_WEEK_ON = re.compile(rf"^a week (?:on |from )?({_WEEKDAY})$")
_RELATIVE = re.compile(
    rf"^(?:in|within)\s+({_NUMBER})\s+(?:(working|business|work)\s+)?"
    r"(days?|weeks?|fortnights?|months?)(?:'?s? time)?$"
    rf"|^({_NUMBER})\s+(?:(working|business|work)\s+)?(days?|weeks?|fortnights?|months?)"
    r"\s+(?:from now|from today|today|time)$"
)

# Cheap recognition for the extractor: does this text start with something date-shaped?
_DATE_START = re.compile(
    "|".join(
        (
            r"^(?:\d{4}-\d{1,2}-\d{1,2}",
            r"\d{1,2}[/.]\d{1,2}\b",
            r"\d{1,2}-\d{1,2}-\d{4}\b",
            rf"\d{{1,2}}{_ORDINAL}?\s+(?:of\s+)?{_MONTH}\b",
            rf"\d{{1,2}}{_ORDINAL}\b",
            rf"{_MONTH}\b",
            rf"(?:(?:this|next|coming)\s+)?{_WEEKDAY}\b",
            r"(?:this|next|coming)\s+(?:week|month|year|quarter|morning|afternoon|evening)\b",
            r"(?:end|start|beginning)\s+of\b",
            r"mid\b",
            r"eo[dwmy]\b",
            r"cob\b",
            r"close of play\b",
            r"tonight\b",
            r"(?:christmas|xmas)\b",
            r"today\b",
            r"tomorrow\b",
            r"tmrw?\b",
            r"tmw\b",
            r"tomoz\b",
            r"tomm?orr?ow\b",
            r"2moro\b",
            r"a week\b",
            r"now\b",
            r"yesterday\b",
            rf"(?:(?:in|within)\s+)?{_NUMBER}\s+(?:work(?:ing)?\s+|business\s+)?"
            r"(?:days?|weeks?|fortnights?|months?)\b)",
        )
    )
)


# --- calendar arithmetic --------------------------------------------------------------------


def _weekday_index(word: str) -> int:
    return ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(word[:3])


def _month_index(word: str) -> int:
    return [
        "jan",
        "feb",
        "mar",
        "apr",
        "may",
        "jun",
        "jul",
        "aug",
        "sep",
        "oct",
        "nov",
        "dec",
    ].index(word[:3]) + 1


def _end_of_month(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _add_working_days(day: datetime.date, count: int) -> datetime.date:
    """Count forward ``count`` weekdays; Saturday and Sunday are skipped (not bank holidays)."""
    while count > 0:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _end_of_week(today: datetime.date) -> datetime.date:
    """Friday of this week; on a weekend, the coming Friday."""
    if today.weekday() >= 5:
        return _monday_of(today) + datetime.timedelta(days=7 + 4)
    return _monday_of(today) + datetime.timedelta(days=4)


def _next_on_or_after(today: datetime.date, *, month: int, day: int, words: str) -> datetime.date:
    """The first ``day``/``month`` on or after today (a date with no year is never in the past)."""
    for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        try:
            candidate = datetime.date(year, month, day)
        except ValueError:
            continue  # 29 February outside a leap year: try the next year
        if candidate >= today:
            return candidate
    raise UnreadableDate(words, today=today)


def _nearest_year(today: datetime.date, *, month: int, day: int, words: str) -> datetime.date:
    """The ``day``/``month`` nearest to today, this year, last year or next.

    "25 Nov" said on 30 Nov means the 25th just gone (so the item is overdue), not next
    November; "15 Jan" said in December means next January. A tie goes to the future.
    """
    candidates = []
    for year in range(today.year - 4, today.year + 5):
        try:
            candidates.append(datetime.date(year, month, day))
        except ValueError:
            continue  # 29 February outside a leap year
    if not candidates:
        raise UnreadableDate(words, today=today)
    return min(candidates, key=lambda c: (abs((c - today).days), c < today))


def _explicit(
    year: int, month: int, day: int, *, words: str, today: datetime.date
) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise UnreadableDate(words, today=today) from None


def _days_in_month_any_year(month: int) -> int:
    """The most days ``month`` can have (29 for February), for dates given without a year."""
    return calendar.monthrange(2024, month)[1]  # 2024: a leap year


def _full_year(year: str) -> int:
    return 2000 + int(year) if len(year) == 2 else int(year)


# --- the rules ------------------------------------------------------------------------------


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\s+", " ", text).strip()
    text = text.strip(".,;:!?()[]\"' ")
    text = _LEAD.sub("", text)
    if text in _TODAY_WORDS:
        return text  # "this morning" is a day, not "this" plus a time
    for pattern in (_LEADING_TIME, _TRAILING_TIME):
        stripped = pattern.sub("", text)
        if stripped:
            text = stripped
    return text.replace("end of the ", "end of ").replace("end of this ", "end of ")


def _by_rules(text: str, *, words: str, today: datetime.date) -> datetime.date | None:
    """Our own reading of ``text`` (already normalised), or None if no rule applies.

    Raises UnreadableDate for forms that are clearly dates but impossible ("31/02").
    """
    if text in _TODAY_WORDS:
        return today
    if text in _TOMORROW_WORDS:
        return today + datetime.timedelta(days=1)
    if text in ("the day after tomorrow", "day after tomorrow"):
        return today + datetime.timedelta(days=2)
    if text == "yesterday":
        return today - datetime.timedelta(days=1)
    if text in ("christmas", "xmas", "christmas day"):
        return _next_on_or_after(today, month=12, day=25, words=words)

    if m := _ISO.match(text):
        return _explicit(int(m[1]), int(m[2]), int(m[3]), words=words, today=today)
    if m := _NUMERIC_DMY.match(text):
        if m[4]:
            return _explicit(int(m[6]), int(m[5]), int(m[4]), words=words, today=today)
        day, month = int(m[1]), int(m[2])
        if m[3]:
            return _explicit(_full_year(m[3]), month, day, words=words, today=today)
        if not (1 <= month <= 12 and 1 <= day <= _days_in_month_any_year(month)):
            raise UnreadableDate(words, today=today)
        return _nearest_year(today, month=month, day=day, words=words)
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        if m := pattern.match(text):
            day, month = int(m[day_group]), _month_index(m[month_group])
            if m[3]:
                return _explicit(_full_year(m[3]), month, day, words=words, today=today)
            if not 1 <= day <= _days_in_month_any_year(month):
                raise UnreadableDate(words, today=today)
            return _nearest_year(today, month=month, day=day, words=words)
    if m := _DAY_ONLY.match(text):
        day = int(m[1])
        if not 1 <= day <= 31:
            raise UnreadableDate(words, today=today)
        candidate = today.replace(day=1)
        for _ in range(3):
            if day <= calendar.monthrange(candidate.year, candidate.month)[1]:
                if (found := candidate.replace(day=day)) >= today:
                    return found
            candidate = _add_months(candidate, 1)
    if m := _MONTH_ONLY.match(text):
        return _month_phrase(m[1], _month_index(m[2]), m[3], today=today)

    if m := _WEEKDAY_PHRASE.match(text):
        # "Tuesday next week" is "next Tuesday"; "Tuesday this week" is "this Tuesday".
        qualifier = m[4] or m[1]
        return _weekday_phrase(qualifier, _weekday_index(m[2]), week_later=bool(m[3]), today=today)
    if m := _A_WEEK_ON.match(text):
        return _weekday_phrase(None, _weekday_index(m[1]), week_later=True, today=today)

    relative = _PHRASES.get(text)
    if relative is not None:
        return relative(today)

    if m := _RELATIVE.match(text):
        number, working, unit = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        return _relative(number, unit, working=bool(working), today=today)
    return None


def _month_phrase(
    position: str | None, month: int, year: str | None, *, today: datetime.date
) -> datetime.date:
    """ "December" = by the start of December; "end of December", "mid December" as said."""
    if year:
        first = datetime.date(int(year), month, 1)
    else:
        first = datetime.date(today.year, month, 1)
        if _end_of_month(first.year, month) < today:
            first = first.replace(year=today.year + 1)
    if position == "end" or position == "late":
        return _end_of_month(first.year, month)
    if position == "mid":
        return first.replace(day=15)
    if first.year == today.year and first.month == today.month and not year:
        # "by November" said in November: the only sensible reading is by the end of it.
        return _end_of_month(first.year, month)
    return first


def _weekday_phrase(
    qualifier: str | None, weekday: int, *, week_later: bool, today: datetime.date
) -> datetime.date:
    """Plain or "coming": the next one, today included. "this": this ISO week's. "next": the
    one in next ISO week. "Friday week" (British): a week after the plain reading."""
    if qualifier == "this":
        day = _monday_of(today) + datetime.timedelta(days=weekday)
    elif qualifier == "next":
        day = _monday_of(today) + datetime.timedelta(days=7 + weekday)
    else:
        day = today + datetime.timedelta(days=(weekday - today.weekday()) % 7)
    return day + datetime.timedelta(days=7) if week_later else day


def _relative(number: str, unit: str, *, working: bool, today: datetime.date) -> datetime.date:
    count = int(number) if number.isdigit() else _NUMBER_WORDS[number]
    unit = unit.rstrip("s")
    if working:
        if unit == "day":
            return _add_working_days(today, count)
        return today + datetime.timedelta(weeks=count)  # "2 working weeks" is just 2 weeks
    if unit == "day":
        return today + datetime.timedelta(days=count)
    if unit == "week":
        return today + datetime.timedelta(weeks=count)
    if unit == "fortnight":
        return today + datetime.timedelta(weeks=2 * count)
    return _add_months(today, count)


def _end_of_quarter(today: datetime.date, *, quarters_ahead: int = 0) -> datetime.date:
    """Calendar quarter ends; these coincide with UK financial quarter ends too."""
    last_month = datetime.date(today.year, ((today.month - 1) // 3 + 1) * 3, 1)
    return _last_day(_add_months(last_month, 3 * quarters_ahead))


def _last_day(day: datetime.date) -> datetime.date:
    return _end_of_month(day.year, day.month)


def _end_of_financial_year(today: datetime.date) -> datetime.date:
    """UK public-sector financial year ends on 31 March."""
    end = datetime.date(today.year, 3, 31)
    return end if end >= today else end.replace(year=today.year + 1)


_PHRASES: dict[str, Callable[[datetime.date], datetime.date]] = {
    "end of week": _end_of_week,
    "eow": _end_of_week,
    "this week": _end_of_week,
    "end of play friday": _end_of_week,
    "end of next week": lambda t: _monday_of(t) + datetime.timedelta(days=7 + 4),
    "next week": lambda t: _monday_of(t) + datetime.timedelta(days=7),
    "week after next": lambda t: _monday_of(t) + datetime.timedelta(days=14),
    "end of month": _last_day,
    "eom": _last_day,
    "month end": _last_day,
    "month-end": _last_day,
    "this month": _last_day,
    "end of next month": lambda t: _last_day(_add_months(t, 1)),
    "next month": lambda t: _add_months(t.replace(day=1), 1),
    "start of next month": lambda t: _add_months(t.replace(day=1), 1),
    "beginning of next month": lambda t: _add_months(t.replace(day=1), 1),
    "end of year": lambda t: datetime.date(t.year, 12, 31),
    "eoy": lambda t: datetime.date(t.year, 12, 31),
    "this year": lambda t: datetime.date(t.year, 12, 31),
    "end of next year": lambda t: datetime.date(t.year + 1, 12, 31),
    "next year": lambda t: datetime.date(t.year + 1, 1, 1),
    "end of quarter": _end_of_quarter,
    "end of next quarter": lambda t: _end_of_quarter(t, quarters_ahead=1),
    "end of financial year": _end_of_financial_year,
    "end of fy": _end_of_financial_year,
    "a week today": lambda t: t + datetime.timedelta(days=7),
    "a week from today": lambda t: t + datetime.timedelta(days=7),
    "a week tomorrow": lambda t: t + datetime.timedelta(days=8),
}


# --- dateparser fallback --------------------------------------------------------------------

_DATEPARSER_LOCK = threading.Lock()


@functools.lru_cache(maxsize=8)
def _dateparser_for(today: datetime.date) -> Any:
    """One configured parser per local day. Importing and configuring dateparser is the slow
    part (its language data loads on first use), so it happens lazily and only once per day."""
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "DATE_ORDER": "DMY",
            "RELATIVE_BASE": datetime.datetime.combine(today, datetime.time(12)),
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )


def _by_dateparser(text: str, *, today: datetime.date) -> datetime.date | None:
    if not re.search(r"[a-z]", text):
        return None  # "5" or "12.30": dateparser would guess; we would rather ask
    with _DATEPARSER_LOCK:
        found = _dateparser_for(today).get_date_data(text).date_obj
    if found is None:
        return None
    day: datetime.date = found.date()
    if abs(day - today) > _MAX_DISTANCE:
        return None
    if day < today and not re.search(r"\d{4}|\b(?:ago|last|yesterday)\b", text):
        return None  # it ignores PREFER_DATES_FROM for some forms ("mon 7th" -> a past 7th)
    return day


# --- public ---------------------------------------------------------------------------------


def parse_when(text: str, *, today: datetime.date, use_dateparser: bool = True) -> datetime.date:
    """The date meant by ``text`` (what follows "by"/"until"), relative to the local ``today``.

    A leading "by ", "until " or "on " is tolerated. Explicit dates in the past are returned as
    they are (the caller decides whether that is an error); a day and month without a year
    take the year that puts them nearest to today, so "25 Nov" on 30 Nov is five days ago.
    ``use_dateparser=False`` keeps to our own rules: the extractor uses it to stay fast and
    predictable on free text.

    Raises UnreadableDate when the text is empty, not a date, impossible ("31/02"), or only
    readable as something more than five years away.
    """
    words = text.strip()
    normal = _normalise(text)
    if not normal:
        raise UnreadableDate(words, today=today)
    found = _by_rules(normal, words=words, today=today)
    if found is None and use_dateparser:
        found = _by_dateparser(normal, today=today)
    if found is None:
        raise UnreadableDate(words, today=today)
    return found


def looks_like_date(text: str) -> bool:
    """Whether ``text`` starts with something date-shaped. Cheap (one regex, no dateparser);
    it may say yes to text that ``parse_when`` then rejects, never the other way round for the
    forms our own rules read."""
    return bool(_DATE_START.match(_normalise(text)))


# --- a due date at the end of a sentence ------------------------------------------------------

_PREPOSITION = re.compile(
    r"^(?:no later than|not later than|by|on|before|until|till|til|due(?: by| on)?)\s+", re.I
)
# Words that, right before a bare date phrase, make it part of the text: "the plan for next
# year", "the Friday meeting", "last Tuesday's minutes".
_NOT_BEFORE_BARE_DATE = frozenset(
    "for of the a an this that from since after per every each last at to with".split()
)
# "by hand", "by email": a manner, not a date, so no refusal for an unreadable date.
_BY_MANNER = frozenset(
    "hand email e-mail post phone text letter courier design default law name rota then "
    "me us them him her you all everyone anyone someone teams slack".split()
)
# "before the board meets on the 9th": the event is said for the date; both go.
_EVENT_BEFORE = re.compile(r"(?:^|\s+)(?:before|ahead of|in time for)\s+(?:\S+\s+){0,5}\S+$", re.I)
_PROBE_DAY = datetime.date(2026, 1, 14)
_MAX_PHRASE_WORDS = 10
# A tail after "by" this short is meant as a date even when unreadable ("by flurbsday" is
# refused, not swallowed into the text); a longer tail ("written by the housing team") is text.
_MAX_UNDATED_BY_WORDS = 2


def _readable(phrase: str) -> bool:
    try:
        parse_when(phrase, today=_PROBE_DAY, use_dateparser=False)
    except UnreadableDate:
        return False
    return True


def split_trailing_date(text: str) -> tuple[str, str | None]:
    """``text`` without its trailing due-date phrase, and the phrase (None when there is none).

    The phrase may follow a preposition ("by Friday", "on Thursday", "before 4 Dec",
    "until Monday", "no later than the 9th") or stand alone ("next Tuesday", "in 3 working
    days", "close of play Friday", "EOD Monday"). A bare phrase right after "for", "of", "the"
    and the like belongs to the text ("plan for next year"). "before the board meets on the
    9th" goes as a whole; the date is the 9th. A short tail after "by" that is not a date
    ("by flurbsday") is still returned, so that the caller can refuse it, except a manner
    ("by hand", "by email"). Purely syntactic: no clock is read.
    """
    stripped = text.rstrip().rstrip(".!").rstrip()
    tokens = list(re.finditer(r"\S+", stripped))
    for length in range(min(len(tokens), _MAX_PHRASE_WORDS), 0, -1):
        start = tokens[-length].start()
        tail = stripped[start:]
        prep = _PREPOSITION.match(tail)
        phrase = (tail[prep.end() :] if prep else tail).strip()
        if not phrase or not looks_like_date(phrase) or not _readable(phrase):
            continue
        head = stripped[:start].rstrip()
        if not prep:
            before = head.split()[-1].casefold() if head else ""
            if before in _NOT_BEFORE_BARE_DATE or before.endswith("'s") or phrase.isdigit():
                continue
            if phrase.casefold() in ("now", "today"):
                continue  # "Do it now": a manner of speaking, not a deadline
        elif prep.group().strip().casefold() == "on" and (event := _EVENT_BEFORE.search(head)):
            head = head[: event.start()]
        return head.rstrip(" ,;:-"), phrase
    found = list(re.finditer(r"\s+by\s+", stripped, re.I))
    if found:
        head, tail = stripped[: found[-1].start()], stripped[found[-1].end() :].strip()
        words = tail.split()
        if (
            head.strip()
            and words
            and words[0].casefold() not in _BY_MANNER
            and (looks_like_date(tail) or len(words) <= _MAX_UNDATED_BY_WORDS)
        ):
            return head, tail
    return text.strip(), None
