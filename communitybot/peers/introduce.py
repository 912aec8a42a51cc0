"""`introduce <number>`: the bot introduces you to a member of another affiliate whom `peers
scope=network` listed — each of you gets a message on your own platform, saying who the other is
and how to reach them (issue #14: "a mention on the same platform, or an introduction through the
bot across platforms").

The number is the member's, shown in the `peers` line. Only members who chose to be found across
the network (`privacy discoverable network`) can be introduced, and only by members of another
affiliate of the same network; anyone else reads as "no such member", so numbers reveal nothing.
A person (their linked accounts together) asks for at most `DAILY_LIMIT` introductions a day and
for the same member once per `REPEAT_AFTER`: an introduction lands in someone's direct messages.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import member_language
from communitybot.i18n.dates import day_month
from communitybot.introductions import Namer, Party, introduce
from communitybot.naming import affiliate, label
from communitybot.numbers import parse_id
from communitybot.peers.loader import network_flag
from communitybot.replies import Action, reply
from communitybot.store.timefmt import from_db
from communitybot.text import quote

DAILY_LIMIT = 5
REPEAT_AFTER = timedelta(days=30)


@handles("introduce")
async def introduce_me(ctx: Context, options: dict[str, Any]) -> list[Action]:
    p = ctx.prefix
    number = parse_id(options.get("number"))
    network = await ctx.store.networks.of_community(ctx.community.id)
    if network is None:
        return reply(
            tr(
                "This community is not in a network: introductions are for members of its other "
                "affiliates. Here, `{prefix}peers` finds members you can mention directly.",
                prefix=p,
            )
        )
    unknown = reply(
        tr(
            "There is no member #{number} of another affiliate I can introduce you to. "
            "`{prefix}peers <tags> scope=network` lists them with their number.",
            number=quote(str(options.get("number")), 20),
            prefix=p,
        )
    )
    if number is None:
        return unknown
    refs = dict(await ctx.store.networks.affiliate_refs(network.id))
    target = await ctx.store.members.get_by_id(number)
    if (
        target is None
        or target.left_at is not None
        or target.community_id == ctx.community.id
        or target.community_id not in refs
        or not network_flag(target)
    ):
        return unknown
    accounts = {
        ctx.member.ref,
        *(a.user for a in await ctx.store.people.accounts_of(ctx.member.ref)),
    }
    if target.ref in accounts:
        return reply(tr("That is one of your own accounts: no introduction needed."))
    mine = [m.id for user in accounts for m in await ctx.store.members.all_for_user(user)]
    now = ctx.clock.now()
    if await ctx.store.introductions.count_since(mine, now - timedelta(days=1)) >= DAILY_LIMIT:
        return reply(
            tr(
                "You asked for {limit} introductions in the last 24 hours: that is the most "
                "I send a day, since each lands in someone's messages. Try again tomorrow.",
                limit=DAILY_LIMIT,
            )
        )
    last = from_db(await ctx.store.introductions.last_between(mine, target.id))
    if last is not None and last > now - REPEAT_AFTER:
        return reply(
            tr(
                "I introduced you to {name} on {day}: their message says how to reach you. "
                "You can ask again after {again}.",
                name=label(target),
                day=day_month(last),
                again=day_month(last + REPEAT_AFTER),
            )
        )
    await ctx.store.introductions.add(ctx.member.id, target.id, now)
    where = refs[target.community_id]
    asker = Party(ctx.member, ctx.community.ref, affiliate(ctx.community.ref))
    other = Party(target, where, affiliate(where))
    shared = await _shared_tags(ctx, target.id)

    def compose(name: Namer) -> str:
        text = tr(
            "🤝 {asker} found {other} with `peers` across the network “{network}” and asked me "
            "to introduce them.",
            asker=name(asker),
            other=name(other),
            network=quote(network.name, 80),
        )
        return text + (" " + tr("You both care about {tags}.", tags=shared) if shared else "")

    def copy_for(index: int) -> Action:
        """The introduction's copy for party `index` (one per party: they are in different
        communities), written in the current language."""
        here = ctx.community.ref.platform
        return introduce(ctx.platform, here, tr("Introduction"), [asker, other], compose)[index]

    asker_copy = copy_for(0)  # the asker reads theirs in the language of this conversation
    target_community = await ctx.store.communities.get_by_id(target.community_id)
    with use_language(member_language(target, target_community)):
        target_copy = copy_for(1)
    return [
        *reply(
            tr(
                "Done: {name} ({affiliate}) gets an introduction on their platform, and you one "
                "in your direct messages, with how to reach each other.",
                name=label(target),
                affiliate=affiliate(where),
            )
        ),
        asker_copy,
        target_copy,
    ]


async def _shared_tags(ctx: Context, target_id: int) -> str:
    """The asker's tags the other member carries too, matched by name or alias (each affiliate
    has its own copy of a network tag; a local tag may go by another name there)."""
    mine: dict[str, str] = {}
    for tag in await ctx.store.tags.tags_of_member(ctx.member.id):
        for key in (tag.name, *tag.aliases):
            mine.setdefault(key, tag.name)
    both: list[str] = []
    for tag in await ctx.store.tags.tags_of_member(target_id):
        found = next((mine[key] for key in (tag.name, *tag.aliases) if key in mine), None)
        if found is not None and found not in both:
            both.append(found)
    return ", ".join(f"**{name}**" for name in both[:5])
