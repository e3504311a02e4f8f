"""The grammar of the record commands: decisions, commitments, risks, areas' owners,
``list``, ``show`` and ``who owns``."""

from __future__ import annotations

import re

from commands import actions as a
from commands.language import (
    RECORD_REF,
    CommandError,
    need_owner,
    need_text,
    ref_arg,
    rest_after,
    split_due,
    split_last,
)
from commands.rules import RISK_LEVELS
from commands.usages import usage_line

ROLES = ("responsible", "accountable", "consulted", "informed")
_ROLE_ALIASES = {"r": "responsible", "a": "accountable", "c": "consulted", "i": "informed"}
LIST_KINDS = ("open", "overdue", "mine", "done", "blocked", "decisions", "risks", "all")


def record_command(verb: str, words: list[str], rest: str) -> a.Command | None:
    """The record commands; None when ``verb`` is none of them."""
    if verb in ("decision", "decide", "decided"):
        if words and words[0].lower() == "supersede":
            return _supersede(words[1:])
        body, rationale = split_last(rest, "because")
        return a.LogDecision(
            text=need_text(body, "The decision text", "decision"),
            rationale=rationale.strip() if rationale and rationale.strip() else None,
        )
    if verb in ("commit", "action", "commitment"):
        if not words:
            raise CommandError("Who owns it, and what is it?", usage=usage_line("commit"))
        owner = need_owner(words[0], "commit")
        body = rest[len(words[0]) :].strip()
        body, when = split_due(body)
        if when is not None and not body.strip():
            raise CommandError(
                f'What is the commitment? "{when}" is only its due date.',
                usage=usage_line("commit"),
            )
        return a.LogCommitment(
            owner=owner, text=need_text(body, "The commitment text", "commit"), when=when
        )
    if verb in ("done", "complete", "close", "closed"):
        return a.MarkDone(number=ref_arg(words, "C", "done"), note=rest_after(words) or None)
    if verb == "reopen":
        return a.Reopen(number=ref_arg(words, "C", "reopen"))
    if verb == "cancel":
        return a.Cancel(number=ref_arg(words, "C", "cancel"), reason=rest_after(words) or None)
    if verb in ("block", "blocked"):
        number = ref_arg(words, "C", "block")
        return a.Block(number=number, reason=need_text(rest_after(words), "The reason", "block"))
    if verb == "reassign":
        number = ref_arg(words, "C", "reassign")
        if len(words) < 2:
            raise CommandError("Who should own it now?", usage=usage_line("reassign"))
        return a.Reassign(number=number, owner=need_owner(words[1], "reassign"))
    if verb == "due":
        number = ref_arg(words, "C", "due")
        when = rest_after(words)
        if when.lower().startswith("by "):
            when = when[3:]
        return a.SetDue(number=number, when=need_text(when, "The new due date", "due"))
    if verb == "snooze":
        return _snooze(words)
    if verb == "show":
        if not words:
            raise CommandError("Which record?", usage=usage_line("show"))
        m = RECORD_REF.match(words[0])
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
        return a.WhoOwns(topic=need_text(topic, "The topic", "who owns"))
    if verb == "owner":
        return a.WhoOwns(topic=need_text(rest.strip(" ?"), "The topic", "who owns"))
    if verb == "owns":
        return _owns(words)
    if verb == "list":
        return _list(words)
    if verb == "risk":
        if words and words[0].lower() == "close":
            number = ref_arg(words[1:], "R", "risk close")
            return a.CloseRisk(number=number, note=rest_after(words[1:]) or None)
        if words and words[0].lower() in ("rate", "rerate", "re-rate"):
            return _rate_risk(words[1:])
        if words and words[0].lower() in ("owner", "reassign"):
            number = ref_arg(words[1:], "R", "risk owner")
            if len(words) != 3:
                raise CommandError("Who should own it now?", usage=usage_line("risk owner"))
            return a.ReassignRisk(number=number, owner=need_owner(words[2], "risk owner"))
        return _risk(rest)
    return None


def _rate_risk(words: list[str]) -> a.RateRisk:
    number = ref_arg(words, "R", "risk rate")
    options: dict[str, str] = {}
    rest = [w.lower() for w in words[1:]]
    if len(rest) % 2 or not rest:
        raise CommandError("Give a new impact, likelihood or both.", usage=usage_line("risk rate"))
    for key, value in zip(rest[::2], rest[1::2], strict=True):
        if key not in ("impact", "likelihood") or value not in RISK_LEVELS:
            raise CommandError(
                f'"{key} {value}": say impact or likelihood, then low, medium or high.',
                usage=usage_line("risk rate"),
            )
        options[key] = value
    return a.RateRisk(
        number=number, impact=options.get("impact"), likelihood=options.get("likelihood")
    )


def _supersede(words: list[str]) -> a.SupersedeDecision:
    number = ref_arg(words, "D", "decision supersede")
    body, rationale = split_last(" ".join(words[1:]), "because")
    return a.SupersedeDecision(
        number=number,
        text=need_text(body, "The new decision text", "decision supersede"),
        rationale=rationale.strip() if rationale and rationale.strip() else None,
    )


def _snooze(words: list[str]) -> a.Snooze:
    number = ref_arg(words, "C", "snooze")
    rest = words[1:]
    if rest and rest[0].lower() in ("until", "till", "til", "to"):
        when = " ".join(rest[1:])
    elif rest and rest[0].lower() == "for":
        when = "in " + " ".join(rest[1:])
    else:
        when = " ".join(rest)
    return a.Snooze(number=number, when=need_text(when, "The date to snooze until", "snooze"))


def _owns(words: list[str]) -> a.SetOwnership:
    role = "responsible"
    if words and (words[-1].lower() in ROLES or words[-1].lower() in _ROLE_ALIASES):
        role = _ROLE_ALIASES.get(words[-1].lower(), words[-1].lower())
        words = words[:-1]
    if len(words) < 2:
        raise CommandError("Which area, and who owns it?", usage=usage_line("owns"))
    owner = need_owner(words[-1], "owns")
    area = " ".join(words[:-1]).strip()
    return a.SetOwnership(area=need_text(area, "The area", "owns"), owner=owner, role=role)


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
            owner = need_owner(words[i + 1], "list")
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
        if key in options and options[key].lower() not in RISK_LEVELS:
            raise CommandError(
                f'{key.capitalize()} "{options[key]}" must be low, medium or high.',
                usage=usage_line("risk"),
            )
    owner = need_owner(options["owner"], "risk") if "owner" in options else None
    return a.LogRisk(
        text=need_text(body, "The risk text", "risk"),
        impact=options.get("impact", "medium").lower(),
        likelihood=options.get("likelihood", "medium").lower(),
        owner=owner,
    )
