"""The command language: text in, a typed command out, or a specific ``CommandError``.

The same words work in Slack, Teams and the console. Parsing is purely
syntactic: owners and dates stay as text and are resolved by the handlers.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from commands import actions as a
from commands.dates import split_trailing_date
from commands.periods import looks_like_period
from commands.reply import FormField

MAX_TEXT = 4000


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


class CommandError(Exception):
    """Bad input: a short, specific message, and the usage line of the command meant."""

    def __init__(
        self, message: str, *, usage: str | None = None, field: FormField | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage
        # The form field the refusal is about (the owner refused, the due date unread).
        self.field = field


@contextmanager
def about(field: FormField) -> Iterator[None]:
    """A refusal raised inside is about ``field`` of a form (unless it already names one):
    ``with about("owner"): owner = ctx.resolve_owner(...)``."""
    try:
        yield
    except CommandError as exc:
        exc.field = exc.field or field
        raise


_REF = re.compile(r"^(?:#)?([dcrm])-?(\d{1,9})$", re.IGNORECASE)
ROLES = ("responsible", "accountable", "consulted", "informed")
_ROLE_ALIASES = {"r": "responsible", "a": "accountable", "c": "consulted", "i": "informed"}
LEVELS = ("low", "medium", "high")
LIST_KINDS = ("open", "overdue", "mine", "done", "blocked", "decisions", "risks", "all")


def parse_ref(token: str, kind: str, verb: str) -> int:
    """``C-12`` (also ``c12``, ``#C-12``) -> 12, or a CommandError naming what was expected."""
    match = _REF.match(token.strip())
    if not match or match.group(1).upper() != kind:
        label = {"D": "decision", "C": "commitment", "R": "risk", "M": "measure"}[kind]
        raise CommandError(
            f'"{token}" is not a {label} id; {label} ids look like {kind}-12.',
            usage=usage_line(verb),
        )
    return int(match.group(2))


def is_owner_token(token: str) -> bool:
    """``me``, ``@handle``, an email, or an adapter's mention token (``<@...>``)."""
    return (
        token.lower() == "me"
        or token.startswith("@")
        or token.startswith("<@")
        or bool(re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", token))
    )


def need_text(text: str, what: str, verb: str) -> str:
    """``text`` stripped; a CommandError when it is empty or longer than ``MAX_TEXT``. The
    parser and the handlers of typed commands (forms) both check with it."""
    return _need(text, what, verb)


def _need(text: str, what: str, verb: str) -> str:
    text = text.strip()
    if not text:
        raise CommandError(f"{what} is missing.", usage=usage_line(verb), field="text")
    if len(text) > MAX_TEXT:
        raise CommandError(
            f"That text is {len(text):,} characters; the limit is {MAX_TEXT:,}.",
            usage=usage_line(verb),
            field="text",
        )
    return text


def _owner(token: str, verb: str) -> str:
    if not is_owner_token(token):
        raise CommandError(
            f'"{token}" is not an owner. Name one as me, @handle, an email or a mention.',
            usage=usage_line(verb),
        )
    return token


def _split_last(text: str, word: str) -> tuple[str, str | None]:
    """Split at the last ``<space>word<space>`` (case-insensitive)."""
    matches = list(re.finditer(rf"\s+{word}\s+", text, re.IGNORECASE))
    if not matches:
        return text, None
    m = matches[-1]
    return text[: m.start()], text[m.end() :]


def _split_due(text: str) -> tuple[str, str | None]:
    """The text and its trailing due-date phrase ("by Friday", "next Tuesday", "on the 9th"):
    the rule lives in ``commands.dates.split_trailing_date``."""
    return split_trailing_date(text)


def parse(text: str) -> a.Command:
    """Parse one command. Raises CommandError with a specific message and a usage line."""
    text = text.replace("\u00a0", " ").strip().lstrip("/").strip()
    if not text:
        raise CommandError("Say a command, or `help` to see them all.", usage=usage_line("help"))
    verb, _, rest = re.sub(r"\s", " ", text, count=1).partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    words = rest.split()

    proposal_command = _parse_proposals(verb, words, rest)
    if proposal_command is not None:
        return proposal_command
    measure_command = _measure_command(verb, rest, words)
    if measure_command is not None:
        return measure_command

    if verb in ("decision", "decide", "decided"):
        if words and words[0].lower() == "supersede":
            return _supersede(words[1:])
        body, rationale = _split_last(rest, "because")
        return a.LogDecision(
            text=_need(body, "The decision text", "decision"),
            rationale=rationale.strip() if rationale and rationale.strip() else None,
        )
    if verb in ("commit", "action", "commitment"):
        if not words:
            raise CommandError("Who owns it, and what is it?", usage=usage_line("commit"))
        owner = _owner(words[0], "commit")
        body = rest[len(words[0]) :].strip()
        body, when = _split_due(body)
        if when is not None and not body.strip():
            raise CommandError(
                f'What is the commitment? "{when}" is only its due date.',
                usage=usage_line("commit"),
            )
        return a.LogCommitment(
            owner=owner, text=_need(body, "The commitment text", "commit"), when=when
        )
    if verb in ("done", "complete", "close", "closed"):
        return a.MarkDone(number=_ref_arg(words, "C", "done"), note=_rest_after(words) or None)
    if verb == "reopen":
        return a.Reopen(number=_ref_arg(words, "C", "reopen"))
    if verb == "cancel":
        return a.Cancel(number=_ref_arg(words, "C", "cancel"), reason=_rest_after(words) or None)
    if verb in ("block", "blocked"):
        number = _ref_arg(words, "C", "block")
        return a.Block(number=number, reason=_need(_rest_after(words), "The reason", "block"))
    if verb == "reassign":
        number = _ref_arg(words, "C", "reassign")
        if len(words) < 2:
            raise CommandError("Who should own it now?", usage=usage_line("reassign"))
        return a.Reassign(number=number, owner=_owner(words[1], "reassign"))
    if verb == "due":
        number = _ref_arg(words, "C", "due")
        when = _rest_after(words)
        if when.lower().startswith("by "):
            when = when[3:]
        return a.SetDue(number=number, when=_need(when, "The new due date", "due"))
    if verb == "snooze":
        return _snooze(words)
    if verb == "show":
        if not words:
            raise CommandError("Which record?", usage=usage_line("show"))
        m = _REF.match(words[0])
        if not m:
            raise CommandError(
                f'"{words[0]}" is not a record id like D-3, C-12, R-1 or M-2.',
                usage=usage_line("show"),
            )
        return a.Show(kind=m.group(1).upper(), number=int(m.group(2)))
    if verb == "who":
        if not words or words[0].lower() not in ("owns", "own", "is"):
            raise CommandError("Did you mean `who owns <topic>`?", usage=usage_line("who owns"))
        topic = " ".join(words[1:]).strip(" ?")
        if words[0].lower() == "is" and topic.lower().startswith("responsible for"):
            topic = topic[len("responsible for") :].strip()
        return a.WhoOwns(topic=_need(topic, "The topic", "who owns"))
    if verb == "owner":
        return a.WhoOwns(topic=_need(rest.strip(" ?"), "The topic", "who owns"))
    if verb == "owns":
        return _owns(words)
    if verb == "list":
        return _list(words)
    if verb == "risk":
        if words and words[0].lower() == "close":
            number = _ref_arg(words[1:], "R", "risk close")
            return a.CloseRisk(number=number, note=_rest_after(words[1:]) or None)
        if words and words[0].lower() in ("rate", "rerate", "re-rate"):
            return _rate_risk(words[1:])
        if words and words[0].lower() in ("owner", "reassign"):
            number = _ref_arg(words[1:], "R", "risk owner")
            if len(words) != 3:
                raise CommandError("Who should own it now?", usage=usage_line("risk owner"))
            return a.ReassignRisk(number=number, owner=_owner(words[2], "risk owner"))
        return _risk(rest)
    if verb == "team":
        return _team(words)
    if verb in ("dept", "department"):
        if len(words) < 2:
            raise CommandError("Whose department, and which?", usage=usage_line("dept"))
        return a.SetDepartment(owner=_owner(words[0], "dept"), department=" ".join(words[1:]))
    if verb == "me" and words and words[0].lower() == "is":
        if len(words) != 2 or not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", words[1]):
            raise CommandError("Give your email address.", usage=usage_line("me is"))
        return a.ClaimEmail(email=words[1])
    if verb == "me" and words and words[0].lower() == "name":
        name = " ".join(words[1:])
        if len(name) > 200:
            raise CommandError("A name can be at most 200 characters.", usage=usage_line("me name"))
        return a.SetMyName(name=_need(name, "The name", "me name"))
    if verb == "me" and words and words[0].lower() == "confirm":
        if len(words) != 2 or not re.fullmatch(r"[A-Za-z0-9]{4,20}", words[1]):
            raise CommandError(
                "Give the code that `me is` gave you.", usage=usage_line("me confirm")
            )
        return a.ConfirmClaim(code=words[1].upper())
    if verb == "summary":
        return a.ShowWeeklySummary(week=rest or None)
    if verb == "dashboard":
        return a.OpenDashboard()
    if verb in ("help", "?"):
        return a.Help(topic=" ".join(words).lower() or None)
    raise CommandError(_unknown_verb(verb), usage=usage_line("help"))


def _unknown_verb(verb: str) -> str:
    """'I don't know "comit". Did you mean `commit`?' (the nearest command word, if any)."""
    words = {u.verb.split()[0] for u in USAGES} | {alias for u in USAGES for alias in u.aliases}
    nearest = difflib.get_close_matches(verb, sorted(words), n=1, cutoff=0.75)
    if nearest:
        return f'I don\'t know "{verb}". Did you mean `{nearest[0]}`?'
    return f'I don\'t know the command "{verb}". Say `help` to see them all.'


def _rate_risk(words: list[str]) -> a.RateRisk:
    number = _ref_arg(words, "R", "risk rate")
    options: dict[str, str] = {}
    rest = [w.lower() for w in words[1:]]
    if len(rest) % 2 or not rest:
        raise CommandError("Give a new impact, likelihood or both.", usage=usage_line("risk rate"))
    for key, value in zip(rest[::2], rest[1::2], strict=True):
        if key not in ("impact", "likelihood") or value not in LEVELS:
            raise CommandError(
                f'"{key} {value}": say impact or likelihood, then low, medium or high.',
                usage=usage_line("risk rate"),
            )
        options[key] = value
    return a.RateRisk(
        number=number, impact=options.get("impact"), likelihood=options.get("likelihood")
    )


def _ref_arg(words: list[str], kind: str, verb: str) -> int:
    if not words:
        label = {"D": "decision", "C": "commitment", "R": "risk", "M": "measure"}[kind]
        raise CommandError(f"Which {label}? Give its id, like {kind}-12.", usage=usage_line(verb))
    return parse_ref(words[0], kind, verb)


def _rest_after(words: list[str]) -> str:
    return " ".join(words[1:]).strip()


def _supersede(words: list[str]) -> a.SupersedeDecision:
    number = _ref_arg(words, "D", "decision supersede")
    body, rationale = _split_last(" ".join(words[1:]), "because")
    return a.SupersedeDecision(
        number=number,
        text=_need(body, "The new decision text", "decision supersede"),
        rationale=rationale.strip() if rationale and rationale.strip() else None,
    )


def _snooze(words: list[str]) -> a.Snooze:
    number = _ref_arg(words, "C", "snooze")
    rest = words[1:]
    if rest and rest[0].lower() in ("until", "till", "til", "to"):
        when = " ".join(rest[1:])
    elif rest and rest[0].lower() == "for":
        when = "in " + " ".join(rest[1:])
    else:
        when = " ".join(rest)
    return a.Snooze(number=number, when=_need(when, "The date to snooze until", "snooze"))


def _owns(words: list[str]) -> a.SetOwnership:
    role = "responsible"
    if words and (words[-1].lower() in ROLES or words[-1].lower() in _ROLE_ALIASES):
        role = _ROLE_ALIASES.get(words[-1].lower(), words[-1].lower())
        words = words[:-1]
    if len(words) < 2:
        raise CommandError("Which area, and who owns it?", usage=usage_line("owns"))
    owner = _owner(words[-1], "owns")
    area = " ".join(words[:-1]).strip()
    return a.SetOwnership(area=_need(area, "The area", "owns"), owner=owner, role=role)


def _list(words: list[str]) -> a.ListRecords:
    what, owner, department = "open", None, None
    start = 0
    # "... from <n>": the page that starts at item n (what the Next/Previous buttons run).
    if len(words) >= 2 and words[-2].lower() == "from":
        if not words[-1].isdigit() or not 1 <= int(words[-1]) <= 1_000_000:
            raise CommandError(
                f'"from {words[-1]}" should name an item number, like from 16.',
                usage=usage_line("list"),
            )
        start = int(words[-1]) - 1
        words = words[:-2]
    i = 0
    if i < len(words) and words[i].lower() in LIST_KINDS:
        what = words[i].lower()
        i += 1
    while i < len(words):
        word = words[i].lower()
        if word == "for" and i + 1 < len(words):
            owner = _owner(words[i + 1], "list")
            i += 2
        elif word in ("dept", "department") and i + 1 < len(words):
            department = " ".join(words[i + 1 :])
            break
        else:
            raise CommandError(f'I can\'t list "{words[i]}".', usage=usage_line("list"))
    return a.ListRecords(what=what, owner=owner, department=department, start=start)


_RISK_OPTION = re.compile(r"\s+(?:(impact|likelihood)\s+(\S+)|(owner)\s+(\S+))\s*$", re.IGNORECASE)


def _risk(rest: str) -> a.LogRisk:
    options: dict[str, str] = {}
    body = rest
    while True:
        m = _RISK_OPTION.search(body)
        if not m:
            break
        key = (m.group(1) or m.group(3)).lower()
        value = m.group(2) or m.group(4)
        if key in options:
            break
        options[key] = value
        body = body[: m.start()]
    for key in ("impact", "likelihood"):
        if key in options and options[key].lower() not in LEVELS:
            raise CommandError(
                f'{key.capitalize()} "{options[key]}" must be low, medium or high.',
                usage=usage_line("risk"),
            )
    owner = _owner(options["owner"], "risk") if "owner" in options else None
    return a.LogRisk(
        text=_need(body, "The risk text", "risk"),
        impact=options.get("impact", "medium").lower(),
        likelihood=options.get("likelihood", "medium").lower(),
        owner=owner,
    )


TEAM_OPTIONS = (
    "timezone",
    "reminders",
    "escalation",
    "summary",
    "holidays",
    "suggestions",
    "reaction",
)


def _team(words: list[str]) -> a.Command:
    if not words or words[0].lower() in ("info", "show", "settings"):
        return a.ShowTeam()
    sub = words[0].lower()
    if sub == "create":
        name = " ".join(words[1:]).strip()
        if len(name) > 200:
            raise CommandError(
                "A team name can be at most 200 characters.", usage=usage_line("team create")
            )
        return a.CreateTeam(name=_need(name, "The team name", "team create"))
    if sub == "set":
        if len(words) < 3 or words[1].lower() not in TEAM_OPTIONS:
            raise CommandError(
                "Which setting? " + ", ".join(TEAM_OPTIONS) + ".", usage=usage_line("team set")
            )
        return a.SetTeamOption(option=words[1].lower(), value=" ".join(words[2:]))
    if sub == "lead":
        if len(words) < 2:
            raise CommandError("Who should be a team lead?", usage=usage_line("team lead"))
        return a.MakeLead(owner=_owner(words[1], "team lead"))
    if sub == "link":
        return a.LinkTeam()
    if sub == "viewer":
        if len(words) != 3 or words[1].lower() != "add":
            raise CommandError(
                "Who should see this team's live view?", usage=usage_line("team viewer add")
            )
        return a.AddViewer(owner=_owner(words[2], "team viewer add"))
    if sub == "join":
        if len(words) != 2:
            raise CommandError(
                "Give the join code from `team link`.", usage=usage_line("team join")
            )
        return a.JoinTeam(code=words[1].strip().upper())
    raise CommandError(f'I don\'t know "team {words[0]}".', usage=usage_line("team"))


def brief(usage: Usage) -> str:
    """The first sentence of a usage's summary: one line of the compact index."""
    head, dot, _ = usage.summary.partition(". ")
    return head + ("." if dot else "")


# --- proposals, deciders and the escalation ladder (issue 16) ------------------------------

_PROPOSAL_REF = re.compile(r"^(?:#)?p-?(\d{1,9})$", re.IGNORECASE)
ANSWERS = {"agree": "agree", "object": "object", "abstain": "abstain"}
LADDER_STEPS = ("accountable", "lead", "sro", "channel")
# `team set escalation <kind> <days>`: the words a kind may be given in.
ESCALATION_KINDS = {
    "overdue": "overdue",
    "overdue commitment": "overdue",
    "overdue commitments": "overdue",
    "blocked": "blocked",
    "blocked commitment": "blocked",
    "blocked commitments": "blocked",
    "red risk": "red_risk",
    "red risks": "red_risk",
    "red risk open": "red_risk",
    "risk": "red_risk",
    "proposal": "proposal",
    "proposals": "proposal",
    "proposal past deadline": "proposal",
}


def parse_proposal_ref(token: str, verb: str) -> int:
    match = _PROPOSAL_REF.match(token.strip())
    if not match:
        raise CommandError(
            f'"{token}" is not a proposal id; proposal ids look like P-3.', usage=usage_line(verb)
        )
    return int(match.group(1))


def _proposal_arg(words: list[str], verb: str) -> int:
    if not words:
        raise CommandError("Which proposal? Give its id, like P-3.", usage=usage_line(verb))
    return parse_proposal_ref(words[0], verb)


def _parse_proposals(verb: str, words: list[str], rest: str) -> a.Command | None:
    """The proposal, decider and ladder commands; None when ``verb`` is none of them."""
    if verb in ("propose", "proposal"):
        sub = words[0].lower() if words else ""
        if sub == "revise":
            number = _proposal_arg(words[1:], "propose revise")
            text = " ".join(words[2:])
            return a.ReviseProposal(number, _need(text, "The new text", "propose revise"))
        if sub == "withdraw":
            return a.WithdrawProposal(_proposal_arg(words[1:], "propose withdraw"))
        return _propose(rest)
    if verb in ANSWERS:
        number = _proposal_arg(words, verb)
        note = _rest_after(words) or None
        if verb == "object" and note is None:
            # An objection is only useful with its reason: the Object button runs
            # `object P-n`, and this asks for the reason instead of recording a bare "no".
            raise CommandError(
                f"Why do you object to P-{number}? Say `object P-{number} <reason>`.",
                usage=usage_line("object"),
            )
        if note is not None and len(note) > MAX_TEXT:
            _need(note, "The note", verb)
        return a.AnswerProposal(number=number, answer=ANSWERS[verb], note=note)
    if verb == "comment":
        number = _proposal_arg(words, "comment")
        return a.CommentOnProposal(number, _need(_rest_after(words), "The comment", "comment"))
    if verb == "who" and [w.lower() for w in words[:2]] == ["can", "decide"]:
        topic = " ".join(words[2:]).strip(" ?")
        return a.WhoCanDecide(topic=_need(topic, "The topic", "who can decide"))
    if verb == "list" and [w.lower() for w in words] == ["proposals"]:
        return a.ListProposals()
    if verb == "team" and words:
        sub = words[0].lower()
        if sub == "decider":
            if len(words) < 3:
                raise CommandError(
                    "Which department, and who decides for it?", usage=usage_line("team decider")
                )
            return a.SetDecider(
                department=" ".join(words[1:-1]), owner=_owner(words[-1], "team decider")
            )
        if sub == "sro":
            if len(words) != 2:
                raise CommandError("Who is the SRO?", usage=usage_line("team sro"))
            return a.SetSro(owner=_owner(words[1], "team sro"))
        if sub == "ladder":
            steps = tuple(s.strip().lower() for s in " ".join(words[1:]).split(",") if s.strip())
            if not steps:
                raise CommandError("Which steps?", usage=usage_line("team ladder"))
            for step in steps:
                if step not in LADDER_STEPS:
                    raise CommandError(
                        f'"{step}" is not a ladder step; use ' + ", ".join(LADDER_STEPS) + ".",
                        usage=usage_line("team ladder"),
                    )
            if len(set(steps)) != len(steps):
                raise CommandError(
                    "Each step can be on the ladder once.", usage=usage_line("team ladder")
                )
            return a.SetLadder(steps=steps)
        if sub == "set" and len(words) > 3 and words[1].lower() == "escalation":
            kind_words = " ".join(words[2:-1]).lower()
            kind = ESCALATION_KINDS.get(kind_words)
            if kind is None:
                raise CommandError(
                    f'"{kind_words}" is not something that escalates; use overdue, blocked, '
                    "red risk or proposal.",
                    usage=usage_line("team set escalation"),
                )
            days = words[-1]
            if not days.isdigit() or not 1 <= int(days) <= 60:
                raise CommandError(
                    f'"{days}" should be a number of working days from 1 to 60.',
                    usage=usage_line("team set escalation"),
                )
            return a.SetEscalationThreshold(kind=kind, days=int(days))
    return None


def _propose(rest: str) -> a.Propose:
    body, departments = _split_last(rest, "from")
    names: tuple[str, ...] = ()
    if departments is not None:
        names = tuple(" ".join(n.split()) for n in re.split(r",|\s+and\s+", departments))
        names = tuple(n for n in names if n)
        if not names:
            raise CommandError("Which departments decide?", usage=usage_line("propose"))
    body, when = _split_last(body, "decide by")
    body, rationale = _split_last(body, "because")
    if when is not None and not when.strip():
        raise CommandError("Decide by when?", usage=usage_line("propose"))
    return a.Propose(
        text=_need(body, "The proposal text", "propose"),
        rationale=rationale.strip() if rationale and rationale.strip() else None,
        decide_by=when.strip().rstrip(".") if when else None,
        departments=names,
    )


def help_reply_lines(topic: str | None) -> tuple[str, list[Usage]]:
    """The usages to show for ``help [topic]`` (all when no topic)."""
    if not topic:
        return "Joinedup commands", list(USAGES)
    topic = topic.strip().lower()
    matches = [
        u for u in USAGES if u.verb == topic or topic in u.aliases or u.verb.split()[0] == topic
    ]
    if not matches:
        raise CommandError(f'There is no command "{topic}".', usage=usage_line("help"))
    return f"Help: {topic}", matches


# --- shared outcome and joint measures: parsing --------------------------------------------------

# "… for M-2" at the very end of a new decision, commitment or risk. Only "for M-<digits>" as
# the last words is a measure link: "list open for @sam" and "commit me Book it for Sam" are not.
_FOR_MEASURE = re.compile(r"\s+for\s+#?M-?(\d{1,9})\s*[.!]?\s*$", re.IGNORECASE)
_LOGGING_VERBS = ("decision", "decide", "decided", "commit", "action", "commitment", "risk")
_NUMBER = re.compile(r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[-+]?\.\d+$")
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


def parse_number(token: str, what: str, verb: str) -> float:
    """``58``, ``-3``, ``12.5``, ``1,200`` -> a float; anything else is a CommandError
    that names the token (``nan`` and ``inf``, which ``float`` would take, are refused)."""
    if not _NUMBER.match(token.strip()):
        raise CommandError(
            f'{what} "{token}" is not a number; write it like 58, 12.5 or 1,200.',
            usage=usage_line(verb),
        )
    return float(token.replace(",", ""))


def _frequency(word: str, verb: str) -> str:
    found = _FREQUENCY_WORDS.get(word.lower())
    if found is None:
        raise CommandError(
            f'"every {word}" is not a reporting period; say every week, month or quarter.',
            usage=usage_line(verb),
        )
    return found


def _measure_command(verb: str, rest: str, words: list[str]) -> a.Command | None:
    """The outcome and measure commands, and ``… for M-n`` on a new record; None for any
    other command."""
    if verb in _LOGGING_VERBS:
        tail = _FOR_MEASURE.search(rest)
        if tail is None:
            return None
        inner = parse(f"{verb} {rest[: tail.start()]}")
        if not isinstance(inner, a.LogDecision | a.LogCommitment | a.LogRisk):
            raise CommandError(
                f"Only a new decision, commitment or risk can be logged for M-{tail.group(1)}; "
                "to link an existing one, use `link`.",
                usage=usage_line("link"),
            )
        return a.LogForMeasure(record=inner, measure=int(tail.group(1)))
    if verb == "outcome":
        if not rest:
            return a.ShowOutcome()
        return a.SetOutcome(text=_need(rest, "The outcome", "outcome"))
    if verb == "measures" or (verb == "measure" and words and words[0].lower() == "list"):
        if verb == "measures" and words:
            raise CommandError("`measures` takes nothing after it.", usage=usage_line("measures"))
        return a.ListMeasures()
    if verb == "link":
        if len(words) != 2:
            raise CommandError("Which record, and which measure?", usage=usage_line("link"))
        m = _REF.match(words[0])
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
    name = _need(text[: split.start()], "The measure's name", verb)
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
        owner=_owner(options["owner"], verb) if "owner" in options else None,
        frequency=_frequency(options["every"], verb) if "every" in options else "month",
        lower_is_better=lower_is_better,
    )


def _measure_value(words: list[str]) -> a.RecordMeasureValue:
    verb = "measure"
    if not _REF.match(words[0]):
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
        _owner(value, verb)
    elif field == "every":
        value = _frequency(value, verb)
    return a.EditMeasure(number=number, field=field, value=value)
