"""A request's idempotency key is claimed in the command's own transaction, on both backends
(on PostgreSQL inside the context's query): a redelivery, sequential or concurrent, writes
nothing; a read whose reply rides on the acknowledgement claims nothing; a refused command
leaves its key unclaimed, so a corrected retry of the same request is not lost."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import func, select

from commands.dispatch import dispatch
from commands.invocation import ReplyAddress
from commands.reply import Reply
from storage.database import Database
from storage.models import AuditEvent, Decision, InboundEvent, TeamMember
from tests.support import Desk

MONDAY = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)


def _say(desk: Desk, person_id: int, text: str, key: str, **extra: Any) -> Reply:
    return dispatch(desk.invocation(text, as_=person_id, idempotency_key=key, **extra), desk.db.uow)


def _count(db: Database, model: Any, *where: Any) -> int:
    with db.uow() as work:
        return int(work.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_a_redelivered_command_is_answered_as_handled_and_writes_nothing(db: Database) -> None:
    desk = Desk(db, MONDAY, platform="slack")
    lead = desk.person_id(desk.lead)
    first = _say(desk, lead, "decision Pool the budget", "ev-1")
    assert first.headline == "D-1 logged by Alex"
    audits = _count(db, AuditEvent)

    again = _say(desk, lead, "decision Pool the budget", "ev-1")
    assert again.duplicate and again.headline == "Already handled."
    assert _count(db, Decision) == 1
    assert _count(db, AuditEvent) == audits
    assert _count(db, InboundEvent, InboundEvent.key == "ev-1") == 1
    # A new key is a new request.
    assert _say(desk, lead, "decision Pool the budget", "ev-2").headline == "D-2 logged by Alex"


def test_a_redelivery_by_someone_not_yet_a_member_does_not_join_them(db: Database) -> None:
    desk = Desk(db, MONDAY, platform="slack")
    sam = desk.person_id("sam@health.example")
    assert _say(desk, sam, "decision Share the list", "ev-sam").ok  # joins Sam
    with db.uow() as work:
        work.session.query(TeamMember).filter(TeamMember.person_id == sam).delete()
        work.commit()
    assert _say(desk, sam, "decision Share the list", "ev-sam").duplicate
    assert _count(db, TeamMember, TeamMember.person_id == sam) == 0


def test_the_same_request_delivered_ten_times_at_once_is_written_once(db: Database) -> None:
    desk = Desk(db, MONDAY, platform="slack")
    lead = desk.person_id(desk.lead)
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(
            pool.map(lambda _n: _say(desk, lead, "decision Once only", "ev-burst"), range(10))
        )
    assert sum(r.ok and not r.duplicate for r in replies) == 1
    assert sum(r.duplicate for r in replies) == 9
    assert _count(db, Decision) == 1
    assert _count(db, InboundEvent, InboundEvent.key == "ev-burst") == 1


def test_a_read_answered_in_the_acknowledgement_claims_nothing(db: Database) -> None:
    desk = Desk(db, MONDAY, platform="slack")
    lead = desk.person_id(desk.lead)
    assert _say(desk, lead, "list", "ev-list").ok
    assert _say(desk, lead, "list", "ev-list").ok  # not a duplicate: nothing was written
    assert _count(db, InboundEvent, InboundEvent.key == "ev-list") == 0
    # A read whose reply is queued claims its key with the queued reply.
    address = ReplyAddress(platform="slack", address={"channel": "C-LOG"})
    assert _say(desk, lead, "list", "ev-queued", reply_address=address).ok
    assert _say(desk, lead, "list", "ev-queued", reply_address=address).duplicate
    assert _count(db, InboundEvent, InboundEvent.key == "ev-queued") == 1


def test_a_refused_command_leaves_its_key_unclaimed(db: Database) -> None:
    desk = Desk(db, MONDAY, platform="slack")
    lead = desk.person_id(desk.lead)
    refused = _say(desk, lead, "decision supersede D-9 Something else", "ev-refused")
    assert not refused.ok
    assert _count(db, InboundEvent, InboundEvent.key == "ev-refused") == 0
    assert _say(desk, lead, "decision Something else", "ev-refused").ok
