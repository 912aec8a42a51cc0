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
from communitybot.i18n import (
    N_,
    SUPPORTED,
    UnknownLanguage,
    current_language,
    ntr,
    parse_language,
    tr,
    use_language,
)
from communitybot.i18n.unknown import unknown_language_text
from communitybot.models import Member, Tag
from communitybot.onboarding.defaults import INTRO_MAX_LENGTH
from communitybot.onboarding.questions import shown
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
    ("wants_mentor", True): N_("Noted: you'd like a mentor."),
    ("wants_mentor", False): N_("Noted: you're not looking for a mentor."),
    ("offers_mentor", True): N_("Noted: you'd like to mentor others. Thank you!"),
    ("offers_mentor", False): N_("Noted: you're not offering mentoring for now."),
}
_CLEAR_LANGUAGE = {"none", "auto", "-"}
"""`profile edit language auto`: no choice of one's own (the client's or community's decides)."""


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


def _yes_no(value: bool | None) -> str:
    if value is None:
        return tr("not answered")
    return tr("yes") if value else tr("no")


def _language_line(member: Member) -> str:
    if member.language:
        return tr("• Language: {name}", name=SUPPORTED[member.language])
    return tr("• Language: not chosen (now {name})", name=SUPPORTED[current_language()])


async def describe(ctx: Context, member: Member, *, own: bool) -> str:
    """The profile as text; user-written parts are quoted so they can never ping anyone."""
    name = f"**{quote(member.label, 80)}**"
    lines = [tr("{name} (your profile)", name=name) if own else name]
    if member.role:
        # a role picked from the default choices reads in the reader's language
        lines.append(tr("• Role: {role}", role=quote(shown(member.role), MAX_ROLE)))
    else:
        lines.append(tr("• Role: not set"))
    if member.timezone:
        offset = format_offset(utc_offset_minutes(member.timezone, ctx.clock.now()))
        lines.append(
            tr(
                "• Time zone: {zone} ({offset} now)",
                zone=describe_zone(member.timezone),
                offset=offset,
            )
        )
    else:
        lines.append(tr("• Time zone: not set"))
    lines.append(tr("• Would like a mentor: {answer}", answer=_yes_no(member.wants_mentor)))
    lines.append(tr("• Would like to mentor: {answer}", answer=_yes_no(member.offers_mentor)))
    tags = await member_tags(ctx.store, member.id)
    if tags:
        lines.append(tr("• Tags: {tags}", tags=", ".join(quote(t.name, 64) for t in tags)))
    else:
        lines.append(tr("• Tags: none"))
    if member.intro:
        lines.append(tr("• Intro: {intro}", intro=quote(member.intro, MAX_INTRO)))
    else:
        lines.append(tr("• Intro: not written"))
    if own:
        lines.append(_language_line(member))
        state = {
            "nobody": tr("off — hidden from others"),
            "community": tr("on — members of this community can find you"),
            "network": tr("network — members of every affiliate of the network can find you"),
        }[member.discover_scope]
        lines.append(
            tr("• Discoverable in `{command}`: {state}", command=f"{ctx.prefix}peers", state=state)
        )
        lines.append("")
        lines.append(
            tr(
                "Change a field with `{command}` (fields: role, timezone, intro, wants_mentor, "
                "offers_mentor, language).",
                command=f"{ctx.prefix}profile edit <field> <value>",
            )
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
            tr(
                "I found no member “{name}” — they are not here or not discoverable.",
                name=quote(wanted.label, 60),
            )
        )
    return reply(await describe(ctx, target, own=False))


def parse_yes_no(raw: str) -> bool:
    word = raw.strip().casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ProfileInputError(tr("Please answer yes or no (got “{answer}”).", answer=quote(raw, 40)))


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
            raise ProfileInputError(tr("Please type your role, e.g. `classroom teacher`."))
        if len(value) > MAX_ROLE:
            raise ProfileInputError(
                tr(
                    "That role is {length} characters long; please keep it to {limit}.",
                    length=len(value),
                    limit=MAX_ROLE,
                )
            )
        return value
    if field == "intro":
        value = raw.strip()
        if not value:
            raise ProfileInputError(tr("Please write a few words about yourself."))
        if len(value) > MAX_INTRO:
            raise ProfileInputError(
                tr(
                    "Your intro is {length} characters long; please keep it to {limit} "
                    "(nothing was changed).",
                    length=len(value),
                    limit=MAX_INTRO,
                )
            )
        return value
    if field == "language":
        return parse_member_language(raw)
    raise ProfileInputError(
        tr("You can change: role, timezone, intro, wants_mentor, offers_mentor or language.")
    )


def parse_member_language(raw: str) -> str | None:
    """A member's language choice: a supported code, or None for "auto" (no choice)."""
    if raw.strip().casefold() in _CLEAR_LANGUAGE:
        return None
    try:
        return parse_language(raw)
    except UnknownLanguage as error:
        raise ProfileInputError(unknown_language_text(error)) from None


def _confirmation(ctx: Context, field: str, value: Any) -> str:
    if field == "role":
        return tr("Your role is now “{role}”.", role=quote(value, MAX_ROLE))
    if field == "timezone":
        offset = format_offset(utc_offset_minutes(value, ctx.clock.now()))
        return tr(
            "Your time zone is now {zone} ({offset} now).", zone=describe_zone(value), offset=offset
        )
    if field == "intro":
        return ntr(
            "Saved your intro ({n} character).", "Saved your intro ({n} characters).", len(value)
        )
    if field == "language":
        if value is None:
            return tr(
                "You have no language of your own now: I'll use your app's or the community's "
                "({name} here).",
                name=SUPPORTED[ctx.language],
            )
        return tr("From now on I'll write to you in {name}.", name=SUPPORTED[value])
    return tr(_MENTOR_NOTES[(field, bool(value))])


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
    with use_language(ctx.language):  # a new language answers in itself
        text = _confirmation(ctx, field, value)
        if field == "timezone":
            text += "".join(f" {n}" for n in [read_timezone(raw, ctx.clock.now()).note] if n)
        if others:
            text += " " + ntr(
                "Also changed in {n} other membership of yours ({where}).",
                "Also changed in {n} other memberships of yours ({where}).",
                len(others),
                where=", ".join(o.where for o in others),
            )
    return reply(text)
