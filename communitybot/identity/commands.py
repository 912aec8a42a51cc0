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
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from loguru import logger

from communitybot.affiliates import Note, modlog_note
from communitybot.context import Context
from communitybot.events import UserRef
from communitybot.feature import handles
from communitybot.ghosts import is_bridged_ghost
from communitybot.i18n import N_, ntr, tr, use_language
from communitybot.i18n.choice import member_language
from communitybot.i18n.dates import time_of_day
from communitybot.identity.merge import merge_linked
from communitybot.models import Community
from communitybot.one_time_codes import EXAMPLE, code_hash, new_code, normalized, shown
from communitybot.privacy import answers
from communitybot.replies import Action, Message, Prompt, SendDirect, reply
from communitybot.store.people import LinkRequest
from communitybot.text import quote

CODE_VALID = timedelta(minutes=10)
CONFIRM_WINDOW = timedelta(minutes=10)
MAX_WRONG_CODES = 5
WRONG_CODE_WINDOW = timedelta(hours=1)
CONFIRM_PROMPT_ID = "link:confirm"
STALE_AFTER = timedelta(hours=1)
"""A yes/no this long after a confirmation expired is not taken as its (late) answer."""

GHOST_TEXT = N_(
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


async def _modlogs(ctx: Context, community_ids: list[int], text: Note) -> list[Action]:
    """`text` in the moderator log of each community (once each), in each one's language."""
    actions: list[Action] = []
    for community_id in dict.fromkeys(community_ids):
        actions += modlog_note(await ctx.store.communities.get_by_id(community_id), text)
    return actions


async def _direct(
    ctx: Context, community: Community, user: UserRef, text: Callable[[], str], **kwargs: Any
) -> SendDirect:
    """A private message to `user` (an account that is not the acting one, perhaps on another
    platform) written in that account's own language in `community`."""
    member = await ctx.store.members.get(community.id, user)
    with use_language(member_language(member, community)):
        return SendDirect(community.ref, user, Message(text(), **kwargs))


async def _refusal(ctx: Context, first: UserRef, second: UserRef) -> str | None:
    """Why `first` and `second` cannot be linked, or None."""
    p = ctx.prefix
    if first == second:
        return tr("That is this account's own code: type it from your *other* account.")
    if is_bridged_ghost(first) or is_bridged_ghost(second):
        return tr(GHOST_TEXT, p=p)
    people = ctx.store.people
    mine, theirs = await people.person_of(first), await people.person_of(second)
    if mine is not None and mine == theirs:
        return tr("These two accounts are already linked: nothing to do.")
    if mine is not None and theirs is not None:
        return tr(
            "This account is already linked with other accounts (another person's, as far as I "
            "can tell). Type `{p}unlink` here first if you want to link it with this code's "
            "owner instead.",
            p=p,
        )
    return None


# link -------------------------------------------------------------------------------------------
@handles("link")
async def link(ctx: Context, options: dict[str, Any]) -> list[Action]:
    typed = str(options.get("code") or "").strip()
    if is_bridged_ghost(ctx.member.ref):
        return reply(tr(GHOST_TEXT, p=ctx.prefix), ephemeral=True)
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
        lines += [tr("This account is linked with:"), _accounts_list(named), ""]
        lines.append(tr("To link one more account, use this one-time code from it:"))
    lines.append(
        tr(
            "Your one-time link code: **{code}**\n"
            "From your other account (another community, or another platform) type "
            "`{p}link {code}` within {minutes} minutes; I'll then ask you here to confirm. "
            "Keep the code to yourself. "
            "`{p}unlink` takes this account out of its links again.",
            code=shown(code),
            p=p,
            minutes=minutes,
        )
    )
    return reply("\n".join(lines), ephemeral=True)


async def _use_code(ctx: Context, typed: str) -> list[Action]:
    p, now, user = ctx.prefix, ctx.clock.now(), ctx.member.ref
    code = normalized(typed)
    if code is None:
        return reply(
            tr(
                "That doesn't look like a link code: a code is 8 letters and digits, e.g. "
                "`{p}link {example}`. Type `{p}link` on your other account to get one.",
                p=p,
                example=EXAMPLE,
            ),
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
            ntr(
                "Too many wrong codes from this account: you can try again in {n} minutes "
                "(at {time} UTC).",
                "Too many wrong codes from this account: you can try again in {n} minutes "
                "(at {time} UTC).",
                minutes,
                time=time_of_day(retry_at),
            ),
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
        more = (
            ntr("{n} more tries this hour.", "{n} more tries this hour.", left)
            if left
            else tr("No more tries this hour.")
        )
        return reply(
            tr(
                "That code is wrong, expired or already used. Type `{p}link` on your other "
                "account for a fresh one.",
                p=p,
            )
            + " "
            + more,
            ephemeral=True,
        )
    first = await _named(ctx, found.user, found.community_id)
    refused = await _refusal(ctx, first, user)
    first_community = await ctx.store.communities.get_by_id(found.community_id)
    if refused or first_community is None:
        return reply(
            (refused or tr("That code's account is gone.")) + " " + tr("The code is used up."),
            ephemeral=True,
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
    ask = await _direct(
        ctx,
        first_community,
        first,
        lambda: tr(
            "🔗 {second} typed your link code and asks to be linked with this account "
            "({first}): the bot would know both are you. **Link them?** Answer **yes** "
            "or **no** within {minutes} minutes. If that wasn't you, answer no: nothing changes.",
            second=_account(second),
            first=_account(first),
            minutes=minutes,
        ),
        prompt=Prompt(custom_id=CONFIRM_PROMPT_ID, kind="yesno"),
    )
    return [
        *reply(
            tr(
                "Code accepted. **Confirm from your other account** ({first}): I've "
                "asked it privately, and nothing is linked until it answers yes within "
                "{minutes} minutes.",
                first=_account(first),
                minutes=minutes,
            ),
            ephemeral=True,
        ),
        ask,
    ]


# The first account's answer ----------------------------------------------------------------------
async def _answer(ctx: Context, answer: str) -> list[Action] | None:
    """Act on a yes/no to a pending link request; None when none is pending or the text is not
    a yes/no (onboarding may have it)."""
    people, user, now = ctx.store.people, ctx.member.ref, ctx.clock.now()
    request = await people.get_request(user)
    if request is None or answer not in _yes_no():
        return None
    await people.clear_request(user)
    other_community = await ctx.store.communities.get_by_id(request.other_community_id)
    first = replace(user, display_name=ctx.member.label)

    async def tell_other(text: Callable[[], str]) -> list[Action]:
        """A note to the other account, in its own language."""
        if other_community is None:
            return []
        return [await _direct(ctx, other_community, request.other, text)]

    if now >= request.expires_at:
        if now - request.expires_at > STALE_AFTER:
            return None  # long forgotten: the yes/no is for something else (onboarding)
        return reply(
            tr(
                "That link request expired, so nothing was linked. "
                "Type `{p}link` for a fresh code if you still want to link.",
                p=ctx.prefix,
            )
        )
    if answer in answers.words("no"):
        logger.info("link: a {} account declined a link request", user.platform)
        return [
            *reply(tr("Okay — nothing was linked.")),
            *await tell_other(
                lambda: tr(
                    "🔗 {first} declined the link: nothing was linked.", first=_account(first)
                )
            ),
        ]
    refused = await _refusal(ctx, first, request.other)
    if refused:
        return reply(tr("Nothing was linked.") + " " + refused)
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
    p = ctx.prefix
    text = tr("Linked ✅ This account is now linked with:") + "\n" + _accounts_list(named)
    if merged:
        text += "\n" + "\n".join(merged)
    return [
        *reply(text + "\n" + tr("`{p}unlink` takes an account out again.", p=p)),
        *role_actions,
        *await tell_other(
            lambda: tr(
                "🔗 Linked ✅ {first} confirmed: your accounts are linked. "
                "`{p}unlink` takes an account out again.",
                first=_account(first),
                p=p,
            )
        ),
        *await _modlogs(
            ctx,
            [request.community_id, request.other_community_id],
            lambda: tr(
                "🔗 {first} and {other} linked their accounts (one person).",
                first=_account(first),
                other=_account(request.other),
            ),
        ),
    ]


def _yes_no() -> frozenset[str]:
    """The typed answers a link request takes, in English and the reader's language."""
    return answers.words("yes") | answers.words("no")


async def on_message(ctx: Context, text: str) -> list[Action] | None:
    """A typed yes/no while a link request waits for this account; None otherwise."""
    return await _answer(ctx, answers.normalized(text))


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action] | None:
    if custom_id != CONFIRM_PROMPT_ID:
        return None
    answer = values[0].casefold() if values else ""
    actions = await _answer(ctx, answer if answer in _yes_no() else "no")
    if actions is None:
        return reply(tr("That link request is no longer open, so nothing was linked."))
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
            tr("This account is not linked with any other. `{p}link` links it.", p=ctx.prefix),
            ephemeral=True,
        )
    others = await ctx.store.people.unlink(user)
    me = replace(user, display_name=ctx.member.label)
    logger.info("link: a {} account unlinked itself", user.platform)
    text = tr("Unlinked: this account is on its own again.")
    if others:
        text += " " + ntr(
            "Your other accounts stay linked with each other: {n} of them.",
            "Your other accounts stay linked with each other: {n} of them.",
            len(others),
        )
    return [
        *reply(text, ephemeral=True),
        *modlog_note(
            ctx.community,
            lambda: tr("🔗 {account} unlinked this account from its others.", account=_account(me)),
        ),
    ]


async def _revoke(ctx: Context, wanted: UserRef) -> list[Action]:
    from communitybot.onboarding.profile import resolve_member

    p = ctx.prefix
    if not ctx.is_moderator:
        return reply(
            tr(
                "Only moderators can unlink someone else's account. `{p}unlink` on its own "
                "unlinks yours.",
                p=p,
            ),
            ephemeral=True,
        )
    member = await resolve_member(ctx, wanted)
    if member is None:
        return reply(
            tr("I don't know {name} in this community.", name=quote(wanted.label, 60)),
            ephemeral=True,
        )
    if await ctx.store.people.person_of(member.ref) is None:
        return reply(
            tr("{account} is not linked with any other account.", account=_account(member.ref))
        )
    await ctx.store.people.unlink(member.ref)
    moderator = replace(ctx.member.ref, display_name=ctx.member.label)
    logger.info("link: a moderator revoked the link of a {} account", member.ref.platform)
    return [
        *reply(
            tr(
                "Revoked: {account} is no longer linked with any other account.",
                account=_account(member.ref),
            )
        ),
        await _direct(
            ctx,
            ctx.community,
            member.ref,
            lambda: tr(
                "🔗 A moderator took this account out of your linked accounts: it is on its "
                "own again. `{p}link` links it again.",
                p=p,
            ),
        ),
        *modlog_note(
            ctx.community,
            lambda: tr(
                "🔗 {moderator} revoked the link of {account}.",
                moderator=_account(moderator),
                account=_account(member.ref),
            ),
        ),
    ]
