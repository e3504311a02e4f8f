"""What a handler works with: the session, the invocation, the actor, the team."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, false, select
from sqlalchemy.orm import Session

from commands.dates import UnreadableDate, parse_when
from commands.invocation import Invocation
from commands.language import CommandError
from commands.reply import Reply
from commands.rules import local_today
from storage import outbox, people
from storage.inbound import claim, claim_cte, claim_params
from storage.models import (
    ChannelLink,
    OutboxMessage,
    Person,
    PlatformIdentity,
    Team,
    TeamMember,
)
from storage.records import AUDIT_INSERT
from storage.teams import link_platforms, links_of_team

NO_TEAM = (
    "This conversation isn't linked to a team yet. Run `team create <name>`, "
    "or `team join <code>` with a code from `team link` in one of the team's channels."
)


@dataclass
class Context:
    session: Session
    invocation: Invocation
    actor: Person
    team: Team | None
    announcements: list[Reply] = field(default_factory=list)
    # In a direct conversation, the teams a person-level command covers (``list mine``
    # across all the person's teams); see ``commands.scope``.
    teams: list[Team] = field(default_factory=list)
    # Whether ``team`` came from the invocation (its channel's link or a button's team)
    # rather than from the person's teams (``commands.scope``).
    linked: bool = False

    # The actor's membership rows already read or written in this transaction, by team id:
    # a command asks "is the actor a member (a lead)?" several times and reads it once.
    _memberships: dict[int, TeamMember] = field(default_factory=dict, repr=False)
    # The id of the loaded team when, at load, it had no channel on a platform other than
    # the invocation's (nor the console's): its announcements then go nowhere, unread.
    _alone_on_platform: int | None = field(default=None, repr=False)

    @classmethod
    def claim_and_load(
        cls, session: Session, invocation: Invocation, *, join: bool, key: str | None
    ) -> Context | None:
        """Claim the request's idempotency ``key`` (None: nothing to claim) and load the
        context, in the session's transaction; None when the key was claimed before (a
        redelivery: the caller writes nothing).

        On PostgreSQL the claim rides on the context's one query, as a data-modifying CTE:
        a command's claim costs no round trip of its own. Elsewhere it is its own statement,
        first."""
        if key is None:
            return cls.load(session, invocation, join=join)
        if session.connection().dialect.name != "postgresql":
            fresh = claim(session, source=invocation.platform, key=key, now=invocation.now)
            return cls.load(session, invocation, join=join) if fresh else None
        return cls.load(session, invocation, join=join, claiming=key)

    @classmethod
    def load(
        cls,
        session: Session,
        invocation: Invocation,
        *,
        join: bool = True,
        claiming: str | None = None,
    ) -> Context | None:
        """``join``: make the actor a member of the team (a first write in a team's channel
        joins it). Reading commands pass False: they never write. ``claiming`` (PostgreSQL):
        claim this key in the same query (``claim_and_load``); None when it was claimed before.

        One query reads the actor, the team (the invocation's, or its channel's) and the
        actor's membership of it. When the invocation names the actor's platform account
        (``Invocation.account``), the actor is whoever holds that account now, whatever
        person id the adapter had cached (accounts move when two people are joined)."""
        params: dict[str, Any] = {}
        if invocation.team_id is not None:
            source = "team"
            params["ctx_team"] = invocation.team_id
        elif invocation.channel is not None:
            source = "channel"
            params.update(
                ctx_channel_platform=invocation.channel.platform,
                ctx_channel_tenant=invocation.channel.tenant,
                ctx_channel_id=invocation.channel.channel_id,
            )
        else:
            source = "none"
        params["ctx_origin"] = invocation.platform
        if invocation.account is not None:
            params.update(
                ctx_platform=invocation.platform,
                ctx_tenant=invocation.account[0],
                ctx_user=invocation.account[1],
            )
        else:
            params["ctx_person"] = invocation.person_id
        if claiming is not None:
            params.update(
                claim_params(source=invocation.platform, key=claiming, now=invocation.now)
            )
        query = _context_query(
            source, by_account=invocation.account is not None, claiming=claiming is not None
        )
        row = session.execute(query, params).first()
        if row is None:
            raise CommandError("I don't know who you are yet; try again in a moment.")
        if claiming is not None and row[4] is None:
            return None  # claimed before: a redelivery
        actor, team, member, elsewhere = row[0], row[1], row[2], row[3]
        ctx = cls(
            session=session, invocation=invocation, actor=actor, team=team, linked=team is not None
        )
        if team is not None and not elsewhere:
            ctx._alone_on_platform = team.id
        if member is not None:
            ctx._memberships[member.team_id] = member
        # Reading (`show`, `who owns`, `list`: ``join=False``) adds nobody to the team;
        # whoever changes something joins it (here, and again in ``audit``).
        if team is not None and join:
            ctx._actor_member(team.id)
        return ctx

    def _actor_member(self, team_id: int) -> TeamMember:
        """The actor's membership of ``team_id``, joining it when they are not a member."""
        member = self._memberships.get(team_id)
        if member is None:
            member = people.ensure_member(self.session, team_id, self.actor.id)
            self._memberships[team_id] = member
        return member

    @property
    def now(self) -> dt.datetime:
        return self.invocation.now

    def require_team(self) -> Team:
        if self.team is None:
            raise CommandError(NO_TEAM)
        return self.team

    @property
    def today(self) -> dt.date:
        return local_today(self.now, self.require_team().timezone)

    def is_lead(self, person_id: int | None = None) -> bool:
        team = self.require_team()
        member: TeamMember | None
        if person_id in (None, self.actor.id) and team.id in self._memberships:
            member = self._memberships[team.id]
        else:
            member = people.membership(self.session, team.id, person_id or self.actor.id)
        return member is not None and member.role == "lead"

    def team_has_leads(self) -> bool:
        team = self.require_team()
        return (
            self.session.scalars(
                select(TeamMember.id).where(
                    TeamMember.team_id == team.id, TeamMember.role == "lead"
                )
            ).first()
            is not None
        )

    def resolve_owner(
        self, token: str, *, usage: str | None = None, read_only: bool = False
    ) -> Person:
        """``me``, a mention token, ``@handle`` or an email -> a Person (emails are created on
        first sight; unknown handles are refused rather than guessed).

        ``read_only`` (lists, lookups): nobody is created or added to the team; an email
        nobody has is refused."""
        person: Person | None
        mentioned = self.invocation.mentions.get(token)
        if mentioned is not None:
            person = self.session.get(Person, mentioned)
        elif token.lower() == "me":
            person = self.actor
        elif token.startswith("<@"):
            raise CommandError(f"I couldn't tell who {token} is.", usage=usage)
        elif token.startswith("@"):
            person = people.person_by_handle(self.session, token)
            if person is None:
                raise CommandError(
                    f"I don't know {token}. Mention them, or use their email "
                    "(they'll be added to the team).",
                    usage=usage,
                )
        elif read_only:
            person = people.person_by_email(self.session, token)
            if person is None:
                raise CommandError(f"Nobody with the email {token} is in the log.", usage=usage)
        else:
            person = people.find_or_create_by_email(self.session, token)
        if person is None:
            raise CommandError(f"I couldn't tell who {token} is.", usage=usage)
        if self.team is not None and not read_only:
            people.ensure_member(self.session, self.team.id, person.id)
        return person

    def resolve_when(self, text: str, *, usage: str | None = None) -> dt.date:
        try:
            return parse_when(text, today=self.today)
        except UnreadableDate as exc:
            raise CommandError(str(exc), usage=usage) from None

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: int | None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Record a change (who, when, before, after). Whoever changes a team's log is one of
        its members from then on."""
        # A Core insert (every change writes one): nothing reads an AuditEvent object back.
        self.session.connection().execute(
            AUDIT_INSERT,
            {
                **self.audit_event(action, entity, before=before, after=after),
                "entity_id": entity_id,
            },
        )

    def audit_event(
        self,
        action: str,
        entity: str,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The audit event of a change, every column but ``entity_id``, for a record written
        with its event in one statement (``storage.records.insert_numbered``); the actor
        joins the team as ``audit`` would have them."""
        if self.team is not None:
            self._actor_member(self.team.id)
        return {
            "team_id": self.team.id if self.team else None,
            "actor_id": self.actor.id,
            "action": action,
            "entity": entity,
            "before": before,
            "after": after,
            "platform": self.invocation.platform,
            "at": self.now,
        }

    def announce(self, reply: Reply) -> None:
        """Queue ``reply`` for the team's channels on the other platforms (written to the
        outbox in this same transaction by ``write_announcements``)."""
        self.announcements.append(reply)

    def tell(self, person_id: int, reply: Reply) -> None:
        """Queue a direct message to one person (someone displaced by this change), in this
        same transaction: an outbox row for the person, sent by the delivery engine on the
        first platform that reaches them (those of the team's channels first)."""
        team = self.require_team()
        if person_id == self.actor.id:
            return  # nobody is told what they did themselves
        platforms = list(
            dict.fromkeys(link.platform for link in links_of_team(self.session, team.id))
        )
        outbox.enqueue(
            self.session,
            kind=outbox.DIRECT,
            platform=outbox.ANY_PLATFORM,
            person_id=person_id,
            team_id=team.id,
            payload={
                "reply": reply.to_dict(),
                "refs": [reply.ref] if reply.ref else [],
                "target": {"person_id": person_id, "platforms": platforms},
            },
            now=self.now,
        )

    def write_announcements(self) -> None:
        if self.team is None or not self.announcements:
            return
        origin = self.invocation.platform
        # From a direct message every linked channel hears of it, the origin platform's too:
        # the team's channel there did not see the command.
        direct = self.invocation.channel is not None and self.invocation.channel.direct
        if not direct and self._alone_on_platform == self.team.id:
            return  # no channel elsewhere to tell (read with the context, no query)
        for link_id, platform in link_platforms(self.session, self.team.id):
            if platform == "console" or (platform == origin and not direct):
                continue
            for reply in self.announcements:
                outbox.mark_queued(self.session)
                self.session.add(
                    OutboxMessage(
                        team_id=self.team.id,
                        channel_link_id=link_id,
                        platform=platform,
                        kind="announcement",
                        payload=reply.to_dict(),
                        next_attempt_at=self.now,
                        created_at=self.now,
                    )
                )


_CONTEXT_QUERIES: dict[tuple[str, bool, bool], Any] = {}


def _context_query(source: str, *, by_account: bool, claiming: bool = False) -> Any:
    """The one query of ``Context.load``, built once per shape: the team comes from
    ``source`` ("team": an id, "channel": the channel's link, "none"), the actor from their
    account (``by_account``) or their person id; ``claiming`` (PostgreSQL only) adds the
    claim of the request's key (``storage.inbound.claim_cte``) and, as a fifth column, the
    claim's id (NULL: claimed before). Parameters are bound at execution."""
    key = (source, by_account, claiming)
    cached = _CONTEXT_QUERIES.get(key)
    if cached is not None:
        return cached
    team_id: Any
    if source == "team":
        team_id = bindparam("ctx_team")
    elif source == "channel":
        team_id = (
            select(ChannelLink.team_id)
            .where(
                ChannelLink.platform == bindparam("ctx_channel_platform"),
                ChannelLink.tenant == bindparam("ctx_channel_tenant"),
                ChannelLink.channel_id == bindparam("ctx_channel_id"),
            )
            .order_by(ChannelLink.id)
            .limit(1)
            .scalar_subquery()
        )
    else:
        team_id = None
    # Whether the team has a channel on another platform than the invocation's (and not the
    # console's), that is, somewhere its announcements would go.
    elsewhere = (
        select(ChannelLink.id)
        .where(
            ChannelLink.team_id == Team.id,
            ChannelLink.platform.not_in(["console", bindparam("ctx_origin")]),
        )
        .exists()
    )
    query = (
        select(Person, Team, TeamMember, elsewhere)
        .select_from(Person)
        .outerjoin(Team, Team.id == team_id if team_id is not None else false())
        .outerjoin(
            TeamMember, and_(TeamMember.team_id == Team.id, TeamMember.person_id == Person.id)
        )
    )
    if by_account:
        query = query.join(
            PlatformIdentity,
            and_(
                PlatformIdentity.person_id == Person.id,
                PlatformIdentity.platform == bindparam("ctx_platform"),
                PlatformIdentity.tenant == bindparam("ctx_tenant"),
                PlatformIdentity.user_id == bindparam("ctx_user"),
            ),
        )
    else:
        query = query.where(Person.id == bindparam("ctx_person"))
    if claiming:
        claimed = claim_cte()
        query = query.add_columns(select(claimed.c.id).scalar_subquery()).add_cte(claimed)
    query = query.limit(1)
    _CONTEXT_QUERIES[key] = query
    return query
