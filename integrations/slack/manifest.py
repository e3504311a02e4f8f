"""The Slack app manifest: everything this app asks of Slack, importable as is
(https://api.slack.com/apps -> Create New App -> From an app manifest)."""

from __future__ import annotations

from typing import Any

from integrations.slack import blocks as bk
from integrations.slack.app import BOT_SCOPES
from integrations.slack.http import EVENTS_PATH, REDIRECT_PATH

BOT_EVENTS = (
    "message.channels",
    "message.groups",
    "message.im",
    "reaction_added",
    "app_home_opened",
    "app_mention",
)

_COMMANDS = (
    ("/joinedup", "Any Joinedup command (try help)", "help"),
    ("/decision", "Log a decision", "Pool the data budget because both teams need it"),
    ("/commit", "Log a commitment: owner, what, by when", "@sam Send the DPIA draft by Friday"),
    ("/owner", "Who owns a topic", "DPIA"),
    ("/summary", "This week's joint delivery summary", "[last week]"),
)


def manifest(url: str, *, name: str = "Joinedup") -> dict[str, Any]:
    """The manifest for an app served at ``url`` (https://host.example)."""
    base = url.rstrip("/")
    events_url = base + EVENTS_PATH
    return {
        "display_information": {
            "name": name,
            "description": "One joint log of decisions and commitments across departments.",
            "background_color": "#1d4f91",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "shortcuts": [
                {
                    "name": "Log as decision",
                    "type": "message",
                    "callback_id": bk.SHORTCUT_DECISION,
                    "description": "Log this message as a decision in the joint log",
                },
                {
                    "name": "Log as commitment",
                    "type": "message",
                    "callback_id": bk.SHORTCUT_COMMITMENT,
                    "description": "Log this message as a commitment: owner and due date",
                },
            ],
            "slash_commands": [
                {
                    "command": command,
                    "url": events_url,
                    "description": description,
                    "usage_hint": hint,
                    # Mentions arrive as <@U123|name>, which we resolve to people.
                    "should_escape": True,
                }
                for command, description, hint in _COMMANDS
            ],
        },
        "oauth_config": {
            "redirect_urls": [base + REDIRECT_PATH],
            "scopes": {"bot": list(BOT_SCOPES)},
        },
        "settings": {
            "event_subscriptions": {
                "request_url": events_url,
                "bot_events": list(BOT_EVENTS),
            },
            "interactivity": {"is_enabled": True, "request_url": events_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def manifest_yaml(url: str, *, name: str = "Joinedup") -> str:
    import yaml

    return str(yaml.safe_dump(manifest(url, name=name), sort_keys=False, allow_unicode=True))
