"""The Notifier registry: one entry per platform this server can deliver to."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from commands.ports import Notifier
from storage.database import Database


def build_notifiers(
    settings: Settings,
    db: Database,
    *,
    teams: Any = None,
    slack: Any = None,
) -> dict[str, Notifier]:
    """Notifiers keyed by platform ("teams", "slack"), for the platforms mounted on this server.

    ``teams`` is the ``TeamsEndpoint`` that ``integrations.teams.endpoint.mount_teams`` returned
    (its adapter sends proactive messages); ``slack`` is the ``JoinedupSlack`` that
    ``bot.server.mount_slack`` returned (it holds its ``SlackNotifier``).
    """
    notifiers: dict[str, Notifier] = {}
    if teams is not None:
        from integrations.teams.notifier import TeamsNotifier

        notifiers["teams"] = TeamsNotifier(adapter=teams.adapter, app_id=teams.app_id, db=db)
    if slack is not None:
        notifiers["slack"] = slack.notifier
    return notifiers
