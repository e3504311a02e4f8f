"""Every setting, read from the environment in this one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from storage.engine import DEFAULT_DATABASE_URL


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str | None = None
    signing_secret: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    api_url: str | None = None

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret and self.signing_secret)

    @property
    def configured(self) -> bool:
        return bool(self.signing_secret and (self.bot_token or self.oauth))

    def why_not(self) -> str:
        if not self.signing_secret:
            return "SLACK_SIGNING_SECRET is not set"
        return "set SLACK_BOT_TOKEN, or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"


# The Bot Framework's documented service URL hosts (the serviceUrl of activities from the
# public cloud, GCC and the European data boundary): Teams' smba.trafficmanager.net family and
# the Bot Framework channels' botframework.com hosts. JOINEDUP_TEAMS_SERVICE_URLS replaces it.
DEFAULT_TEAMS_SERVICE_HOSTS: tuple[str, ...] = (
    "smba.trafficmanager.net",
    "*.smba.trafficmanager.net",
    "smba.infra.gcc.teams.microsoft.com",
    "smba.infra.gov.teams.microsoft.us",
    "smba.infra.dod.teams.microsoft.us",
    "*.botframework.com",
    "*.botframework.us",
    "*.botframework.azure.cn",
)


@dataclass(frozen=True)
class TeamsSettings:
    app_id: str | None = None
    app_password: str | None = None
    tenant_id: str | None = None
    app_type: str = "MultiTenant"
    # Hosts (``*.`` for any subdomain) an activity's serviceUrl may name; anonymous mode
    # also accepts loopback URLs (the Bot Framework Emulator, the tests' fake connector).
    service_hosts: tuple[str, ...] = DEFAULT_TEAMS_SERVICE_HOSTS

    @property
    def anonymous(self) -> bool:
        return not self.app_id


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # None: not given. ``serve`` then listens on 0.0.0.0, or on 127.0.0.1 alone when Teams
    # runs in anonymous mode (no MICROSOFT_APP_ID), which must stay local.
    host: str | None = None
    port: int = 3978
    # Requests being processed at once (commands, events, activities). Past it the server
    # answers "busy" at once and saves nothing. None: two per database connection the pool
    # can hand out (its size plus its overflow: 60 by default).
    max_in_flight: int | None = None
    public_url: str | None = None
    # Signs download links (Teams summaries); a random one per process if unset.
    secret_key: str | None = None
    scheduler_tick_seconds: int = 30
    # How often the outbox (cross-platform announcements) is delivered, besides the kick
    # after each command.
    outbox_tick_seconds: float = 2.0
    # Run the reminder scheduler inside `joinedup serve`. On when read from the environment
    # (JOINEDUP_SCHEDULER=off turns it off); off for Settings() built in code, so that tests
    # which start a server do not get a scheduler running on the wall clock.
    scheduler_enabled: bool = False
    slack: SlackSettings = field(default_factory=SlackSettings)
    teams: TeamsSettings = field(default_factory=TeamsSettings)

    @property
    def web_origin(self) -> str:
        """Where this server's live view answers, for the links replies carry (``dashboard``'s
        sign-in link): ``JOINEDUP_PUBLIC_URL``, else ``http://127.0.0.1:<port>``."""
        return (self.public_url or f"http://127.0.0.1:{self.port}").rstrip("/")

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    port = _get(env, "JOINEDUP_PORT") or _get(env, "PORT") or "3978"
    return Settings(
        database_url=_get(env, "JOINEDUP_DATABASE_URL") or DEFAULT_DATABASE_URL,
        host=_get(env, "JOINEDUP_HOST"),
        port=int(port),
        max_in_flight=int(v) if (v := _get(env, "JOINEDUP_MAX_IN_FLIGHT")) else None,
        public_url=_get(env, "JOINEDUP_PUBLIC_URL"),
        secret_key=_get(env, "JOINEDUP_SECRET_KEY"),
        scheduler_tick_seconds=int(_get(env, "JOINEDUP_SCHEDULER_TICK") or "30"),
        outbox_tick_seconds=float(_get(env, "JOINEDUP_OUTBOX_TICK") or "2"),
        scheduler_enabled=(_get(env, "JOINEDUP_SCHEDULER") or "on").lower()
        not in ("off", "0", "false", "no"),
        slack=SlackSettings(
            bot_token=_get(env, "SLACK_BOT_TOKEN"),
            signing_secret=_get(env, "SLACK_SIGNING_SECRET"),
            client_id=_get(env, "SLACK_CLIENT_ID"),
            client_secret=_get(env, "SLACK_CLIENT_SECRET"),
            api_url=_get(env, "JOINEDUP_SLACK_API_URL"),
        ),
        teams=TeamsSettings(
            app_id=_get(env, "MICROSOFT_APP_ID"),
            app_password=_get(env, "MICROSOFT_APP_PASSWORD"),
            tenant_id=_get(env, "MICROSOFT_APP_TENANT_ID"),
            app_type=_get(env, "MICROSOFT_APP_TYPE") or "MultiTenant",
            service_hosts=tuple(
                h.strip().lower()
                for h in (_get(env, "JOINEDUP_TEAMS_SERVICE_URLS") or "").split(",")
                if h.strip()
            )
            or DEFAULT_TEAMS_SERVICE_HOSTS,
        ),
    )
