"""The end of the welcome questions: the optional intro post, then a summary with next steps.

An intro is only posted with the member's explicit "yes", and always as quoted, mention-free text:
the introductions channel is public and the intro is whatever the member typed. Everyone reads
that channel, so the post is in the community's language; the rest speaks to the member in theirs.
"""

from __future__ import annotations

from communitybot.context import Context
from communitybot.i18n import tr, use_language
from communitybot.i18n.choice import community_language
from communitybot.models import Tag
from communitybot.naming import who
from communitybot.onboarding.questions import (
    CUSTOM_ID_PREFIX,
    YES_NO,
    describe,
    is_no,
    is_yes,
    shown,
    text_limit,
)
from communitybot.onboarding.state import Flow, slot
from communitybot.peers import commands as peer_commands
from communitybot.replies import Action, Choice, Message, Prompt, Reply, SendToChannel
from communitybot.tags import commands as tag_commands
from communitybot.text import quote

CONSENT_KEY = "__intro_consent"
_NO = {"skip", "stop"}
"""Besides the no words of yes/no questions (`questions.is_no`): leaving the post out."""


def _intro(flow: Flow) -> tuple[str, int] | None:
    found = flow.answered("intro")
    if found is None or not found[1].value:
        return None
    question, answer = found
    return answer.value or "", text_limit(question)


async def finish(ctx: Context, flow: Flow, lead: str = "") -> tuple[list[Action], Message]:
    """All questions answered: ask about the intro post if there is one to post, else complete."""
    if _intro(flow) is not None and ctx.community.introductions_channel:
        await ctx.store.onboarding.set_status(ctx.member.id, "awaiting_consent", ctx.clock.now())
        return [], await consent_message(ctx, lead)
    return [], await complete(ctx, flow, lead)


async def consent_message(ctx: Context, lead: str = "") -> Message:
    channel = ctx.community.introductions_channel or ""
    lines = [lead] if lead else []
    lines.append(
        tr(
            "Would you like me to post your intro in {channel} so others can say hello? "
            "Reply yes or no.",
            channel=ctx.platform.mention_channel(channel),
        )
    )
    prompt = Prompt(
        custom_id=f"{CUSTOM_ID_PREFIX}{CONSENT_KEY}",
        kind="yesno",
        choices=tuple(Choice(value=label, label=shown(label)) for label in YES_NO),
    )
    return Message("\n".join(lines), prompt)


async def _member_tags(ctx: Context) -> list[Tag]:
    return list(await ctx.store.tags.tags_of_member(ctx.member.id))


async def _intro_post(ctx: Context, intro: str, limit: int) -> Message:
    """The post for the introductions channel, in the community's language (a role picked from
    the default choices shows in it too; the intro stays as the member wrote it)."""
    tags = await _member_tags(ctx)
    with use_language(community_language(ctx.community)):
        lines = [tr("👋 Please welcome {name}!", name=who(ctx.platform, ctx.member))]
        if ctx.member.role:
            lines.append(tr("**Role:** {role}", role=quote(shown(ctx.member.role), 80)))
        lines.append(f"> {quote(intro, limit)}")
        if tags:
            lines.append(
                tr("**Interests:** {tags}", tags=", ".join(f"`{tag.name}`" for tag in tags))
            )
    return Message("\n".join(lines))


async def on_consent(ctx: Context, flow: Flow, word: str) -> list[Action]:
    """The member's answer to "post your intro?"; anything but yes/no asks again."""
    word = word.strip().strip(".!").casefold()
    intro = _intro(flow)
    channel = ctx.community.introductions_channel
    if is_yes(word):
        if intro is None or not channel:
            note = tr(
                "I couldn't post your intro after all (there's no introductions channel now)."
            )
            return [Reply(await complete(ctx, flow, note), ephemeral=False)]
        post = SendToChannel(ctx.community.ref, channel, await _intro_post(ctx, *intro))
        lead = tr(
            "📣 Posted your intro in {channel}.", channel=ctx.platform.mention_channel(channel)
        )
        return [post, Reply(await complete(ctx, flow, lead), ephemeral=False)]
    if is_no(word) or word in _NO:
        lead = tr("👍 No problem, I won't post it.")
        return [Reply(await complete(ctx, flow, lead), ephemeral=False)]
    return [Reply(await consent_message(ctx, tr("Please reply yes or no.")), ephemeral=False)]


def _network_visibility(ctx: Context, flow: Flow) -> list[str]:
    """In an affiliate of a network: who can find the member, and how to change it (everyone
    starts findable in this community only)."""
    if flow.network.network_id is None:
        return []
    p = ctx.prefix
    name = quote(flow.network.network_name, 80)
    match ctx.member.discover_scope:
        case "network":
            now = tr("members of every community of the network can find you")
        case "community":
            now = tr("only this community's members can find you")
        case _:
            now = tr("nobody can find you")
    return [
        "",
        tr(
            "🌐 This community is part of the network “{name}”. Right now {who} with "
            "`{peers}`; choose with `{privacy}` (`network`: the other communities of the "
            "network too).",
            name=name,
            who=now,
            peers=f"{p}peers",
            privacy=f"{p}privacy discoverable on|network|off",
        ),
    ]


async def complete(ctx: Context, flow: Flow, lead: str = "") -> Message:
    """Mark the flow completed and show the summary, matching channels and peers to meet."""
    await ctx.store.onboarding.set_status(ctx.member.id, "completed", ctx.clock.now())
    lines = [lead] if lead else []
    noted = [
        f"• **{question.key}**: {describe(question, answer.value, answer.skipped)}"
        for question in flow.questions
        if (answer := flow.answers.get(slot(question))) is not None
    ]
    if flow.questions:
        lines.append(tr("🎉 All done, thank you {name}!", name=quote(ctx.member.label, 60)))
    if noted:
        lines += [tr("Here's what I noted:"), *noted]
    channels = tag_commands.channel_suggestions(ctx, await _member_tags(ctx))
    if channels:
        lines += ["", tr("**Channels for your interests:**"), *channels]
    peers = await peer_commands.suggest_peers(ctx, limit=3)
    if peers:
        lines += ["", tr("**People you might like to meet:**"), *peers]
    else:
        lines += [
            "",
            tr(
                "I'll have peers to suggest as more members join: try `{command}`.",
                command=f"{ctx.prefix}peers",
            ),
        ]
    lines += _network_visibility(ctx, flow)
    p = ctx.prefix
    lines += [
        "",
        tr(
            "Change anything later with `{profile}` and `{add}` / `{remove}`, or answer the "
            "questions again with `{onboard}`.",
            profile=f"{p}profile edit",
            add=f"{p}tags add",
            remove=f"{p}tags remove",
            onboard=f"{p}onboard",
        ),
    ]
    return Message("\n".join(lines))
