"""Moderators' `/setup` (the bot's channels and moderator role) and `/stats`.

Both are moderator-only in the catalogue, so the Bot refuses everyone else before these run.
Setting changes are also announced in the moderator-log channel, so the whole team can see who
changed what; a typo in a channel id is then noticed by someone.
"""

from __future__ import annotations

from typing import Any

from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import N_, SUPPORTED, UnknownLanguage, parse_language, tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.i18n.languages import parse_language_list
from communitybot.i18n.unknown import unknown_language_text
from communitybot.models import Community
from communitybot.naming import who
from communitybot.replies import Action, Message, SendToChannel, reply
from communitybot.tags import roles as tag_roles
from communitybot.text import quote

MAX_SETTING = 100
CLEAR_WORDS = {"none", "-"}
SETTINGS: dict[str, str] = {
    "welcome_channel": N_("Welcome channel"),
    "introductions_channel": N_("Introductions channel"),
    "modlog_channel": N_("Moderator-log channel"),
    "moderator_role": N_("Moderator role"),
    "name": N_("Name (as other affiliates of its network see it)"),
    "language": N_("Language (channels, and members who chose none)"),
    "languages": N_("Languages onboarding offers"),
}
"""Each setting's label (translate with `tr` where shown); the keys are what moderators type."""
_LANGUAGE_SETTINGS = ("language", "languages")
MAX_NAME = 80


class SettingError(ValueError):
    """A friendly explanation of a setting value that cannot be stored."""


def _shown(ctx: Context, name: str, value: str | tuple[str, ...] | None) -> str:
    if isinstance(value, tuple):  # `Community.languages`
        value = ",".join(value)
    if not value:
        return tr("not set")
    if name in _LANGUAGE_SETTINGS:
        return ", ".join(f"{SUPPORTED[code]} ({code})" for code in value.split(",") if code)
    if name in ("moderator_role", "name"):
        return f"“{quote(value, MAX_SETTING)}”"
    return ctx.platform.mention_channel(value)


def _settings_text(ctx: Context, community: Community) -> str:
    lines = [tr("**Settings**")]
    for name, label in SETTINGS.items():
        lines.append(
            tr(
                "• {setting}: {value}",
                setting=tr(label),
                value=_shown(ctx, name, getattr(community, name)),
            )
        )
    lines += [
        "",
        tr(
            "Change one with e.g. `{prefix}setup introductions_channel=introductions` "
            "or `{prefix}setup moderator_role=mods`; the value `none` clears a setting.",
            prefix=ctx.prefix,
        ),
    ]
    return "\n".join(lines)


def clean_setting(name: str, raw: Any) -> str | None:
    """The value to store (None clears it), or SettingError saying what is wrong."""
    value = " ".join(str(raw).split()) if name == "name" else str(raw).strip()
    if name not in ("moderator_role", "name"):
        value = value.lstrip("#").strip()
    if not value:
        raise SettingError(tr("`{name}` needs a value (or `none` to clear it).", name=name))
    if value.casefold() in CLEAR_WORDS:
        return None
    if name in _LANGUAGE_SETTINGS:
        return _clean_languages(name, value)
    if name == "name" and len(value) > MAX_NAME:
        raise SettingError(_too_long(name, len(value), MAX_NAME))
    if len(value) > MAX_SETTING:
        raise SettingError(_too_long(name, len(value), MAX_SETTING))
    if any(not ch.isprintable() for ch in value):
        raise SettingError(tr("`{name}` must be a single line of plain text.", name=name))
    return value


def _too_long(name: str, length: int, limit: int) -> str:
    return tr(
        "`{name}` is too long ({length} characters, at most {limit}).",
        name=name,
        length=length,
        limit=limit,
    )


def _clean_languages(name: str, value: str) -> str:
    """One code for `language`, codes in the typed order for `languages` (at most every one
    the bot speaks, so "en,es,en" is "en,es")."""
    try:
        if name == "language":
            return parse_language(value)
        return ",".join(parse_language_list(value))
    except UnknownLanguage as error:
        raise SettingError(unknown_language_text(error)) from None


@handles("setup")
async def setup(ctx: Context, options: dict[str, Any]) -> list[Action]:
    given = {k: v for k, v in options.items() if k in SETTINGS and v is not None}
    if not given:
        return reply(_settings_text(ctx, ctx.community))
    changes: dict[str, str | None] = {}
    try:
        for name, raw in given.items():
            changes[name] = clean_setting(name, raw)
    except SettingError as error:
        return reply(f"{error} {tr('Nothing was changed.')}")
    if refused := await _linked_moderator_role(ctx, changes.get("moderator_role")):
        return refused
    before = ctx.community
    ctx.community = await ctx.store.communities.update_settings(ctx.community.id, **changes)

    def summary() -> list[str]:
        """A line per changed setting, in the current language."""
        return [
            tr(
                "{setting}: {before} → {after}",
                setting=tr(SETTINGS[name]),
                before=_shown(ctx, name, getattr(before, name)),
                after=_shown(ctx, name, value),
            )
            for name, value in changes.items()
        ]

    saved = [f"• {line}" for line in summary()]
    actions: list[Action] = reply("\n".join([tr("Saved."), *saved]))
    modlog = ctx.community.modlog_channel
    if modlog:
        with use_language(community_language(ctx.community)):  # the whole team reads it
            note = tr(
                "⚙️ {author} changed the bot's settings: {changes}",
                author=who(ctx.platform, ctx.member),
                changes="; ".join(summary()),
            )
        actions.append(SendToChannel(ctx.community.ref, modlog, Message(note)))
    return actions


async def _linked_moderator_role(ctx: Context, role: str | None) -> list[Action]:
    """A refusal when tags hand out the role about to become the moderator role.

    Refused rather than unlinked: unlinking would silently change what members get from those
    tags; the moderator decides (unlink or relink them first). The reply also says that members
    who got the role through those tags still hold it on the platform (unlinking revokes
    nothing), so they would count as moderators once the role does.
    """
    if role is None:
        return []
    linked = tag_roles.tags_linking(await ctx.store.tags.all(ctx.community.id), role)
    if not linked:
        return []
    names = ", ".join(f"**{tag.name}**" for tag in linked)
    return reply(
        tr(
            "The role {role} can't be the moderator role while the tag(s) {tags} hand it out to "
            "anyone who adds them. Link them to another role first with "
            "`{prefix}tags link <tag> role=<another role>`, or unlink them; members who got the "
            "role through those tags keep it until it is taken from them. Nothing was changed.",
            role=tag_roles.role_label(role),
            tags=names,
            prefix=ctx.prefix,
        )
    )


@handles("stats")
async def stats(ctx: Context, options: dict[str, Any]) -> list[Action]:
    """The member count, then every feature's lines (`Feature.stats`, in the registry's order:
    `ctx.features`)."""

    members = await ctx.store.stats.member_counts(ctx.community.id)
    lines = [tr("**Community statistics**"), tr("• Members: {count}", count=members.present)]
    lines += await ctx.features.stats_lines(ctx, members)
    return reply("\n".join(lines))
