"""The commands of the language, as small frozen dataclasses named as imperatives.

Owners stay as the words the user typed (``me``, ``@handle``, an email, a
mention token) and dates as text: both are resolved by the handler, which
knows the team's people and timezone.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LogDecision:
    text: str
    rationale: str | None = None


@dataclass(frozen=True)
class SupersedeDecision:
    number: int
    text: str
    rationale: str | None = None


@dataclass(frozen=True)
class LogCommitment:
    owner: str
    text: str
    when: str | None = None


@dataclass(frozen=True)
class MarkDone:
    number: int
    note: str | None = None


@dataclass(frozen=True)
class Reopen:
    number: int


@dataclass(frozen=True)
class Cancel:
    number: int
    reason: str | None = None


@dataclass(frozen=True)
class Block:
    number: int
    reason: str


@dataclass(frozen=True)
class Reassign:
    number: int
    owner: str


@dataclass(frozen=True)
class SetDue:
    number: int
    when: str


@dataclass(frozen=True)
class Snooze:
    number: int
    when: str


@dataclass(frozen=True)
class Show:
    kind: str
    number: int


@dataclass(frozen=True)
class WhoOwns:
    topic: str


@dataclass(frozen=True)
class SetOwnership:
    area: str
    owner: str
    role: str = "responsible"


@dataclass(frozen=True)
class ListRecords:
    what: str = "open"
    owner: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class LogRisk:
    text: str
    impact: str = "medium"
    likelihood: str = "medium"
    owner: str | None = None


@dataclass(frozen=True)
class CloseRisk:
    number: int
    note: str | None = None


@dataclass(frozen=True)
class CreateTeam:
    name: str


@dataclass(frozen=True)
class ShowTeam:
    pass


@dataclass(frozen=True)
class SetTeamOption:
    option: str
    value: str


@dataclass(frozen=True)
class MakeLead:
    owner: str


@dataclass(frozen=True)
class SetDepartment:
    owner: str
    department: str


@dataclass(frozen=True)
class LinkTeam:
    pass


@dataclass(frozen=True)
class JoinTeam:
    code: str


@dataclass(frozen=True)
class ClaimEmail:
    """``me is <email>``: ask to become the person who holds ``email`` on another platform."""

    email: str


@dataclass(frozen=True)
class ConfirmClaim:
    """``me confirm <code>``: said from the account that holds the email, to join the two."""

    code: str


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class ShowWeeklySummary:
    """``summary [this week|last week|2026-W47]``; ``week`` stays as typed (None: last week)."""

    week: str | None = None


@dataclass(frozen=True)
class OpenDashboard:
    """``dashboard``: a personal sign-in link to the live view of the teams you can see."""


@dataclass(frozen=True)
class AddViewer:
    """``team viewer add <owner>``: read-only access to this team's live view (leads)."""

    owner: str


Command = (
    LogDecision
    | SupersedeDecision
    | LogCommitment
    | MarkDone
    | Reopen
    | Cancel
    | Block
    | Reassign
    | SetDue
    | Snooze
    | Show
    | WhoOwns
    | SetOwnership
    | ListRecords
    | LogRisk
    | CloseRisk
    | CreateTeam
    | ShowTeam
    | SetTeamOption
    | MakeLead
    | SetDepartment
    | LinkTeam
    | JoinTeam
    | ClaimEmail
    | ConfirmClaim
    | Help
    | ShowWeeklySummary
    | OpenDashboard
    | AddViewer
)
