"""The Notifier registry: how scheduled and cross-platform messages leave the house."""

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
    """Notifiers keyed by platform ("slack", "teams").

    In ``joinedup serve`` the mounted adapters are passed in (``slack``: the
    ``JoinedupSlack`` that ``bot.server.mount_slack`` returned; ``teams``: the
    ``TeamsEndpoint`` of ``mount_teams``) so that one client and adapter serve both
    requests and proactive sends. Without them (``joinedup worker``, ``joinedup remind``)
    each configured platform gets a notifier built from settings alone: Slack when its
    token or OAuth settings are set, Teams when MICROSOFT_APP_ID is set (an anonymous,
    local-only Teams bot is reachable from the server only).
    """
    notifiers: dict[str, Notifier] = {}
    if slack is not None:
        notifiers["slack"] = slack.notifier
    elif settings.slack.configured:
        from integrations.slack.notifier import standalone_notifier

        notifiers["slack"] = standalone_notifier(
            db=db,
            bot_token=settings.slack.bot_token,
            client_id=settings.slack.client_id,
            api_url=settings.slack.api_url,
        )
    if teams is not None:
        from integrations.teams.notifier import TeamsNotifier

        notifiers["teams"] = TeamsNotifier(adapter=teams.adapter, app_id=teams.app_id, db=db)
    elif settings.teams.app_id:
        from integrations.teams.endpoint import make_adapter
        from integrations.teams.notifier import TeamsNotifier

        notifiers["teams"] = TeamsNotifier(
            adapter=make_adapter(settings.teams), app_id=settings.teams.app_id, db=db
        )
    return notifiers
