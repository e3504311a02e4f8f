"""The platform-neutral reply: a small document that each platform renders natively.

Handlers build ``Reply`` objects; the Slack adapter renders them as Block Kit,
the Teams adapter as Adaptive Cards, the console as text or JSON. No handler
ever sees Block Kit or card JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Visibility = Literal["channel", "private"]
# The field of a form ("Log as ...") a refusal is about, so that a form shows it there.
FormField = Literal["text", "owner", "due", "rationale"]


@dataclass(frozen=True)
class SummaryAttachment:
    """The weekly summary's spreadsheet, to go with a reply: the team and the ISO week
    (``2026-W47``). Each platform attaches it its own way: Slack uploads the workbook,
    Teams gives a signed download link, the console writes the file."""

    team_id: int
    week: str


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
    """A titled group of items. ``more`` items were left out (a summary, a nudge's tail);
    ``more_command`` is the command that shows them (``list overdue``)."""

    title: str
    items: tuple[Item, ...] = ()
    empty: str | None = None
    more: int = 0
    more_command: str | None = None


@dataclass(frozen=True)
class Page:
    """Where a paged list stands: items ``start + 1`` to ``start + shown`` of ``total``.

    ``command`` is the list command without a position; the command for the page that
    starts at offset ``n`` is ``at(n)`` (``list overdue from 16``). A renderer that must
    show fewer items than the core gave (a platform's size limit) moves Next to the first
    item it left out, so paging still reaches every item.
    """

    command: str
    start: int
    shown: int
    total: int
    size: int

    def at(self, offset: int) -> str:
        return f"{self.command} from {offset + 1}"

    def position(self, shown: int | None = None) -> str:
        """``16–30 of 212``."""
        n = self.shown if shown is None else shown
        if n <= 0:
            return f"0 of {self.total}"
        return f"{self.start + 1}\u2013{self.start + n} of {self.total}"

    def next_command(self, shown: int | None = None) -> str | None:
        n = self.shown if shown is None else shown
        return self.at(self.start + n) if self.start + n < self.total else None

    def previous_command(self) -> str | None:
        return self.at(max(0, self.start - self.size)) if self.start > 0 else None


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
    page: Page | None = None
    # The request was handled before (a redelivery): nothing was written, nothing to show.
    duplicate: bool = False
    # Nothing was saved because of a fault on our side: the platform may retry the request.
    retry: bool = False
    # The weekly summary's spreadsheet goes with this reply.
    summary: SummaryAttachment | None = None
    # The team the reply's buttons run in where the conversation names none (a direct
    # message, App Home); ``section_team_ids`` gives it per section, in order.
    team_id: int | None = None
    section_team_ids: tuple[int, ...] = ()
    # A refusal about one field of a form: the form shows it next to that field.
    field: FormField | None = None

    def to_dict(self) -> dict[str, Any]:
        """The message as stored (an outbox row): the request's flags are not part of it."""
        raw = asdict(self)
        del raw["duplicate"], raw["retry"]
        return raw

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
                more=int(s.get("more") or 0),
                more_command=s.get("more_command"),
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
            page=Page(**raw["page"]) if raw.get("page") else None,
            summary=SummaryAttachment(**raw["summary"]) if raw.get("summary") else None,
            team_id=raw.get("team_id"),
            section_team_ids=tuple(int(i) for i in raw.get("section_team_ids") or ()),
            field=raw.get("field"),
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
            if section.more:
                lines.append("  " + more_text(section.more, section.more_command))
        if self.page is not None:
            lines.append(page_text(self.page))
        if self.usage:
            lines.append(f"Usage: {self.usage}")
        return "\n".join(lines)


def more_text(n: int, command: str | None) -> str:
    """``and 212 more: `list overdue```: what was left out and how to see it."""
    return f"…and {n} more" + (f": `{command}`" if command else ".")


def page_text(page: Page, shown: int | None = None) -> str:
    """``Showing 1–15 of 212. Next: `list open from 16```."""
    text = f"Showing {page.position(shown)}."
    nxt = page.next_command(shown)
    if nxt:
        text += f" Next: `{nxt}`"
    return text


def error(message: str, *, usage: str | None = None, field: FormField | None = None) -> Reply:
    return Reply(headline=message, ok=False, usage=usage, visibility="private", field=field)
