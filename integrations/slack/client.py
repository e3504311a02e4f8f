"""The Slack Web API client as we configure it, and its failures as ``DeliveryError``."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from commands.ports import DeliveryError

# Retrying cannot help with these: the bot was removed, the channel is gone, the token is bad.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "no_permission",
        "missing_scope",
        "user_not_found",
        "cannot_dm_bot",
        "invalid_blocks",
        "msg_too_long",
    }
)
RATE_LIMIT_RETRIES = 2


def web_client(
    *, token: str | None = None, api_url: str | None = None, wait_out_rate_limits: bool = True
) -> AsyncWebClient:
    """An AsyncWebClient that retries a dropped connection and, with ``wait_out_rate_limits``
    (requests a person is waiting on), waits out 429s (``Retry-After``). The delivery engine's
    sends pass False: nothing sleeps, a 429 raises at once (``DeliveryError.retry_after``) and
    the engine reschedules the row instead of sleeping while it holds a lease. ``api_url`` replaces
    https://slack.com/api/ (tests use a fake on loopback)."""
    kwargs: dict[str, object] = {}
    if api_url:
        kwargs["base_url"] = api_url if api_url.endswith("/") else api_url + "/"
    if wait_out_rate_limits:
        handlers: list[Any] = [
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ]
    else:
        # One immediate retry of a dropped keep-alive connection; no sleeping at all.
        handlers = [
            AsyncConnectionErrorRetryHandler(
                interval_calculator=FixedValueRetryIntervalCalculator(fixed_internal=0.0)
            )
        ]
    return AsyncWebClient(
        token=token,
        retry_handlers=handlers,
        **kwargs,  # type: ignore[arg-type]
    )


def delivery_error(exc: BaseException) -> DeliveryError:
    """A Slack failure as the core's DeliveryError (permanent or with Retry-After)."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or "unknown_error")
        retry_after: float | None = None
        if exc.response.status_code == 429:
            header = exc.response.headers.get("Retry-After") or exc.response.headers.get(
                "retry-after"
            )
            retry_after = float(header) if header else 1.0
        if exc.response.status_code >= 500:
            return DeliveryError(f"Slack answered {exc.response.status_code} ({error})")
        return DeliveryError(
            f"Slack said {error}",
            retry_after=retry_after,
            permanent=error in PERMANENT_ERRORS,
        )
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError):
        return DeliveryError(f"Slack unreachable: {exc!r}")
    return DeliveryError(f"Slack delivery failed: {exc!r}")
