"""Privacy: discoverability, the member's data export (`/mydata`) and forgetting (`/forgetme`).

Forgetting is destructive, so it takes two steps: `/forgetme` explains what goes and stores a
pending confirmation that expires after ten minutes; only a "yes" (button or typed) within that
window deletes. A "no", an expired request or any doubt deletes nothing and says so.

What the adapters store about a person (how the bot reaches them privately: a Matrix DM room,
a Discord DM channel or fallback thread) is theirs to export and delete: each declares it
through its state (`ports.PersonalData`, registered in `Store.adapter_data`), and this module
asks whatever is registered, never naming an adapter table. On a confirmed "yes" the adapters
delete first, outside the core's transaction (`units.outside`: each adapter write is its own
short transaction), then the core's rows go in the unit's transaction. Why that order: if an
adapter fails, nothing of the core is deleted, the member is told so and may answer yes again;
if the process dies between the two, the member keeps a profile they can see and forget again,
and only loses a DM room record (the bot opens a new one when it next writes). The other order
could leave a DM room in `/mydata` after "everything is deleted".

An account linked with others (`communitybot.identity`) is asked which to forget: **this**
account (it leaves its person; the others stay linked) or **all** of them, every linked account
in every community — then each account's memberships go to every feature's `forget` (the
lanes of all their communities are held: `bot._lanes_for`). What another platform's adapter
stores about a linked account (its DM room there) is that adapter's: a process deletes only
what the adapters it runs declared (see docs/linking.md).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from loguru import logger

from communitybot import units
from communitybot.context import Context
from communitybot.events import UserRef
from communitybot.feature import handles
from communitybot.i18n import ntr, tr
from communitybot.models import Member
from communitybot.privacy import answers
from communitybot.replies import Action, Attachment, Choice, Prompt, reply
from communitybot.store.timefmt import to_db
from communitybot.text import quote

FORGET_KIND = "forgetme"
FORGET_PROMPT_ID = "forgetme"
FORGET_WINDOW = timedelta(minutes=10)


def _yes() -> frozenset[str]:
    """Forget this account (for an account linked with others: only this one)."""
    return answers.words("yes") | answers.words("this")


def _all() -> frozenset[str]:
    """Forget the whole person: every account linked with this one (this one alone if none)."""
    return answers.words("all")


def _no() -> frozenset[str]:
    return answers.words("no")


# /privacy ---------------------------------------------------------------------------------------
@handles("privacy", "show")
async def show_privacy(ctx: Context, options: dict[str, Any]) -> list[Action]:
    p = ctx.prefix
    scope = ctx.member.discover_scope
    if scope == "network":
        state = tr(
            "**Discoverable: network.** Members of this community and of every other affiliate "
            "of its network can find you with `{p}peers` (`{p}peers scope=network`); members "
            "here can see your profile with `{p}profile show`.",
            p=p,
        )
    elif scope == "community":
        state = tr(
            "**Discoverable: on (this community).** Members here can find you with "
            "`{p}peers` and see your profile with `{p}profile show`; other affiliates of a "
            "network cannot find you.",
            p=p,
        )
    else:
        state = tr(
            "**Discoverable: off.** You are hidden from "
            "`{p}peers` and others cannot open your profile.",
            p=p,
        )
    return reply(
        "\n".join(
            [
                state,
                tr(
                    "• Change it with `{p}privacy discoverable on|network|off` (on: this "
                    "community only, the default; network: every affiliate too; off: nobody).",
                    p=p,
                ),
                tr("• `{p}mydata` sends you everything stored about you, as a JSON file.", p=p),
                tr("• `{p}forgetme` deletes all of it (asks to confirm first).", p=p),
            ]
        )
    )


@handles("privacy", "discoverable")
async def set_discoverable(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """on: this community (the default); network: every affiliate too; off: nobody."""
    raw = options.get("value")
    value = raw if isinstance(raw, bool) else str(raw or "").strip().casefold()
    if value not in ("on", "off", "network", True, False):
        return reply(
            tr(
                "Please say on or off (this community, or nobody), or network (every affiliate "
                "of its network too), e.g. `{p}privacy discoverable off`.",
                p=ctx.prefix,
            )
        )
    discoverable = value in ("on", "network", True)
    network = value == "network"
    await ctx.store.members.update(
        ctx.member.id, discoverable=discoverable, network_visible=network
    )
    await ctx.reload_member()
    await ctx.member_changed()
    p = ctx.prefix
    if network:
        in_network = await ctx.store.networks.of_community(ctx.community.id) is not None
        text = tr(
            "Members of this community and of every affiliate of its network can now find "
            "you with `{p}peers` (`{p}peers scope=network`).",
            p=p,
        )
        if not in_network:
            text += " " + tr(
                "This community is not in a network yet, so for now that is this community only."
            )
        return reply(text)
    if discoverable:
        return reply(
            tr(
                "You are discoverable in this community: members here can find you with "
                "`{p}peers`; other affiliates of a network cannot (`{p}privacy discoverable "
                "network` lets them).",
                p=p,
            )
        )
    return reply(
        tr(
            "You are now hidden: you won't appear in `{p}peers` and others cannot open your "
            "profile.",
            p=p,
        )
    )


# /mydata ----------------------------------------------------------------------------------------
async def _membership_export(ctx: Context, member: Member) -> dict[str, Any]:
    """One membership: the community and profile, every feature's sections (`Feature.export`,
    in the registry's export order), then what the bot is waiting for from the member."""

    community = await ctx.store.communities.get_by_id(member.community_id)
    pending = await ctx.store.confirmations.get(member.id)
    return {
        "community": (
            {"platform": community.ref.platform, "space_id": community.ref.space_id}
            if community
            else None
        ),
        "profile": {
            "display_name": member.display_name,
            "role": member.role,
            "timezone": member.timezone,
            "wants_mentor": member.wants_mentor,
            "offers_mentor": member.offers_mentor,
            "intro": member.intro,
            "discoverable": member.discoverable,
            "network_visible": member.network_visible,
            "discover_scope": member.discover_scope,
            "joined_at": to_db(member.joined_at) if member.joined_at else None,
            "left_at": to_db(member.left_at) if member.left_at else None,
        },
        **await ctx.features.export_sections(ctx, member),
        "pending_confirmation": pending.export() if pending else None,
        "open_question": await ctx.store.open_prompts.export_for_member(member.id),
    }


async def build_export(ctx: Context) -> dict[str, Any]:
    """Everything stored about the acting platform user, in every community the bot serves."""
    user = ctx.member.ref
    memberships = await ctx.store.members.all_for_user(user)
    return {
        "exported_at": to_db(ctx.clock.now()),
        "platform": user.platform,
        "user_id": user.user_id,
        "linking": await ctx.store.people.export_for_user(user, ctx.clock.now()),
        "memberships": [await _membership_export(ctx, m) for m in memberships],
        "private_conversations": await ctx.store.adapter_data.export(user),
    }


def export_json(data: dict[str, Any]) -> str:
    """Faithful, pretty-printed JSON: exactly what is stored, user text included as typed.

    It travels as a file only the member receives, so nothing is neutralised (delivery makes
    mentions inert in message text, never in attachments).
    """
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


@handles("mydata")
async def my_data(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """A short ephemeral note with the export attached as `mydata-<date>.json`."""
    if ctx.member_is_new:
        # Asking what is stored must not store a fresh (discoverable) profile, e.g. right
        # after /forgetme: the row this event created goes again.
        await ctx.store.members.delete(ctx.member.id)
        ctx.peers.invalidate(ctx.community.id)
    data = await build_export(ctx)
    count = len(data["memberships"])
    linked = data["linking"]["linked_accounts"]
    if count == 0 and not data["private_conversations"] and not linked:
        return reply(
            tr(
                "I store nothing about you: no profile, tags or answers. Nothing was stored by "
                "asking, either."
            ),
            ephemeral=True,
        )
    if count == 1:
        text = tr(
            "Your data from this community is attached as JSON: profile, tags, onboarding "
            "answers, chats, mentoring, linked accounts and the rest — everything I store "
            "about you."
        )
    else:
        text = ntr(
            "Your data from {n} community is attached as JSON: profile, tags, onboarding "
            "answers, chats, mentoring, linked accounts and the rest — everything I store "
            "about you.",
            "Your data from {n} communities is attached as JSON: profile, tags, onboarding "
            "answers, chats, mentoring, linked accounts and the rest — everything I store "
            "about you.",
            count,
        )
    if linked:
        listed = ", ".join(f"{a['user_id']} ({a['platform']})" for a in linked)
        text += "\n" + tr(
            "This account is linked with others — one person: {accounts}. "
            "Each account's `mydata` shows what is stored under it.",
            accounts=quote(listed, 400),
        )
    return reply(
        text + "\n" + tr("`{p}forgetme` deletes all of it.", p=ctx.prefix),
        ephemeral=True,
        attachment=Attachment(
            f"mydata-{ctx.clock.now():%Y-%m-%d}.json",
            export_json(data).encode(),
            "application/json",
        ),
    )


# /forgetme --------------------------------------------------------------------------------------
@handles("forgetme")
async def forget_me(ctx: Context, options: dict[str, Any]) -> list[Action]:
    memberships = await ctx.store.members.all_for_user(ctx.member.ref)
    expires = ctx.clock.now() + FORGET_WINDOW
    await ctx.store.confirmations.put(ctx.member.id, FORGET_KIND, expires)
    minutes = int(FORGET_WINDOW.total_seconds() // 60)
    what = (
        ntr(
            "This deletes everything I store about you in this community: your profile (role, "
            "time zone, mentoring wishes, intro), your tags, your onboarding answers, your "
            "mentoring offers, requests, pairings and check-in answers, your peer-round groups, "
            "your chat subscriptions, hosting and chat messages, your problems of practice, your "
            "network steward roles, your privacy settings and your account links. "
            "It cannot be undone, and posts already made in channels stay where they are.",
            "This deletes everything I store about you in all {n} communities I serve: your "
            "profile (role, time zone, mentoring wishes, intro), your tags, your onboarding "
            "answers, your mentoring offers, requests, pairings and check-in answers, your "
            "peer-round groups, your chat subscriptions, hosting and chat messages, your "
            "problems of practice, your network steward roles, your privacy settings and your "
            "account links. "
            "It cannot be undone, and posts already made in channels stay where they are.",
            max(1, len(memberships)),
        )
        + "\n"
    )
    linked = [a.user for a in await ctx.store.people.accounts_of(ctx.member.ref)]
    if linked:
        return reply(
            what
            + ntr(
                "This account is linked with {n} other account(s) — one person. **Forget only "
                "this account, or the whole person** (every linked account, in every "
                "community)? Answer **this**, **all** or **no** within {minutes} minutes.",
                "This account is linked with {n} other account(s) — one person. **Forget only "
                "this account, or the whole person** (every linked account, in every "
                "community)? Answer **this**, **all** or **no** within {minutes} minutes.",
                len(linked) - 1,
                minutes=minutes,
            ),
            prompt=Prompt(
                custom_id=FORGET_PROMPT_ID,
                kind="single",
                choices=(
                    Choice("this", tr("Only this account")),
                    Choice(
                        "all",
                        ntr("All {n} linked accounts", "All {n} linked accounts", len(linked)),
                    ),
                    Choice("no", tr("Keep everything")),
                ),
            ),
        )
    return reply(
        what
        + tr(
            "**Delete everything?** Answer **yes** or **no** within {minutes} minutes.",
            minutes=minutes,
        ),
        prompt=Prompt(custom_id=FORGET_PROMPT_ID, kind="yesno"),
    )


async def forget_user(ctx: Context, memberships: list[Member]) -> None:
    """The user's memberships and everything hanging off them (`ON DELETE CASCADE`: profile,
    tags, answers, pairings, groups, chats, asks...) and any message still waiting to reach
    them. The adapters' rows (private conversations) went just before (`_forget`)."""
    for user in dict.fromkeys([ctx.member.ref, *(m.ref for m in memberships)]):
        await ctx.store.members.delete_everywhere(user)
        await ctx.store.outbox.forget(user)


async def _forget_adapter_data(store: Any, users: list[UserRef]) -> int:
    deleted = 0
    for user in users:
        deleted += await store.adapter_data.forget(user)
    return deleted


async def _forget(ctx: Context, *, whole_person: bool = False) -> list[Action]:
    """Forget this account, or (`whole_person`) every account linked with it: each account's
    memberships go to every feature's `forget` (`ctx.features.forget`: the registry's)."""

    user = ctx.member.ref
    users = [user]
    if whole_person:
        users += [a.user for a in await ctx.store.people.accounts_of(user) if a.user != user]
    try:
        if ctx.store.adapter_data.holders:
            # Outside the transaction: the adapters' writes take the writer turn themselves,
            # which this unit holds while its transaction is open (in place, they would wait
            # for it forever).
            if units.current() is not None and not units.can_step_out():
                raise RuntimeError("adapter data cannot be forgotten inside a transaction")
            await units.outside(_forget_adapter_data, ctx.store, users)
    except Exception as error:
        logger.opt(exception=error).error("an adapter could not forget a {} user", user.platform)
        return reply(
            tr(
                "Something went wrong while deleting your data, so your profile and everything "
                "else is still here. Please answer **yes** again in a moment to retry, or "
                "**no** to keep it."
            )
        )
    memberships = [m for u in users for m in await ctx.store.members.all_for_user(u)]
    await ctx.features.forget(ctx, memberships)
    for community_id in {m.community_id for m in memberships}:
        ctx.peers.invalidate(community_id)
    if len(users) > 1:
        return reply(
            ntr(
                "Done — everything is deleted for all {n} linked accounts. If you talk to me "
                "again I'll only know your name; `{p}onboard` starts afresh.",
                "Done — everything is deleted for all {n} linked accounts. If you talk to me "
                "again I'll only know your name; `{p}onboard` starts afresh.",
                len(users),
                p=ctx.prefix,
            )
        )
    return reply(
        tr(
            "Done — everything is deleted. If you talk to me again I'll only know your name; "
            "`{p}onboard` starts afresh.",
            p=ctx.prefix,
        )
    )


async def _answer(ctx: Context, answer: str) -> list[Action] | None:
    """Act on a yes/no for the pending request; None when there is nothing pending."""
    repository = ctx.store.confirmations
    pending = await repository.get(ctx.member.id)
    if pending is None or pending.kind != FORGET_KIND:
        return None
    if pending.is_expired(ctx.clock.now()):
        await repository.clear(ctx.member.id)
        if answer not in _yes() | _all() | _no():
            return None
        return reply(
            tr(
                "That request to delete your data expired, so nothing was deleted. "
                "Type `{p}forgetme` again if you still want it.",
                p=ctx.prefix,
            )
        )
    if answer in _yes():
        return await _forget(ctx)
    if answer in _all():
        return await _forget(ctx, whole_person=True)
    if answer in _no():
        await repository.clear(ctx.member.id)
        return reply(tr("Okay — nothing was deleted."))
    if await ctx.store.people.person_of(ctx.member.ref) is not None:
        return reply(
            tr(
                "I'm waiting for your answer to `forgetme`: type **this** to forget this "
                "account, **all** to forget every linked account, or **no** to keep it. "
                "Nothing has been deleted."
            )
        )
    return reply(
        tr(
            "I'm waiting for your answer to `forgetme`: type **yes** to delete everything or "
            "**no** to keep it. Nothing has been deleted."
        )
    )


async def on_message(ctx: Context, text: str) -> list[Action] | None:
    """A typed answer while `/forgetme` waits; None (let onboarding have it) otherwise."""
    return await _answer(ctx, answers.normalized(text))


async def on_choice(ctx: Context, custom_id: str, values: tuple[str, ...]) -> list[Action] | None:
    if custom_id != FORGET_PROMPT_ID:
        return None
    answer = values[0].casefold() if values else ""
    actions = await _answer(ctx, answer if answer in _yes() | _all() | _no() else "no")
    if actions is None:
        return reply(
            tr(
                "That confirmation is no longer open, so nothing was deleted. "
                "Type `{p}forgetme` again if you still want it.",
                p=ctx.prefix,
            )
        )
    return actions
