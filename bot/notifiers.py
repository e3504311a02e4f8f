"""The Notifier registry: how scheduled and cross-platform messages leave the house."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.downloads import summary_links
from bot.settings import Settings
from commands.ports import Notifier
from storage.database import Database

if TYPE_CHECKING:
    from integrations.slack.app import JoinedupSlack
    from integrations.teams.endpoint import TeamsEndpoint


def build_notifiers(
    settings: Settings,
    db: Database,
    *,
    teams: TeamsEndpoint | None = None,
    slack: JoinedupSlack | None = None,
) -> dict[str, Notifier]:
    """Notifiers keyed by platform ("slack", "teams"), for ``bot.bootstrap``.

    In ``joinedup serve`` the mounted adapters are passed in (``slack``: the
    ``JoinedupSlack``; ``teams``: the ``TeamsEndpoint`` of ``mount_teams``) so that one
    client and adapter serve both requests and proactive sends. Without them (``joinedup
    worker``, ``joinedup remind``) each configured platform gets a notifier built from
    settings alone: Slack when its token or OAuth settings are set, Teams when
    MICROSOFT_APP_ID is set (an anonymous, local-only Teams bot is reachable from the server
    only). Teams signs the weekly summary's download links from the same settings.
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

        notifiers["teams"] = TeamsNotifier(
            adapter=teams.adapter, app_id=teams.app_id, db=db, links=summary_links(settings)
        )
    elif settings.teams.app_id:
        from integrations.teams.endpoint import make_adapter
        from integrations.teams.notifier import TeamsNotifier

        notifiers["teams"] = TeamsNotifier(
            adapter=make_adapter(settings.teams),
            app_id=settings.teams.app_id,
            db=db,
            links=summary_links(settings),
        )
    return notifiers
