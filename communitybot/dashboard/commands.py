"""`dashboard`: hand a moderator a signed, single-use sign-in link, privately.

The reply is always ephemeral: an ephemeral reply on Discord, the member's DM room on Matrix,
printed on the console. Reading two rows is all it does (the read path): the secret and the
URL of the dashboard serving this community's platform, written by that dashboard
(`installation.serve`).
"""

from __future__ import annotations

from typing import Any

from communitybot.affiliates import network_name
from communitybot.context import Context
from communitybot.dashboard import installation
from communitybot.dashboard.links import LINK_LIFETIME, new_claims, sign
from communitybot.feature import handles
from communitybot.replies import Action, reply

OFF_TEXT = (
    "The web dashboard is not switched on for this bot. Whoever runs the bot can switch it on "
    "with COMMUNITYBOT_DASHBOARD__LISTEN and COMMUNITYBOT_DASHBOARD__BASE_URL "
    "(see docs/dashboard.md)."
)


def sign_in_url(base_url: str, token: str) -> str:
    return f"{base_url}/signin?t={token}"


@handles("dashboard")
async def dashboard(ctx: Context, options: dict[str, Any]) -> list[Action]:
    base_url = await installation.url_for(ctx.store.db, ctx.community.ref.platform)
    secret = await installation.secret(ctx.store.db)
    if base_url is None or secret is None:
        return reply(OFF_TEXT, ephemeral=True)
    user = ctx.member.ref
    claims = new_claims(ctx.community.id, user.platform, user.user_id, ctx.now)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    url = sign_in_url(base_url, sign(secret, claims))
    network = await ctx.store.networks.of_community(ctx.community.id)
    also = ""
    if network is not None and await ctx.store.networks.is_steward(network.id, user):
        also = f" and, as its steward, the network {network_name(network)}'s page"
    return reply(
        f"Your sign-in link to this community's dashboard{also} (it opens once, within "
        f"{minutes} minutes; do not share it):\n{url}",
        ephemeral=True,
    )
