"""The joint log's tables, as SQLAlchemy 2.0 typed models.

Times are UTC (``DateTime(timezone=True)``); due dates and nudge days are the
team's local calendar dates (``Date``). Nothing a user does deletes a row:
cancel, supersede and reassign are state changes recorded in ``audit_events``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON,
    }


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Case-folded name: team names are unique regardless of case.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/London")
    reminder_time: Mapped[str] = mapped_column(String(5), default="09:00")
    escalation_days: Mapped[int] = mapped_column(Integer, default=3)
    # ISO weekday, 1 = Monday ... 7 = Sunday.
    summary_weekday: Mapped[int] = mapped_column(Integer, default=5)
    summary_time: Mapped[str] = mapped_column(String(5), default="16:00")
    # A public-holiday calendar, e.g. "GB-ENG" (country-subdivision), or None.
    holidays: Mapped[str | None] = mapped_column(String(20), default=None)
    suggestions_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    decision_reaction: Mapped[str] = mapped_column(String(64), default="pushpin")
    commitment_reaction: Mapped[str] = mapped_column(String(64), default="ballot_box_with_check")
    # The escalation ladder (``team ladder``), its named person and per-kind thresholds
    # in working days (``escalation_days`` above is the overdue-commitment threshold).
    ladder: Mapped[str] = mapped_column(String(200), default="accountable, lead")
    sro_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    blocked_escalation_days: Mapped[int] = mapped_column(Integer, default=3)
    risk_escalation_days: Mapped[int] = mapped_column(Integer, default=5)
    proposal_escalation_days: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Counter(Base):
    """The next human number per team and kind (D, C, R): gap-free, shared by all platforms."""

    __tablename__ = "counters"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(1), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), unique=True, default=None)
    handle: Mapped[str | None] = mapped_column(String(100), unique=True, default=None)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Set by `me name`: the name the person chose wins over a platform profile's name.
    name_chosen: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    department: Mapped[Department | None] = relationship(lazy="joined")
    identities: Mapped[list[PlatformIdentity]] = relationship(back_populates="person")


class PlatformIdentity(Base):
    """A person's account on one platform: Slack (workspace, user id) or Teams (tenant, user id)."""

    __tablename__ = "platform_identities"
    __table_args__ = (UniqueConstraint("platform", "tenant", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    tenant: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(String(200))
    aad_object_id: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="identities")


class TeamMember(Base):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # "member" or "lead".
    role: Mapped[str] = mapped_column(String(20), default="member")
    joined_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChannelLink(Base):
    """A Slack channel, a Teams conversation or a console session linked to a team."""

    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("platform", "tenant", "channel_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    tenant: Mapped[str] = mapped_column(String(100))
    channel_id: Mapped[str] = mapped_column(String(300))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    # "active" or "superseded".
    status: Mapped[str] = mapped_column(String(20), default="active")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), default=None)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), default=None)
    source_platform: Mapped[str | None] = mapped_column(String(20), default=None)
    source_link: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)

    decided_by: Mapped[Person] = relationship(foreign_keys=[decided_by_id], lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")


class Commitment(Base):
    __tablename__ = "commitments"
    __table_args__ = (
        UniqueConstraint("team_id", "number"),
        Index("ix_commitments_team_status_due", "team_id", "status", "due_date"),
        Index("ix_commitments_owner_status", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # The owner's department when the commitment was made or reassigned.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    due_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    # "open", "blocked", "done", "cancelled" (blocked is still open work).
    status: Mapped[str] = mapped_column(String(20), default="open")
    blocked_reason: Mapped[str | None] = mapped_column(Text, default=None)
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date, default=None)
    done_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    done_note: Mapped[str | None] = mapped_column(Text, default=None)
    cancelled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), default=None)
    source_platform: Mapped[str | None] = mapped_column(String(20), default=None)
    source_link: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[Person] = relationship(foreign_keys=[owner_id], lazy="joined")
    created_by: Mapped[Person] = relationship(foreign_keys=[created_by_id])
    department: Mapped[Department | None] = relationship(lazy="joined")


class Area(Base):
    """A work area whose ownership is recorded as RACI roles."""

    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    name: Mapped[str] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[AreaRole]] = relationship(back_populates="area")


class AreaRole(Base):
    """One RACI role of one person on an area; ``ended_at`` set when replaced (never deleted)."""

    __tablename__ = "area_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # "responsible", "accountable", "consulted" or "informed".
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    area: Mapped[Area] = relationship(back_populates="roles")
    person: Mapped[Person] = relationship(lazy="joined")


class Risk(Base):
    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    impact: Mapped[str] = mapped_column(String(10), default="medium")
    likelihood: Mapped[str] = mapped_column(String(10), default="medium")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # "open" or "closed".
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id], lazy="joined")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), default=None, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[int | None] = mapped_column(Integer, default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    platform: Mapped[str | None] = mapped_column(String(20), default=None)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """One message that leaves the bot later, whatever its kind: a cross-platform
    announcement, a reply posted after the acknowledgement, a nudge, a digest, an escalation,
    a weekly summary. Written in the transaction that decides it (``storage.outbox.enqueue``),
    leased one row at a time by a delivery worker, sent, then marked sent (see
    ``storage.outbox`` for the states and ``bot.delivery`` for the loop)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # "announcement", "reply", "owner_nudge", "channel_digest", "escalation", "weekly_summary".
    kind: Mapped[str] = mapped_column(String(30), default="announcement")
    # "slack", "teams", or "any" (a person, reached on whichever platform knows them).
    platform: Mapped[str] = mapped_column(String(20))
    # The target: a channel link, a person, or a platform reply address (``address``).
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), default=None)
    channel_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_links.id"), default=None
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    address: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    payload: Mapped[dict[str, Any]] = mapped_column()
    # "pending", "sending" (leased), "sent", "failed" (for good), "expired" (past deadline).
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Not before: when the row may next be leased (a lease's end while "sending").
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[dt.datetime | None] = mapped_column(default=None)
    leased_by: Mapped[str | None] = mapped_column(String(100), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Written once across replicas: e.g. "owner_nudge:person:12:2026-11-30".
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    # Not worth sending after this (the end of the team's local day for a nudge).
    deadline: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class ConversationReference(Base):
    """Where a proactive message can reach later (Teams): a channel or a person's personal chat."""

    __tablename__ = "conversation_references"
    __table_args__ = (UniqueConstraint("platform", "conversation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    conversation_id: Mapped[str] = mapped_column(String(300))
    # "personal", "channel", "groupChat".
    conversation_type: Mapped[str | None] = mapped_column(String(30), default=None)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None, index=True)
    tenant: Mapped[str | None] = mapped_column(String(100), default=None)
    service_url: Mapped[str] = mapped_column(Text)
    reference: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class JoinCode(Base):
    """A short-lived code that links a channel on another platform to an existing team."""

    __tablename__ = "join_codes"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    used_by_link_id: Mapped[int | None] = mapped_column(
        ForeignKey("channel_links.id"), default=None
    )


class IdentityClaim(Base):
    """``me is <email>`` waiting for ``me confirm <code>`` from the account that holds the email.

    Single-use and short-lived: confirming sets ``used_at``; an expired or used claim stays as
    the record that it was asked for.
    """

    __tablename__ = "identity_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    # The person who said ``me is``: their accounts move to ``holder`` on confirmation.
    claimant_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # The person who holds ``email`` (given by a platform): only they can confirm.
    holder_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    platform: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class InboundEvent(Base):
    """Platform requests already handled (Slack event_id, interaction id, Teams activity id):
    a retried delivery finds its key here and is acknowledged without acting twice."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("source", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(300))
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- proposals, deciders and the escalation ladder -------------------------------------------


class DepartmentDecider(Base):
    """Who answers proposals for a department in a team (``team decider <dept> <owner>``);
    ``ended_at`` set when replaced (never deleted)."""

    __tablename__ = "department_deciders"
    __table_args__ = (Index("ix_department_deciders_team_dept", "team_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    person: Mapped[Person] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")


class Proposal(Base):
    """A decision asked of the departments (``P-n``): it becomes a Decision when every
    decider has agreed (abstentions allowed)."""

    __tablename__ = "proposals"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text, default=None)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    decide_by: Mapped[dt.date | None] = mapped_column(Date, default=None)
    # "open", "agreed", "withdrawn".
    status: Mapped[str] = mapped_column(String(20), default="open")
    # Bumped by ``propose revise``: answers to an earlier revision no longer count.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), default=None)
    source_platform: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    proposed_by: Mapped[Person] = relationship(lazy="joined")
    deciders: Mapped[list[ProposalDecider]] = relationship(
        back_populates="proposal", order_by="ProposalDecider.id"
    )


class ProposalDecider(Base):
    """One department's decider on a proposal and their latest answer (earlier answers are
    in the audit trail)."""

    __tablename__ = "proposal_deciders"
    __table_args__ = (UniqueConstraint("proposal_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    # None (not answered), "agree", "object", "abstain".
    answer: Mapped[str | None] = mapped_column(String(10), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    answered_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    proposal: Mapped[Proposal] = relationship(back_populates="deciders")
    person: Mapped[Person] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")


class ProposalComment(Base):
    """A comment on a proposal from anyone (deciders answer; everyone else comments)."""

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(lazy="joined")


class LadderStep(Base):
    """One step of the escalation ladder taken for one item, or (``rung`` 0) a reset that
    starts the item again at the bottom.

    ``item`` is ``commitment:<id>``, ``risk:<id>`` or ``proposal:<id>``; ``round`` counts
    the resets, so each rung is taken at most once per round (the unique key).
    """

    __tablename__ = "ladder_steps"
    __table_args__ = (UniqueConstraint("item", "round", "rung"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    item: Mapped[str] = mapped_column(String(60))
    # "overdue", "blocked", "red_risk", "proposal"; "reset" on rung 0.
    kind: Mapped[str] = mapped_column(String(20))
    round: Mapped[int] = mapped_column(Integer, default=0)
    rung: Mapped[int] = mapped_column(Integer)
    # "accountable", "lead", "sro", "channel", "reset".
    step: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), default=None)
    to: Mapped[str | None] = mapped_column(String(300), default=None)
    local_day: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- shared outcome and joint measures -------------------------------------------------------


class OutcomeStatement(Base):
    """One wording of a team's shared outcome; the newest is the outcome, older ones are its
    history (rewording adds a row, never changes one)."""

    __tablename__ = "outcome_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    set_by: Mapped[Person] = relationship(lazy="joined")


class Measure(Base):
    """A joint measure of the outcome, ``M-n``: a number reported every week, month or
    quarter, heading from ``baseline`` to ``target`` by ``target_date``."""

    __tablename__ = "measures"
    __table_args__ = (UniqueConstraint("team_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(String(40), default=None)
    # None: the first value recorded serves as the baseline.
    baseline: Mapped[float | None] = mapped_column(Float, default=None)
    target: Mapped[float] = mapped_column(Float)
    target_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # The owner's department when the measure was added or its owner changed.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # "week", "month" or "quarter".
    frequency: Mapped[str] = mapped_column(String(10), default="month")
    lower_is_better: Mapped[bool] = mapped_column(Boolean, default=False)
    # "active" or "retired".
    status: Mapped[str] = mapped_column(String(20), default="active")
    # The team-local date the straight line to the target starts from.
    start_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    owner: Mapped[Person] = relationship(foreign_keys=[owner_id], lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")


class MeasureValue(Base):
    """The value of a measure for one period; a second value for the period replaces the
    first (the replacement is an audit event with both)."""

    __tablename__ = "measure_values"
    __table_args__ = (UniqueConstraint("measure_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    # "2026-11", "2026-W48" or "2026-Q4".
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MeasureLink(Base):
    """A decision, commitment or risk that serves a measure (``commit … for M-2``,
    ``link C-7 M-2``)."""

    __tablename__ = "measure_links"
    __table_args__ = (UniqueConstraint("measure_id", "kind", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    # "D", "C" or "R"; record_id is the row id in decisions, commitments or risks.
    kind: Mapped[str] = mapped_column(String(1))
    record_id: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TeamViewer(Base):
    """Read-only access to a team's live view for someone outside its channels
    (``team viewer add <owner>``, by a lead)."""

    __tablename__ = "team_viewers"
    __table_args__ = (UniqueConstraint("team_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebSignIn(Base):
    """A personal sign-in link to the live view (``dashboard``): single use, short-lived.
    Only the SHA-256 of the link's secret is stored."""

    __tablename__ = "web_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class WebSession(Base):
    """A signed-in browser: the cookie's secret is stored hashed; ends after inactivity."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for one team's JSON API (``joinedup token create``), stored hashed."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
