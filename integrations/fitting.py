"""Fitting a long reply into a platform's limit: how many of its items can be shown."""

from __future__ import annotations

from collections.abc import Callable


def most_that_fit(total: int, fits: Callable[[int], bool]) -> int:
    """The largest ``n`` in ``0..total`` for which ``fits(n)``, by bisection (``fits`` is
    monotonic: fewer items never take more room). 0 when not even none fits."""
    if fits(total):
        return total
    low, high = 0, total
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low
