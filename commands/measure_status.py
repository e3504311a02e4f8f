"""Red, amber or green for a measure's latest value against its target line, its trend,
and how its numbers read.

**The status rule** (``measure_status``): the latest value is compared with the
straight line from the baseline (at the measure's start) to the target (at the
target date), read at the end of the value's period. On the right side of the
line, or on it, is green; short of it by at most 10% of the whole planned change
(``|target - baseline|``) is amber; further short is red. "Right side" respects
"lower is better". Without a target date the line has no slope: green once the
target is reached, amber while the value is better than the baseline, red
otherwise. Without a baseline, the first value recorded is the baseline and the
line starts at the end of its period. **The trend** compares the latest value
with the one before it: better, worse or the same, by the measure's direction.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

Status = Literal["green", "amber", "red"]
Trend = Literal["better", "worse", "same"]
AMBER_BAND = 0.10


def expected_value(
    *,
    baseline: float,
    target: float,
    start: dt.date,
    target_date: dt.date | None,
    on: dt.date,
) -> float:
    """The straight line from ``baseline`` at ``start`` to ``target`` at ``target_date``,
    read on ``on`` (the baseline before the start, the target from the target date on)."""
    if target_date is None or on >= target_date:
        return target
    if on <= start:
        return baseline
    share = (on - start).days / (target_date - start).days
    return baseline + (target - baseline) * share


def measure_status(
    *,
    value: float,
    baseline: float,
    target: float,
    start: dt.date,
    target_date: dt.date | None,
    on: dt.date,
    lower_is_better: bool,
) -> Status:
    """Red, amber or green for ``value`` on ``on`` (see the module's docstring)."""
    sign = -1.0 if lower_is_better else 1.0
    if target_date is None:
        if sign * (value - target) >= 0:
            return "green"
        return "amber" if sign * (value - baseline) > 0 else "red"
    expected = expected_value(
        baseline=baseline, target=target, start=start, target_date=target_date, on=on
    )
    shortfall = sign * (expected - value)
    if shortfall <= 0:
        return "green"
    return "amber" if shortfall <= AMBER_BAND * abs(target - baseline) else "red"


def trend(previous: float | None, latest: float, *, lower_is_better: bool) -> Trend | None:
    """Better, worse or the same since the previous value; None when there is none."""
    if previous is None:
        return None
    if latest == previous:
        return "same"
    went_down = latest < previous
    return "better" if went_down == lower_is_better else "worse"


def number_text(value: float, unit: str | None = None) -> str:
    """``1,200``, ``12.5``, ``58 people``, ``45%``."""
    if value == int(value):
        text = f"{int(value):,}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"
