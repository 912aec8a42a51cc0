"""Logging the bot account in: a configured access token, a saved one, or the password.

A password login's token and device id are saved, so the next start reuses the same device
instead of creating a new one each time. Every way this can fail becomes one
`MatrixStartupError` sentence (wrong token, wrong password, homeserver unreachable); the
homeserver's own words in it are scrubbed and shortened, never echoed verbatim. Every token
in use (configured, saved or fresh from a login) is registered with the log scrubber the moment
we hold it, so no later log line (nio's, aiosqlite's, ours) can show it.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import ClientError
from loguru import logger
from nio import AsyncClient, LoginError, WhoamiError, WhoamiResponse

from adapters.matrix.sync_state import MatrixState
from communitybot.logging import register_secret, scrub

DEVICE_NAME = "communitybot"
REMOTE_TEXT_LIMIT = 160
"""How much of a homeserver's error text a start-up message quotes."""


class MatrixStartupError(Exception):
    """The bot cannot start on Matrix; the message is the one line to show."""


@dataclass(frozen=True)
class Credentials:
    homeserver: str
    user_id: str
    access_token: str | None = None
    password: str | None = None
    device_id: str | None = None


async def log_in(client: AsyncClient, credentials: Credentials, state: MatrixState) -> None:
    """Leave `client` logged in as the bot, or raise MatrixStartupError."""
    try:
        await _log_in(client, credentials, state)
    except (ClientError, TimeoutError, OSError) as error:
        raise MatrixStartupError(
            f"cannot reach the Matrix homeserver at {credentials.homeserver} "
            f"({type(error).__name__}); check COMMUNITYBOT_MATRIX__HOMESERVER and the network"
        ) from None


async def _log_in(client: AsyncClient, credentials: Credentials, state: MatrixState) -> None:
    if credentials.access_token:
        problem = await _use_token(client, credentials, credentials.access_token)
        if problem is None:
            return
        raise MatrixStartupError(
            f"the homeserver refused COMMUNITYBOT_MATRIX__ACCESS_TOKEN ({problem}); "
            "create a new token for the bot account"
        )
    saved = await state.login()
    if saved is not None:
        problem = await _use_token(client, credentials, saved[0], saved[1])
        if problem is None:
            logger.info("logged in to Matrix with the saved token (device {})", client.device_id)
            return
        logger.warning("the saved Matrix token no longer works ({}); logging in again", problem)
        await state.forget_login()
    if not credentials.password:
        raise MatrixStartupError(
            "no working Matrix login: set COMMUNITYBOT_MATRIX__ACCESS_TOKEN or "
            "COMMUNITYBOT_MATRIX__PASSWORD"
        )
    client.access_token = ""
    response = await client.login(credentials.password, device_name=DEVICE_NAME)
    if isinstance(response, LoginError):
        raise MatrixStartupError(
            f"Matrix password login for {credentials.user_id} failed "
            f"({homeserver_says(response.message)}); "
            "check COMMUNITYBOT_MATRIX__USER_ID and COMMUNITYBOT_MATRIX__PASSWORD"
        )
    # nio has already logged the response at DEBUG (the pattern scrubber caught that line);
    # from here on the token is scrubbed wherever it turns up, the saving INSERT included.
    register_secret(response.access_token)
    await state.save_login(response.access_token, response.device_id)
    logger.info("logged in to Matrix with the password (new device {})", response.device_id)


async def _use_token(
    client: AsyncClient, credentials: Credentials, token: str, device_id: str | None = None
) -> str | None:
    """Adopt `token` if the homeserver accepts it for our user; else why not."""
    register_secret(token)
    client.access_token = token
    client.user_id = credentials.user_id
    response = await client.whoami()
    if isinstance(response, WhoamiError):
        client.access_token = ""
        return homeserver_says(response.message or response.status_code)
    assert isinstance(response, WhoamiResponse)
    if response.user_id != credentials.user_id:
        client.access_token = ""
        return f"it belongs to {response.user_id}, not {credentials.user_id}"
    client.device_id = response.device_id or device_id or credentials.device_id or ""
    return None


def homeserver_says(text: object) -> str:
    """A homeserver's error text fit to quote: secrets scrubbed, one line, short."""
    return scrub(str(text or "no reason given"), REMOTE_TEXT_LIMIT)
