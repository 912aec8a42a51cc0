"""Single-use sign-in links: who may open the dashboard for which community, until when.

A link carries its claims in the clear (community id, platform, user id, expiry, a random nonce)
and an HMAC-SHA256 of them under the installation's secret (`installation`). Checking needs no
database: a forged or altered link fails the MAC, an old one its expiry. Single use is the
database's job (the nonce is recorded when the link is opened: `installation.use_link`).
Why not a random code stored at issue time: the `dashboard` command then only reads (it runs on
the read path, no write), and a link can be checked before anything is written.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

LINK_LIFETIME = timedelta(minutes=5)
"""How long a sign-in link opens a session (issue #16: five minutes)."""

Refusal = Literal["forged", "expired"]


@dataclass(frozen=True)
class LinkClaims:
    """What a link says: this platform user may open the dashboard of this community."""

    community_id: int
    platform: str
    user_id: str
    expires_at: datetime
    nonce: str


def new_claims(community_id: int, platform: str, user_id: str, now: datetime) -> LinkClaims:
    """Claims for a fresh link: valid `LINK_LIFETIME` from `now`, with a 128-bit nonce."""
    return LinkClaims(
        community_id, platform, user_id, now + LINK_LIFETIME, secrets.token_urlsafe(16)
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), b"communitybot-dashboard-link:" + payload.encode(), "sha256")
    return _b64(digest.digest())


def sign(secret: str, claims: LinkClaims) -> str:
    """The link's token: `<payload>.<mac>`, URL-safe."""
    body = {
        "c": claims.community_id,
        "p": claims.platform,
        "u": claims.user_id,
        "e": claims.expires_at.isoformat(),
        "n": claims.nonce,
    }
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_mac(secret, payload)}"


def check(secret: str, token: str, now: datetime) -> LinkClaims | Refusal:
    """The claims of a genuine, unexpired token; "forged" for anything altered or malformed,
    "expired" past its expiry. Constant-time MAC comparison."""
    payload, _, mac = token.strip().partition(".")
    if not payload or not mac or not hmac.compare_digest(mac, _mac(secret, payload)):
        return "forged"
    try:
        body = json.loads(_unb64(payload))
        claims = LinkClaims(
            int(body["c"]),
            str(body["p"]),
            str(body["u"]),
            datetime.fromisoformat(body["e"]),
            str(body["n"]),
        )
    except (ValueError, KeyError, TypeError):
        return "forged"  # signed by us but unreadable: never issued by this version
    if now >= claims.expires_at:
        return "expired"
    return claims


def new_secret() -> str:
    """A fresh installation secret: 256 bits from the OS's secure random source."""
    return secrets.token_urlsafe(32)


def fingerprint(token: str) -> str:
    """A short hash of a token, for logs that must never show the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]
