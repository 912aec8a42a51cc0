"""What a moderator of a fresh community should set up first.

`/ask` posts in the welcome channel and onboarding's intro posts go to the introductions channel;
until a moderator sets them, both quietly do less. So the first moderator command in a community
without them ends with a short hint (once per community, recorded in the store), and `/stats`
repeats it as one line for as long as a channel is unset.
"""

from __future__ import annotations

import dataclasses

from communitybot.context import Context
from communitybot.i18n import N_, tr
from communitybot.models import Community
from communitybot.replies import Action, Message, Reply
from communitybot.tags.commands import and_join

CHANNELS: dict[str, str] = {
    "welcome_channel": N_("the welcome channel (`{prefix}ask` posts problems of practice there)"),
    "introductions_channel": N_("the introductions channel (new members' intro posts go there)"),
}
STATS = ("stats",)
"""`/stats` carries the hint in its own text, so it gets no second copy."""


def missing_channels(community: Community) -> list[str]:
    """The setting names of the channels this community still lacks, in `/setup` order."""
    return [name for name in CHANNELS if getattr(community, name) is None]


def may_write(community: Community) -> bool:
    """Whether `after_moderator_command` may write here (it records the hint as given while a
    channel is unset); when not, it changes nothing at all."""
    return bool(missing_channels(community))


def _what_and_how(prefix: str, missing: list[str]) -> str:
    what = and_join([tr(CHANNELS[name], prefix=prefix) for name in missing])
    how = " ".join(f"{name}=…" for name in missing)
    command = f"{prefix}setup {how}"
    return tr("{what}: `{command}`", what=what, command=command)


def stats_line(ctx: Context) -> str | None:
    """`/stats`' reminder while a channel is unset; None once both are set."""
    missing = missing_channels(ctx.community)
    if not missing:
        return None
    return tr("• Not set yet: {what}", what=_what_and_how(ctx.prefix, missing))


async def after_moderator_command(
    ctx: Context, path: tuple[str, ...], actions: list[Action]
) -> list[Action]:
    """The handler's actions, with the one-time hint added to its private answer when due."""
    missing = missing_channels(ctx.community)  # after the command: `/setup` may have set them
    if not missing or not await ctx.store.communities.claim_setup_hint(
        ctx.community.id, ctx.clock.now()
    ):
        return actions
    if path == STATS:
        return actions
    hint = tr(
        "💡 First steps for this community: set {what}. `{prefix}stats` reminds you while they "
        "are unset.",
        what=_what_and_how(ctx.prefix, missing),
        prefix=ctx.prefix,
    )
    for index, action in enumerate(actions):
        if isinstance(action, Reply) and action.ephemeral:
            message = dataclasses.replace(action.message, text=f"{action.message.text}\n\n{hint}")
            return [
                *actions[:index],
                dataclasses.replace(action, message=message),
                *actions[index + 1 :],
            ]
    return [*actions, Reply(Message(hint))]
