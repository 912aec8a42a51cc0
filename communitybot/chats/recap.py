"""The recap posted when a chat ends: who took part, how busy each question was, who to follow up.

"Exchanged with" means: one replied to or mentioned the other during the chat (either way).
The follow-up lines respect discoverability like `/peers`: a line is written only for a
participant who is discoverable and still in the community, and names only people who are
too. Names never ping (the platform's mention form on a quoted label); the whole recap fits
one message.
"""

from __future__ import annotations

from communitybot.i18n import N_, ntr, tr
from communitybot.models import Member
from communitybot.naming import who
from communitybot.ports import ChatPlatform
from communitybot.store.chat_runs import ChatRun
from communitybot.store.store import Store
from communitybot.text import quote

MAX_RECAP = 1900
MAX_PARTNERS = 5
NOBODY_POSTED = N_("Nobody posted this time. See you at the next one!")


def count_messages(count: int) -> str:
    return ntr("{n} message", "{n} messages", count)


def count_participants(count: int) -> str:
    return ntr("{n} participant", "{n} participants", count)


def thanks(messages: int, participants: int, *, network: bool = False) -> str:
    """ "Thanks for joining! 12 messages from 4 participants." (a network chat's: "… across
    the network.")."""
    if network:
        return tr(
            "Thanks for joining! {messages} from {participants} across the network.",
            messages=count_messages(messages),
            participants=count_participants(participants),
        )
    return tr(
        "Thanks for joining! {messages} from {participants}.",
        messages=count_messages(messages),
        participants=count_participants(participants),
    )


def and_more(count: int) -> str:
    """The recap's last follow-up line when the rest does not fit."""
    return ntr("…and {n} more.", "…and {n} more.", count)


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
        line = f"• {who(platform, participant)} ↔ {names}"
        lines.append(tr("{line} (+{more} more)", line=line, more=more) if more > 0 else line)
    return lines


def per_question(run: ChatRun, counts: dict[int, int]) -> list[str]:
    """The recap's "Messages per question" lines (none for an open conversation)."""
    if not run.questions:
        return []
    lines = [tr("**Messages per question**")]
    if counts.get(0):
        lines.append(tr("• Before Q1: {count}", count=counts[0]))
    for question in run.questions:
        lines.append(
            tr(
                "• Q{number} {question}: {count}",
                number=question.number,
                question=quote(question.text, 80),
                count=counts.get(question.number, 0),
            )
        )
    return lines


async def recap(
    store: Store, platform: ChatPlatform, prefix: str, run: ChatRun, hashtag: str
) -> str:
    participants = await store.chat_runs.participants(run.id)
    counts = await store.chat_runs.counts_by_question(run.id)
    total = sum(counts.values())
    head = [tr("📋 **#{hashtag} recap: {title}**", hashtag=hashtag, title=quote(run.title, 120))]
    transcript = tr("The transcript: `{command}`.", command=f"{prefix}chat transcript {hashtag}")
    if total == 0:
        return "\n".join([*head, tr(NOBODY_POSTED)])
    head.append(thanks(total, len(participants)))
    head += per_question(run, counts)
    tail = [
        tr(
            "Say hello to them, or find more people who share your interests with `{command}`.",
            command=f"{prefix}peers",
        ),
        transcript,
    ]
    lines = await follow_ups(store, platform, run)
    if not lines:
        return "\n".join([*head, transcript])
    body = [
        tr(
            "**Keep the conversation going**: people who replied to or mentioned each other "
            "(only members who can be found with `{command}` are named)",
            command=f"{prefix}peers",
        ),
    ]
    used = len("\n".join([*head, *body, *tail])) + 40
    for index, line in enumerate(lines):
        if used + len(line) + 1 > MAX_RECAP:
            body.append(and_more(len(lines) - index))
            break
        body.append(line)
        used += len(line) + 1
    return "\n".join([*head, *body, *tail])
