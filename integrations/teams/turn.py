"""One Teams turn's shared pieces: the raw activity, who and where, its key, its invoke response."""

from __future__ import annotations

import contextvars
import datetime as dt
from dataclasses import dataclass
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from commands.invocation import ChannelRef
from integrations.teams import activities as act

# The request's JSON as Teams sent it. The SDK's Activity model drops what it has no field
# for (mention entities' "mentioned", conversation.tenantId), so the turn reads this instead.
RAW_ACTIVITY: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "teams_raw_activity", default=None
)
# Whether this turn's activity was authenticated (a Bot Framework token was checked).
AUTHENTICATED: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "teams_authenticated", default=False
)
MESSAGE_CARD_RESPONSE = "application/vnd.microsoft.activity.message"


@dataclass(frozen=True)
class Turn:
    raw: dict[str, Any]
    tenant: str
    now: dt.datetime
    person_id: int | None
    channel: ChannelRef


async def invoke_response(
    turn_context: TurnContext, body: dict[str, Any], *, status: int = 200
) -> None:
    await turn_context.send_activity(
        Activity(type=ActivityTypes.invoke_response, value=InvokeResponse(status=status, body=body))
    )


def activity_key(raw: dict[str, Any]) -> str | None:
    """The idempotency key of an activity: its id within its conversation (a redelivery
    carries the same id)."""
    if not raw.get("id"):
        return None
    return f"{raw.get('type')}:{act.conversation_id(raw)}:{raw['id']}"
