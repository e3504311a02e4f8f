"""A fake Bot Connector service on loopback: the far side of every Teams call the bot makes.

Activities' ``serviceUrl`` points here. It records what the bot sends (new activities,
replies, updates, created conversations), answers member look-ups (``TeamsInfo.get_member``)
from a roster the test fills, and can fail the next N sends with a 5xx.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.background import BackgroundLoop


@dataclass
class Sent:
    kind: str  # "send", "reply", "update", "create"
    conversation_id: str
    activity_id: str | None
    body: dict[str, Any]

    @property
    def card(self) -> dict[str, Any] | None:
        for attachment in self.body.get("attachments") or []:
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                return attachment["content"]
        return None

    @property
    def card_text(self) -> str:
        """Every TextBlock and fact of the card, joined: what a person reads."""
        out: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "TextBlock":
                    out.append(str(node.get("text")))
                if node.get("type") == "FactSet":
                    out.extend(f"{f['title']}: {f['value']}" for f in node.get("facts", []))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(self.card)
        return "\n".join(out)


@dataclass
class FakeBotConnector:
    sent: list[Sent] = field(default_factory=list)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    _fail: list[int] = field(default_factory=list)
    # Held while a send is recorded; notified after each (``wait_for`` waits on it).
    _recorded: threading.Condition = field(default_factory=threading.Condition)
    _url: str | None = None
    _counter: int = 0

    def add_member(
        self, user_id: str, *, name: str, aad_object_id: str, email: str | None = None
    ) -> None:
        """Put a user on the roster that member look-ups answer from."""
        member = {"id": user_id, "name": name, "aadObjectId": aad_object_id}
        if email:
            member["email"] = email
            member["userPrincipalName"] = email
        self.members[user_id] = member
        self.members[aad_object_id] = member

    def fail_next(self, n: int, status: int = 500) -> None:
        """The next ``n`` activity sends/replies/updates answer ``status`` and record nothing."""
        with self._recorded:
            self._fail.extend([status] * n)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Sent]:
        """What was sent, once ``count`` things were (or after ``timeout``: fewer)."""
        with self._recorded:
            self._recorded.wait_for(lambda: len(self.sent) >= count, timeout)
            return list(self.sent)

    def in_conversation(self, conversation_id: str) -> list[Sent]:
        return [s for s in self.sent if s.conversation_id.startswith(conversation_id)]

    # --- the HTTP side -------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self._create)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._reply)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)
        return app

    def serve(self, loop: BackgroundLoop) -> FakeBotConnector:
        """Serve on ``loop``; activities' ``serviceUrl`` is then ``self.url``."""
        self._url = loop.serve(self.app()).url + "/"
        return self

    @property
    def url(self) -> str:
        assert self._url is not None, "serve() it first"
        return self._url

    def _failure(self) -> web.Response | None:
        with self._recorded:
            if self._fail:
                return web.json_response(
                    {"error": {"code": "ServiceError", "message": "fake outage"}},
                    status=self._fail.pop(0),
                )
        return None

    def _record(self, kind: str, request: web.Request, body: dict[str, Any]) -> web.Response:
        with self._recorded:
            self._counter += 1
            new_id = f"fake-{self._counter}"
            self.sent.append(
                Sent(
                    kind=kind,
                    conversation_id=request.match_info.get("cid", ""),
                    activity_id=request.match_info.get("aid"),
                    body=body,
                )
            )
            self._recorded.notify_all()
        return web.json_response({"id": new_id})

    async def _send(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        return self._failure() or self._record("send", request, await request.json())

    async def _reply(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        return self._failure() or self._record("reply", request, await request.json())

    async def _update(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        return self._failure() or self._record("update", request, await request.json())

    async def _create(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        body = await request.json()
        with self._recorded:
            self._counter += 1
            self.sent.append(Sent("create", "", None, body))
            self._recorded.notify_all()
            return web.json_response({"id": f"a:created-{self._counter}", "activityId": ""})

    async def _member(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path))
        member = self.members.get(request.match_info["mid"])
        if member is None:
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation", "message": "no"}}, status=404
            )
        return web.json_response(member)
