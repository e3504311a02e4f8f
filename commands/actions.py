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
    start: int = 0  # the offset of the page (``list open from 16`` starts at 15)


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
class RateRisk:
    number: int
    impact: str | None = None
    likelihood: str | None = None


@dataclass(frozen=True)
class ReassignRisk:
    number: int
    owner: str


@dataclass(frozen=True)
class SetMyName:
    name: str


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


# --- proposals, deciders and the escalation ladder ---------------------------------------


@dataclass(frozen=True)
class Propose:
    """``propose <text> [because <r>] [decide by <when>] [from <dept>, <dept>...]``."""

    text: str
    rationale: str | None = None
    decide_by: str | None = None
    departments: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnswerProposal:
    """``agree P-n [note]``, ``object P-n <reason>``, ``abstain P-n [note]``."""

    number: int
    answer: str
    note: str | None = None


@dataclass(frozen=True)
class CommentOnProposal:
    number: int
    text: str


@dataclass(frozen=True)
class ReviseProposal:
    number: int
    text: str


@dataclass(frozen=True)
class WithdrawProposal:
    number: int


@dataclass(frozen=True)
class ListProposals:
    pass


@dataclass(frozen=True)
class WhoCanDecide:
    topic: str


@dataclass(frozen=True)
class SetDecider:
    department: str
    owner: str


@dataclass(frozen=True)
class SetLadder:
    steps: tuple[str, ...]


@dataclass(frozen=True)
class SetSro:
    owner: str


@dataclass(frozen=True)
class SetEscalationThreshold:
    """``team set escalation <kind> <days>``; kind is overdue, blocked, red_risk or proposal."""

    kind: str
    days: int


# --- shared outcome and joint measures ---------------------------------------------------------


@dataclass(frozen=True)
class SetOutcome:
    """``outcome <text>``: set or reword the team's shared outcome."""

    text: str


@dataclass(frozen=True)
class ShowOutcome:
    """``outcome``: the outcome with its measures."""


@dataclass(frozen=True)
class AddMeasure:
    """``measure add <name> target <n> [baseline <n>] [unit <u>] [by <when>] [owner <o>]
    [every week|month|quarter] [lower is better]``. ``when`` and ``owner`` stay as typed."""

    name: str
    target: float
    baseline: float | None = None
    unit: str | None = None
    when: str | None = None
    owner: str | None = None
    frequency: str = "month"
    lower_is_better: bool = False


@dataclass(frozen=True)
class RecordMeasureValue:
    """``measure M-n <value> [for <period>] [note]``; also what a nudge's input submits.
    ``period`` stays as typed (None: the current period)."""

    number: int
    value: float
    period: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ListMeasures:
    """``measures``."""


@dataclass(frozen=True)
class EditMeasure:
    """``measure edit M-n target|baseline|by|owner|every <value>``; ``value`` as typed."""

    number: int
    field: str
    value: str


@dataclass(frozen=True)
class RetireMeasure:
    number: int


@dataclass(frozen=True)
class LinkToMeasure:
    """``link C-7 M-2``: a decision, commitment or risk serves a measure."""

    kind: str
    record: int
    measure: int


@dataclass(frozen=True)
class LogForMeasure:
    """``decision|commit|risk … for M-2``: log the record, then link it to the measure."""

    record: LogDecision | LogCommitment | LogRisk
    measure: int


MeasureCommand = (
    SetOutcome
    | ShowOutcome
    | AddMeasure
    | RecordMeasureValue
    | ListMeasures
    | EditMeasure
    | RetireMeasure
    | LinkToMeasure
    | LogForMeasure
)


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
    | RateRisk
    | ReassignRisk
    | SetMyName
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
    | Propose
    | AnswerProposal
    | CommentOnProposal
    | ReviseProposal
    | WithdrawProposal
    | ListProposals
    | WhoCanDecide
    | SetDecider
    | SetLadder
    | SetSro
    | SetEscalationThreshold
    | RateRisk
    | MeasureCommand
    | OpenDashboard
    | AddViewer
)
