"""The command language, parsed without a database."""

from __future__ import annotations

import pytest

from commands import actions as a
from commands.language import CommandError
from commands.parsing import parse
from commands.usages import usage_line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("decision Pool the budget", a.LogDecision("Pool the budget")),
        (
            "decision Pool it because we both need it because reasons",
            a.LogDecision("Pool it because we both need it", "reasons"),
        ),
        ("/decision  Venue is the library ", a.LogDecision("Venue is the library")),
        ("decision supersede D-3 New plan", a.SupersedeDecision(3, "New plan")),
        ("commit me Send it by Friday", a.LogCommitment("me", "Send it", "Friday")),
        ("action @sam Draft DPIA", a.LogCommitment("@sam", "Draft DPIA", None)),
        (
            "commit sam@x.gov Send the report written by the housing team analysts",
            a.LogCommitment("sam@x.gov", "Send the report written by the housing team analysts"),
        ),
        (
            "commit <@U123> Book room by end of month",
            a.LogCommitment("<@U123>", "Book room", "end of month"),
        ),
        ("done C-12 sent to board", a.MarkDone(12, "sent to board")),
        ("done c12", a.MarkDone(12)),
        ("cancel #C-4", a.Cancel(4)),
        ("block C-2 waiting for legal", a.Block(2, "waiting for legal")),
        ("reassign C-2 @priya", a.Reassign(2, "@priya")),
        ("due C-2 by 2026-12-04", a.SetDue(2, "2026-12-04")),
        ("snooze C-2 until Monday", a.Snooze(2, "Monday")),
        ("snooze C-2 for 1 week", a.Snooze(2, "in 1 week")),
        ("who owns the DPIA?", a.WhoOwns("the DPIA")),
        ("owner data sharing", a.WhoOwns("data sharing")),
        (
            "owns data sharing agreement @priya accountable",
            a.SetOwnership("data sharing agreement", "@priya", "accountable"),
        ),
        ("owns comms me", a.SetOwnership("comms", "me", "responsible")),
        ("list", a.ListRecords()),
        (
            "list overdue for @sam dept Health and Care",
            a.ListRecords("overdue", "@sam", "Health and Care"),
        ),
        (
            "risk Data late impact high likelihood low owner @sam",
            a.LogRisk("Data late", "high", "low", "@sam"),
        ),
        ("risk close R-1 mitigated", a.CloseRisk(1, "mitigated")),
        ("team create Rough Sleeping", a.CreateTeam("Rough Sleeping")),
        ("team set timezone Europe/London", a.SetTeamOption("timezone", "Europe/London")),
        ("team join abcd2345", a.JoinTeam("ABCD2345")),
        ("dept me Housing", a.SetDepartment("me", "Housing")),
        ("me is sam.jones@health.example", a.ClaimEmail("sam.jones@health.example")),
        ("me confirm k7qp2mxa", a.ConfirmClaim("K7QP2MXA")),
        ("help commit", a.Help("commit")),
    ],
)
def test_each_command_parses_to_its_typed_form(text: str, expected: a.Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("tail", "due"),
    [
        ("by Friday", "Friday"),
        ("by flurbsday", "flurbsday"),
        ("by end of next month", "end of next month"),
        ("by 4 Dec", "4 Dec"),
        ("by the housing team", None),
    ],
)
def test_a_trailing_by_is_the_due_date_when_it_reads_as_one(tail: str, due: str | None) -> None:
    parsed = parse(f"commit me Send the report {tail}")
    assert isinstance(parsed, a.LogCommitment) and parsed.when == due


def test_a_multi_line_decision_keeps_its_line_breaks() -> None:
    assert parse("decision\nLine one\nLine two") == a.LogDecision("Line one\nLine two")


@pytest.mark.parametrize(
    ("text", "words", "usage"),
    [
        ("", "help", "help"),
        ("decision", "decision text is missing", "decision"),
        ("commit", "Who owns it", "commit"),
        ("commit Send it", '"Send" is not an owner', "commit"),
        ("done", "Which commitment", "done"),
        ("done D-2", "not a commitment id", "done"),
        ("reassign C-2", "Who should own it", "reassign"),
        ("owns @sam", "Which area", "owns"),
        ("list everything", 'can\'t list "everything"', "list"),
        ("risk Floods likelihood certain", "must be low, medium or high", "risk"),
        ("team set colour blue", "Which setting", "team set"),
        ("who knows", "who owns", "who owns"),
        ("dance", 'command "dance"', "help"),
        ("me confirm K7QP 2MXA", "the code that `me is` gave you", "me confirm"),
    ],
)
def test_malformed_commands_get_a_specific_message_and_the_usage_line(
    text: str, words: str, usage: str
) -> None:
    with pytest.raises(CommandError) as err:
        parse(text)
    assert words in err.value.message
    assert err.value.usage is not None and err.value.usage.startswith(usage)


def test_a_text_over_4000_characters_is_refused_with_its_length() -> None:
    with pytest.raises(CommandError, match="4,001 characters"):
        parse("decision " + "é" * 4001)


@pytest.mark.parametrize(
    "text", ["commit me by Friday", "commit me tomorrow", "commit me on 4 Dec"]
)
def test_a_commitment_that_is_only_a_due_date_is_refused_with_the_usage_line(text: str) -> None:
    with pytest.raises(CommandError) as err:
        parse(text)
    assert "only its due date" in err.value.message
    assert err.value.usage == usage_line("commit")


@pytest.mark.parametrize(
    ("typed", "nearest"),
    [("comit", "commit"), ("shwo", "show"), ("lsit", "list"), ("reasign", "reassign")],
)
def test_an_unknown_command_word_names_the_nearest_command(typed: str, nearest: str) -> None:
    with pytest.raises(CommandError) as err:
        parse(f"{typed} C-1")
    assert err.value.message == f'I don\'t know "{typed}". Did you mean `{nearest}`?'


@pytest.mark.parametrize(
    ("typed", "whole"),
    [
        ("supersede D-1 Share two registers", "decision supersede"),
        ("confirm K7QP2MXA", "me confirm"),
        ("is sam.jones@health.example", "me is"),
    ],
)
def test_the_second_word_of_a_command_typed_alone_names_the_command(typed: str, whole: str) -> None:
    with pytest.raises(CommandError) as err:
        parse(typed)
    verb = typed.split()[0]
    assert err.value.message == f'I don\'t know "{verb}" on its own. Did you mean `{whole}`?'
    assert err.value.usage == usage_line(whole)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("risk rate R-2 impact high", a.RateRisk(2, impact="high")),
        ("risk rate R-2 likelihood low impact medium", a.RateRisk(2, "medium", "low")),
        ("risk owner R-2 @priya", a.ReassignRisk(2, "@priya")),
        ("me name Alex Morgan", a.SetMyName("Alex Morgan")),
        (
            "commit me Review the by-laws by hand",
            a.LogCommitment("me", "Review the by-laws by hand"),
        ),
        (
            "commit me Book the venue next Tuesday",
            a.LogCommitment("me", "Book the venue", "next Tuesday"),
        ),
    ],
)
def test_the_new_record_commands_parse(text: str, expected: a.Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["risk rate R-2", "risk rate R-2 impact huge", "risk owner R-2"])
def test_a_risk_change_without_what_to_change_is_refused(text: str) -> None:
    with pytest.raises(CommandError):
        parse(text)


def test_dashboard_and_team_viewer_add_parse_to_their_commands() -> None:
    from commands import actions as a
    from commands.language import CommandError
    from commands.parsing import parse

    assert parse("dashboard") == a.OpenDashboard()
    assert parse("team viewer add director@council.example") == a.AddViewer(
        owner="director@council.example"
    )
    try:
        parse("team viewer add")
    except CommandError as exc:
        assert exc.usage == "team viewer add <owner>"
    else:
        raise AssertionError("team viewer add without an owner parsed")
