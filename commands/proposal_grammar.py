"""The grammar of proposals, deciders and the escalation ladder: ``propose``, the
answers, ``who can decide`` and the ``team`` commands that set who decides and escalates."""

from __future__ import annotations

import re

from commands import actions as a
from commands.language import MAX_TEXT, CommandError, need_owner, need_text, rest_after, split_last
from commands.usages import usage_line

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


def proposal_command(verb: str, words: list[str], rest: str) -> a.Command | None:
    """The proposal, decider and ladder commands; None when ``verb`` is none of them."""
    if verb in ("propose", "proposal"):
        sub = words[0].lower() if words else ""
        if sub == "revise":
            number = _proposal_arg(words[1:], "propose revise")
            text = " ".join(words[2:])
            return a.ReviseProposal(number, need_text(text, "The new text", "propose revise"))
        if sub == "withdraw":
            return a.WithdrawProposal(_proposal_arg(words[1:], "propose withdraw"))
        return _propose(rest)
    if verb in ANSWERS:
        number = _proposal_arg(words, verb)
        note = rest_after(words) or None
        if verb == "object" and note is None:
            # An objection is only useful with its reason: the Object button runs
            # `object P-n`, and this asks for the reason instead of recording a bare "no".
            raise CommandError(
                f"Why do you object to P-{number}? Say `object P-{number} <reason>`.",
                usage=usage_line("object"),
            )
        if note is not None and len(note) > MAX_TEXT:
            need_text(note, "The note", verb)
        return a.AnswerProposal(number=number, answer=ANSWERS[verb], note=note)
    if verb == "comment":
        number = _proposal_arg(words, "comment")
        return a.CommentOnProposal(number, need_text(rest_after(words), "The comment", "comment"))
    if verb == "who" and [w.lower() for w in words[:2]] == ["can", "decide"]:
        topic = " ".join(words[2:]).strip(" ?")
        return a.WhoCanDecide(topic=need_text(topic, "The topic", "who can decide"))
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
                department=" ".join(words[1:-1]), owner=need_owner(words[-1], "team decider")
            )
        if sub == "sro":
            if len(words) != 2:
                raise CommandError("Who is the SRO?", usage=usage_line("team sro"))
            return a.SetSro(owner=need_owner(words[1], "team sro"))
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
    body, departments = split_last(rest, "from")
    names: tuple[str, ...] = ()
    if departments is not None:
        names = tuple(" ".join(n.split()) for n in re.split(r",|\s+and\s+", departments))
        names = tuple(n for n in names if n)
        if not names:
            raise CommandError("Which departments decide?", usage=usage_line("propose"))
    body, when = split_last(body, "decide by")
    body, rationale = split_last(body, "because")
    if when is not None and not when.strip():
        raise CommandError("Decide by when?", usage=usage_line("propose"))
    return a.Propose(
        text=need_text(body, "The proposal text", "propose"),
        rationale=rationale.strip() if rationale and rationale.strip() else None,
        decide_by=when.strip().rstrip(".") if when else None,
        departments=names,
    )
