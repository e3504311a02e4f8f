"""Sending into a stored conversation (proactive messages), through the Bot Framework adapter."""

from __future__ import annotations

import asyncio
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, Attachment, ConversationReference

from commands.ports import DeliveryError
from commands.reply import Reply
from integrations.teams.cards import CONTENT_TYPE, reply_card

SEND_TIMEOUT_S = 15.0


def message(reply: Reply, *, download_label: str | None = None) -> Activity:
    """A reply as a message activity: the Adaptive Card, with its plain text as the summary
    (what notifications and clients without cards show)."""
    card = reply_card(reply, download_label=download_label)  # carries its fallbackText
    return Activity(
        type="message",
        summary=card["fallbackText"][:300],
        attachments=[Attachment(content_type=CONTENT_TYPE, content=card)],
    )


async def send(
    adapter: CloudAdapter,
    *,
    app_id: str,
    reference: dict[str, Any],
    activity: Activity,
    activity_id: str | None = None,
    conversation_id: str | None = None,
    reply_to_id: str | None = None,
    update_activity_id: str | None = None,
) -> None:
    """Post ``activity`` into the conversation of a stored ``reference``.

    ``conversation_id`` overrides the reference's (for a channel thread:
    ``<channel>;messageid=<root>``).
    ``activity_id`` is sent as the activity's id, so that a connector that deduplicates on it
    can drop a retried post. ``reply_to_id``: post as a reply to that activity;
    ``update_activity_id``: replace that activity (a card updated in place) instead of
    posting. Failures raise ``DeliveryError``.
    """
    ref = ConversationReference().deserialize(reference)
    ref.activity_id = None
    if conversation_id:
        ref.conversation.id = conversation_id

    async def callback(turn_context: TurnContext) -> None:
        # Straight to the connector: TurnContext.send_activity would make this a reply to the
        # continuation activity's made-up id, and would blank our activity id.
        outgoing = TurnContext.apply_conversation_reference(activity, ref)
        outgoing.reply_to_id = None
        outgoing.id = activity_id
        connector = turn_context.turn_state.get(adapter.BOT_CONNECTOR_CLIENT_KEY)
        conversations = connector.conversations
        cid = outgoing.conversation.id
        try:
            if update_activity_id:
                outgoing.id = update_activity_id
                await conversations.update_activity(cid, update_activity_id, outgoing)
            elif reply_to_id:
                outgoing.reply_to_id = reply_to_id
                await conversations.reply_to_activity(cid, reply_to_id, outgoing)
            else:
                await conversations.send_to_conversation(cid, outgoing)
        except Exception as exc:
            # The adapter hands a turn's exception to on_turn_error and returns normally;
            # keep it so the caller learns the send failed.
            failures.append(exc)
            raise

    failures: list[BaseException] = []
    try:
        await asyncio.wait_for(
            adapter.continue_conversation(ref, callback, bot_app_id=app_id),
            timeout=SEND_TIMEOUT_S,
        )
    except Exception as exc:
        raise delivery_error(failures[0] if failures else exc) from exc
    if failures:
        raise delivery_error(failures[0]) from failures[0]


def delivery_error(exc: BaseException) -> DeliveryError:
    """A failed Bot Connector call as a DeliveryError: 429 and 5xx are worth retrying (with
    the Retry-After the connector asked for), other 4xx are not."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    retry_after: float | None = None
    headers = getattr(response, "headers", None) or {}
    try:
        raw = headers.get("Retry-After") if hasattr(headers, "get") else None
        retry_after = float(raw) if raw else None
    except (TypeError, ValueError):
        retry_after = None
    if isinstance(status, int):
        permanent = 400 <= status < 500 and status not in (408, 429)
        return DeliveryError(
            f"Teams connector answered {status}", retry_after=retry_after, permanent=permanent
        )
    if isinstance(exc, asyncio.TimeoutError):
        return DeliveryError("Teams connector did not answer in time")
    return DeliveryError(f"Teams delivery failed: {type(exc).__name__}: {exc}"[:500])
