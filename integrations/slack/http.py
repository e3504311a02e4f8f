"""Slack's HTTP routes, each request's signature checked before bolt reads it."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


class SlackHttp:
    """The routes of one bolt app: ``mount(web_app)``."""

    def __init__(self, bolt: AsyncApp, signing_secret: str) -> None:
        self.bolt = bolt
        self._verifier = SignatureVerifier(signing_secret)

    def mount(self, app: web.Application) -> None:
        """Add /slack/events (and in OAuth mode /slack/install, /slack/oauth_redirect)."""
        app.router.add_post(EVENTS_PATH, self._handle_events)
        if self.bolt.oauth_flow is not None:
            app.router.add_get(INSTALL_PATH, self._handle_install)
            app.router.add_get(REDIRECT_PATH, self._handle_redirect)

    async def _handle_events(self, request: web.Request) -> web.Response:
        # Verify the signature and timestamp here, before anything parses the body: an
        # unsigned request is a 401 and its body is never logged (bolt's own check logs the
        # whole body of a badly signed request at INFO). bolt checks again; it then passes.
        body = await request.read()
        if not self._verified(request, body):
            return web.Response(status=401, text="invalid signature\n")
        try:
            bolt_request = await to_bolt_request(request)
            response = await self.bolt.async_dispatch(bolt_request)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # Signed by Slack but not a body we can read (bad JSON, a payload that is not
            # an object, ...): the sender's mistake, a 400, and nothing written.
            log.info("Slack: unreadable signed request (%s)", type(exc).__name__)
            return web.Response(status=400, text="malformed request\n")
        return await to_aiohttp_response(response)

    def _verified(self, request: web.Request, body: bytes) -> bool:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp.isascii() or not timestamp.isdigit() or not signature.isascii():
            return False
        return self._verifier.is_valid(body=body, timestamp=timestamp, signature=signature)

    async def _handle_install(self, request: web.Request) -> web.Response:
        assert self.bolt.oauth_flow is not None
        response = await self.bolt.oauth_flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _handle_redirect(self, request: web.Request) -> web.Response:
        assert self.bolt.oauth_flow is not None
        response = await self.bolt.oauth_flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(response)
