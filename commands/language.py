"""The command language: text in, a typed command out, or a specific ``CommandError``.

The same words work in Slack, Teams and the console. Parsing is purely
syntactic: owners and dates stay as text and are resolved by the handlers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from commands import actions as a
from commands.dates import looks_like_date

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
    Usage("show", "show <D-n|C-n|R-n>", "Show one record."),
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
        "list [open|overdue|mine|done|blocked|decisions|risks] [for <owner>] [dept <department>]",
        "List records (default: open commitments).",
    ),
    Usage(
        "risk",
        "risk <text> [impact low|medium|high] [likelihood low|medium|high] [owner <owner>]",
        "Log a shared risk (R-n).",
    ),
    Usage("risk close", "risk close <R-n> [note]", "Close a risk."),
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

_BY_VERB = {u.verb: u for u in USAGES}


def usage_line(verb: str) -> str:
    return _BY_VERB[verb].line


class CommandError(Exception):
    """Bad input: a short, specific message, and the usage line of the command meant."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


_REF = re.compile(r"^(?:#)?([dcr])-?(\d{1,9})$", re.IGNORECASE)
ROLES = ("responsible", "accountable", "consulted", "informed")
_ROLE_ALIASES = {"r": "responsible", "a": "accountable", "c": "consulted", "i": "informed"}
LEVELS = ("low", "medium", "high")
LIST_KINDS = ("open", "overdue", "mine", "done", "blocked", "decisions", "risks", "all")


def parse_ref(token: str, kind: str, verb: str) -> int:
    """``C-12`` (also ``c12``, ``#C-12``) -> 12, or a CommandError naming what was expected."""
    match = _REF.match(token.strip())
    if not match or match.group(1).upper() != kind:
        label = {"D": "decision", "C": "commitment", "R": "risk"}[kind]
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


def _need(text: str, what: str, verb: str) -> str:
    text = text.strip()
    if not text:
        raise CommandError(f"{what} is missing.", usage=usage_line(verb))
    if len(text) > MAX_TEXT:
        raise CommandError(
            f"That text is {len(text):,} characters; the limit is {MAX_TEXT:,}.",
            usage=usage_line(verb),
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


# A trailing "by <when>" is read as the due date when it starts like a date, or is so
# short that it can only have been meant as one ("by flurbsday" must be refused, not
# swallowed into the text); a longer tail ("... written by the housing team") is text.
_MAX_UNDATED_WHEN_WORDS = 2


def _split_due(text: str) -> tuple[str, str | None]:
    head, tail = _split_last(text, "by")
    if tail is None or not head.strip():
        return text, None
    tail = tail.strip().rstrip(".!")
    if looks_like_date(tail) or len(tail.split()) <= _MAX_UNDATED_WHEN_WORDS:
        return head, tail
    return text, None


def parse(text: str) -> a.Command:
    """Parse one command. Raises CommandError with a specific message and a usage line."""
    text = text.replace("\u00a0", " ").strip().lstrip("/").strip()
    if not text:
        raise CommandError("Say a command, or `help` to see them all.", usage=usage_line("help"))
    verb, _, rest = re.sub(r"\s", " ", text, count=1).partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    words = rest.split()

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
                f'"{words[0]}" is not a record id like D-3, C-12 or R-1.', usage=usage_line("show")
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
    raise CommandError(f'I don\'t know the command "{verb}".', usage=usage_line("help"))


def _ref_arg(words: list[str], kind: str, verb: str) -> int:
    if not words:
        label = {"D": "decision", "C": "commitment", "R": "risk"}[kind]
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
    return a.ListRecords(what=what, owner=owner, department=department)


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
