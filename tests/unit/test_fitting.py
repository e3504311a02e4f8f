"""How many of a reply's items fit a platform's limit, and the rendering that fits."""

from __future__ import annotations

from integrations.fitting import most_that_fit


class Renderer:
    """Renders ``n`` items as ``n`` blocks after a headline, counting its calls."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, n: int) -> list[str]:
        self.calls.append(n)
        return ["headline", *(f"item {i}" for i in range(n))]


def test_a_reply_that_fits_is_rendered_once() -> None:
    render = Renderer()
    assert most_that_fit(30, render, lambda blocks: len(blocks) <= 50) == (
        30,
        render(30),
    )
    assert render.calls == [30, 30]  # once by most_that_fit, once by the assertion


def test_the_most_that_fit_come_with_their_own_rendering() -> None:
    for limit in range(1, 60):
        render = Renderer()
        kept, blocks = most_that_fit(200, render, lambda blocks, limit=limit: len(blocks) <= limit)
        assert kept == limit - 1
        assert blocks == ["headline", *(f"item {i}" for i in range(limit - 1))]
        assert len(render.calls) <= 10  # bisection, not one rendering per item


def test_when_not_even_the_headline_fits_none_are_kept() -> None:
    kept, blocks = most_that_fit(5, Renderer(), lambda blocks: False)
    assert (kept, blocks) == (0, ["headline"])
    assert most_that_fit(0, Renderer(), lambda blocks: False) == (0, ["headline"])
