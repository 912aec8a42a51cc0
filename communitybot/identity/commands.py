"""`link`, `unlink` and the first account's confirmation (see `docs/linking.md`).

The flow: account A types `link` and privately gets a one-time code (10 minutes, single use,
stored hashed). Account B — in another community or on another platform — types `link <code>`:
the code is consumed at once and A is asked privately to confirm (a yes/no prompt DM'd to A, on
A's own platform: the outbox carries it there). Only A's "yes" links them, and merges what the
two accounts hold wherever they share a network (`communitybot.identity.merge`). Every link, unlink
and revocation goes to the moderator log of the communities involved; codes never do, nor
into the log file.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from typing import Any

from loguru import logger

from communitybot.context import Context
from communitybot.events import UserRef
from communitybot.feature import handles
from communitybot.ghosts import is_bridged_ghost
from communitybot.identity.merge import merge_linked
from communitybot.models import Community
from communitybot.one_time_codes import EXAMPLE, code_hash, new_code, normalized, shown
from communitybot.replies import Action, Message, Prompt, SendDirect, SendToChannel, reply
from communitybot.store.people import LinkRequest
from communitybot.text import quote

CODE_VALID = timedelta(minutes=10)
CONFIRM_WINDOW = timedelta(minutes=10)
MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = timedelta(hours=1)
CONFIRM_PROMPT_ID = "link:confirm"
STALE_AFTER = timedelta(hours=1)
"""A yes/no this long after a confirmation expired is not taken as its (late) answer."""
_YES = {"yes", "y"}
_NO = {"no", "n", "cancel"}

GHOST_TEXT = (
    "This account is a bridge or bot account standing in for someone on another platform, so "
    "it cannot be linked. Type `{p}link` from the person's own account instead."
)


def _account(user: UserRef) -> str:
    """An account as shown to its owner and moderators: name and platform, never a mention
    (the account may be on another platform, where a mention means nothing)."""
    return f"**{quote(user.label, 60)}** ({user.platform})"


def _accounts_list(accounts: list[UserRef]) -> str:
    return "\n".join(f"• {_account(a)}" for a in accounts)


async def _named(ctx: Context, user: UserRef, community_id: int | None = None) -> UserRef:
    """`user` with the display name the bot knows (from a membership), for messages."""
    if user.display_name:
        return user
    if community_id is not None:
        member = await ctx.store.members.get(community_id, user)
        if member is not None:
            return member.ref
    for member in await ctx.store.members.all_for_user(user):
        return member.ref
    return user


def _modlog(community: Community | None, text: str) -> list[Action]:
    if community is None or not community.modlog_channel:
        return []
    return [SendToChannel(community.ref, community.modlog_channel, Message(text))]


async def _modlogs(ctx: Context, community_ids: list[int], text: str) -> list[Action]:
    """`text` in the moderator log of each community (once each)."""
    actions: list[Action] = []
    for community_id in dict.fromkeys(community_ids):
        actions += _modlog(await ctx.store.communities.get_by_id(community_id), text)
    return actions


async def _refusal(ctx: Context, first: UserRef, second: UserRef) -> str | None:
    """Why `first` and `second` cannot be linked, or None."""
    p = ctx.prefix
    if first == second:
        return "That is this account's own code: type it from your *other* account."
    if is_bridged_ghost(first) or is_bridged_ghost(second):
        return GHOST_TEXT.format(p=p)
    people = ctx.store.people
    mine, theirs = await people.person_of(first), await people.person_of(second)
    if mine is not None and mine == theirs:
        return "These two accounts are already linked: nothing to do."
    if mine is not None and theirs is not None:
        return (
            "This account is already linked with other accounts (another person's, as far as I "
            f"can tell). Type `{p}unlink` here first if you want to link it with this code's "
            "owner instead."
        )
    return None


# link -------------------------------------------------------------------------------------------
@handles("link")
async def link(ctx: Context, options: dict[str, Any]) -> list[Action]:
    typed = str(options.get("code") or "").strip()
    if is_bridged_ghost(ctx.member.ref):
        return reply(GHOST_TEXT.format(p=ctx.prefix), ephemeral=True)
    if not typed:
        return await _give_code(ctx)
    return await _use_code(ctx, typed)


async def _give_code(ctx: Context) -> list[Action]:
    p, now, user = ctx.prefix, ctx.clock.now(), ctx.member.ref
    code = new_code()
    await ctx.store.people.put_code(
        code_hash(code, "link"), user, ctx.community.id, now + CODE_VALID, now
    )
    minutes = int(CODE_VALID.total_seconds() // 60)
    lines = []
    linked = [a.user for a in await ctx.store.people.accounts_of(user) if a.user != user]
    if linked:
        named = [await _named(ctx, a) for a in linked]
        lines += ["This account is linked with:", _accounts_list(named), ""]
        lines.append("To link one more account, use this one-time code from it:")
    lines.append(
        f"Your one-time link code: **{shown(code)}**\n"
        f"From your other account (another community, or another platform) type "
        f"`{p}link {shown(code)}` within {minutes} minutes; I'll then ask you here to confirm. "
        "Keep the code to yourself. "
        f"`{p}unlink` takes this account out of its links again."
    )
    return reply("\n".join(lines), ephemeral=True)


async def _use_code(ctx: Context, typed: str) -> list[Action]:
    p, now, user = ctx.prefix, ctx.clock.now(), ctx.member.ref
    code = normalized(typed)
    if code is None:
        return reply(
            "That doesn't look like a link code: a code is 8 letters and digits, e.g. "
            f"`{p}link {EXAMPLE}`. Type `{p}link` on your other account to get one.",
            ephemeral=True,
        )
    people = ctx.store.people
    since = now - WRONG_CODE_WINDOW
    wrong = await people.wrong_codes_since(user, since)
    if len(wrong) >= MAX_WRONG_CODES:
        retry_at = wrong[-MAX_WRONG_CODES] + WRONG_CODE_WINDOW
        minutes = max(1, math.ceil((retry_at - now).total_seconds() / 60))
        logger.warning(
            "link: a code from {} account {} refused unread: {} wrong codes in the last hour",
            user.platform,
            user.user_id,
            len(wrong),
        )
        return reply(
            f"Too many wrong codes from this account: you can try again in {minutes} minutes "
            f"(at {retry_at:%H:%M} UTC).",
            ephemeral=True,
        )
    found = await people.take_code(code_hash(code, "link"), now)
    if found is None:
        await people.record_wrong_code(user, now, since)
        tries = len(wrong) + 1
        logger.warning(
            "link: wrong or expired code typed by {} account {} in community {} "
            "({} of {} this hour)",
            user.platform,
            user.user_id,
            ctx.community.id,
            tries,
            MAX_WRONG_CODES,
        )
        left = MAX_WRONG_CODES - tries
        return reply(
            f"That code is wrong, expired or already used. Type `{p}link` on your other account "
            "for a fresh one. "
            + (f"{left} more tries this hour." if left else "No more tries this hour."),
            ephemeral=True,
        )
    first = await _named(ctx, found.user, found.community_id)
    refused = await _refusal(ctx, first, user)
    first_community = await ctx.store.communities.get_by_id(found.community_id)
    if refused or first_community is None:
        return reply(
            (refused or "That code's account is gone.") + " The code is used up.", ephemeral=True
        )
    second = replace(user, display_name=ctx.member.label)
    await people.put_request(
        LinkRequest(first, found.community_id, second, ctx.community.id, now + CONFIRM_WINDOW)
    )
    logger.info(
        "link: a {} account typed a valid code of a {} account; waiting for its confirmation",
        user.platform,
        first.platform,
    )
    minutes = int(CONFIRM_WINDOW.total_seconds() // 60)
    ask = Message(
        f"🔗 {_account(second)} typed your link code and asks to be linked with this account "
        f"({_account(first)}): the bot would know both are you. **Link them?** Answer **yes** "
        f"or **no** within {minutes} minutes. If that wasn't you, answer no: nothing changes.",
        prompt=Prompt(custom_id=CONFIRM_PROMPT_ID, kind="yesno"),
    )
    return [
        *reply(
            f"Code accepted. **Confirm from your other account** ({_account(first)}): I've "
            f"asked it privately, and nothing is linked until it answers yes within {minutes} "
            "minutes.",
            ephemeral=True,
        ),
        SendDirect(first_community.ref, first, ask),
    ]


# The first account's answer ----------------------------------------------------------------------
async def _answer(ctx: Context, answer: str) -> list[Action] | None:
    """Act on a yes/no to a pending link request; None when none is pending or the text is not
    a yes/no (onboarding may have it)."""
    people, user, now = ctx.store.people, ctx.member.ref, ctx.clock.now()
    request = await people.get_request(user)
    if request is None or answer not in _YES | _NO:
        return None
    await people.clear_request(user)
    other_community = await ctx.store.communities.get_by_id(request.other_community_id)
    first = replace(user, display_name=ctx.member.label)

    def tell_other(text: str) -> list[Action]:
        if other_community is None:
            return []
        return [SendDirect(other_community.ref, request.other, Message(text))]

    if now >= request.expires_at:
        if now - request.expires_at > STALE_AFTER:
            return None  # long forgotten: the yes/no is for something else (onboarding)
        return reply(
            "That link request expired, so nothing was linked. "
            f"Type `{ctx.prefix}link` for a fresh code if you still want to link."
        )
    if answer in _NO:
        logger.info("link: a {} account declined a link request", user.platform)
        return [
            *reply("Okay — nothing was linked."),
            *tell_other(f"🔗 {_account(first)} declined the link: nothing was linked."),
        ]
    refused = await _refusal(ctx, first, request.other)
    if refused:
        return reply(f"Nothing was linked. {refused}")
    person = await people.link(first, request.other, now)
    linked = [a.user for a in await people.accounts_of(user) if a.user != user]
    named = [await _named(ctx, a) for a in linked]
    logger.info(
        "link: a {} account and a {} account were linked (person {})",
        user.platform,
        request.other.platform,
        person,
    )
    merged, role_actions = await merge_linked(ctx, [user, *linked])
    unlink = f"`{ctx.prefix}unlink` takes an account out again."
    text = f"Linked ✅ This account is now linked with:\n{_accounts_list(named)}"
    if merged:
        text += "\n" + "\n".join(merged)
    return [
        *reply(f"{text}\n{unlink}"),
        *role_actions,
        *tell_other(
            f"🔗 Linked ✅ {_account(first)} confirmed: your accounts are linked. {unlink}"
        ),
        *await _modlogs(
            ctx,
            [request.community_id, request.other_community_id],
            f"🔗 {_account(first)} and {_account(request.other)} linked their accounts "
            "(one person).",
        ),
    ]


async def on_message(ctx: Context, text: str) -> list[Action] | None:
    """A typed yes/no while a link request waits for this account; None otherwise."""
    return await _answer(ctx, " ".join(text.split()).casefold().rstrip(".!"))


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action] | None:
    if custom_id != CONFIRM_PROMPT_ID:
        return None
    answer = values[0].casefold() if values else ""
    actions = await _answer(ctx, answer if answer in _YES | _NO else "no")
    if actions is None:
        return reply("That link request is no longer open, so nothing was linked.")
    return actions


# unlink -----------------------------------------------------------------------------------------
@handles("unlink")
async def unlink(ctx: Context, options: dict[str, Any]) -> list[Action]:
    wanted = options.get("member")
    if isinstance(wanted, UserRef):
        return await _revoke(ctx, wanted)
    user = ctx.member.ref
    if await ctx.store.people.person_of(user) is None:
        return reply(
            f"This account is not linked with any other. `{ctx.prefix}link` links it.",
            ephemeral=True,
        )
    others = await ctx.store.people.unlink(user)
    me = replace(user, display_name=ctx.member.label)
    logger.info("link: a {} account unlinked itself", user.platform)
    still = (
        f" Your other accounts stay linked with each other: {len(others)} of them."
        if others
        else ""
    )
    return [
        *reply(f"Unlinked: this account is on its own again.{still}", ephemeral=True),
        *_modlog(ctx.community, f"🔗 {_account(me)} unlinked this account from its others."),
    ]


async def _revoke(ctx: Context, wanted: UserRef) -> list[Action]:
    from communitybot.onboarding.profile import resolve_member

    p = ctx.prefix
    if not ctx.is_moderator:
        return reply(
            f"Only moderators can unlink someone else's account. `{p}unlink` on its own "
            "unlinks yours.",
            ephemeral=True,
        )
    member = await resolve_member(ctx, wanted)
    if member is None:
        return reply(f"I don't know {quote(wanted.label, 60)} in this community.", ephemeral=True)
    if await ctx.store.people.person_of(member.ref) is None:
        return reply(f"{_account(member.ref)} is not linked with any other account.")
    await ctx.store.people.unlink(member.ref)
    moderator = replace(ctx.member.ref, display_name=ctx.member.label)
    logger.info("link: a moderator revoked the link of a {} account", member.ref.platform)
    return [
        *reply(f"Revoked: {_account(member.ref)} is no longer linked with any other account."),
        SendDirect(
            ctx.community.ref,
            member.ref,
            Message(
                "🔗 A moderator took this account out of your linked accounts: it is on its "
                f"own again. `{p}link` links it again."
            ),
        ),
        *_modlog(
            ctx.community,
            f"🔗 {_account(moderator)} revoked the link of {_account(member.ref)}.",
        ),
    ]
