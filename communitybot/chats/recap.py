"""The recap posted when a chat ends: who took part, how busy each question was, who to follow up.

"Exchanged with" means: one replied to or mentioned the other during the chat (either way).
The follow-up lines respect discoverability like `/peers`: a line is written only for a
participant who is discoverable and still in the community, and names only people who are
too. Names never ping (the platform's mention form on a quoted label); the whole recap fits
one message.
"""

from __future__ import annotations

from communitybot.models import Member
from communitybot.naming import who
from communitybot.ports import ChatPlatform
from communitybot.store.chat_runs import ChatRun
from communitybot.store.store import Store
from communitybot.text import plural, quote

MAX_RECAP = 1900
MAX_PARTNERS = 5


def _findable(member: Member | None) -> bool:
    return member is not None and member.discoverable and member.left_at is None


async def _partners(store: Store, run: ChatRun) -> dict[int, set[int]]:
    pairs: dict[int, set[int]] = {}
    for member_id, other_id in await store.chat_runs.exchanges(run.id):
        pairs.setdefault(member_id, set()).add(other_id)
        pairs.setdefault(other_id, set()).add(member_id)
    return pairs


async def follow_ups(store: Store, platform: ChatPlatform, run: ChatRun) -> list[str]:
    """`• Alice ↔ Bob, Carol` for each findable participant with findable partners, each pair
    once: Bob's line (if any) leaves Alice out, she is already named with him."""
    pairs = await _partners(store, run)
    members: dict[int, Member | None] = {}

    async def member(member_id: int) -> Member | None:
        if member_id not in members:
            members[member_id] = await store.members.get_by_id(member_id)
        return members[member_id]

    lines = []
    named: set[frozenset[int]] = set()
    for participant_id in await store.chat_runs.participants(run.id):
        participant = await member(participant_id)
        if participant is None or not _findable(participant):
            continue
        partners = []
        for other_id in sorted(pairs.get(participant_id, ())):
            pair = frozenset((participant_id, other_id))
            other = await member(other_id)
            if pair not in named and other is not None and _findable(other):
                named.add(pair)
                partners.append(other)
        if not partners:
            continue
        partners.sort(key=lambda p: p.label.casefold())
        names = ", ".join(who(platform, p) for p in partners[:MAX_PARTNERS])
        more = len(partners) - MAX_PARTNERS
        lines.append(
            f"• {who(platform, participant)} ↔ {names}" + (f" (+{more} more)" if more > 0 else "")
        )
    return lines


def per_question(run: ChatRun, counts: dict[int, int]) -> list[str]:
    """The recap's "Messages per question" lines (none for an open conversation)."""
    if not run.questions:
        return []
    lines = ["**Messages per question**"]
    if counts.get(0):
        lines.append(f"• Before Q1: {counts[0]}")
    for question in run.questions:
        lines.append(
            f"• Q{question.number} {quote(question.text, 80)}: {counts.get(question.number, 0)}"
        )
    return lines


async def recap(
    store: Store, platform: ChatPlatform, prefix: str, run: ChatRun, hashtag: str
) -> str:
    participants = await store.chat_runs.participants(run.id)
    counts = await store.chat_runs.counts_by_question(run.id)
    total = sum(counts.values())
    head = [f"📋 **#{hashtag} recap: {quote(run.title, 120)}**"]
    transcript = f"The transcript: `{prefix}chat transcript {hashtag}`."
    if total == 0:
        return "\n".join([*head, "Nobody posted this time. See you at the next one!"])
    head.append(
        f"Thanks for joining! {plural(total, 'message')} from "
        f"{plural(len(participants), 'participant')}."
    )
    head += per_question(run, counts)
    tail = [
        f"Say hello to them, or find more people who share your interests with `{prefix}peers`.",
        transcript,
    ]
    lines = await follow_ups(store, platform, run)
    if not lines:
        return "\n".join([*head, transcript])
    body = [
        "**Keep the conversation going**: people who replied to or mentioned each other "
        f"(only members who can be found with `{prefix}peers` are named)",
    ]
    used = len("\n".join([*head, *body, *tail])) + 40
    for index, line in enumerate(lines):
        if used + len(line) + 1 > MAX_RECAP:
            body.append(f"…and {len(lines) - index} more.")
            break
        body.append(line)
        used += len(line) + 1
    return "\n".join([*head, *body, *tail])
