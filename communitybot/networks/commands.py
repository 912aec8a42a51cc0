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
from functools import partial
from typing import Any

from loguru import logger

from communitybot import one_time_codes as codes
from communitybot.affiliates import (
    Note,
    actor,
    affiliate_communities,
    modlog_note,
    network_name,
    stewarded_network,
)
from communitybot.context import Context
from communitybot.events import UserRef
from communitybot.feature import handles
from communitybot.i18n import N_, ntr, tr
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
    """A code's expiry, the same digits for every reader (they may sit in different zones)."""
    return tr("{moment} UTC", moment=f"{moment:%Y-%m-%d %H:%M}")


def _affiliate(community: Community, here: Community) -> str:
    if community.id == here.id:
        return tr("{affiliate} (this community)", affiliate=affiliate(community.ref))
    return affiliate(community.ref)


async def _notes(ctx: Context, community_ids: list[int], text: Note) -> list[Action]:
    """`text` in the moderator log of each affiliate (once each), in each one's language."""
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
        tr(
            "This community is not in a network. A moderator can start one with "
            "`{p}network create <name>`, or join one with `{p}network join <code>` and an "
            "invite code from that network's steward.",
            p=p,
        )
    )


def _clean_name(raw: Any) -> str:
    return " ".join(str(raw or "").split())


SCHEDULES: tuple[tuple[NetworkJob, str, str], ...] = (
    ("mentors", N_("Automatic mentor matching"), "network mentors settings auto_match=on"),
    ("rounds", N_("Network peer rounds"), "network rounds setup weekly"),
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
    lines = [
        tr("🌐 Network {network}", network=network_name(network)),
        tr("**Affiliates ({count})**", count=len(affiliates)),
    ]
    lines += [f"• {_affiliate(c, ctx.community)}" for c in affiliates]
    where = {c.id: affiliate(c.ref) for c in affiliates}
    if stewards:
        listed = ", ".join(f"{label(m)} ({where.get(m.community_id, '?')})" for m in stewards)
        lines.append(tr("**Stewards:** {stewards}", stewards=listed))
    else:
        lines.append(
            tr(
                "**Stewards:** none — a moderator of any affiliate can take the role with "
                "`{p}network stewards add <member>`.",
                p=ctx.prefix,
            )
        )
    for kind, what, command in SCHEDULES:
        settings = await ctx.store.mentoring.network_schedule(network.id, kind)
        lines.append(status_line(settings, tr(what), ctx.prefix, command))
    if await networks.is_steward(network.id, ctx.member.ref):
        open_codes = await networks.open_invites(network.id, ctx.clock.now())
        lines.append(
            tr(
                "Open invite codes: {count} (make one with `{p}network invite`).",
                count=open_codes,
                p=ctx.prefix,
            )
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
        lambda _: tr(
            "Only the network's stewards see `{p}network stats` "
            "(`{p}network show` lists them). Nothing was changed.",
            p=ctx.prefix,
        ),
    )
    if not isinstance(network, Network):
        return network
    counts = await networks.affiliate_counts(network.id)
    lines = [
        ntr(
            "📊 Network {network}: {n} affiliate(s)",
            "📊 Network {network}: {n} affiliate(s)",
            len(counts),
            network=network_name(network),
        )
    ]
    totals = [0, 0, 0, 0]
    for community in await affiliate_communities(ctx, network):
        figures = counts.get(community.id)
        if figures is None:
            continue
        done = (await ctx.store.onboarding.completion_counts(community.id)).get("completed", 0)
        lines.append(
            tr(
                "• {affiliate}: {present} member(s), {done} finished onboarding, "
                "{discoverable} findable here, {across} across the network",
                affiliate=_affiliate(community, ctx.community),
                present=figures.present,
                done=done,
                discoverable=figures.discoverable,
                across=figures.across,
            )
        )
        for n, value in enumerate((figures.present, done, figures.discoverable, figures.across)):
            totals[n] += value
    present, done, _, across = totals
    if present:
        lines.append(
            tr(
                "**In all:** {present} member(s), {done} finished onboarding ({share}%), "
                "{across} findable from every affiliate.",
                present=present,
                done=done,
                share=done * 100 // present,
                across=across,
            )
        )
    else:
        lines.append(
            tr(
                "**In all:** {present} member(s), {done} finished onboarding, {across} findable "
                "from every affiliate.",
                present=present,
                done=done,
                across=across,
            )
        )
    lines.append(
        ntr(
            "**Across affiliates:** {n} person(s) with linked accounts in more than one affiliate.",
            "**Across affiliates:** {n} person(s) with linked accounts in more than one affiliate.",
            await networks.people_across_affiliates(network.id),
        )
    )
    lines.append(await _silos_broken(ctx, network))
    lines.append(
        tr(
            "Open invite codes: {count}.",
            count=await networks.open_invites(network.id, ctx.clock.now()),
        )
    )
    return reply("\n".join(lines))


async def _silos_broken(ctx: Context, network: Network) -> str:
    """Mentor pairings and peer-round meetings among the affiliates' members, and how many
    cross affiliate lines: the measure of breaking silos (community rounds count too; their
    groups never cross)."""
    pairs, active, crossing = await ctx.store.mentoring.network_pair_counts(network.id)
    meetings, meetings_crossing = await ctx.store.rounds.network_group_counts(network.id)
    asks = await ctx.store.asks.open_shared_count(network.id)
    return tr(
        "**Breaking silos:** {pairs} mentor pairing(s) ({active} active), {crossing} across "
        "affiliates; {meetings} peer-round meeting(s), {meetings_crossing} across affiliates; "
        "{asks} open problem(s) of practice shared with the whole network.",
        pairs=pairs,
        active=active,
        crossing=crossing,
        meetings=meetings,
        meetings_crossing=meetings_crossing,
        asks=asks,
    )


# network create ---------------------------------------------------------------------------
@handles("network", "create")
async def create(ctx: Context, options: dict[str, Any]) -> list[Action]:
    name = _clean_name(options.get("name"))
    if not name:
        return reply(
            tr("Please name the network, e.g. `{p}network create Maths North`.", p=ctx.prefix)
        )
    if len(name) > MAX_NAME:
        return reply(
            tr(
                "That name is too long ({length} characters, at most {limit}). "
                "Nothing was changed.",
                length=len(name),
                limit=MAX_NAME,
            )
        )
    if any(not ch.isprintable() for ch in name):
        return reply(tr("The name must be plain text on one line. Nothing was changed."))
    existing = await ctx.store.networks.of_community(ctx.community.id)
    if existing is not None:
        return reply(
            tr(
                "This community already belongs to the network {network}; a community "
                "belongs to one network at most. `{p}network leave` first to start "
                "another. Nothing was changed.",
                network=network_name(existing),
                p=ctx.prefix,
            )
        )
    network = await ctx.store.networks.create(
        name, ctx.community.id, ctx.member.id, ctx.clock.now()
    )
    p = ctx.prefix
    return [
        *reply(
            tr(
                "Created the network {network} with this community as its first "
                "affiliate; you are its steward.\n"
                "• `{p}network invite` gives you a one-time code for another community; its "
                "moderator types `{p}network join <code>` there (Discord or Matrix).\n"
                "• `{p}network stewards add <member>` shares the steward role.",
                network=network_name(network),
                p=p,
            )
        ),
        *modlog_note(
            ctx.community,
            lambda: tr(
                "🌐 {member} created the network {network}: this "
                "community is its first affiliate and they are its steward.",
                member=who(ctx.platform, ctx.member),
                network=network_name(network),
            ),
        ),
    ]


# network invite ---------------------------------------------------------------------------
@handles("network", "invite")
async def invite(ctx: Context, options: dict[str, Any]) -> list[Action]:
    networks = ctx.store.networks
    network = await stewarded_network(
        ctx,
        _not_in_network(ctx),
        lambda net: tr(
            "Only the stewards of {network} can make invite codes "
            "(`{p}network show` lists them). Nothing was changed.",
            network=network_name(net),
            p=ctx.prefix,
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
            tr(
                "Invite code for {network}: **`{code}`**\n"
                "It works once, until {when}. Give it privately to a moderator of the "
                "community that joins; they type `{p}network join {code}` "
                "there. I keep only a fingerprint of it, so I cannot show it again.",
                network=network_name(network),
                code=codes.shown(code),
                when=_when(expires),
                p=ctx.prefix,
            ),
            ephemeral=True,
        ),
        *modlog_note(
            ctx.community,
            lambda: tr(
                "🌐 {member} made an invite code for the network "
                "{network} (valid until {when}, once).",
                member=who(ctx.platform, ctx.member),
                network=network_name(network),
                when=_when(expires),
            ),
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
    if left:
        text = ntr(
            "That code is not right: check it with the steward who gave it to you "
            "({n} more try this hour). Nothing was changed.",
            "That code is not right: check it with the steward who gave it to you "
            "({n} more tries this hour). Nothing was changed.",
            left,
        )
    else:
        text = tr(
            "That code is not right: check it with the steward who gave it to you "
            "(no more tries for an hour). Nothing was changed."
        )
    return [
        *reply(text),
        *modlog_note(
            ctx.community,
            lambda: tr(
                "🔐 {member} tried a wrong network invite code ({tries} of {limit} this hour).",
                member=who(ctx.platform, ctx.member),
                tries=tries,
                limit=MAX_WRONG_CODES,
            ),
        ),
    ]


@handles("network", "join")
async def join(ctx: Context, options: dict[str, Any]) -> list[Action]:
    networks = ctx.store.networks
    p = ctx.prefix
    existing = await networks.of_community(ctx.community.id)
    if existing is not None:
        return reply(
            tr(
                "This community already belongs to the network {network}; a community "
                "belongs to one network at most (`{p}network leave` first). Nothing was changed.",
                network=network_name(existing),
                p=p,
            )
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
            tr(
                "Too many wrong codes from this community in the last hour. Try again after "
                "{when}. Nothing was changed.",
                when=_when(again),
            )
        )
    code = codes.normalized(str(options.get("code") or ""))
    if code is None:
        return reply(
            tr(
                "That does not look like an invite code: codes are 8 letters and digits, like "
                "`{p}network join ABCD-EFGH`. Nothing was changed.",
                p=p,
            )
        )
    found = await networks.invite_by_hash(codes.code_hash(code, "network"))
    if found is None:
        return await _wrong_code(ctx, len(failures))
    if found.used_at is not None:
        return reply(
            tr(
                "That code was already used: each code works once. Ask a steward of the "
                "network for a new one (`{p}network invite`). Nothing was changed.",
                p=p,
            )
        )
    if found.expires_at <= now:
        return reply(
            tr(
                "That code expired on {when}. Ask a steward of the network for "
                "a new one (`{p}network invite`). Nothing was changed.",
                when=_when(found.expires_at),
                p=p,
            )
        )
    network = await networks.get(found.network_id)
    if network is None or not await networks.use_invite(found.id, ctx.community.id, now):
        return reply(
            tr(
                "That code is no longer valid. Ask a steward of the network for a new one. "
                "Nothing was changed."
            )
        )
    await networks.add_affiliate(network.id, ctx.community.id, now)
    await network_tags.affiliate_joined(ctx, network.id)
    affiliates = await networks.affiliates(network.id)
    author = actor(ctx)
    return [
        *reply(
            ntr(
                "This community is now an affiliate of the network {network} "
                "({n} affiliates). `{p}network show` lists them and the stewards.",
                "This community is now an affiliate of the network {network} "
                "({n} affiliates). `{p}network show` lists them and the stewards.",
                len(affiliates),
                network=network_name(network),
                p=p,
            )
        ),
        *await _notes(
            ctx,
            [ctx.community.id],
            lambda: tr(
                "🌐 {member} joined this community to the network {network} as an affiliate.",
                member=author,
                network=network_name(network),
            ),
        ),
        *await _notes(
            ctx,
            [c for c in [found.community_id] if c != ctx.community.id],
            lambda: tr(
                "🌐 The invite code made here was used: the community "
                "{affiliate} joined the network {network}.",
                affiliate=affiliate(ctx.community.ref),
                network=network_name(network),
            ),
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
    name = network_name(network)

    def here_note() -> str:
        return tr(
            "🌐 {member} took this community out of the network {network}.",
            member=author,
            network=name,
        )

    if not remaining:
        await networks.delete(network.id)
        return [
            *reply(
                tr(
                    "This community left the network {network}. It was the last "
                    "affiliate, so the network is closed and its invite codes no longer work.",
                    network=name,
                )
            ),
            *modlog_note(
                ctx.community,
                lambda: here_note() + " " + tr("It was the last affiliate: the network is closed."),
            ),
        ]
    lines = [
        tr(
            "This community left the network {network}: its members are no longer part of it.",
            network=name,
        )
    ]
    if removed:
        lines.append(
            ntr(
                "• {n} steward role held here ended with it.",
                "• {n} steward roles held here ended with it.",
                removed,
            )
        )
    stewards = await networks.stewards(network.id)
    if not stewards:
        lines.append(
            tr(
                "• The network has no stewards now: a moderator of any remaining affiliate can "
                "take the role with `{p}network stewards add <member>`.",
                p=ctx.prefix,
            )
        )
    if len(remaining) == 1:
        lines.append(tr("• One affiliate is left; it keeps the network and can invite others."))
    gone = affiliate(ctx.community.ref)

    def elsewhere() -> str:
        text = tr(
            "🌐 The community {affiliate} left the network {network}.", affiliate=gone, network=name
        )
        if not stewards:  # read on any platform: the command without this one's prefix
            text += " " + tr(
                "The network has no stewards now: a moderator here can take the role with the "
                "`network stewards add <member>` command."
            )
        return text

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
        if stewards:
            return reply(
                tr(
                    "Only the stewards of {network} can add stewards. Nothing was changed.",
                    network=network_name(network),
                )
            )
        return reply(
            tr(
                "Only the stewards of {network} can add stewards (while it has none, a "
                "moderator of an affiliate can). Nothing was changed.",
                network=network_name(network),
            )
        )
    wanted = _typed(ctx, options.get("member"))
    if wanted is None:
        return reply(
            tr("Please name the member, e.g. `{p}network stewards add ann`.", p=ctx.prefix)
        )
    target = await resolve_member(ctx, wanted)
    if target is None or target.left_at is not None:
        return reply(
            tr(
                "I found no member “{name}” in this community: a "
                "steward is a member of an affiliate. Nothing was changed.",
                name=quote(wanted.label, NAME_LIMIT),
            )
        )
    if not await networks.add_steward(network.id, target.id, ctx.clock.now()):
        return reply(
            tr(
                "{member} already is a steward of {network}.",
                member=label(target),
                network=network_name(network),
            )
        )
    return [
        *reply(
            tr(
                "{member} is now a steward of the network {network}.",
                member=label(target),
                network=network_name(network),
            )
        ),
        *modlog_note(
            ctx.community,
            lambda: tr(
                "🌐 {member} made {target} a steward of the network {network}.",
                member=who(ctx.platform, ctx.member),
                target=label(target),
                network=network_name(network),
            ),
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
        lambda net: tr(
            "Only the stewards of {network} can remove stewards. Nothing was changed.",
            network=network_name(net),
        ),
    )
    if not isinstance(network, Network):
        return network
    wanted = _typed(ctx, options.get("member"))
    if wanted is None:
        return reply(
            tr("Please name the steward, e.g. `{p}network stewards remove ann`.", p=ctx.prefix)
        )
    stewards = await networks.stewards(network.id)
    here = await resolve_member(ctx, wanted)
    target = next((m for m in stewards if here is not None and m.id == here.id), None) or next(
        (m for m in stewards if _matches(m, wanted)), None
    )
    if target is None:
        return reply(
            tr(
                "“{name}” is not a steward of {network} "
                "(`{p}network show` lists them). Nothing was changed.",
                name=quote(wanted.label, NAME_LIMIT),
                network=network_name(network),
                p=ctx.prefix,
            )
        )
    if len(stewards) == 1:
        return reply(
            tr(
                "{member} is the last steward of {network}: a network always "
                "keeps one. Add another first (`{p}network stewards add <member>`). "
                "Nothing was changed.",
                member=label(target),
                network=network_name(network),
                p=ctx.prefix,
            )
        )
    await networks.remove_steward(network.id, target.id)
    author, removed = actor(ctx), label(target)
    return [
        *reply(
            tr(
                "{member} is no longer a steward of {network}.",
                member=removed,
                network=network_name(network),
            )
        ),
        *await _notes(
            ctx,
            [ctx.community.id, target.community_id],
            lambda: tr(
                "🌐 {member} removed {target} from the stewards of the network {network}.",
                member=author,
                target=removed,
                network=network_name(network),
            ),
        ),
    ]


async def on_leave(ctx: Context) -> list[Action]:
    """A steward who leaves their community is no steward through it any more (coming back
    does not give the role back). The last one leaving leaves the network without stewards."""
    networks = ctx.store.networks
    actions: list[Action] = []
    for network in await networks.stewarded_by(ctx.member.id):
        await networks.remove_steward(network.id, ctx.member.id)
        orphaned = not await networks.stewards(network.id)
        actions += modlog_note(
            ctx.community,
            partial(_steward_left, ctx, network, orphaned),
        )
    return actions


def _steward_left(ctx: Context, network: Network, orphaned: bool) -> str:
    """The moderator-log note when a steward leaves their community (`orphaned`: the last)."""
    text = tr(
        "🌐 {member} left this community, so they are no longer a steward of the network "
        "{network}.",
        member=who(ctx.platform, ctx.member),
        network=network_name(network),
    )
    if orphaned:
        text += " " + tr(
            "It has no stewards now: a moderator of any affiliate can take the role with "
            "`{p}network stewards add <member>`.",
            p=ctx.prefix,
        )
    return text


async def export(ctx: Context, member: Member) -> dict[str, Any]:
    """`/mydata`: the networks this membership stewards."""
    return {"network_stewardships": await ctx.store.networks.export_for_member(member.id)}
