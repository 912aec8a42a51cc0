"""Accountability: `/ask` a problem of practice, `/follow` it, `/resolve` it with an outcome.

Sharing a problem is a promise to report back, so each ask gets one reminder job (idempotency
key per ask) after the asker's chosen number of days; the job checks the ask when it fires, so
resolving (or /forgetme) needs no bookkeeping of the job: it simply finds nothing to do.
Followers hear the outcome by DM. Everything user-typed is echoed through `quote()`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from communitybot.affiliates import affiliate_communities
from communitybot.asks.catalogue import MAX_DAYS, MAX_TEXT
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.naming import affiliate, label, who
from communitybot.numbers import parse_id
from communitybot.replies import Action, Message, SendDirect, SendToChannel, reply
from communitybot.store.asks import Ask
from communitybot.store.jobs import Job
from communitybot.store.networks import Network
from communitybot.text import plural, quote

REMINDER = "ask.reminder"
DEFAULT_DAYS = 7
LIST_LIMIT = 20


def reminder_key(ask_id: int) -> str:
    return f"ask-reminder:{ask_id}"


def _clean(raw: Any) -> str:
    return " ".join(str(raw or "").split())


@handles("ask")
async def ask(ctx: Context, options: dict[str, Any]) -> list[Action]:
    problem = _clean(options.get("problem"))
    if not problem:
        return reply(f"Please describe the problem, e.g. `{ctx.prefix}ask How do I …`.")
    if len(problem) > MAX_TEXT:
        return reply(f"That is too long ({len(problem)} characters, at most {MAX_TEXT}).")
    days = options.get("days")
    days = DEFAULT_DAYS if days is None else int(days)
    if not 1 <= days <= MAX_DAYS:
        return reply(f"`days` must be between 1 and {MAX_DAYS}.")
    scope = str(options.get("scope") or "community").strip().casefold()
    if scope not in ("community", "network"):
        return reply(
            "Please say `scope=network` to share it with the whole network (or leave it out to "
            f"share it here), e.g. `{ctx.prefix}ask How do I … scope=network`."
        )
    network = None
    if scope == "network":
        network = await ctx.store.networks.of_community(ctx.community.id)
        if network is None:
            return reply(
                "This community is not in a network, so it can only be shared here: leave out "
                f"`scope=network`. A moderator can start one with `{ctx.prefix}network create "
                f"<name>` or join one with `{ctx.prefix}network join <code>`."
            )
    channel = str(options.get("channel") or "").lstrip("#").strip() or ctx.community.welcome_channel
    if not channel:
        return reply(
            "There is no channel to post problems of practice in yet: a moderator must set "
            f"one (`{ctx.prefix}setup welcome_channel=…`), or name one with `channel=`."
        )
    now = ctx.clock.now()
    created = await ctx.store.asks.create(
        ctx.community.id,
        ctx.member.id,
        problem,
        channel,
        days,
        now,
        network_shared=network is not None,
    )
    await ctx.store.jobs.schedule(
        REMINDER,
        now + timedelta(days=days),
        reminder_key(created.id),
        now,
        {"ask": created.id},
        community_id=ctx.community.id,
    )
    author = who(ctx.platform, ctx.member)
    shared = " with the whole network" if network is not None else ""
    post = (
        f"🧩 **Problem of practice #{created.id}** from {author}{shared}:\n"
        f"{quote(problem, MAX_TEXT)}\n"
        f"Reply with your ideas, and `{ctx.prefix}follow {created.id}` to hear how it goes."
    )
    actions: list[Action] = [SendToChannel(ctx.community.ref, channel, Message(post))]
    answer = (
        f"Posted as **#{created.id}** in {ctx.platform.mention_channel(channel)}. "
        f"In {days} day{'s' if days != 1 else ''} I'll ask how it went; share it any time "
        f"with `{ctx.prefix}resolve {created.id} <outcome>`."
    )
    if network is not None:
        posted, unreachable = await _post_to_affiliates(ctx, network, created, problem)
        actions += posted
        others = plural(len(posted), "other affiliate")
        answer += f"\nShared with {others} of **{quote(network.name, 80)}**"
        has = "has" if unreachable == 1 else "have"
        answer += (
            f" ({unreachable} more {has} no welcome channel set, so it is not posted there)."
            if unreachable
            else "."
        )
    return [*actions, *reply(answer)]


async def _post_to_affiliates(
    ctx: Context, network: Network, created: Ask, problem: str
) -> tuple[list[Action], int]:
    """The network ask's post in every other affiliate's welcome channel (on its own platform,
    so the author is named, never mentioned); and how many affiliates have no such channel."""
    posts: list[Action] = []
    unreachable = 0
    author = f"{label(ctx.member)} of {affiliate(ctx.community.ref)}"
    for community in await affiliate_communities(ctx, network):
        if community.id == ctx.community.id:
            continue
        if not community.welcome_channel:
            unreachable += 1
            continue
        # Another platform's command prefix is not known here (Matrix's is configurable).
        same = community.ref.platform == ctx.community.ref.platform
        follow_it = f"`{ctx.prefix}follow {created.id}`" if same else f"`follow {created.id}`"
        text = (
            f"🧩 **Problem of practice #{created.id}** from {author}, shared with the "
            f"network:\n{quote(problem, MAX_TEXT)}\n{follow_it} to hear how it goes."
        )
        posts.append(SendToChannel(community.ref, community.welcome_channel, Message(text)))
    return posts, unreachable


async def _find(ctx: Context, options: dict[str, Any]) -> Ask | str:
    number = parse_id(options.get("number"))
    found = None if number is None else await ctx.store.asks.find(ctx.community.id, number)
    if found is None and number is not None:
        network = await ctx.store.networks.of_community(ctx.community.id)
        if network is not None:
            found = await ctx.store.asks.find_shared(network.id, number)
    if found is not None:
        return found
    shown = quote(str(options.get("number")), 30)
    highest = await ctx.store.asks.highest(ctx.community.id)
    bound = (
        "no problem of practice has been shared yet"
        if highest is None
        else f"numbers go up to #{highest}"
    )
    return f"There is no problem of practice #{shown}; {bound}. `{ctx.prefix}asks` lists open ones."


@handles("follow")
async def follow(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _find(ctx, options)
    if isinstance(found, str):
        return reply(found)
    if found.member_id == ctx.member.id:
        return reply(f"#{found.id} is your own: you'll hear about it anyway.")
    if not found.is_open:
        return reply(f"#{found.id} is already resolved: {quote(found.outcome or '', 300)}")
    if not await ctx.store.asks.follow(found.id, ctx.member.id, ctx.clock.now()):
        return reply(f"You already follow #{found.id}.")
    return reply(f"You follow #{found.id}: I'll DM you the outcome when it is shared.")


@handles("resolve")
async def resolve(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _find(ctx, options)
    if isinstance(found, str):
        return reply(found)
    if found.member_id != ctx.member.id:
        return reply(f"Only the member who shared #{found.id} can resolve it.")
    if not found.is_open:
        return reply(f"#{found.id} is already resolved.")
    outcome = _clean(options.get("outcome"))
    if not outcome:
        return reply(f"Please say how it went, e.g. `{ctx.prefix}resolve {found.id} It worked!`")
    if len(outcome) > MAX_TEXT:
        return reply(f"That is too long ({len(outcome)} characters, at most {MAX_TEXT}).")
    await ctx.store.asks.resolve(found.id, outcome, ctx.clock.now())
    story = (
        f"shared how problem of practice #{found.id} went.\n"
        f"**The problem:** {quote(found.problem, 300)}\n"
        f"**The outcome:** {quote(outcome, MAX_TEXT)}"
    )
    here = f"✅ {who(ctx.platform, ctx.member)} {story}"
    # A follower in another affiliate reads it there: named, never mentioned.
    elsewhere = f"✅ {label(ctx.member)} of {affiliate(ctx.community.ref)} {story}"
    actions: list[Action] = []
    for member_id in await ctx.store.asks.follower_ids(found.id):
        follower = await ctx.store.members.get_by_id(member_id)
        if follower is None:
            continue
        if follower.community_id == ctx.community.id:
            actions.append(SendDirect(ctx.community.ref, follower.ref, Message(here)))
            continue
        community = await ctx.store.communities.get_by_id(follower.community_id)
        if community is not None:
            actions.append(SendDirect(community.ref, follower.ref, Message(elsewhere)))
    told = len(actions)
    return [
        *reply(
            f"Thanks for closing the loop on #{found.id}! "
            f"I told {told} follower{'s' if told != 1 else ''}."
        ),
        *actions,
    ]


@handles("asks")
async def list_asks(ctx: Context, options: dict[str, Any]) -> list[Action]:
    open_asks = await ctx.store.asks.open_asks(ctx.community.id, LIST_LIMIT)
    network = await ctx.store.networks.of_community(ctx.community.id)
    shared = (
        []
        if network is None
        else await ctx.store.asks.open_shared(network.id, ctx.community.id, LIST_LIMIT)
    )
    if not open_asks and not shared:
        return reply(f"No open problems of practice. Share one with `{ctx.prefix}ask`.")
    lines = ["**Open problems of practice**"]
    for item in open_asks:
        mark = " 🌐" if item.network_shared else ""
        lines.append(
            f"• **#{item.id}**{mark} ({item.created_at:%d %b}): {quote(item.problem, 120)}"
        )
    if shared and network is not None:
        lines.append(f"**Shared by the other affiliates of {quote(network.name, 80)}**")
        for item in shared:
            community = await ctx.store.communities.get_by_id(item.community_id)
            where = f" — {affiliate(community.ref)}" if community is not None else ""
            lines.append(
                f"• **#{item.id}** ({item.created_at:%d %b}): {quote(item.problem, 120)}{where}"
            )
    lines.append(f"`{ctx.prefix}follow <number>` to hear how one goes.")
    if any(item.network_shared for item in open_asks):
        lines.append("🌐 shared with the whole network.")
    return reply("\n".join(lines))


async def run_reminder(ctx: Context, job: Job) -> list[Action]:
    """Nudge the asker to report back; nothing if the ask was resolved or forgotten."""
    found = await ctx.store.asks.get(int(job.payload["ask"]))
    if found is None or not found.is_open:
        return []
    member = await ctx.store.members.get_by_id(found.member_id)
    community = await ctx.store.communities.get_by_id(found.community_id)
    if member is None or member.left_at is not None or community is None:
        return []
    followers = await ctx.store.asks.follower_count(found.id)
    waiting = f" {followers} member{'s' if followers != 1 else ''} follow it." if followers else ""
    text = (
        f"👋 How did it go with your problem of practice #{found.id}?\n"
        f"{quote(found.problem, 300)}\n"
        f"Share the outcome with `{ctx.prefix}resolve {found.id} <what happened>`.{waiting}"
    )
    return [SendDirect(community.ref, member.ref, Message(text))]
