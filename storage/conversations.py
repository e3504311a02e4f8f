"""Stored conversation references: where a proactive message can reach later.

The Bot Framework samples keep these in an in-memory dict, which forgets every
proactive target on restart; here they are rows, upserted on every activity.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import ConversationReference


def reference_for(
    session: Session, *, platform: str, conversation_id: str
) -> ConversationReference | None:
    return session.scalars(
        select(ConversationReference).where(
            ConversationReference.platform == platform,
            ConversationReference.conversation_id == conversation_id,
        )
    ).first()


def personal_reference(
    session: Session, *, platform: str, person_id: int
) -> ConversationReference | None:
    """The person's one-to-one chat with the bot on ``platform``, most recently seen first."""
    return session.scalars(
        select(ConversationReference)
        .where(
            ConversationReference.platform == platform,
            ConversationReference.person_id == person_id,
            ConversationReference.conversation_type == "personal",
        )
        .order_by(ConversationReference.updated_at.desc(), ConversationReference.id.desc())
    ).first()


def save_reference(
    session: Session,
    *,
    platform: str,
    conversation_id: str,
    conversation_type: str | None,
    tenant: str | None,
    service_url: str,
    reference: dict[str, Any],
    person_id: int | None,
    now: dt.datetime,
    update: bool = True,
) -> ConversationReference:
    """Insert or refresh the reference of one conversation (safe when two requests race).
    Nothing is written when nothing changed; with ``update=False`` an existing row is
    never changed (only a new conversation is stored)."""

    def refresh(row: ConversationReference) -> ConversationReference:
        if not update:
            return row
        unchanged = (
            row.service_url == service_url
            and row.reference == reference
            and (conversation_type is None or row.conversation_type == conversation_type)
            and (tenant is None or row.tenant == tenant)
            and (person_id is None or row.person_id == person_id)
        )
        if unchanged:
            return row
        row.conversation_type = conversation_type or row.conversation_type
        row.tenant = tenant or row.tenant
        row.service_url = service_url
        row.reference = reference
        if person_id is not None:
            row.person_id = person_id
        row.updated_at = now
        session.flush()
        return row

    found = reference_for(session, platform=platform, conversation_id=conversation_id)
    if found is not None:
        return refresh(found)
    try:
        with session.begin_nested():
            row = ConversationReference(
                platform=platform,
                conversation_id=conversation_id,
                conversation_type=conversation_type,
                tenant=tenant,
                service_url=service_url,
                reference=reference,
                person_id=person_id,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return row
    except IntegrityError:
        found = reference_for(session, platform=platform, conversation_id=conversation_id)
        if found is None:
            raise
        return refresh(found)
