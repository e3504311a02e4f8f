"""The outcome and measure commands as typed: what they parse to, and what is refused."""

from __future__ import annotations

import pytest

from commands import actions as a
from commands.language import CommandError
from commands.parsing import parse


def test_a_measure_is_added_with_its_options_in_any_order_after_the_target() -> None:
    assert parse(
        "measure add People sleeping rough target 20 baseline 64 unit people "
        "by 31 Mar 2027 owner sam@health.example every month lower is better"
    ) == a.AddMeasure(
        name="People sleeping rough",
        target=20.0,
        baseline=64.0,
        unit="people",
        when="31 Mar 2027",
        owner="sam@health.example",
        frequency="month",
        lower_is_better=True,
    )
    assert parse(
        "measure add Discharges within 7 days target 80 every quarter unit % by end of month"
    ) == a.AddMeasure(
        name="Discharges within 7 days",
        target=80.0,
        unit="%",
        when="end of month",
        frequency="quarter",
    )


def test_a_measure_has_defaults_monthly_higher_is_better_and_no_owner_named() -> None:
    assert parse("measure add Move-ons target 1,200") == a.AddMeasure(
        name="Move-ons", target=1200.0
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("measure add People sleeping rough", "Give the measure a target"),
        ("measure add target 20", "name is missing"),
        ("measure add Beds target twenty", '"twenty" is not a number'),
        ("measure add Beds target 20 baseline lots", '"lots" is not a number'),
        ("measure add Beds target 20 baseline 20", "target equals the baseline"),
        ("measure add Beds target 20 every fortnight", "every fortnight"),
        ("measure add Beds target 20 owner Sam", '"Sam" is not an owner'),
        ("measure add Beds target 20 target 30", "given twice"),
        ("measure add Beds target nan", '"nan" is not a number'),
        ("measure add Beds target 20 lower is worse", 'Say "lower is better"'),
        ("measure M-1 lots", '"lots" is not a number'),
        ("measure M-1", "What is M-1's value?"),
        ("measure C-1 5", "not a measure id"),
        ("measure M-1 5 for November", '"November" is not a period'),
        ("measure M-1 5 for 2026/11", '"2026/11" is not a period'),
        ("measure M-1 5 for", "For which period?"),
        ("measure edit M-1 colour red", 'can\'t change "colour"'),
        ("measure edit M-1 target high", '"high" is not a number'),
        ("measure edit M-1 every day", "every day"),
        ("measure retire", "Which measure?"),
        ("measures all", "takes nothing after it"),
        ("link C-7", "Which record, and which measure?"),
        ("link M-1 M-2", "is not a commitment, decision or risk id"),
        ("link C-7 R-2", "is not a measure id"),
        ("decision supersede D-1 Pool it for M-2", "Only a new decision"),
    ],
)
def test_bad_measure_input_gets_a_short_specific_message(text: str, words: str) -> None:
    with pytest.raises(CommandError) as refused:
        parse(text)
    assert words in refused.value.message
    assert refused.value.usage


def test_a_value_is_recorded_for_a_period_with_a_note() -> None:
    assert parse("measure M-2 58 for 2026-W48 street count on Tuesday") == a.RecordMeasureValue(
        number=2, value=58.0, period="2026-W48", note="street count on Tuesday"
    )
    assert parse("measure m3 -1.5") == a.RecordMeasureValue(number=3, value=-1.5)
    assert parse("measure M-1 12 counted by outreach") == a.RecordMeasureValue(
        number=1, value=12.0, note="counted by outreach"
    )


def test_outcome_measures_edit_retire_show_and_link_parse() -> None:
    assert parse("outcome") == a.ShowOutcome()
    assert parse("outcome  Fewer people sleeping rough ") == a.SetOutcome(
        text="Fewer people sleeping rough"
    )
    assert parse("measures") == a.ListMeasures()
    assert parse("measure list") == a.ListMeasures()
    assert parse("measure edit M-2 by 31 March 2027") == a.EditMeasure(2, "by", "31 March 2027")
    assert parse("measure edit M-2 every Quarterly") == a.EditMeasure(2, "every", "quarter")
    assert parse("measure retire M-4") == a.RetireMeasure(4)
    assert parse("show M-2") == a.Show(kind="M", number=2)
    assert parse("link c7 M-2") == a.LinkToMeasure(kind="C", record=7, measure=2)


def test_for_m_n_at_the_end_logs_a_record_that_serves_the_measure() -> None:
    assert parse("commit @sam Open the winter shelter by Friday for M-2") == a.LogForMeasure(
        record=a.LogCommitment(owner="@sam", text="Open the winter shelter", when="Friday"),
        measure=2,
    )
    assert parse("decision Pool the budget because it helps for M-1") == a.LogForMeasure(
        record=a.LogDecision(text="Pool the budget", rationale="it helps"), measure=1
    )
    assert parse("risk Shelter closes early impact high for m3") == a.LogForMeasure(
        record=a.LogRisk(text="Shelter closes early", impact="high"), measure=3
    )


def test_for_that_is_not_a_measure_at_the_end_is_left_alone() -> None:
    # "for <owner>" in a list, and "for" inside a commitment's text, are not measure links.
    assert parse("list open for @sam") == a.ListRecords(what="open", owner="@sam")
    assert parse("commit me Book the room for Sam by Friday") == a.LogCommitment(
        owner="me", text="Book the room for Sam", when="Friday"
    )
    assert parse("commit me Book the room for M-2 training by Friday") == a.LogCommitment(
        owner="me", text="Book the room for M-2 training", when="Friday"
    )
