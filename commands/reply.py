"""The platform-neutral reply: a small document that each platform renders natively.

Handlers build ``Reply`` objects; the Slack adapter renders them as Block Kit,
the Teams adapter as Adaptive Cards, the console as text or JSON. No handler
ever sees Block Kit or card JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Visibility = Literal["channel", "private"]


@dataclass(frozen=True)
class Button:
    """A button runs ``command`` (the command language) as the person who clicks it.

    With ``picks_person`` the platform first asks for a person (Slack's user
    picker, a Teams people picker) and appends their mention token.
    """

    label: str
    command: str
    style: Literal["primary", "danger"] | None = None
    picks_person: bool = False


@dataclass(frozen=True)
class NumberInput:
    """A number asked for in place: a Slack input block, a Teams ``Input.Number``.

    Submitting it runs ``RecordMeasureValue(number=measure, period=period, value=<the
    number>)`` as the person who submits, in team ``team_id`` (a typed command built
    by ``commands.measures.value_from_form``, never command text parsed again).
    """

    label: str
    measure: int
    period: str
    team_id: int | None = None


@dataclass(frozen=True)
class Field:
    label: str
    value: str


@dataclass(frozen=True)
class Item:
    """One record in a list: ``ref`` is its human id (``C-12``)."""

    title: str
    ref: str | None = None
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    highlight: bool = False
    link: str | None = None
    input: NumberInput | None = None


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[Item, ...] = ()
    empty: str | None = None


@dataclass(frozen=True)
class Reply:
    headline: str
    body: str | None = None
    fields: tuple[Field, ...] = ()
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    visibility: Visibility = "private"
    ok: bool = True
    usage: str | None = None
    ref: str | None = None
    link: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Reply:
        def buttons(rows: list[dict[str, Any]]) -> tuple[Button, ...]:
            return tuple(Button(**b) for b in rows)

        def fields(rows: list[dict[str, Any]]) -> tuple[Field, ...]:
            return tuple(Field(**f) for f in rows)

        sections = tuple(
            Section(
                title=s["title"],
                empty=s.get("empty"),
                items=tuple(
                    Item(
                        title=i["title"],
                        ref=i.get("ref"),
                        fields=fields(i.get("fields", [])),
                        buttons=buttons(i.get("buttons", [])),
                        highlight=i.get("highlight", False),
                        link=i.get("link"),
                        input=NumberInput(**i["input"]) if i.get("input") else None,
                    )
                    for i in s.get("items", [])
                ),
            )
            for s in raw.get("sections", [])
        )
        return cls(
            headline=raw["headline"],
            body=raw.get("body"),
            fields=fields(raw.get("fields", [])),
            sections=sections,
            buttons=buttons(raw.get("buttons", [])),
            visibility=raw.get("visibility", "private"),
            ok=raw.get("ok", True),
            usage=raw.get("usage"),
            ref=raw.get("ref"),
            link=raw.get("link"),
            data=dict(raw.get("data", {})),
        )

    def to_text(self) -> str:
        """Plain text: the console's output and every platform's notification fallback."""
        lines = [self.headline]
        if self.body:
            lines.append(self.body)
        lines.extend(f"  {f.label}: {f.value}" for f in self.fields)
        for section in self.sections:
            lines.append(f"{section.title}:")
            if not section.items and section.empty:
                lines.append(f"  {section.empty}")
            for item in section.items:
                prefix = f"{item.ref} " if item.ref else ""
                mark = "! " if item.highlight else "- "
                detail = "; ".join(f"{f.label}: {f.value}" for f in item.fields)
                lines.append(f"  {mark}{prefix}{item.title}" + (f" ({detail})" if detail else ""))
        if self.usage:
            lines.append(f"Usage: {self.usage}")
        return "\n".join(lines)


def error(message: str, *, usage: str | None = None) -> Reply:
    return Reply(headline=message, ok=False, usage=usage, visibility="private")
