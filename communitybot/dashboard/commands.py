"""`dashboard`: hand a moderator or a network steward a signed, single-use sign-in link, privately.

The reply is always ephemeral: an ephemeral reply on Discord, the member's DM room on Matrix,
printed on the console. Reading a few rows is all it does (the read path): the secret and the
URL of the dashboard serving this community's platform, written by that dashboard
(`installation.serve`), and whether the member stewards the community's network.

Who gets a link: a moderator of the community (its pages, and the network's page when they also
steward it), or a steward of the community's network who does not moderate it (the network's
page only). The link names the community and the person, not a role: the dashboard checks the
roles again when the link is opened and at every request.
"""

from __future__ import annotations

from typing import Any

from communitybot.affiliates import network_name
from communitybot.context import Context
from communitybot.dashboard import installation
from communitybot.dashboard.links import LINK_LIFETIME, new_claims, sign
from communitybot.feature import handles
from communitybot.i18n import N_, tr
from communitybot.replies import Action, reply

OFF_TEXT = N_(
    "The web dashboard is not switched on for this bot. Whoever runs the bot can switch it on "
    "with COMMUNITYBOT_DASHBOARD__LISTEN and COMMUNITYBOT_DASHBOARD__BASE_URL "
    "(see docs/dashboard.md)."
)


def refused_text(prefix: str) -> str:
    return tr(
        "Only moderators of this community, and stewards of its network, can use "
        "`{prefix}dashboard`: the dashboard shows numbers about the whole community. "
        "If you think you should be one, ask a moderator.",
        prefix=prefix,
    )


def sign_in_url(base_url: str, token: str) -> str:
    return f"{base_url}/signin?t={token}"


@handles("dashboard")
async def dashboard(ctx: Context, options: dict[str, Any]) -> list[Action]:
    user = ctx.member.ref
    network = await ctx.store.networks.of_community(ctx.community.id)
    steward = network is not None and await ctx.store.networks.is_steward(network.id, user)
    if not ctx.is_moderator and not steward:
        return reply(refused_text(ctx.prefix), ephemeral=True)
    base_url = await installation.url_for(ctx.store.db, ctx.community.ref.platform)
    secret = await installation.secret(ctx.store.db)
    if base_url is None or secret is None:
        return reply(tr(OFF_TEXT), ephemeral=True)
    claims = new_claims(ctx.community.id, user.platform, user.user_id, ctx.now)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    url = sign_in_url(base_url, sign(secret, claims))
    if not ctx.is_moderator:
        assert network is not None
        text = tr(
            "Your sign-in link to the network {network}'s dashboard page, as its steward "
            "(it opens once, within {minutes} minutes; do not share it):\n{url}",
            network=network_name(network),
            minutes=minutes,
            url=url,
        )
    elif steward:
        assert network is not None
        text = tr(
            "Your sign-in link to this community's dashboard and, as its steward, the network "
            "{network}'s page (it opens once, within {minutes} minutes; do not share it):\n{url}",
            network=network_name(network),
            minutes=minutes,
            url=url,
        )
    else:
        text = tr(
            "Your sign-in link to this community's dashboard (it opens once, within {minutes} "
            "minutes; do not share it):\n{url}",
            minutes=minutes,
            url=url,
        )
    return reply(text, ephemeral=True)
