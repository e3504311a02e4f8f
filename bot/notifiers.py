"""The platforms' Notifiers, built from settings: how scheduled messages leave the house.

A minimal version: the Slack and Teams adapters add their notifiers here.
"""

from __future__ import annotations

from bot.settings import Settings
from commands.ports import Notifier
from storage.database import Database


def build_notifiers(settings: Settings, db: Database) -> dict[str, Notifier]:
    """One Notifier per configured platform, keyed by platform name ("slack", "teams");
    empty when no platform is configured."""
    return {}
