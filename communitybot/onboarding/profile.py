"""`/profile show` and `/profile edit`: what a member tells the community about themselves.

Another member's profile is shown only when they chose to be discoverable; otherwise the answer is
the same as for someone who does not exist, so the reply never reveals that a hidden member is
there. Every edit is validated before anything is written: a bad value changes nothing.

A person's profile fields are one: an edit is made in their other memberships in the network too
(`communitybot.person_sync`), and the reply says where.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from communitybot import person_sync
from communitybot.context import Context
from communitybot.events import UserRef
from communitybot.feature import handles
from communitybot.models import Member, Tag
from communitybot.onboarding.defaults import INTRO_MAX_LENGTH
from communitybot.replies import Action, reply
from communitybot.store.store import Store
from communitybot.text import quote
from communitybot.timezones import (
    TimezoneError,
    describe_zone,
    format_offset,
    read_timezone,
    utc_offset_minutes,
)

MAX_ROLE = 80
MAX_INTRO = INTRO_MAX_LENGTH
_YES = {"yes", "on", "true"}
_NO = {"no", "off", "false"}
_MENTOR_NOTES = {
    ("wants_mentor", True): "Noted: you'd like a mentor.",
    ("wants_mentor", False): "Noted: you're not looking for a mentor.",
    ("offers_mentor", True): "Noted: you'd like to mentor others. Thank you!",
    ("offers_mentor", False): "Noted: you're not offering mentoring for now.",
}


class ProfileInputError(ValueError):
    """A friendly explanation of a value that cannot be stored."""


async def member_tags(store: Store, member_id: int) -> list[Tag]:
    """The member's tags sorted by name, the order people scan a short list in."""
    return sorted(await store.tags.tags_of_member(member_id), key=lambda t: t.name)


async def resolve_member(ctx: Context, ref: UserRef) -> Member | None:
    """The member a typed or picked user option names: by id first, then by display name."""
    found = await ctx.store.members.get(ctx.community.id, ref)
    typed = ref.user_id.strip()
    for name in dict.fromkeys((typed, typed.lstrip("@"))):
        if found is None and name:
            found = await ctx.store.members.find_by_name(ctx.community.id, name)
    return found


def _yes_no(value: bool | None, yes: str, no: str) -> str:
    return "not answered" if value is None else (yes if value else no)


async def describe(ctx: Context, member: Member, *, own: bool) -> str:
    """The profile as text; user-written parts are quoted so they can never ping anyone."""
    lines = [f"**{quote(member.label, 80)}**" + (" (your profile)" if own else "")]
    lines.append(f"• Role: {quote(member.role, MAX_ROLE) if member.role else 'not set'}")
    if member.timezone:
        offset = format_offset(utc_offset_minutes(member.timezone, ctx.clock.now()))
        lines.append(f"• Time zone: {describe_zone(member.timezone)} ({offset} now)")
    else:
        lines.append("• Time zone: not set")
    lines.append(f"• Would like a mentor: {_yes_no(member.wants_mentor, 'yes', 'no')}")
    lines.append(f"• Would like to mentor: {_yes_no(member.offers_mentor, 'yes', 'no')}")
    tags = await member_tags(ctx.store, member.id)
    lines.append("• Tags: " + (", ".join(quote(t.name, 64) for t in tags) if tags else "none"))
    lines.append(f"• Intro: {quote(member.intro, MAX_INTRO) if member.intro else 'not written'}")
    if own:
        state = {
            "nobody": "off — hidden from others",
            "community": "on — members of this community can find you",
            "network": "network — members of every affiliate of the network can find you",
        }[member.discover_scope]
        lines.append(f"• Discoverable in `{ctx.prefix}peers`: {state}")
        lines.append("")
        lines.append(
            f"Change a field with `{ctx.prefix}profile edit <field> <value>` "
            "(fields: role, timezone, intro, wants_mentor, offers_mentor)."
        )
    return "\n".join(lines)


@handles("profile", "show")
async def show_profile(ctx: Context, options: dict[str, Any]) -> list[Action]:
    wanted = options.get("member")
    if wanted is None:
        return reply(await describe(ctx, ctx.member, own=True))
    if not isinstance(wanted, UserRef):
        wanted = UserRef(ctx.community.ref.platform, str(wanted))
    target = await resolve_member(ctx, wanted)
    if target is not None and target.id == ctx.member.id:
        return reply(await describe(ctx, ctx.member, own=True))
    if target is None or not target.discoverable or target.left_at is not None:
        return reply(
            f"I found no member “{quote(wanted.label, 60)}” — they are not here or not "
            "discoverable."
        )
    return reply(await describe(ctx, target, own=False))


def parse_yes_no(raw: str) -> bool:
    word = raw.strip().casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ProfileInputError(f"Please answer yes or no (got “{quote(raw, 40)}”).")


def parse_field(field: str, raw: str, at: datetime | None = None) -> Any:
    """The value to store for `field`, or ProfileInputError saying what is wrong."""
    if field in ("wants_mentor", "offers_mentor"):
        return parse_yes_no(raw)
    if field == "timezone":
        try:
            return read_timezone(raw, at).name
        except TimezoneError as error:
            raise ProfileInputError(str(error)) from None
    if field == "role":
        value = " ".join(raw.split())
        if not value:
            raise ProfileInputError("Please type your role, e.g. `classroom teacher`.")
        if len(value) > MAX_ROLE:
            raise ProfileInputError(
                f"That role is {len(value)} characters long; please keep it to {MAX_ROLE}."
            )
        return value
    if field == "intro":
        value = raw.strip()
        if not value:
            raise ProfileInputError("Please write a few words about yourself.")
        if len(value) > MAX_INTRO:
            raise ProfileInputError(
                f"Your intro is {len(value)} characters long; please keep it to {MAX_INTRO} "
                "(nothing was changed)."
            )
        return value
    raise ProfileInputError("You can change: role, timezone, intro, wants_mentor or offers_mentor.")


def _confirmation(ctx: Context, field: str, value: Any) -> str:
    if field == "role":
        return f"Your role is now “{quote(value, MAX_ROLE)}”."
    if field == "timezone":
        offset = format_offset(utc_offset_minutes(value, ctx.clock.now()))
        return f"Your time zone is now {describe_zone(value)} ({offset} now)."
    if field == "intro":
        return f"Saved your intro ({len(value)} characters)."
    return _MENTOR_NOTES[(field, bool(value))]


@handles("profile", "edit")
async def edit_profile(ctx: Context, options: dict[str, Any]) -> list[Action]:
    field = str(options.get("field") or "").strip().casefold()
    raw = str(options.get("value") or "")
    try:
        value = parse_field(field, raw, ctx.clock.now())
    except ProfileInputError as error:
        return reply(str(error))
    await ctx.store.members.update(ctx.member.id, **{field: value})
    await ctx.reload_member()
    if field == "timezone":
        await ctx.member_changed()
    others = await person_sync.copy_fields(ctx, {field: value})
    text = _confirmation(ctx, field, value)
    if field == "timezone":
        text += "".join(f" {n}" for n in [read_timezone(raw, ctx.clock.now()).note] if n)
    if others:
        n = len(others)
        text += (
            f" Also changed in {n} other membership{'' if n == 1 else 's'} of yours "
            f"({', '.join(o.where for o in others)})."
        )
    return reply(text)
