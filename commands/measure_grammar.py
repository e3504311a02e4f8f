"""The grammar of the shared outcome and joint measures: ``outcome``, ``measures``,
``measure add|edit|retire``, a value for a period, and ``link``."""

from __future__ import annotations

import re

from commands import actions as a
from commands.language import (
    MAX_TEXT,
    RECORD_REF,
    CommandError,
    need_owner,
    need_text,
    parse_number,
    parse_ref,
)
from commands.periods import looks_like_period
from commands.usages import usage_line

MEASURE_FIELDS = ("target", "baseline", "by", "owner", "every")
_MEASURE_KEYWORDS = ("target", "baseline", "unit", "by", "owner", "every", "lower", "higher")
_FREQUENCY_WORDS = {
    "week": "week",
    "weekly": "week",
    "month": "month",
    "monthly": "month",
    "quarter": "quarter",
    "quarterly": "quarter",
}


def measure_command(verb: str, rest: str, words: list[str]) -> a.Command | None:
    """The outcome and measure commands; None for any other command."""
    if verb == "outcome":
        if not rest:
            return a.ShowOutcome()
        return a.SetOutcome(text=need_text(rest, "The outcome", "outcome"))
    if verb == "measures" or (verb == "measure" and words and words[0].lower() == "list"):
        if verb == "measures" and words:
            raise CommandError("`measures` takes nothing after it.", usage=usage_line("measures"))
        return a.ListMeasures()
    if verb == "link":
        if len(words) != 2:
            raise CommandError("Which record, and which measure?", usage=usage_line("link"))
        m = RECORD_REF.match(words[0])
        if not m or m.group(1).upper() == "M":
            raise CommandError(
                f'"{words[0]}" is not a commitment, decision or risk id like C-7.',
                usage=usage_line("link"),
            )
        return a.LinkToMeasure(
            kind=m.group(1).upper(),
            record=int(m.group(2)),
            measure=parse_ref(words[1], "M", "link"),
        )
    if verb != "measure":
        return None
    if not words:
        raise CommandError(
            "Say `measure add …` to add one, or `measure M-1 <value>` to record a value.",
            usage=usage_line("measure"),
        )
    sub = words[0].lower()
    if sub == "add":
        return _measure_add(rest[len(words[0]) :].strip())
    if sub == "edit":
        return _measure_edit(words[1:])
    if sub == "retire":
        if len(words) != 2:
            raise CommandError("Which measure?", usage=usage_line("measure retire"))
        return a.RetireMeasure(number=parse_ref(words[1], "M", "measure retire"))
    return _measure_value(words)


def _measure_add(text: str) -> a.AddMeasure:
    verb = "measure add"
    split = re.search(r"(?:^|\s)target(?:\s+|$)", text, re.IGNORECASE)
    if split is None:
        raise CommandError(
            "Give the measure a target: `measure add <name> target <number>`.",
            usage=usage_line(verb),
        )
    name = need_text(text[: split.start()], "The measure's name", verb)
    words = text[split.start() :].split()
    options: dict[str, str] = {}
    lower_is_better = False
    i = 0
    while i < len(words):
        word = words[i].lower()
        if word in ("lower", "higher"):
            if [w.lower() for w in words[i + 1 : i + 3]] != ["is", "better"]:
                raise CommandError(f'Say "{word} is better".', usage=usage_line(verb))
            lower_is_better = word == "lower"
            i += 3
            continue
        if word not in _MEASURE_KEYWORDS:
            raise CommandError(
                f'I can\'t read "{words[i]}" here; after the name come target, baseline, unit, '
                "by, owner, every and lower is better.",
                usage=usage_line(verb),
            )
        if word in options:
            raise CommandError(f'"{word}" is given twice.', usage=usage_line(verb))
        # "by" takes every word up to the next option (dates have spaces: "31 Mar 2027");
        # every other option takes one word.
        j = min(i + 2, len(words))
        if word == "by":
            j = i + 1
            while j < len(words) and words[j].lower() not in _MEASURE_KEYWORDS:
                j += 1
        value = " ".join(words[i + 1 : j])
        if not value:
            raise CommandError(f'"{word}" needs a value.', usage=usage_line(verb))
        options[word] = value
        i = j
    target = parse_number(options["target"], "The target", verb)
    baseline = (
        parse_number(options["baseline"], "The baseline", verb) if "baseline" in options else None
    )
    if baseline is not None and baseline == target:
        raise CommandError(
            f"The target equals the baseline ({options['target']}); a measure needs somewhere "
            "to go. Give a different target or baseline.",
            usage=usage_line(verb),
        )
    unit = options.get("unit")
    if unit is not None and len(unit) > 40:
        raise CommandError("A unit can be at most 40 characters.", usage=usage_line(verb))
    return a.AddMeasure(
        name=name,
        target=target,
        baseline=baseline,
        unit=unit,
        when=options.get("by"),
        owner=need_owner(options["owner"], verb) if "owner" in options else None,
        frequency=_frequency(options["every"], verb) if "every" in options else "month",
        lower_is_better=lower_is_better,
    )


def _measure_value(words: list[str]) -> a.RecordMeasureValue:
    verb = "measure"
    if not RECORD_REF.match(words[0]):
        raise CommandError(
            f'"{words[0]}" is not a measure id like M-2, nor add, edit or retire.',
            usage=usage_line(verb),
        )
    number = parse_ref(words[0], "M", verb)
    if len(words) < 2:
        raise CommandError(f"What is M-{number}'s value?", usage=usage_line(verb))
    value = parse_number(words[1], "The value", verb)
    period = None
    rest = words[2:]
    if rest and rest[0].lower() == "for":
        if len(rest) < 2:
            raise CommandError("For which period?", usage=usage_line(verb))
        period = rest[1]
        if not looks_like_period(period):
            raise CommandError(
                f'"{period}" is not a period; write a month like 2026-11, a week like 2026-W48 '
                "or a quarter like 2026-Q4.",
                usage=usage_line(verb),
            )
        rest = rest[2:]
    note = " ".join(rest).strip()
    if len(note) > MAX_TEXT:
        raise CommandError(
            f"That note is {len(note):,} characters; the limit is {MAX_TEXT:,}.",
            usage=usage_line(verb),
        )
    return a.RecordMeasureValue(number=number, value=value, period=period, note=note or None)


def _measure_edit(words: list[str]) -> a.EditMeasure:
    verb = "measure edit"
    if len(words) < 3:
        raise CommandError("Which measure, what to change, and to what?", usage=usage_line(verb))
    number = parse_ref(words[0], "M", verb)
    field = words[1].lower()
    if field not in MEASURE_FIELDS:
        raise CommandError(
            f'I can\'t change "{words[1]}"; change target, baseline, by, owner or every.',
            usage=usage_line(verb),
        )
    value = " ".join(words[2:])
    if field in ("target", "baseline"):
        parse_number(value, f"The {field}", verb)
    elif field == "owner":
        need_owner(value, verb)
    elif field == "every":
        value = _frequency(value, verb)
    return a.EditMeasure(number=number, field=field, value=value)


def _frequency(word: str, verb: str) -> str:
    found = _FREQUENCY_WORDS.get(word.lower())
    if found is None:
        raise CommandError(
            f'"every {word}" is not a reporting period; say every week, month or quarter.',
            usage=usage_line(verb),
        )
    return found
