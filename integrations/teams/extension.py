"""The Teams message extension: "Log as decision / commitment" (fetchTask, then submitAction)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from botbuilder.core import TurnContext

from commands import actions as a
from commands.extraction import extract
from commands.invocation import Invocation, ReplyAddress
from commands.rules import local_today
from integrations.running import run_command
from integrations.teams import activities as act
from integrations.teams import people as teams_people
from integrations.teams.cards import log_form, task_message, task_module
from integrations.teams.roster import Roster
from integrations.teams.turn import Turn, activity_key, invoke_response
from storage.database import Database
from storage.teams import team_for_channel

_AT_WITH_ATTRIBUTES = re.compile(r"<at\b[^>]*>", re.I)


class MessageExtension:
    """The message action's form (fetchTask) and the record it logs (submitAction)."""

    def __init__(self, db: Database, roster: Roster, changed: Callable[[bool], None]) -> None:
        self.db = db
        self.roster = roster
        # Wakes the delivery loop when a command queued a message.
        self.changed = changed

    async def on_fetch_task(self, turn_context: TurnContext, turn: Turn) -> None:
        value = turn.raw.get("value") or {}
        kind = _kind_of(value)
        payload = value.get("messagePayload") or {}
        text = _message_text(payload)
        today = await asyncio.to_thread(self._team_today, turn)
        found = extract(text, today=today)
        owner = None
        if kind == "commitment":
            owner = _owner_for_picker(found.owner, payload, turn.raw)
        form = log_form(
            kind=kind,
            text=found.text or act.plain_text(text),
            owner=owner,
            due=found.due if kind == "commitment" else None,
            link=payload.get("linkToMessage"),
        )
        title = "Log as decision" if kind == "decision" else "Log as commitment"
        await invoke_response(turn_context, task_module(form, title=title))

    async def on_submit_action(self, turn_context: TurnContext, turn: Turn) -> None:
        value = turn.raw.get("value") or {}
        data = value.get("data") or {}
        payload = value.get("messagePayload") or {}
        kind = data.get("kind") if data.get("kind") in ("decision", "commitment") else None
        kind = kind or _kind_of(value)
        text = " ".join(str(data.get("text") or "").split())
        if turn.person_id is None:
            await invoke_response(turn_context, task_message("I don't know who you are yet."))
            return
        if not text:
            await invoke_response(turn_context, task_message(f"The {kind} text is missing."))
            return
        mentions: dict[str, int] = {}
        command: a.Command
        if kind == "decision":
            rationale = " ".join(str(data.get("rationale") or "").split()) or None
            command = a.LogDecision(text=text, rationale=rationale)
        else:
            owner = str(data.get("owner") or "me").strip()
            if owner != "me":
                account = await self.roster.account_for_aad(turn_context, turn.tenant, owner)
                if account is None:
                    await invoke_response(
                        turn_context,
                        task_message("I couldn't find that owner in this conversation."),
                    )
                    return
                ids = await asyncio.to_thread(
                    teams_people.resolve, self.db, tenant=turn.tenant, accounts=[account]
                )
                mentions[account.token] = ids[account.id]
                owner = account.token
            due = str(data.get("due") or "").strip() or None
            command = a.LogCommitment(owner=owner, text=text, when=due)
        invocation = Invocation(
            text=f"{kind} (message action)",
            person_id=turn.person_id,
            platform=act.PLATFORM,
            now=turn.now,
            channel=turn.channel,
            mentions=mentions,
            source_link=data.get("link") or payload.get("linkToMessage"),
            idempotency_key=activity_key(turn.raw),
            # The logged record is posted under the message it came from, by the delivery
            # engine, from a row written with the record; a refusal shows in the form.
            reply_address=ReplyAddress(
                platform=act.PLATFORM,
                address=self._thread_address(turn, payload),
                refusals=False,
            ),
        )
        reply, queued = await run_command(self.db, invocation, command)
        self.changed(queued)
        if not reply.ok and not reply.duplicate:
            await invoke_response(turn_context, task_message(reply.to_text()))
            return
        await invoke_response(turn_context, {})

    @staticmethod
    def _thread_address(turn: Turn, payload: dict[str, Any]) -> dict[str, Any]:
        """Where a logged record is posted: under its message. In a team channel the thread
        is the conversation ``<channel>;messageid=<root message id>``."""
        root = payload.get("replyToId") or payload.get("id")
        conversation = act.conversation_id(turn.raw)
        if act.conversation_type(turn.raw) == "channel" and root:
            conversation = f"{act.channel_conversation_id(turn.raw)};messageid={root}"
        return {
            "tenant": turn.tenant,
            "conversation_id": conversation,
            "service_url": str(turn.raw.get("serviceUrl") or ""),
            "reply_to_id": None,
            "update_activity_id": None,
        }

    def _team_today(self, turn: Turn) -> dt.date:
        with self.db.uow() as uow:
            team = team_for_channel(
                uow.session,
                platform=act.PLATFORM,
                tenant=turn.tenant,
                channel_id=turn.channel.channel_id,
            )
            return local_today(turn.now, team.timezone if team else "UTC")


def _kind_of(value: dict[str, Any]) -> str:
    return "decision" if "decision" in str(value.get("commandId") or "").lower() else "commitment"


def _message_text(payload: dict[str, Any]) -> str:
    """The message's body as text, with ``<at id="0">Sam</at>`` made ``<at>Sam</at>`` (the
    form the extractor reads as a mention)."""
    content = str((payload.get("body") or {}).get("content") or "")
    return act.plain_text(_AT_WITH_ATTRIBUTES.sub("<at>", content))


def _owner_for_picker(
    owner: str | None, payload: dict[str, Any], raw: dict[str, Any]
) -> str | None:
    """The people picker's initial value for what the extractor found: ``me`` (the person
    logging it), or the AAD object id of the author or of a mentioned person."""
    clicker = (raw.get("from") or {}).get("aadObjectId")
    if owner == "me":
        author = ((payload.get("from") or {}).get("user") or {}).get("id")
        return "me" if not author or author == clicker else str(author)
    if owner and owner.lower().startswith("<at>"):
        name = act.plain_text(re.sub(r"</?at>", "", owner, flags=re.I)).strip()
        for mention in payload.get("mentions") or []:
            user = (mention.get("mentioned") or {}).get("user") or {}
            if name in (mention.get("mentionText"), user.get("displayName")) and user.get("id"):
                return str(user["id"])
    return "me"
