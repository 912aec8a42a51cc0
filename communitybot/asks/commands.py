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
from communitybot.i18n import ntr, tr, use_language
from communitybot.i18n.choice import community_language, member_language
from communitybot.i18n.dates import day_month
from communitybot.models import Community, Member
from communitybot.naming import affiliate, label, who
from communitybot.numbers import parse_id
from communitybot.replies import Action, Message, SendDirect, SendToChannel, reply
from communitybot.store.asks import Ask
from communitybot.store.jobs import Job
from communitybot.store.networks import Network
from communitybot.text import quote

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
        return reply(
            tr("Please describe the problem, e.g. `{prefix}ask How do I …`.", prefix=ctx.prefix)
        )
    if len(problem) > MAX_TEXT:
        return reply(_too_long(len(problem)))
    days = options.get("days")
    days = DEFAULT_DAYS if days is None else int(days)
    if not 1 <= days <= MAX_DAYS:
        return reply(tr("`days` must be between 1 and {limit}.", limit=MAX_DAYS))
    scope = str(options.get("scope") or "community").strip().casefold()
    if scope not in ("community", "network"):
        return reply(
            tr(
                "Please say `scope=network` to share it with the whole network (or leave it out "
                "to share it here), e.g. `{prefix}ask How do I … scope=network`.",
                prefix=ctx.prefix,
            )
        )
    network = None
    if scope == "network":
        network = await ctx.store.networks.of_community(ctx.community.id)
        if network is None:
            return reply(
                tr(
                    "This community is not in a network, so it can only be shared here: leave "
                    "out `scope=network`. A moderator can start one with `{prefix}network create "
                    "<name>` or join one with `{prefix}network join <code>`.",
                    prefix=ctx.prefix,
                )
            )
    channel = str(options.get("channel") or "").lstrip("#").strip() or ctx.community.welcome_channel
    if not channel:
        return reply(
            tr(
                "There is no channel to post problems of practice in yet: a moderator must set "
                "one (`{prefix}setup welcome_channel=…`), or name one with `channel=`.",
                prefix=ctx.prefix,
            )
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
    with use_language(community_language(ctx.community)):  # everyone in the channel reads it
        heading = (
            tr(
                "🧩 **Problem of practice #{number}** from {author} with the whole network:",
                number=created.id,
                author=author,
            )
            if network is not None
            else tr(
                "🧩 **Problem of practice #{number}** from {author}:",
                number=created.id,
                author=author,
            )
        )
        invitation = tr(
            "Reply with your ideas, and `{prefix}follow {number}` to hear how it goes.",
            prefix=ctx.prefix,
            number=created.id,
        )
    post = f"{heading}\n{quote(problem, MAX_TEXT)}\n{invitation}"
    actions: list[Action] = [SendToChannel(ctx.community.ref, channel, Message(post))]
    answer = ntr(
        "Posted as **#{number}** in {channel}. In {n} day I'll ask how it went; share it any "
        "time with `{prefix}resolve {number} <outcome>`.",
        "Posted as **#{number}** in {channel}. In {n} days I'll ask how it went; share it any "
        "time with `{prefix}resolve {number} <outcome>`.",
        days,
        number=created.id,
        channel=ctx.platform.mention_channel(channel),
        prefix=ctx.prefix,
    )
    if network is not None:
        posted, unreachable = await _post_to_affiliates(ctx, network, created, problem)
        actions += posted
        answer += "\n" + ntr(
            "Shared with {n} other affiliate of **{network}**",
            "Shared with {n} other affiliates of **{network}**",
            len(posted),
            network=quote(network.name, 80),
        )
        answer += (
            " "
            + ntr(
                "({n} more has no welcome channel set, so it is not posted there).",
                "({n} more have no welcome channel set, so it is not posted there).",
                unreachable,
            )
            if unreachable
            else "."
        )
    return [*actions, *reply(answer)]


def _too_long(length: int) -> str:
    return tr(
        "That is too long ({length} characters, at most {limit}).", length=length, limit=MAX_TEXT
    )


async def _post_to_affiliates(
    ctx: Context, network: Network, created: Ask, problem: str
) -> tuple[list[Action], int]:
    """The network ask's post in every other affiliate's welcome channel (on its own platform,
    so the author is named, never mentioned); and how many affiliates have no such channel."""
    posts: list[Action] = []
    unreachable = 0
    for community in await affiliate_communities(ctx, network):
        if community.id == ctx.community.id:
            continue
        if not community.welcome_channel:
            unreachable += 1
            continue
        # Another platform's command prefix is not known here (Matrix's is configurable).
        same = community.ref.platform == ctx.community.ref.platform
        follow_it = f"`{ctx.prefix}follow {created.id}`" if same else f"`follow {created.id}`"
        with use_language(community_language(community)):  # that channel's readers
            heading = tr(
                "🧩 **Problem of practice #{number}** from {name} of {affiliate}, shared with "
                "the network:",
                number=created.id,
                name=label(ctx.member),
                affiliate=affiliate(ctx.community.ref),
            )
            invitation = tr("{command} to hear how it goes.", command=follow_it)
        text = f"{heading}\n{quote(problem, MAX_TEXT)}\n{invitation}"
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
    if highest is None:
        return tr(
            "There is no problem of practice #{number}; no problem of practice has been shared "
            "yet. `{prefix}asks` lists open ones.",
            number=shown,
            prefix=ctx.prefix,
        )
    return tr(
        "There is no problem of practice #{number}; numbers go up to #{highest}. "
        "`{prefix}asks` lists open ones.",
        number=shown,
        highest=highest,
        prefix=ctx.prefix,
    )


@handles("follow")
async def follow(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _find(ctx, options)
    if isinstance(found, str):
        return reply(found)
    if found.member_id == ctx.member.id:
        return reply(tr("#{number} is your own: you'll hear about it anyway.", number=found.id))
    if not found.is_open:
        return reply(
            tr(
                "#{number} is already resolved: {outcome}",
                number=found.id,
                outcome=quote(found.outcome or "", 300),
            )
        )
    if not await ctx.store.asks.follow(found.id, ctx.member.id, ctx.clock.now()):
        return reply(tr("You already follow #{number}.", number=found.id))
    return reply(
        tr("You follow #{number}: I'll DM you the outcome when it is shared.", number=found.id)
    )


@handles("resolve")
async def resolve(ctx: Context, options: dict[str, Any]) -> list[Action]:
    found = await _find(ctx, options)
    if isinstance(found, str):
        return reply(found)
    if found.member_id != ctx.member.id:
        return reply(tr("Only the member who shared #{number} can resolve it.", number=found.id))
    if not found.is_open:
        return reply(tr("#{number} is already resolved.", number=found.id))
    outcome = _clean(options.get("outcome"))
    if not outcome:
        return reply(
            tr(
                "Please say how it went, e.g. `{prefix}resolve {number} It worked!`",
                prefix=ctx.prefix,
                number=found.id,
            )
        )
    if len(outcome) > MAX_TEXT:
        return reply(_too_long(len(outcome)))
    await ctx.store.asks.resolve(found.id, outcome, ctx.clock.now())
    actions: list[Action] = []
    for member_id in await ctx.store.asks.follower_ids(found.id):
        follower = await ctx.store.members.get_by_id(member_id)
        if follower is None:
            continue
        if follower.community_id == ctx.community.id:
            text = _outcome_story(ctx, follower, ctx.community, found, outcome)
            actions.append(SendDirect(ctx.community.ref, follower.ref, Message(text)))
            continue
        community = await ctx.store.communities.get_by_id(follower.community_id)
        if community is not None:
            text = _outcome_story(ctx, follower, community, found, outcome)
            actions.append(SendDirect(community.ref, follower.ref, Message(text)))
    told = len(actions)
    return [
        *reply(
            ntr(
                "Thanks for closing the loop on #{number}! I told {n} follower.",
                "Thanks for closing the loop on #{number}! I told {n} followers.",
                told,
                number=found.id,
            )
        ),
        *actions,
    ]


def _outcome_story(
    ctx: Context, follower: Member, community: Community, found: Ask, outcome: str
) -> str:
    """The outcome's DM to one follower, in their language; a follower in another affiliate
    reads it there, so the author is named, never mentioned."""
    with use_language(member_language(follower, community)):
        if follower.community_id == ctx.community.id:
            opening = tr(
                "✅ {author} shared how problem of practice #{number} went.",
                author=who(ctx.platform, ctx.member),
                number=found.id,
            )
        else:
            opening = tr(
                "✅ {name} of {affiliate} shared how problem of practice #{number} went.",
                name=label(ctx.member),
                affiliate=affiliate(ctx.community.ref),
                number=found.id,
            )
        problem = tr("**The problem:** {problem}", problem=quote(found.problem, 300))
        result = tr("**The outcome:** {outcome}", outcome=quote(outcome, MAX_TEXT))
    return f"{opening}\n{problem}\n{result}"


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
        return reply(
            tr("No open problems of practice. Share one with `{prefix}ask`.", prefix=ctx.prefix)
        )
    lines = [tr("**Open problems of practice**")]
    for item in open_asks:
        mark = " 🌐" if item.network_shared else ""
        lines.append(
            f"• **#{item.id}**{mark} ({day_month(item.created_at)}): {quote(item.problem, 120)}"
        )
    if shared and network is not None:
        lines.append(
            tr(
                "**Shared by the other affiliates of {network}**",
                network=quote(network.name, 80),
            )
        )
        for item in shared:
            community = await ctx.store.communities.get_by_id(item.community_id)
            where = f" — {affiliate(community.ref)}" if community is not None else ""
            lines.append(
                f"• **#{item.id}** ({day_month(item.created_at)}): "
                f"{quote(item.problem, 120)}{where}"
            )
    lines.append(tr("`{prefix}follow <number>` to hear how one goes.", prefix=ctx.prefix))
    if any(item.network_shared for item in open_asks):
        lines.append(tr("🌐 shared with the whole network."))
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
    with use_language(member_language(member, community)):  # a job acts for no one: theirs
        question = tr("👋 How did it go with your problem of practice #{number}?", number=found.id)
        share = tr(
            "Share the outcome with `{prefix}resolve {number} <what happened>`.",
            prefix=ctx.prefix,
            number=found.id,
        )
        if followers:
            share += " " + ntr("{n} member follow it.", "{n} members follow it.", followers)
    text = f"{question}\n{quote(found.problem, 300)}\n{share}"
    return [SendDirect(community.ref, member.ref, Message(text))]
