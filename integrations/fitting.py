"""Fitting a long reply into a platform's limit: how many of its items can be shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def most_that_fit(
    total: int, render: Callable[[int], T], fits: Callable[[T], bool]
) -> tuple[int, T]:
    """The largest ``n`` in ``0..total`` whose rendering ``render(n)`` ``fits``, with that
    rendering (``fits`` is monotonic: fewer items never take more room); 0 and its rendering
    when not even none fits.

    Everything is tried first and, in the usual case where it fits, rendered only once; a
    reply too big for its platform is then bisected."""
    rendered = render(total)
    if fits(rendered) or total == 0:
        return total, rendered
    best = (0, render(0))
    low, high = 1, total - 1
    while low <= high:
        middle = (low + high) // 2
        attempt = render(middle)
        if fits(attempt):
            best = (middle, attempt)
            low = middle + 1
        else:
            high = middle - 1
    return best
