"""`me is <email>` then `me confirm <code>`: a person's Teams and Slack accounts become one
Person, and only when both accounts say so; typing someone else's email takes over nothing."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from commands.dispatch import dispatch
from commands.invocation import ChannelRef, Invocation
from commands.reply import Reply
from storage import people
from storage.models import (
    AreaRole,
    AuditEvent,
    Commitment,
    Decision,
    IdentityClaim,
    Person,
    PlatformIdentity,
)
from tests.support import Desk

SLACK = ChannelRef(platform="slack", tenant="T1", channel_id="C-LOG", name="log")
TEAMS = ChannelRef(platform="teams", tenant="tenant-1", channel_id="19:general@thread.tacv2")


class TwoPlatforms:
    """A team whose log is shared by a Slack channel and a Teams channel, with people who
    talk from platform accounts (resolved as the adapters do)."""

    def __init__(self, db, now: dt.datetime) -> None:
        self.desk = Desk(db, now, platform="slack", channel_id=SLACK.channel_id)
        code = self.desk.say("team link").data["code"]
        teams_lead = self.account("teams", "29:alex", "Alex T")
        joined = self.say(teams_lead, f"team join {code}")
        assert joined.ok, joined.headline

    def account(self, platform: str, user_id: str, name: str, email: str | None = None) -> int:
        with self.desk.db.uow() as uow:
            person = people.resolve_identity(
                uow.session,
                platform=platform,
                tenant=SLACK.tenant if platform == "slack" else TEAMS.tenant,
                user_id=user_id,
                display_name=name,
                email=email,
            )
            uow.commit()
            return person.id

    def say(
        self,
        person_id: int,
        text: str,
        *,
        mentions: dict[str, int] | None = None,
        now: dt.datetime | None = None,
    ) -> Reply:
        """``text`` from ``person_id``'s own platform's channel."""
        channel = SLACK if "slack" in self.accounts_of(person_id) else TEAMS
        return self.say_in(channel, person_id, text, mentions=mentions, now=now)

    def say_in(
        self,
        channel: ChannelRef,
        person_id: int,
        text: str,
        *,
        mentions: dict[str, int] | None = None,
        now: dt.datetime | None = None,
    ) -> Reply:
        return dispatch(
            Invocation(
                text=text,
                person_id=person_id,
                platform=channel.platform,
                now=now or self.desk.now,
                channel=channel,
                mentions=mentions or {},
            ),
            self.desk.db.uow,
        )

    def accounts_of(self, person_id: int) -> set[str]:
        rows = self.desk.rows(PlatformIdentity, PlatformIdentity.person_id == person_id)
        return {r.platform for r in rows}


def _sam_on_both(db, now) -> tuple[TwoPlatforms, int, int]:
    log = TwoPlatforms(db, now)
    slack_sam = log.account("slack", "U1", "Sam", email="sam@health.example")
    teams_sam = log.account("teams", "29:sam", "Sam J")
    return log, slack_sam, teams_sam


def test_me_is_with_someone_elses_email_joins_nothing_and_gives_them_nothing(db, now) -> None:
    log = TwoPlatforms(db, now)
    boss = log.account("slack", "UBOSS", "Boss", email="boss@council.example")
    mallory = log.account("teams", "29:mallory", "Mallory")
    assert log.say(boss, "commit me Sign off the budget by Friday").ok

    reply = log.say(mallory, "me is boss@council.example")

    assert reply.ok and reply.data["claimed"] is True and "merged" not in reply.data
    assert reply.visibility == "private"
    assert log.accounts_of(boss) == {"slack"}
    assert log.accounts_of(mallory) == {"teams"}
    [mallory_row] = log.desk.rows(Person, Person.id == mallory)
    assert mallory_row.email is None
    refused = log.say(mallory, "done C-1")
    assert not refused.ok
    [c] = log.desk.rows(Commitment)
    assert (c.owner_id, c.status) == (boss, "open")
    assert log.desk.count(AuditEvent, AuditEvent.action == "person.merged") == 0


def test_me_is_gives_a_code_that_the_holder_of_the_email_confirms_to_merge(db, now) -> None:
    log, slack_sam, teams_sam = _sam_on_both(db, now)
    lead = log.desk.person_id(log.desk.lead)
    mention = {"<@29:sam>": teams_sam}
    assert log.desk.say("team lead <@29:sam>", mentions=mention).ok
    assert log.desk.say("commit <@29:sam> Send the DPIA by Friday", mentions=mention).ok
    assert log.desk.say("owns data sharing <@29:sam> accountable", mentions=mention).ok
    assert log.say(teams_sam, "decision Pool the budget").ok

    claim = log.say(teams_sam, "me is SAM@health.example")
    code = claim.data["code"]
    assert claim.headline == (
        f"To join your accounts, say `me confirm {code}` from your other account "
        "(the one that is sam@health.example) within 30 minutes."
    )
    assert log.accounts_of(teams_sam) == {"teams"}  # nothing yet

    reply = log.say(slack_sam, f"me confirm {code.lower()}", now=now + dt.timedelta(minutes=29))

    assert reply.ok and reply.data["merged"] is True, reply.headline
    assert "one person on slack, teams" in reply.headline
    [c] = log.desk.rows(Commitment)
    assert c.owner_id == slack_sam and c.created_by_id == lead
    [d] = log.desk.rows(Decision)
    assert d.decided_by_id == slack_sam
    [role] = log.desk.rows(AreaRole)
    assert role.person_id == slack_sam
    assert log.accounts_of(slack_sam) == {"slack", "teams"}
    assert log.accounts_of(teams_sam) == set()
    assert log.desk.count(Person, Person.id == teams_sam) == 1  # the row stays
    assert log.desk.say("team").fields[6].value == "Alex, Sam"  # the lead role followed
    [audit] = log.desk.rows(AuditEvent, AuditEvent.action == "person.merged")
    assert audit.before["identities"] == [["teams", "tenant-1", "29:sam"]]
    assert audit.after["merged_into"] == slack_sam and audit.actor_id == slack_sam
    [row] = log.desk.rows(IdentityClaim)
    assert row.used_at == now + dt.timedelta(minutes=29)
    assert (row.claimant_id, row.holder_id) == (teams_sam, slack_sam)
    # The Teams account now acts as Sam: it may close Sam's commitment.
    assert log.say_in(TEAMS, slack_sam, "done C-1").ok


def test_a_code_cannot_be_confirmed_by_a_third_person_or_by_the_claimant(db, now) -> None:
    log, slack_sam, teams_sam = _sam_on_both(db, now)
    jo = log.account("slack", "U2", "Jo", email="jo@police.example")
    code = log.say(teams_sam, "me is sam@health.example").data["code"]

    by_jo = log.say(jo, f"me confirm {code}")
    by_claimant = log.say(teams_sam, f"me confirm {code}")

    assert not by_jo.ok
    assert by_jo.headline == "That code is for someone else's accounts; only they can confirm it."
    assert not by_claimant.ok
    assert by_claimant.headline == (
        f"Say `me confirm {code}` from your other account (the one that is "
        "sam@health.example), not this one."
    )
    assert log.accounts_of(jo) == {"slack"} and log.accounts_of(teams_sam) == {"teams"}
    [row] = log.desk.rows(IdentityClaim)
    assert row.used_at is None
    assert log.say(slack_sam, f"me confirm {code}").ok  # still good for its holder


def test_an_expired_code_is_refused_and_joins_nothing(db, now) -> None:
    log, slack_sam, teams_sam = _sam_on_both(db, now)
    code = log.say(teams_sam, "me is sam@health.example").data["code"]

    reply = log.say(slack_sam, f"me confirm {code}", now=now + dt.timedelta(minutes=30))

    assert not reply.ok and reply.headline.startswith("That code has expired.")
    assert log.accounts_of(slack_sam) == {"slack"} and log.accounts_of(teams_sam) == {"teams"}
    [row] = log.desk.rows(IdentityClaim)
    assert row.used_at is None


def test_a_used_code_is_refused_the_second_time(db, now) -> None:
    log, slack_sam, teams_sam = _sam_on_both(db, now)
    code = log.say(teams_sam, "me is sam@health.example").data["code"]
    assert log.say(slack_sam, f"me confirm {code}").ok

    again = log.say(slack_sam, f"me confirm {code}")

    assert not again.ok and again.headline == "That code has been used already."
    assert log.desk.count(AuditEvent, AuditEvent.action == "person.merged") == 1


def test_an_unknown_code_is_refused_with_the_usage(db, now) -> None:
    log, slack_sam, _ = _sam_on_both(db, now)

    reply = log.say(slack_sam, "me confirm ZZZZ2222")

    assert not reply.ok and reply.headline.startswith('"ZZZZ2222" is not a code I gave.')
    assert reply.usage == "me confirm <code>"
    assert log.accounts_of(slack_sam) == {"slack"}


def test_a_second_code_for_an_account_already_joined_is_refused(db, now) -> None:
    log, slack_sam, teams_sam = _sam_on_both(db, now)
    first = log.say(teams_sam, "me is sam@health.example").data["code"]
    second = log.say(teams_sam, "me is sam@health.example").data["code"]
    assert first != second
    assert log.say(slack_sam, f"me confirm {first}").ok

    reply = log.say(slack_sam, f"me confirm {second}")

    assert not reply.ok and "already been joined" in reply.headline
    assert log.desk.count(AuditEvent, AuditEvent.action == "person.merged") == 1


def test_me_is_with_an_email_nobody_uses_does_not_set_it(db, now) -> None:
    log = TwoPlatforms(db, now)
    mallory = log.account("teams", "29:mallory", "Mallory")

    reply = log.say(mallory, "me is boss@council.example")

    assert reply.ok and reply.data["claimed"] is False
    assert reply.headline == "Nobody with boss@council.example uses Joinedup yet."
    [row] = log.desk.rows(Person, Person.id == mallory)
    assert row.email is None
    assert log.desk.rows(IdentityClaim) == []
    # When the real owner arrives on Slack, their account is theirs, not Mallory's.
    boss = log.account("slack", "UBOSS", "Boss", email="boss@council.example")
    assert boss != mallory and log.accounts_of(mallory) == {"teams"}


def test_an_owner_named_by_email_is_not_a_holder_and_their_own_account_joins_them(db, now) -> None:
    log = TwoPlatforms(db, now)
    mallory = log.account("teams", "29:mallory", "Mallory")
    assert log.say(mallory, "commit boss@council.example Approve the lease by Friday").ok

    reply = log.say(mallory, "me is boss@council.example")

    assert reply.data["claimed"] is False and log.desk.rows(IdentityClaim) == []
    boss = log.account("slack", "UBOSS", "Boss", email="boss@council.example")
    [c] = log.desk.rows(Commitment)
    assert c.owner_id == boss  # the record named by their email is theirs
    assert log.accounts_of(boss) == {"slack"} and log.accounts_of(mallory) == {"teams"}


def test_me_is_cannot_take_over_someone_elses_email_once_yours_is_known(db, now) -> None:
    log = TwoPlatforms(db, now)
    log.account("slack", "U1", "Boss", email="boss@council.example")
    me = log.account("teams", "29:me", "Me", email="me@health.example")

    reply = log.say(me, "me is boss@council.example")

    assert not reply.ok
    assert "I already know you as me@health.example" in reply.headline
    assert log.desk.rows(IdentityClaim) == []


def test_me_is_refuses_a_person_who_already_has_another_account_on_this_platform(db, now) -> None:
    log = TwoPlatforms(db, now)
    log.account("teams", "29:real", "Sam", email="sam@health.example")
    other = log.account("teams", "29:other", "Not Sam")

    reply = log.say(other, "me is sam@health.example")

    assert not reply.ok and "already has a teams account" in reply.headline
    assert log.desk.rows(IdentityClaim) == []


def test_me_is_and_me_confirm_without_their_argument_say_what_they_need(db, now) -> None:
    desk = Desk(db, now)

    no_email = desk.say("me is sam")
    no_code = desk.say("me confirm")

    assert not no_email.ok and no_email.headline == "Give your email address."
    assert no_email.usage == "me is <email>"
    assert not no_code.ok and no_code.headline == "Give the code that `me is` gave you."
    assert no_code.usage == "me confirm <code>"


def test_two_holders_confirming_one_accounts_codes_at_once_join_it_to_one_of_them(db, now) -> None:
    log, slack_sam, teams_sam = _sam_on_both(db, now)
    jo = log.account("slack", "U2", "Jo", email="jo@police.example")
    assert log.desk.say("commit <@29:sam> Send the DPIA", mentions={"<@29:sam>": teams_sam}).ok
    to_sam = log.say(teams_sam, "me is sam@health.example").data["code"]
    to_jo = log.say(teams_sam, "me is jo@police.example").data["code"]
    attempts = [(slack_sam, to_sam), (jo, to_jo), (slack_sam, to_sam), (jo, to_jo)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda a: log.say(a[0], f"me confirm {a[1]}"), attempts))

    assert sum(r.ok for r in replies) == 1, [r.headline for r in replies]
    [merged] = log.desk.rows(AuditEvent, AuditEvent.action == "person.merged")
    winner = merged.after["merged_into"]
    assert log.accounts_of(winner) == {"slack", "teams"}
    [c] = log.desk.rows(Commitment)
    assert c.owner_id == winner  # accounts and records went to the same person


def test_a_merged_decider_answers_the_proposals_asked_of_either_account(db, now) -> None:
    log, slack_sam, teams_sam = _sam_on_both(db, now)
    assert log.say(teams_sam, "dept me Health").ok
    named = log.desk.say("team decider Health <@S>", mentions={"<@S>": teams_sam})
    assert named.ok, named.headline
    assert log.desk.say("propose Pool the data budget from Health").ok
    code = log.say(teams_sam, "me is sam@health.example").data["code"]
    assert log.say(slack_sam, f"me confirm {code}").ok

    agreed = log.say(slack_sam, "agree P-1")

    assert agreed.ok and agreed.headline == "P-1 agreed: now D-1", agreed.headline
