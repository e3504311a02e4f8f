"""A fake Slack Web API on loopback: answers like Slack and records every call.

Serve it (``FakeSlackApi().serve(loop)``, a ``tests.background.BackgroundLoop``) and point
the bot's ``JOINEDUP_SLACK_API_URL`` at ``{base_url}/api/``. Each call is recorded as a
``Call`` (method, params from the query string, form or JSON body, the bearer token, the
status answered).
``fail_next`` injects a 429 with Retry-After or an error for the next call of a method.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.background import BackgroundLoop


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    status: int = 200
    ok: bool = True
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None


class FakeSlackApi:
    def __init__(self, *, team_id: str = "T1", bot_user_id: str = "UBOT") -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.calls: list[Call] = []
        self.users: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        # Held while a call is recorded; notified after each (``wait_for`` waits on it).
        self._recorded = threading.Condition(threading.RLock())
        self.base_url = ""  # set by whoever serves the app
        # An outage: every API call answers this HTTP status (500, 503) until set to None.
        self.down: int | None = None
        # A slow Slack: every API call takes this many seconds before it answers, and calls
        # ``on_call`` first (a test's virtual clock can advance there instead of sleeping).
        self.delay: float = 0.0
        self.on_call: Callable[[str], None] | None = None

    # --- set-up --------------------------------------------------------------------------

    def add_user(self, user_id: str, *, name: str, email: str | None, tz: str = "Europe/London"):
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name.split()[0].lower(),
            "real_name": name,
            "tz": tz,
            "profile": {"real_name": name, "display_name": name.split()[0], "email": email},
        }

    def add_message(self, channel: str, ts: str, *, text: str, user: str, **extra: Any) -> None:
        self.messages[(channel, ts)] = {"type": "message", "ts": ts, "text": text, "user": user}
        self.messages[(channel, ts)].update(extra)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str = "internal_error",
        retry_after: int | None = None,
    ) -> None:
        """The next call of ``method`` fails: HTTP ``status`` (429 sends Retry-After)."""
        if status == 429:
            error = "ratelimited"
        self._failures.setdefault(method, []).append(_Failure(status, error, retry_after))

    # --- reading what the bot did ---------------------------------------------------------

    def calls_to(self, method: str, *, ok_only: bool = True) -> list[Call]:
        with self._recorded:
            return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def wait_for(self, method: str, count: int = 1, *, timeout: float = 10.0) -> list[Call]:
        """Wait until ``count`` successful calls of ``method`` were made; return them."""
        with self._recorded:
            if self._recorded.wait_for(lambda: len(self.calls_to(method)) >= count, timeout):
                return self.calls_to(method)
            raise AssertionError(
                f"expected {count} {method} call(s), got {len(self.calls_to(method))}: "
                f"{[c.method for c in self.calls]}"
            )

    # --- the server -----------------------------------------------------------------------

    def serve(self, loop: BackgroundLoop) -> FakeSlackApi:
        """Serve on ``loop``; point the bot's ``JOINEDUP_SLACK_API_URL`` at ``base_url/api/``."""
        self.base_url = loop.serve(self.app()).url
        return self

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{path:.*}", self._response_url)
        return app

    async def _response_url(self, request: web.Request) -> web.Response:
        """A slash command's or interaction's response_url (recorded as "response_url")."""
        call = Call(method="response_url", params=await request.json(), token=None)
        with self._recorded:
            self.calls.append(call)
            self._recorded.notify_all()
        return web.Response(text="ok")

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        for key in ("blocks", "view", "attachments"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        auth = request.headers.get("Authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else params.get("token")
        call = Call(method=method, params=params, token=token)
        if self.on_call is not None:
            self.on_call(method)
        if self.delay:
            await asyncio.sleep(self.delay)
        answer = getattr(self, "_" + method.replace(".", "_"), None)
        with self._recorded:
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
            if failure is None and self.down is not None:
                failure = _Failure(self.down, "service_unavailable", None)
            if failure is not None:
                call.status, call.ok = failure.status, False
            elif (not token and method != "oauth.v2.access") or answer is None:
                call.ok = False
            self.calls.append(call)
            self._recorded.notify_all()
        if failure is not None:
            headers = (
                {"Retry-After": str(failure.retry_after or 1)} if failure.status == 429 else {}
            )
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=headers
            )
        if not token and method != "oauth.v2.access":
            return web.json_response({"ok": False, "error": "not_authed"})
        if answer is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        body = answer(params)
        call.ok = bool(body.get("ok"))
        return web.json_response(body)

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads[request.match_info["file_id"]] = await request.read()
        return web.Response(text=f"OK - {len(self.uploads[request.match_info['file_id']])}")

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    # --- the methods --------------------------------------------------------------------

    def _auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://joint.slack.com/",
            "team": "Joint",
            "user": "joinedup",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": "BBOT",
        }

    def _oauth_v2_access(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "app_id": "A0JOINEDUP",
            "authed_user": {"id": "U1"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": f"xoxb-installed-{p.get('code')}",
            "bot_user_id": self.bot_user_id,
            "team": {"id": self.team_id, "name": "Joint"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(p.get("user")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        return {
            "ok": True,
            "channel": p.get("channel"),
            "ts": ts,
            "message": {"ts": ts, "text": p.get("text"), "blocks": p.get("blocks")},
        }

    def _chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": p.get("channel"), "ts": p.get("ts"), "text": p.get("text")}

    def _chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = str(p.get("message_ts", "")).replace(".", "")
        return {
            "ok": True,
            "channel": p.get("channel"),
            "permalink": f"https://joint.slack.com/archives/{p.get('channel')}/p{ts}",
        }

    def _views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        view = dict(p.get("view") or {})
        view["id"] = f"V{next(self._ids):06d}"
        return {"ok": True, "view": view}

    def _views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": dict(p.get("view") or {}, id="VHOME")}

    def _conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": "D" + str(p.get("users", "")).lstrip("UW")}}

    def _conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        found = self.messages.get((str(p.get("channel")), str(p.get("latest"))))
        return {"ok": True, "messages": [found] if found else [], "has_more": False}

    def _conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        found = self.messages.get((str(p.get("channel")), str(p.get("ts"))))
        return {"ok": True, "messages": [found] if found else []}

    def _files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids):06d}"
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        files = p.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _files_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "file": {"id": p.get("file")}}
