"""Extraction of decisions and commitments from chat messages."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from commands.extraction import Extraction, extract, extract_lines

# The labelled set's dates are relative to this Wednesday.
TODAY = datetime.date(2026, 11, 18)
FRIDAY = datetime.date(2026, 11, 20)
LABELLED = Path(__file__).parent.parent / "fixtures" / "extraction" / "labelled.jsonl"


# --- the six examples from the brief --------------------------------------------------------


def test_we_agreed_is_a_decision() -> None:
    found = extract("We agreed to pool the data budget", today=TODAY)
    assert found == Extraction(
        kind="decision", owner=None, due=None, text="We agreed to pool the data budget"
    )


def test_ill_send_by_friday_is_my_commitment_due_friday() -> None:
    found = extract("I'll send the draft by Friday", today=TODAY)
    assert (found.kind, found.owner, found.due) == ("commitment", "me", FRIDAY)


def test_a_question_to_a_mentioned_person_with_a_deadline_is_their_commitment() -> None:
    found = extract("@sam can you own the DPIA? by end of month", today=TODAY)
    assert (found.kind, found.owner, found.due) == (
        "commitment",
        "@sam",
        datetime.date(2026, 11, 30),
    )


def test_a_decision_label_is_a_decision_and_is_stripped_from_the_text() -> None:
    found = extract("Decision: we go with option B", today=TODAY)
    assert found.kind == "decision"
    assert found.text == "We go with option B"


def test_thanks_is_nothing() -> None:
    assert extract("thanks all!", today=TODAY).kind == "none"


def test_asking_whether_anyone_decided_is_not_a_decision() -> None:
    assert extract("did anyone decide on the venue?", today=TODAY).kind == "none"


# --- owners ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "owner"),
    [
        ("<@U123ABC> could you update the risk register by Monday", "<@U123ABC>"),
        ("<@U123ABC|sam> please send the minutes round", "<@U123ABC|sam>"),
        ("<at>Sam Jones</at> please can you book the room", "<at>Sam Jones</at>"),
        ("Action: jo.bloggs@leeds.gov.uk to confirm numbers", "jo.bloggs@leeds.gov.uk"),
        ("owner: @tom - refresh the dashboard", "@tom"),
        ("@dave to send the data sharing agreement to legal", "@dave"),
        ("Can you send me the latest MOU, <@U01AAA|jo>?", "<@U01AAA|jo>"),
        ("Please could <@U1ABC> confirm by tomorrow", "<@U1ABC>"),
    ],
)
def test_the_owner_is_the_mention_exactly_as_written(message: str, owner: str) -> None:
    found = extract(message, today=TODAY)
    assert (found.kind, found.owner) == ("commitment", owner)


@pytest.mark.parametrize(
    "message",
    ["Leave it with me", "I'm on it 👍", "I can take the housing data request", "Will do by eod",
     "ill send round the slides tmrw", "I\u2019ll chase the GP practices"],
)  # fmt: skip
def test_the_author_taking_something_on_is_owner_me(message: str) -> None:
    found = extract(message, today=TODAY)
    assert (found.kind, found.owner) == ("commitment", "me")


def test_the_earliest_owner_wins_so_asking_someone_else_is_still_my_commitment() -> None:
    assert extract("I'll ask @sam to check the figures", today=TODAY).owner == "me"


def test_we_will_with_a_deadline_is_the_teams_commitment() -> None:
    found = extract("We will send the updated figures to DLUHC by end of week", today=TODAY)
    assert (found.kind, found.owner, found.due) == ("commitment", "we", FRIDAY)


def test_we_will_without_a_deadline_is_not_a_commitment() -> None:
    assert extract("If the board approves it we'll need to move fast", today=TODAY).kind == "none"


def test_going_forward_we_will_is_a_standing_decision_not_a_commitment() -> None:
    found = extract("Going forward we will record all referrals in the joint log", today=TODAY)
    assert found.kind == "decision"


def test_a_commitment_inside_a_decision_message_wins() -> None:
    found = extract("We agreed to pool the budget, I'll draft the paper by Monday", today=TODAY)
    assert (found.kind, found.owner, found.due) == (
        "commitment",
        "me",
        datetime.date(2026, 11, 23),
    )


# --- due dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "due"),
    [
        ("I'll pick up the backlog tomorrow", "2026-11-19"),
        ("I'll ring the probation team this afternoon", "2026-11-18"),
        ("I will get the costings to finance in 2 weeks", "2026-12-02"),
        ("I'll write it up in 3 working days", "2026-11-23"),
        ("I'll draft the response by 25/11", "2026-11-25"),
        ("I'll get it done b4 the end of the week", "2026-11-20"),
        ("I'll ask the DPO and come back to you on Monday", "2026-11-23"),
        ("I'll send it by 3pm tomorrow", "2026-11-19"),
    ],
)
def test_the_due_date_is_read_from_the_message(message: str, due: str) -> None:
    assert extract(message, today=TODAY).due == datetime.date.fromisoformat(due)


def test_a_weekday_naming_an_event_is_not_a_deadline() -> None:
    found = extract("@sam please book the room for next Tuesday's workshop", today=TODAY)
    assert (found.kind, found.due) == ("commitment", None)


def test_an_impossible_date_leaves_the_commitment_without_a_due_date() -> None:
    found = extract("I'll do it by 31/02", today=TODAY)
    assert (found.kind, found.due) == ("commitment", None)


# --- what is not a record -------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "have we agreed the budget?",
        "Has the board approved the business case yet?",
        "Did you decide on the venue @sam?",
        "if we agree to the extension, who pays for the extra analyst time?",
        "I'd suggest we go with option B but happy to discuss",
        "Maybe we could try a different venue next time",
        "Tom from the ICB reckons they'll sign it off next month",
        "We discussed the options but didn't reach a decision",
        "the agreed budget is in the shared folder",
        "I sent it yesterday",
        "I'll be off Friday, back Monday",
        "I'll be on leave 21-28 Dec",
        "I'll be working from home on Thursday",
        "Sorry, I'll be late for the 2pm",
        "Thanks <@U02ABCD>, that's brilliant",
        "Morning all ☀️",
        "",
    ],
)
def test_questions_hypotheticals_hearsay_and_absences_are_not_records(message: str) -> None:
    assert extract(message, today=TODAY).kind == "none"


def test_a_none_carries_no_owner_or_due_date() -> None:
    found = extract("I'll be off Friday", today=TODAY)
    assert (found.owner, found.due) == (None, None)


# --- text and serialisation -----------------------------------------------------------------


def test_whitespace_and_teams_html_are_cleaned_from_the_text() -> None:
    found = extract("<p>Decision:   we go with\n<at>Ana</at>'s plan</p>", today=TODAY)
    assert found.text == "We go with <at>Ana</at>'s plan"


def test_an_action_label_is_stripped_but_the_mention_is_kept_as_written() -> None:
    found = extract("Action: @priya to draft the comms plan by 4 Dec", today=TODAY)
    assert found.text == "@priya to draft the comms plan by 4 Dec"


def test_to_json_gives_an_iso_due_date() -> None:
    found = extract("I'll send the draft by Friday", today=TODAY)
    assert found.to_json() == {
        "kind": "commitment",
        "owner": "me",
        "due": "2026-11-20",
        "text": "I'll send the draft by Friday",
    }


def test_extract_lines_reads_json_and_plain_lines_and_skips_blanks() -> None:
    lines = [
        json.dumps({"text": "Decision: we go with option B", "user": "U1"}),
        "",
        "I'll send the draft by Friday\n",
        "   ",
        "thanks all!",
    ]
    results = list(extract_lines(lines, today=TODAY))
    assert [r["kind"] for r in results] == ["decision", "commitment", "none"]
    assert results[1]["due"] == "2026-11-20"


def test_extract_lines_treats_a_line_that_only_looks_like_json_as_text() -> None:
    [result] = extract_lines(["{I'll send it by Friday"], today=TODAY)
    assert result["kind"] == "commitment"


def test_extract_lines_refuses_a_json_object_without_text() -> None:
    with pytest.raises(ValueError, match="line 2"):
        list(extract_lines(["thanks", '{"body": "hello"}'], today=TODAY))


# --- quality on the labelled set ------------------------------------------------------------


def _labelled() -> list[dict[str, Any]]:
    with LABELLED.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_the_labelled_set_is_big_and_balanced_enough_to_mean_something() -> None:
    rows = _labelled()
    counts = {kind: sum(r["kind"] == kind for r in rows) for kind in ("decision", "commitment")}
    assert len(rows) >= 120
    assert min(counts.values()) >= 40, counts
    assert len(rows) - sum(counts.values()) >= 40


def test_precision_and_recall_on_the_labelled_set_are_at_least_85_percent() -> None:
    rows = _labelled()
    predicted = [extract(r["text"], today=TODAY) for r in rows]
    scores = {}
    for kind in ("decision", "commitment"):
        pairs = zip(predicted, rows, strict=True)
        true_pos = sum(p.kind == kind and r["kind"] == kind for p, r in pairs)
        said = sum(p.kind == kind for p in predicted)
        actual = sum(r["kind"] == kind for r in rows)
        scores[kind] = (true_pos / said if said else 0.0, true_pos / actual)
    report = ", ".join(f"{k}: precision {p:.2f} recall {r:.2f}" for k, (p, r) in scores.items())
    assert all(p >= 0.85 and r >= 0.85 for p, r in scores.values()), report


def test_owner_and_due_are_right_on_at_least_80_percent_of_found_commitments() -> None:
    rows = _labelled()
    found = [(extract(r["text"], today=TODAY), r) for r in rows if r["kind"] == "commitment"]
    kinded = [(p, r) for p, r in found if p.kind == "commitment"]
    owner_ok = sum(p.owner == r["owner"] for p, r in kinded) / len(kinded)
    due_ok = sum(p.to_json()["due"] == r["due"] for p, r in kinded) / len(kinded)
    report = f"owner accuracy {owner_ok:.2f}, due accuracy {due_ok:.2f} on {len(kinded)}"
    assert owner_ok >= 0.8 and due_ok >= 0.8, report


@pytest.mark.parametrize(
    ("message", "owner", "due"),
    [
        ("AP: Priya to circulate the revised referral form by Friday", "Priya", "2026-11-20"),
        ("AP - JM to draft the press release", "JM", None),
        ("Action for Tom: update the rough sleeper count", "Tom", None),
        ("Action for Housing - confirm the number of beds by 2 Dec", "Housing", "2026-12-02"),
        ("Sam to book the venue for the January workshop", "Sam", None),
        ("Helen and Raj to agree the data fields by Friday", "Helen", "2026-11-20"),
        ("Me to chase the CCG for the dataset", "me", None),
        ("Ahmed to confirm numbers EOD Monday", "Ahmed", "2026-11-23"),
        ("Nadia to write to the chief exec by Tuesday next week", "Nadia", "2026-11-24"),
    ],
)
def test_minute_style_action_lines_are_commitments_with_their_owner_and_date(
    message: str, owner: str, due: str | None
) -> None:
    found = extract(message, today=datetime.date(2026, 11, 18))
    assert (found.kind, found.owner) == ("commitment", owner)
    assert found.due == (datetime.date.fromisoformat(due) if due else None)


@pytest.mark.parametrize(
    "message",
    [
        "Back in 2018 the council decided to outsource the outreach service",
        "As you'll remember, the ICB approved the original business case last year",
        "Historically, the police decided on these referrals alone",
        "Lovely to see you all in person!",
        "Thanks to everyone for coming",
    ],
)
def test_reported_history_and_pleasantries_are_not_records(message: str) -> None:
    assert extract(message, today=datetime.date(2026, 11, 18)).kind == "none"


@pytest.mark.parametrize(
    "message",
    [
        "Confirmed: the steering group meets on the first Monday of each month",
        "Outcome - the bid goes in under the council's name",
        "Resolved that the joint post is hosted by health",
    ],
)
def test_minute_style_outcomes_are_decisions(message: str) -> None:
    assert extract(message, today=datetime.date(2026, 11, 18)).kind == "decision"


def test_logging_a_minute_line_gives_it_to_the_author_and_keeps_the_name_in_the_text() -> None:
    from commands.capture import log_command
    from commands.parsing import parse

    found = extract("AP: Priya to circulate the form by Friday", today=TODAY)
    command = parse(log_command("commitment", found, author="<@U1>"))
    assert command == parse("commit <@U1> Priya to circulate the form by Friday by 2026-11-20")
    assert command.text == "Priya to circulate the form by Friday"  # type: ignore[union-attr]
