"""How the adapter tells passing trouble from a refusal, including rate limits.

Rate limits (HTTP 429, `M_LIMIT_EXCEEDED`) are waited out by matrix-nio itself: its `_send`
sleeps for the server's `retry_after_ms` and repeats the same request (same transaction id,
so a message can never post twice). Left alone it retries for ever; the adapter bounds it
with `AsyncClientConfig(max_limit_exceeded=RATE_LIMIT_RETRIES)`, after which nio hands back
the 429 as an `ErrorResponse` and `rate_limited()` recognises it, so the caller logs and gives
up on that one request instead of stalling every member behind it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import ClientError
from nio.responses import ErrorResponse

from communitybot.ports import PlatformError

TRANSIENT = (ClientError, TimeoutError, asyncio.TimeoutError, OSError)
"""Network trouble: the homeserver may be back in a moment."""

RATE_LIMIT_RETRIES = 4
"""Retries of one request after a 429 before giving up (nio waits `retry_after_ms` each)."""


class RateLimited(PlatformError):
    """Still rate-limited after nio's bounded retries: a refusal for now, not for good."""


class Unreachable(PlatformError):
    """The homeserver stayed unreachable through the adapter's retries."""


def rate_limited(response: Any) -> bool:
    """Whether a response is a 429 that nio stopped retrying."""
    return isinstance(response, ErrorResponse) and response.status_code in (
        "M_LIMIT_EXCEEDED",
        429,
        "429",
    )


def retry_after(response: Any, default: float) -> float:
    """Seconds the server asked us to wait (`retry_after_ms`), or `default`."""
    milliseconds = getattr(response, "retry_after_ms", None)
    return max(default, milliseconds / 1000) if isinstance(milliseconds, int) else default
