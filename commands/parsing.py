"""Command text to a typed command: ``parse`` reads the verb and hands the rest to its
family's grammar; the team and people commands' grammar, and "did you mean", live here."""

from __future__ import annotations

import difflib
import re

from commands import actions as a
from commands.language import CommandError, is_email, need_owner, need_text
from commands.measure_grammar import measure_command
from commands.proposal_grammar import proposal_command
from commands.record_grammar import record_command
from commands.usages import USAGES, usage_line

# "… for M-2" at the very end of a new decision, commitment or risk. Only "for M-<digits>" as
# the last words is a measure link: "list open for @sam" and "commit me Book it for Sam" are not.
_FOR_MEASURE = re.compile(r"\s+for\s+#?M-?(\d{1,9})\s*[.!]?\s*$", re.IGNORECASE)
_LOGGING_VERBS = ("decision", "decide", "decided", "commit", "action", "commitment", "risk")


def parse(text: str) -> a.Command:
    """Parse one command. Raises CommandError with a specific message and a usage line."""
    text = text.replace("\u00a0", " ").strip().lstrip("/").strip()
    if not text:
        raise CommandError("Say a command, or `help` to see them all.", usage=usage_line("help"))
    verb, _, rest = re.sub(r"\s", " ", text, count=1).partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    words = rest.split()

    proposal = proposal_command(verb, words, rest)
    if proposal is not None:
        return proposal
    for_measure = _for_measure(verb, rest)
    if for_measure is not None:
        return for_measure
    measure = measure_command(verb, rest, words)
    if measure is not None:
        return measure
    record = record_command(verb, words, rest)
    if record is not None:
        return record
    if verb == "team":
        return _team(words)
    if verb in ("dept", "department"):
        if len(words) < 2:
            raise CommandError("Whose department, and which?", usage=usage_line("dept"))
        return a.SetDepartment(owner=need_owner(words[0], "dept"), department=" ".join(words[1:]))
    if verb == "me" and words and words[0].lower() == "is":
        if len(words) != 2 or not is_email(words[1]):
            raise CommandError("Give your email address.", usage=usage_line("me is"))
        return a.ClaimEmail(email=words[1])
    if verb == "me" and words and words[0].lower() == "name":
        name = " ".join(words[1:])
        if len(name) > 200:
            raise CommandError("A name can be at most 200 characters.", usage=usage_line("me name"))
        return a.SetMyName(name=need_text(name, "The name", "me name"))
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
    raise _unknown_verb(verb)


def _unknown_verb(verb: str) -> CommandError:
    """'I don't know "comit". Did you mean `commit`?' (the nearest command word, if any);
    for the second word of a two-word command typed on its own ("supersede D-1 ..."), the
    command it belongs to, with its usage."""
    whole = sorted(u.verb for u in USAGES if u.verb.split()[1:2] == [verb])
    if whole:
        return CommandError(
            f'I don\'t know "{verb}" on its own. Did you mean `{whole[0]}`?',
            usage=usage_line(whole[0]),
        )
    words = {u.verb.split()[0] for u in USAGES} | {alias for u in USAGES for alias in u.aliases}
    nearest = difflib.get_close_matches(verb, sorted(words), n=1, cutoff=0.75)
    if nearest:
        return CommandError(
            f'I don\'t know "{verb}". Did you mean `{nearest[0]}`?', usage=usage_line("help")
        )
    return CommandError(
        f'I don\'t know the command "{verb}". Say `help` to see them all.',
        usage=usage_line("help"),
    )


def _for_measure(verb: str, rest: str) -> a.LogForMeasure | None:
    """``… for M-n`` on a new decision, commitment or risk; None for any other command."""
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
    return None


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
        return a.CreateTeam(name=need_text(name, "The team name", "team create"))
    if sub == "set":
        if len(words) < 3 or words[1].lower() not in TEAM_OPTIONS:
            raise CommandError(
                "Which setting? " + ", ".join(TEAM_OPTIONS) + ".", usage=usage_line("team set")
            )
        return a.SetTeamOption(option=words[1].lower(), value=" ".join(words[2:]))
    if sub == "lead":
        if len(words) < 2:
            raise CommandError("Who should be a team lead?", usage=usage_line("team lead"))
        return a.MakeLead(owner=need_owner(words[1], "team lead"))
    if sub == "link":
        return a.LinkTeam()
    if sub == "viewer":
        if len(words) != 3 or words[1].lower() != "add":
            raise CommandError(
                "Who should see this team's live view?", usage=usage_line("team viewer add")
            )
        return a.AddViewer(owner=need_owner(words[2], "team viewer add"))
    if sub == "join":
        if len(words) != 2:
            raise CommandError(
                "Give the join code from `team link`.", usage=usage_line("team join")
            )
        return a.JoinTeam(code=words[1].strip().upper())
    raise CommandError(f'I don\'t know "team {words[0]}".', usage=usage_line("team"))
