"""`me is <email>`: a person's Teams and Slack accounts become one Person, nothing lost."""

from __future__ import annotations

from commands.invocation import ChannelRef
from storage import people
from storage.models import AreaRole, AuditEvent, Commitment, Decision, Person, PlatformIdentity
from tests.support import Desk

TEAMS = ChannelRef(platform="teams", tenant="tenant-1", channel_id="19:general@thread.tacv2")


def _account(desk: Desk, *, platform: str, user_id: str, name: str, email: str | None = None):
    with desk.db.uow() as uow:
        person = people.resolve_identity(
            uow.session,
            platform=platform,
            tenant="tenant-1",
            user_id=user_id,
            display_name=name,
            email=email,
        )
        uow.commit()
        return person.id


def test_me_is_merges_a_teams_person_into_the_slack_person_with_that_email(db, now) -> None:
    desk = Desk(db, now)
    slack_sam = _account(
        desk, platform="slack", user_id="U1", name="Sam", email="sam@health.example"
    )
    teams_sam = _account(desk, platform="teams", user_id="29:sam", name="Sam J")
    lead = desk.person_id(desk.lead)
    desk.say("team lead <@29:sam>", mentions={"<@29:sam>": teams_sam})
    desk.say("commit <@29:sam> Send the DPIA by Friday", mentions={"<@29:sam>": teams_sam})
    desk.say("owns data sharing <@29:sam> accountable", mentions={"<@29:sam>": teams_sam})
    reply = desk_say_as(desk, teams_sam, "decision Pool the budget")
    assert reply.ok

    reply = desk_say_as(desk, teams_sam, "me is sam@health.example")

    assert reply.ok and reply.data["merged"] is True
    [c] = desk.rows(Commitment)
    assert c.owner_id == slack_sam and c.created_by_id == lead
    [d] = desk.rows(Decision)
    assert d.decided_by_id == slack_sam
    [role] = desk.rows(AreaRole)
    assert role.person_id == slack_sam
    assert {
        i.platform for i in desk.rows(PlatformIdentity, PlatformIdentity.person_id == slack_sam)
    } == {"slack", "teams"}
    assert desk.rows(PlatformIdentity, PlatformIdentity.person_id == teams_sam) == []
    assert desk.count(Person, Person.id == teams_sam) == 1  # the row stays
    lead_reply = desk.say("team")
    assert lead_reply.fields[6].value == "Alex, Sam"  # the lead role followed the person
    [audit] = desk.rows(AuditEvent, AuditEvent.action == "person.merged")
    assert audit.before["identities"] == [["teams", "tenant-1", "29:sam"]]
    assert audit.after["merged_into"] == slack_sam


def desk_say_as(desk: Desk, person_id: int, text: str):
    from commands.dispatch import dispatch
    from commands.invocation import Invocation

    return dispatch(
        Invocation(
            text=text, person_id=person_id, platform="teams", now=desk.now, channel=desk.channel
        ),
        desk.db.uow,
    )


def test_me_is_with_a_new_email_just_records_it(db, now) -> None:
    desk = Desk(db, now)
    teams_sam = _account(desk, platform="teams", user_id="29:sam", name="Sam")

    reply = desk_say_as(desk, teams_sam, "me is sam@health.example")

    assert reply.ok and reply.data["merged"] is False
    [sam] = desk.rows(Person, Person.id == teams_sam)
    assert sam.email == "sam@health.example"


def test_me_is_cannot_take_over_someone_elses_email_once_yours_is_known(db, now) -> None:
    desk = Desk(db, now)
    _account(desk, platform="slack", user_id="U1", name="Boss", email="boss@council.example")
    me = _account(desk, platform="teams", user_id="29:me", name="Me", email="me@health.example")

    reply = desk_say_as(desk, me, "me is boss@council.example")

    assert not reply.ok
    assert "I already know you as me@health.example" in reply.headline
    assert len(desk.rows(PlatformIdentity, PlatformIdentity.person_id == me)) == 1


def test_me_is_refuses_to_merge_into_a_person_who_already_has_another_teams_account(
    db, now
) -> None:
    desk = Desk(db, now)
    _account(desk, platform="teams", user_id="29:real", name="Sam", email="sam@health.example")
    other = _account(desk, platform="teams", user_id="29:other", name="Not Sam")

    reply = desk_say_as(desk, other, "me is sam@health.example")

    assert not reply.ok and "already has a teams account" in reply.headline
    assert len(desk.rows(PlatformIdentity, PlatformIdentity.person_id == other)) == 1


def test_me_is_without_an_email_says_what_it_needs(db, now) -> None:
    desk = Desk(db, now)

    reply = desk.say("me is sam")

    assert not reply.ok and reply.headline == "Give your email address."
    assert reply.usage == "me is <email>"
