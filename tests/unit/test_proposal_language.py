"""Parsing the proposal, decider and ladder commands: text in, a typed command out."""

from __future__ import annotations

import pytest

from commands import actions as a
from commands.language import CommandError
from commands.parsing import parse


def test_propose_reads_because_decide_by_and_from_in_order() -> None:
    assert parse(
        "propose Share the list weekly because outreach needs it decide by Friday "
        "from Health, Police and Housing"
    ) == a.Propose(
        text="Share the list weekly",
        rationale="outreach needs it",
        decide_by="Friday",
        departments=("Health", "Police", "Housing"),
    )
    assert parse("propose Pool the budget") == a.Propose(text="Pool the budget")


def test_answers_comments_revisions_and_withdrawals_parse() -> None:
    assert parse("agree P-3") == a.AnswerProposal(3, "agree")
    assert parse("abstain p3 not ours to say") == a.AnswerProposal(3, "abstain", "not ours to say")
    assert parse("object P-3 too costly") == a.AnswerProposal(3, "object", "too costly")
    assert parse("comment P-3 the shelters agree") == a.CommentOnProposal(3, "the shelters agree")
    assert parse("propose revise P-3 Pool half") == a.ReviseProposal(3, "Pool half")
    assert parse("propose withdraw P-3") == a.WithdrawProposal(3)
    assert parse("who can decide data sharing?") == a.WhoCanDecide("data sharing")
    assert parse("list proposals") == a.ListProposals()


def test_ladder_and_decider_settings_parse() -> None:
    assert parse("team ladder accountable, lead, sro, channel") == a.SetLadder(
        ("accountable", "lead", "sro", "channel")
    )
    assert parse("team sro @kim") == a.SetSro("@kim")
    assert parse("team decider Adult Social Care @sam") == a.SetDecider("Adult Social Care", "@sam")
    assert parse("team set escalation red risk open 4") == a.SetEscalationThreshold("red_risk", 4)
    assert parse("team set escalation proposal past deadline 2") == a.SetEscalationThreshold(
        "proposal", 2
    )
    # The overdue-commitment threshold keeps its old spelling.
    assert parse("team set escalation 5") == a.SetTeamOption("escalation", "5")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("object P-3", "Why do you object to P-3? Say `object P-3 <reason>`."),
        ("agree", "Which proposal? Give its id, like P-3."),
        ("agree C-3", '"C-3" is not a proposal id; proposal ids look like P-3.'),
        ("team ladder accountable, boss", '"boss" is not a ladder step; use accountable, lead, '
         "sro, channel."),
        ("team ladder lead, lead", "Each step can be on the ladder once."),
        ("team set escalation stale 3", '"stale" is not something that escalates; use overdue, '
         "blocked, red risk or proposal."),
        ("team set escalation blocked 0", '"0" should be a number of working days from 1 to 60.'),
        ("team decider Health", "Which department, and who decides for it?"),
        ("propose", "The proposal text is missing."),
    ],
)  # fmt: skip
def test_bad_proposal_commands_get_a_short_specific_message(text: str, message: str) -> None:
    with pytest.raises(CommandError) as caught:
        parse(text)
    assert caught.value.message == message


def test_risk_rate_takes_a_new_impact_likelihood_or_both() -> None:
    assert parse("risk rate R-2 impact high") == a.RateRisk(2, "high", None)
    assert parse("risk rate R-2 likelihood low impact medium") == a.RateRisk(2, "medium", "low")
    for text in ("risk rate R-2", "risk rate R-2 impact"):
        with pytest.raises(CommandError) as caught:
            parse(text)
        assert caught.value.message == "Give a new impact, likelihood or both."
    for text, words in (
        ("risk rate R-2 colour red", "colour red"),
        ("risk rate R-2 impact huge", "impact huge"),
    ):
        with pytest.raises(CommandError) as bad:
            parse(text)
        assert bad.value.message == (
            f'"{words}": say impact or likelihood, then low, medium or high.'
        )
