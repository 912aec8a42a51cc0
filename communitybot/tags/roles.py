"""Which roles a tag may hand out: never one that gives rights over the community.

A tag linked to a role grants it to whoever adds the tag (or answers onboarding with it), so a
tag linked to the moderator role — or, on Discord, to a role with moderation permissions —
would make anyone a moderator. The rule is the core's: the configured moderator role is never
linked or granted; the platform answers the facts (`ChatPlatform.role_refusal`: a role's
permissions and place on Discord, a room's power levels on Matrix).

It is checked twice. At link time the moderator is told why the link is refused. At grant time
(a second line of defence: the moderator role may be set later to a role already linked, or a
role may gain permissions after it was linked) the grant is withheld, the tag itself is still
added, and the moderator log hears why. Setting the moderator role to a role a tag links to is
refused (`moderation.setup`), naming the tags to unlink first: silently unlinking them would
change what members get without anyone deciding it.
"""

from __future__ import annotations

from loguru import logger

from communitybot.context import Context
from communitybot.i18n import N_, tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.models import Tag
from communitybot.naming import who
from communitybot.replies import Action, Message, SendToChannel
from communitybot.text import quote

MODERATOR_ROLE_REASON = N_(
    "it is the moderator role: everyone who added the tag would become a moderator"
)


def role_label(role_id: str) -> str:
    """How replies name a role id (quoted: the text is never a live mention)."""
    return f"`{quote(role_id, 60)}`"


async def refusal(ctx: Context, role_id: str) -> str | None:
    """Why a tag must not hand out `role_id` here, or None when it may (in the current
    language as far as the core's own reason goes; the platform words its own)."""
    reason = await _refusal(ctx, role_id)
    return tr(reason) if reason == MODERATOR_ROLE_REASON else reason


async def _refusal(ctx: Context, role_id: str) -> str | None:
    """`refusal`, untranslated (for the log, and for the moderator log's own language)."""
    if ctx.community.moderator_role is not None and role_id == ctx.community.moderator_role:
        return MODERATOR_ROLE_REASON
    return await ctx.platform.role_refusal(ctx.community.ref, role_id)


async def allowed_grants(ctx: Context, roles: list[str]) -> tuple[list[str], list[Action]]:
    """The roles that may be granted to `ctx.member`, and a moderator-log note per withheld one.

    A withheld grant is always logged; the member's reply is unchanged (their tag was added).
    """
    granted: list[str] = []
    notes: list[Action] = []
    for role in roles:
        reason = await _refusal(ctx, role)
        if reason is None:
            granted.append(role)
            continue
        logger.warning("not granting role {} linked to a tag: {}", role, reason)
        modlog = ctx.community.modlog_channel
        if modlog:
            with use_language(community_language(ctx.community)):  # the team reads it
                text = tr(
                    "⚠️ I did not give {member} the role {role} linked to one of their tags: "
                    "{reason}. Link that tag to another role with `{prefix}tags link`.",
                    member=who(ctx.platform, ctx.member),
                    role=role_label(role),
                    reason=tr(reason) if reason == MODERATOR_ROLE_REASON else reason,
                    prefix=ctx.prefix,
                )
            notes.append(SendToChannel(ctx.community.ref, modlog, Message(text)))
    return granted, notes


def tags_linking(tags: list[Tag], role_id: str) -> list[Tag]:
    """The tags that hand out `role_id`."""
    return [tag for tag in tags if tag.role_id == role_id]
