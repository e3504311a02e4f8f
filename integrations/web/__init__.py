"""The live view (HTML pages) and the read-only JSON API, on the bot's one aiohttp server."""

from integrations.web.app import mount_web

__all__ = ["mount_web"]
