"""The recap of a network chat (issue #15), posted in every leg when it ends.

Each leg's recap counts what that affiliate's members could read: their own leg's messages and
the others' relayed ones (a `chat norelay` message of another affiliate is left out, as in the
transcript). It says how many took part in each affiliate, how busy each question was, and
who met whom across affiliate lines: one replied to or mentioned the other, and they belong to
different affiliates. Names are plain quoted labels with their affiliate, never a mention (a
mention on one platform means nothing, or someone else, on another), and as in a community
recap only members findable with `peers` are named.
"""

from __future__ import annotations

from communitybot.chats.recap import (
    NOBODY_POSTED,
    and_more,
    count_messages,
    count_participants,
    per_question,
    thanks,
)
from communitybot.context import Context
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.models import Community, Member
from communitybot.naming import affiliate, label
from communitybot.replies import Action, Message, SendToChannel
from communitybot.store.chat_legs import Leg
from communitybot.store.chat_runs import ChatRun, RunMessage
from communitybot.text import quote

MAX_RECAP = 1900


def _findable(member: Member | None) -> bool:
    return member is not None and member.discoverable and member.left_at is None


async def post(ctx: Context, run: ChatRun, hashtag: str) -> list[Action]:
    """The recap, written for each leg, as one message in each."""
    messages = await ctx.store.chat_runs.messages(run.id)
    communities: dict[int, Community | None] = {}
    for message in messages:
        if message.community_id is not None and message.community_id not in communities:
            communities[message.community_id] = await ctx.store.communities.get_by_id(
                message.community_id
            )
    pairs = await ctx.store.chat_runs.exchanges(run.id)
    members: dict[int, Member | None] = {}
    for member_id in {m for pair in pairs for m in pair}:
        members[member_id] = await ctx.store.members.get_by_id(member_id)
    actions: list[Action] = []
    for leg in await ctx.store.chat_legs.of_run(run.id):
        seen = [m for m in messages if m.community_id == leg.community_id or not m.kept_home]
        reader = await ctx.store.communities.get_by_id(leg.community_id)
        with use_language(community_language(reader)):  # each leg in its community's language
            text = recap(ctx.prefix, run, hashtag, leg, seen, communities, pairs, members)
        actions.append(SendToChannel(leg.community, leg.conversation_id, Message(text)))
    return actions


def _where(community_id: int | None, communities: dict[int, Community | None]) -> str:
    found = communities.get(community_id) if community_id is not None else None
    return affiliate(found.ref) if found is not None else tr("an affiliate that left")


def recap(
    prefix: str,
    run: ChatRun,
    hashtag: str,
    leg: Leg,
    seen: list[RunMessage],
    communities: dict[int, Community | None],
    pairs: set[tuple[int, int]],
    members: dict[int, Member | None],
) -> str:
    """One leg's recap text (see the module docstring)."""
    head = [
        tr(
            "📋 **#{hashtag} recap (network chat): {title}**",
            hashtag=hashtag,
            title=quote(run.title, 120),
        )
    ]
    transcript = tr(
        "The whole network's transcript: `{command}`.",
        command=f"{prefix}chat transcript {hashtag}",
    )
    if not seen:
        return "\n".join([*head, tr(NOBODY_POSTED)])
    authors = {m.member_id for m in seen}
    head.append(thanks(len(seen), len(authors), network=True))
    head.append(tr("**Participants per affiliate**"))
    by_leg: dict[int | None, list[RunMessage]] = {}
    for message in seen:
        by_leg.setdefault(message.community_id, []).append(message)
    for community_id, said in sorted(by_leg.items(), key=lambda item: -len(item[1])):
        people = len({m.member_id for m in said})
        where = _where(community_id, communities)
        if community_id == leg.community_id:
            where = tr("{affiliate} (here)", affiliate=where)
        head.append(
            tr(
                "• {affiliate}: {participants}, {messages}",
                affiliate=where,
                participants=count_participants(people),
                messages=count_messages(len(said)),
            )
        )
    counts: dict[int, int] = {}
    for message in seen:
        counts[message.question] = counts.get(message.question, 0) + 1
    head += per_question(run, counts)
    met = _across(pairs, members, authors, communities)
    if not met:
        return "\n".join([*head, transcript])
    body = [
        tr(
            "**Met across affiliates**: people who replied to or mentioned each other "
            "(only members who can be found with `{command}` are named)",
            command=f"{prefix}peers",
        )
    ]
    used = len("\n".join([*head, *body, transcript])) + 40
    for index, line in enumerate(met):
        if used + len(line) + 1 > MAX_RECAP:
            body.append(and_more(len(met) - index))
            break
        body.append(line)
        used += len(line) + 1
    return "\n".join([*head, *body, transcript])


def _across(
    pairs: set[tuple[int, int]],
    members: dict[int, Member | None],
    authors: set[int],
    communities: dict[int, Community | None],
) -> list[str]:
    """`• “Ann” (“Makers”) ↔ “Olga” (matrix “space”)` for each pair across affiliates, once."""
    lines: list[str] = []
    named: set[frozenset[int]] = set()
    for member_id, other_id in sorted(pairs):
        pair = frozenset((member_id, other_id))
        one, two = members.get(member_id), members.get(other_id)
        if pair in named or not (_findable(one) and _findable(two)):
            continue
        assert one is not None and two is not None
        if one.community_id == two.community_id or not {member_id, other_id} <= authors:
            continue
        named.add(pair)
        lines.append(
            f"• {label(one)} ({_where(one.community_id, communities)}) ↔ "
            f"{label(two)} ({_where(two.community_id, communities)})"
        )
    return lines
