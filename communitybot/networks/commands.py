"""Networks of affiliate communities: `network create|invite|join|leave|show|stewards`.

A moderator starts a network from their community (`network create`) and becomes its steward;
a steward makes one-time invite codes (`network invite`, replied privately, valid 7 days, stored
only as a sha256); a moderator of another community, on any platform, joins with one
(`network join`). A community belongs to at most one network.

Rules this slice keeps (docs/networks.md says the same):
- Stewards only make invite codes and add or remove stewards. When a network has no steward
  left (the stewards' community left, or the last steward used `/forgetme`), any moderator of
  an affiliate may take the role with `network stewards add`; the network keeps running.
- `network stewards remove` never removes the last steward.
- A community that leaves takes its members' steward roles and its unused codes with it; the
  last affiliate leaving deletes the network. A steward who leaves their community loses the
  role held through it.
- At most five wrong codes per joining community an hour; each is logged (never the code) and
  noted in that community's moderator log.
- Every change is noted in the moderator log of the communities it affects, each on its own
  platform; a note other affiliates read names people as text (`actor`), never with a mention.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from loguru import logger

from communitybot import one_time_codes as codes
from communitybot.affiliates import (
    actor,
    affiliate_communities,
    modlog_note,
    network_name,
    stewarded_network,
)
from communitybot.context import Context
from communitybot.events import UserRef
from communitybot.feature import handles
from communitybot.models import Community, Member
from communitybot.naming import NAME_LIMIT, affiliate, label, who
from communitybot.network_schedule import status_line
from communitybot.networks.catalogue import MAX_NAME
from communitybot.onboarding.profile import resolve_member
from communitybot.replies import Action, reply
from communitybot.store.mentoring import NetworkJob
from communitybot.store.networks import Network
from communitybot.tags import network as network_tags
from communitybot.text import quote

INVITE_VALID = timedelta(days=7)
MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = timedelta(hours=1)


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _affiliate(community: Community, here: Community) -> str:
    return affiliate(community.ref) + (" (this community)" if community.id == here.id else "")


async def _notes(ctx: Context, community_ids: list[int], text: str) -> list[Action]:
    actions: list[Action] = []
    for community_id in dict.fromkeys(community_ids):
        if community_id == ctx.community.id:
            community: Community | None = ctx.community
        else:
            community = await ctx.store.communities.get_by_id(community_id)
        actions += modlog_note(community, text)
    return actions


def _not_in_network(ctx: Context) -> list[Action]:
    p = ctx.prefix
    return reply(
        "This community is not in a network. A moderator can start one with "
        f"`{p}network create <name>`, or join one with `{p}network join <code>` and an invite "
        "code from that network's steward."
    )


def _clean_name(raw: Any) -> str:
    return " ".join(str(raw or "").split())


SCHEDULES: tuple[tuple[NetworkJob, str, str], ...] = (
    ("mentors", "Automatic mentor matching", "network mentors settings auto_match=on"),
    ("rounds", "Network peer rounds", "network rounds setup weekly"),
)
"""What `network show` says about the network's schedules, and how a steward sets each up."""


# network show -----------------------------------------------------------------------------
@handles("network", "show")
async def show(ctx: Context, options: dict[str, Any]) -> list[Action]:
    networks = ctx.store.networks
    network = await networks.of_community(ctx.community.id)
    if network is None:
        return _not_in_network(ctx)
    affiliates = await affiliate_communities(ctx, network)
    stewards = await networks.stewards(network.id)
    lines = [f"🌐 Network {network_name(network)}", f"**Affiliates ({len(affiliates)})**"]
    lines += [f"• {_affiliate(c, ctx.community)}" for c in affiliates]
    where = {c.id: affiliate(c.ref) for c in affiliates}
    if stewards:
        lines.append(
            "**Stewards:** "
            + ", ".join(f"{label(m)} ({where.get(m.community_id, '?')})" for m in stewards)
        )
    else:
        lines.append(
            "**Stewards:** none — a moderator of any affiliate can take the role with "
            f"`{ctx.prefix}network stewards add <member>`."
        )
    for kind, what, command in SCHEDULES:
        settings = await ctx.store.mentoring.network_schedule(network.id, kind)
        lines.append(status_line(settings, what, ctx.prefix, command))
    if await networks.is_steward(network.id, ctx.member.ref):
        open_codes = await networks.open_invites(network.id, ctx.clock.now())
        lines.append(
            f"Open invite codes: {open_codes} (make one with `{ctx.prefix}network invite`)."
        )
    return reply("\n".join(lines))


# network stats ----------------------------------------------------------------------------
@handles("network", "stats")
async def stats(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """Aggregates only (counts per affiliate): no member is named, whatever their settings."""
    networks = ctx.store.networks
    network = await stewarded_network(
        ctx,
        _not_in_network(ctx),
        lambda _: (
            f"Only the network's stewards see `{ctx.prefix}network stats` "
            f"(`{ctx.prefix}network show` lists them). Nothing was changed."
        ),
    )
    if not isinstance(network, Network):
        return network
    counts = await networks.affiliate_counts(network.id)
    lines = [f"📊 Network {network_name(network)}: {len(counts)} affiliate(s)"]
    totals = [0, 0, 0, 0]
    for community in await affiliate_communities(ctx, network):
        figures = counts.get(community.id)
        if figures is None:
            continue
        done = (await ctx.store.onboarding.completion_counts(community.id)).get("completed", 0)
        lines.append(
            f"• {_affiliate(community, ctx.community)}: {figures.present} member(s), "
            f"{done} finished onboarding, {figures.discoverable} findable here, "
            f"{figures.across} across the network"
        )
        for n, value in enumerate((figures.present, done, figures.discoverable, figures.across)):
            totals[n] += value
    present, done, _, across = totals
    share = f" ({done * 100 // present}%)" if present else ""
    lines.append(
        f"**In all:** {present} member(s), {done} finished onboarding{share}, {across} findable "
        "from every affiliate."
    )
    lines.append(
        f"**Across affiliates:** {await networks.people_across_affiliates(network.id)} "
        "person(s) with linked accounts in more than one affiliate."
    )
    lines.append(await _silos_broken(ctx, network))
    lines.append(f"Open invite codes: {await networks.open_invites(network.id, ctx.clock.now())}.")
    return reply("\n".join(lines))


async def _silos_broken(ctx: Context, network: Network) -> str:
    """Mentor pairings and peer-round meetings among the affiliates' members, and how many
    cross affiliate lines: the measure of breaking silos (community rounds count too; their
    groups never cross)."""
    pairs, active, crossing = await ctx.store.mentoring.network_pair_counts(network.id)
    meetings, meetings_crossing = await ctx.store.rounds.network_group_counts(network.id)
    asks = await ctx.store.asks.open_shared_count(network.id)
    return (
        f"**Breaking silos:** {pairs} mentor pairing(s) ({active} active), {crossing} across "
        f"affiliates; {meetings} peer-round meeting(s), {meetings_crossing} across affiliates; "
        f"{asks} open problem(s) of practice shared with the whole network."
    )


# network create ---------------------------------------------------------------------------
@handles("network", "create")
async def create(ctx: Context, options: dict[str, Any]) -> list[Action]:
    name = _clean_name(options.get("name"))
    if not name:
        return reply(f"Please name the network, e.g. `{ctx.prefix}network create Maths North`.")
    if len(name) > MAX_NAME:
        return reply(
            f"That name is too long ({len(name)} characters, at most {MAX_NAME}). "
            "Nothing was changed."
        )
    if any(not ch.isprintable() for ch in name):
        return reply("The name must be plain text on one line. Nothing was changed.")
    existing = await ctx.store.networks.of_community(ctx.community.id)
    if existing is not None:
        return reply(
            f"This community already belongs to the network {network_name(existing)}; a community "
            f"belongs to one network at most. `{ctx.prefix}network leave` first to start "
            "another. Nothing was changed."
        )
    network = await ctx.store.networks.create(
        name, ctx.community.id, ctx.member.id, ctx.clock.now()
    )
    p = ctx.prefix
    return [
        *reply(
            f"Created the network {network_name(network)} with this community as its first "
            "affiliate; you are its steward.\n"
            f"• `{p}network invite` gives you a one-time code for another community; its "
            f"moderator types `{p}network join <code>` there (Discord or Matrix).\n"
            f"• `{p}network stewards add <member>` shares the steward role."
        ),
        *modlog_note(
            ctx.community,
            f"🌐 {who(ctx.platform, ctx.member)} created the network {network_name(network)}: this "
            "community is its first affiliate and they are its steward.",
        ),
    ]


# network invite ---------------------------------------------------------------------------
@handles("network", "invite")
async def invite(ctx: Context, options: dict[str, Any]) -> list[Action]:
    networks = ctx.store.networks
    network = await stewarded_network(
        ctx,
        _not_in_network(ctx),
        lambda net: (
            f"Only the stewards of {network_name(net)} can make invite codes "
            f"(`{ctx.prefix}network show` lists them). Nothing was changed."
        ),
    )
    if not isinstance(network, Network):
        return network
    now = ctx.clock.now()
    expires = now + INVITE_VALID
    code = codes.new_code()
    await networks.add_invite(
        network.id, ctx.community.id, codes.code_hash(code, "network"), now, expires
    )
    return [
        *reply(
            f"Invite code for {network_name(network)}: **`{codes.shown(code)}`**\n"
            f"It works once, until {_when(expires)}. Give it privately to a moderator of the "
            f"community that joins; they type `{ctx.prefix}network join {codes.shown(code)}` "
            "there. I keep only a fingerprint of it, so I cannot show it again.",
            ephemeral=True,
        ),
        *modlog_note(
            ctx.community,
            f"🌐 {who(ctx.platform, ctx.member)} made an invite code for the network "
            f"{network_name(network)} (valid until {_when(expires)}, once).",
        ),
    ]


# network join -----------------------------------------------------------------------------
async def _wrong_code(ctx: Context, tried_before: int) -> list[Action]:
    now = ctx.clock.now()
    await ctx.store.networks.add_failure(ctx.community.id, now)
    tries = tried_before + 1
    logger.warning(
        "network join: a wrong invite code from community {} ({} of {} this hour)",
        ctx.community.id,
        tries,
        MAX_WRONG_CODES,
    )
    left = MAX_WRONG_CODES - tries
    more = (
        f"{left} more tr{'y' if left == 1 else 'ies'} this hour"
        if left
        else "no more tries for an hour"
    )
    return [
        *reply(
            "That code is not right: check it with the steward who gave it to you "
            f"({more}). Nothing was changed."
        ),
        *modlog_note(
            ctx.community,
            f"🔐 {who(ctx.platform, ctx.member)} tried a wrong network invite code "
            f"({tries} of {MAX_WRONG_CODES} this hour).",
        ),
    ]


@handles("network", "join")
async def join(ctx: Context, options: dict[str, Any]) -> list[Action]:
    networks = ctx.store.networks
    p = ctx.prefix
    existing = await networks.of_community(ctx.community.id)
    if existing is not None:
        return reply(
            f"This community already belongs to the network {network_name(existing)}; a community "
            f"belongs to one network at most (`{p}network leave` first). Nothing was changed."
        )
    now = ctx.clock.now()
    failures = await networks.recent_failures(ctx.community.id, now - WRONG_CODE_WINDOW)
    if len(failures) >= MAX_WRONG_CODES:
        again = failures[len(failures) - MAX_WRONG_CODES] + WRONG_CODE_WINDOW
        logger.warning(
            "network join: refused for community {} after {} wrong codes this hour",
            ctx.community.id,
            len(failures),
        )
        return reply(
            f"Too many wrong codes from this community in the last hour. Try again after "
            f"{_when(again)}. Nothing was changed."
        )
    code = codes.normalized(str(options.get("code") or ""))
    if code is None:
        return reply(
            "That does not look like an invite code: codes are 8 letters and digits, like "
            f"`{p}network join ABCD-EFGH`. Nothing was changed."
        )
    found = await networks.invite_by_hash(codes.code_hash(code, "network"))
    if found is None:
        return await _wrong_code(ctx, len(failures))
    if found.used_at is not None:
        return reply(
            "That code was already used: each code works once. Ask a steward of the network "
            f"for a new one (`{p}network invite`). Nothing was changed."
        )
    if found.expires_at <= now:
        return reply(
            f"That code expired on {_when(found.expires_at)}. Ask a steward of the network for "
            f"a new one (`{p}network invite`). Nothing was changed."
        )
    network = await networks.get(found.network_id)
    if network is None or not await networks.use_invite(found.id, ctx.community.id, now):
        return reply(
            "That code is no longer valid. Ask a steward of the network for a new one. "
            "Nothing was changed."
        )
    await networks.add_affiliate(network.id, ctx.community.id, now)
    await network_tags.affiliate_joined(ctx, network.id)
    affiliates = await networks.affiliates(network.id)
    author = actor(ctx)
    return [
        *reply(
            f"This community is now an affiliate of the network {network_name(network)} "
            f"({len(affiliates)} affiliates). `{p}network show` lists them and the stewards."
        ),
        *await _notes(
            ctx,
            [ctx.community.id],
            f"🌐 {author} joined this community to the network {network_name(network)} as an "
            "affiliate.",
        ),
        *await _notes(
            ctx,
            [c for c in [found.community_id] if c != ctx.community.id],
            f"🌐 The invite code made here was used: the community "
            f"{affiliate(ctx.community.ref)} joined the network "
            f"{network_name(network)}.",
        ),
    ]


# network leave ----------------------------------------------------------------------------
@handles("network", "leave")
async def leave(ctx: Context, options: dict[str, Any]) -> list[Action]:
    networks = ctx.store.networks
    network = await networks.of_community(ctx.community.id)
    if network is None:
        return _not_in_network(ctx)
    removed = await networks.remove_affiliate(network.id, ctx.community.id)
    await network_tags.affiliate_left(ctx)
    remaining = await networks.affiliates(network.id)
    author = actor(ctx)
    here_note = f"🌐 {author} took this community out of the network {network_name(network)}."
    if not remaining:
        await networks.delete(network.id)
        return [
            *reply(
                f"This community left the network {network_name(network)}. It was the last "
                "affiliate, so the network is closed and its invite codes no longer work."
            ),
            *modlog_note(
                ctx.community, here_note + " It was the last affiliate: the network is closed."
            ),
        ]
    lines = [
        f"This community left the network {network_name(network)}: its members are no longer "
        "part of it."
    ]
    if removed:
        lines.append(
            f"• {removed} steward role{'s' if removed != 1 else ''} held here ended with it."
        )
    stewards = await networks.stewards(network.id)
    if not stewards:
        lines.append(
            "• The network has no stewards now: a moderator of any remaining affiliate can "
            f"take the role with `{ctx.prefix}network stewards add <member>`."
        )
    if len(remaining) == 1:
        lines.append("• One affiliate is left; it keeps the network and can invite others.")
    elsewhere = (
        f"🌐 The community {affiliate(ctx.community.ref)} left the network {network_name(network)}."
    )
    if not stewards:  # read on any platform: the command without this one's prefix
        elsewhere += (
            " The network has no stewards now: a moderator here can take the role with the "
            "`network stewards add <member>` command."
        )
    return [
        *reply("\n".join(lines)),
        *modlog_note(ctx.community, here_note),
        *await _notes(ctx, remaining, elsewhere),
    ]


# network stewards add / remove ------------------------------------------------------------
def _typed(ctx: Context, raw: Any) -> UserRef | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, UserRef):
        return raw
    return UserRef(ctx.community.ref.platform, str(raw))


@handles("network", "stewards", "add")
async def add_steward(ctx: Context, options: dict[str, Any]) -> list[Action]:
    networks = ctx.store.networks
    network = await networks.of_community(ctx.community.id)
    if network is None:
        return _not_in_network(ctx)
    stewards = await networks.stewards(network.id)
    allowed = await networks.is_steward(network.id, ctx.member.ref) or (
        not stewards and ctx.is_moderator
    )
    if not allowed:
        return reply(
            f"Only the stewards of {network_name(network)} can add stewards"
            + ("" if stewards else " (while it has none, a moderator of an affiliate can)")
            + ". Nothing was changed."
        )
    wanted = _typed(ctx, options.get("member"))
    if wanted is None:
        return reply(f"Please name the member, e.g. `{ctx.prefix}network stewards add ann`.")
    target = await resolve_member(ctx, wanted)
    if target is None or target.left_at is not None:
        return reply(
            f"I found no member “{quote(wanted.label, NAME_LIMIT)}” in this community: a "
            "steward is a member of an affiliate. Nothing was changed."
        )
    if not await networks.add_steward(network.id, target.id, ctx.clock.now()):
        return reply(f"{label(target)} already is a steward of {network_name(network)}.")
    return [
        *reply(f"{label(target)} is now a steward of the network {network_name(network)}."),
        *modlog_note(
            ctx.community,
            f"🌐 {who(ctx.platform, ctx.member)} made {label(target)} a steward of the "
            f"network {network_name(network)}.",
        ),
    ]


def _matches(member: Member, wanted: UserRef) -> bool:
    typed = wanted.user_id.strip().lstrip("@").casefold()
    if member.ref.platform == wanted.platform and member.ref.user_id == wanted.user_id:
        return True
    return bool(typed) and typed in (member.ref.user_id.casefold(), member.label.casefold())


@handles("network", "stewards", "remove")
async def remove_steward(ctx: Context, options: dict[str, Any]) -> list[Action]:
    networks = ctx.store.networks
    network = await stewarded_network(
        ctx,
        _not_in_network(ctx),
        lambda net: (
            f"Only the stewards of {network_name(net)} can remove stewards. Nothing was changed."
        ),
    )
    if not isinstance(network, Network):
        return network
    wanted = _typed(ctx, options.get("member"))
    if wanted is None:
        return reply(f"Please name the steward, e.g. `{ctx.prefix}network stewards remove ann`.")
    stewards = await networks.stewards(network.id)
    here = await resolve_member(ctx, wanted)
    target = next((m for m in stewards if here is not None and m.id == here.id), None) or next(
        (m for m in stewards if _matches(m, wanted)), None
    )
    if target is None:
        return reply(
            f"“{quote(wanted.label, NAME_LIMIT)}” is not a steward of {network_name(network)} "
            f"(`{ctx.prefix}network show` lists them). Nothing was changed."
        )
    if len(stewards) == 1:
        return reply(
            f"{label(target)} is the last steward of {network_name(network)}: a network always "
            f"keeps one. Add another first (`{ctx.prefix}network stewards add <member>`). "
            "Nothing was changed."
        )
    await networks.remove_steward(network.id, target.id)
    text = (
        f"🌐 {actor(ctx)} removed {label(target)} from the stewards of the "
        f"network {network_name(network)}."
    )
    return [
        *reply(f"{label(target)} is no longer a steward of {network_name(network)}."),
        *await _notes(ctx, [ctx.community.id, target.community_id], text),
    ]


async def on_leave(ctx: Context) -> list[Action]:
    """A steward who leaves their community is no steward through it any more (coming back
    does not give the role back). The last one leaving leaves the network without stewards."""
    networks = ctx.store.networks
    actions: list[Action] = []
    for network in await networks.stewarded_by(ctx.member.id):
        await networks.remove_steward(network.id, ctx.member.id)
        text = (
            f"🌐 {who(ctx.platform, ctx.member)} left this community, so they are no longer a "
            f"steward of the network {network_name(network)}."
        )
        if not await networks.stewards(network.id):
            text += (
                " It has no stewards now: a moderator of any affiliate can take the role with "
                f"`{ctx.prefix}network stewards add <member>`."
            )
        actions += modlog_note(ctx.community, text)
    return actions


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    """`/mydata`: the networks this membership stewards."""
    return {"network_stewardships": await ctx.store.networks.export_for_member(member.id)}
