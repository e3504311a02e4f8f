"""The usages of every command: how each is written, what it does, and an example; what
help, refusals and the compact index show."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    verb: str
    line: str
    summary: str
    aliases: tuple[str, ...] = ()
    example: str | None = None


USAGES: tuple[Usage, ...] = (
    Usage(
        "decision",
        "decision <text> [because <rationale>]",
        "Log a decision (D-n).",
        example="decision Pool the data budget because both teams need the same extract",
    ),
    Usage(
        "decision supersede",
        "decision supersede <D-n> <new text> [because <rationale>]",
        "Replace a decision with a new one; the old one is marked superseded.",
    ),
    Usage(
        "commit",
        "commit <owner> <text> [by <when>]",
        "Log a commitment (C-n). Owner: me, @handle, an email or a mention.",
        aliases=("action",),
        example="commit @sam Send the DPIA draft by Friday",
    ),
    Usage("done", "done <C-n> [note]", "Mark a commitment done."),
    Usage("reopen", "reopen <C-n>", "Reopen a done, cancelled or blocked commitment."),
    Usage("cancel", "cancel <C-n> [reason]", "Cancel a commitment (it stays in the log)."),
    Usage("block", "block <C-n> <reason>", "Mark a commitment blocked, with the reason."),
    Usage("reassign", "reassign <C-n> <owner>", "Give a commitment to someone else."),
    Usage("due", "due <C-n> <when>", "Change a commitment's due date."),
    Usage("snooze", "snooze <C-n> until <when>", "Pause reminders for a commitment until a date."),
    Usage("show", "show <D-n|C-n|R-n|M-n>", "Show one record."),
    Usage(
        "who owns",
        "who owns <topic>",
        "Who owns a topic: areas, open commitments and decisions that match.",
        aliases=("owner",),
        example="who owns DPIA",
    ),
    Usage(
        "owns",
        "owns <area> <owner> [accountable|responsible|consulted|informed]",
        "Record a RACI role on an area of work (default responsible).",
        example="owns data sharing agreement @priya accountable",
    ),
    Usage(
        "list",
        "list [open|overdue|mine|done|blocked|decisions|risks] [for <owner>] "
        "[dept <department>] [from <n>]",
        "List records (default: open commitments), a page at a time.",
        example="list overdue dept Housing",
    ),
    Usage(
        "risk",
        "risk <text> [impact low|medium|high] [likelihood low|medium|high] [owner <owner>]",
        "Log a shared risk (R-n).",
    ),
    Usage("risk close", "risk close <R-n> [note]", "Close a risk."),
    Usage(
        "risk rate",
        "risk rate <R-n> [impact low|medium|high] [likelihood low|medium|high]",
        "Re-rate a risk; a red risk's escalation starts again at the bottom.",
    ),
    Usage("risk owner", "risk owner <R-n> <owner>", "Give a risk to someone else."),
    Usage("team create", "team create <name>", "Create a team and link this channel to it."),
    Usage("team", "team", "Show this team's settings, leads and linked channels."),
    Usage(
        "team set",
        "team set timezone <IANA tz> | reminders <HH:MM> | escalation <working days> | "
        "summary <day> <HH:MM> | holidays <calendar|none> | suggestions on|off | "
        "reaction decision|commitment <emoji>",
        "Change a team setting (team leads).",
    ),
    Usage("team lead", "team lead <owner>", "Make someone a team lead."),
    Usage(
        "team link",
        "team link",
        "Get a join code to link a channel on the other platform to this team.",
    ),
    Usage("team join", "team join <code>", "Link this channel to the team that made the code."),
    Usage("dept", "dept <owner> <department>", "Set someone's department."),
    Usage(
        "me is",
        "me is <email>",
        "Join this account to your account on the other platform (the one with that email): "
        "you get a code to confirm from there.",
        example="me is sam.jones@health.example",
    ),
    Usage(
        "me confirm",
        "me confirm <code>",
        "From your other account, confirm the code `me is` gave you: your Slack and Teams "
        "accounts become one person in the log.",
        example="me confirm K7QP2MXA",
    ),
    Usage(
        "me name",
        "me name <display name>",
        "Set the name others see for you.",
        example="me name Alex Morgan",
    ),
    Usage(
        "summary",
        "summary [this week|last week|YYYY-Www]",
        "The weekly joint delivery summary (default: last week), with its spreadsheet.",
        example="summary 2026-W47",
    ),
    Usage(
        "dashboard",
        "dashboard",
        "A personal sign-in link (15 minutes, single use) to the live view of your teams.",
    ),
    Usage(
        "team viewer add",
        "team viewer add <owner>",
        "Let someone outside the channel see this team's live view, read-only (team leads).",
    ),
    Usage("help", "help [command]", "This help, or one command's."),
)

# --- proposals, deciders and the escalation ladder (issue 16) ------------------------------

_PROPOSAL_USAGES: tuple[Usage, ...] = (
    Usage(
        "propose",
        "propose <text> [because <rationale>] [decide by <when>] [from <dept>, <dept>...]",
        "Ask the departments to agree a decision (P-n): one decider per department answers.",
        example="propose Share the rough sleeper list weekly decide by Friday from Health, Police",
    ),
    Usage(
        "propose revise",
        "propose revise <P-n> <new text>",
        "Change a proposal's text; every decider is asked again.",
    ),
    Usage("propose withdraw", "propose withdraw <P-n>", "Withdraw a proposal."),
    Usage("agree", "agree <P-n> [note]", "Agree a proposal for your department."),
    Usage("object", "object <P-n> <reason>", "Object to a proposal, saying why."),
    Usage("abstain", "abstain <P-n> [note]", "Abstain on a proposal for your department."),
    Usage("comment", "comment <P-n> <text>", "Comment on a proposal (anyone)."),
    Usage(
        "who can decide",
        "who can decide <topic>",
        "Who decides: the departments' deciders and the accountable people of matching areas.",
        example="who can decide data sharing",
    ),
    Usage(
        "team decider",
        "team decider <department> <owner>",
        "Name who answers proposals for a department (default: the team's lead from it).",
    ),
    Usage(
        "team ladder",
        "team ladder <step>, <step>, ...",
        "The escalation ladder; steps: accountable, lead, sro, channel "
        "(default: accountable, lead).",
        example="team ladder accountable, lead, sro, channel",
    ),
    Usage("team sro", "team sro <owner>", "Name the team's senior responsible owner (SRO)."),
    Usage(
        "team set escalation",
        "team set escalation [overdue|blocked|red risk|proposal] <working days>",
        "Working days before each kind of item starts to climb the ladder (and between steps).",
    ),
)
USAGES = (*USAGES, *_PROPOSAL_USAGES)
# --- shared outcome and joint measures: usages -------------------------------------------------

MEASURE_USAGES: tuple[Usage, ...] = (
    Usage(
        "outcome",
        "outcome [<text>]",
        "Set or reword the team's shared outcome (leads); alone, show it with its measures.",
        example="outcome Fewer people sleeping rough in the city",
    ),
    Usage(
        "measure add",
        "measure add <name> target <number> [baseline <number>] [unit <unit>] [by <when>] "
        "[owner <owner>] [every week|month|quarter] [lower is better]",
        "Add a joint measure (M-n) of the outcome; its department is its owner's.",
        example="measure add People sleeping rough target 20 baseline 64 unit people "
        "by 2027-03-31 every month lower is better",
    ),
    Usage(
        "measure",
        "measure <M-n> <number> [for <period>] [note]",
        "Record a value (this period unless one is given: 2026-11, 2026-W48, 2026-Q4); "
        "a second value for a period replaces the first.",
        example="measure M-1 58 for 2026-11 street count",
    ),
    Usage(
        "measures",
        "measures",
        "Every measure with its latest value, target, trend and red/amber/green status.",
    ),
    Usage(
        "measure edit",
        "measure edit <M-n> target|baseline|by|owner|every <value>",
        "Change a measure (its owner, whoever added it, or a lead).",
    ),
    Usage(
        "measure retire",
        "measure retire <M-n>",
        "Retire a measure (it stays in the log; its owner, whoever added it, or a lead).",
    ),
    Usage(
        "link",
        "link <C-n|D-n|R-n> <M-n>",
        "Say that a commitment, decision or risk serves a measure "
        "(or add `for M-n` when logging it).",
        example="link C-7 M-2",
    ),
)
USAGES = USAGES + MEASURE_USAGES

_BY_VERB = {u.verb: u for u in USAGES}


def usage_line(verb: str) -> str:
    return _BY_VERB[verb].line


def brief(usage: Usage) -> str:
    """The first sentence of a usage's summary: one line of the compact index."""
    head, dot, _ = usage.summary.partition(". ")
    return head + ("." if dot else "")
