"""The end of the welcome questions: the optional intro post, then a summary with next steps.

An intro is only posted with the member's explicit "yes", and always as quoted, mention-free text:
the introductions channel is public and the intro is whatever the member typed.
"""

from __future__ import annotations

from communitybot.context import Context
from communitybot.models import Tag
from communitybot.naming import who
from communitybot.onboarding.questions import (
    CUSTOM_ID_PREFIX,
    YES_NO,
    describe,
    text_limit,
)
from communitybot.onboarding.state import Flow, slot
from communitybot.peers import commands as peer_commands
from communitybot.replies import Action, Choice, Message, Prompt, Reply, SendToChannel
from communitybot.tags import commands as tag_commands
from communitybot.text import quote

CONSENT_KEY = "__intro_consent"
_YES = {"yes", "y", "yeah", "yep", "sure", "ok", "1"}
_NO = {"no", "n", "nope", "nah", "2", "skip", "stop"}


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
        f"Would you like me to post your intro in {ctx.platform.mention_channel(channel)} "
        "so others can say hello? Reply yes or no."
    )
    prompt = Prompt(
        custom_id=f"{CUSTOM_ID_PREFIX}{CONSENT_KEY}",
        kind="yesno",
        choices=tuple(Choice(value=label, label=label) for label in YES_NO),
    )
    return Message("\n".join(lines), prompt)


async def _member_tags(ctx: Context) -> list[Tag]:
    return list(await ctx.store.tags.tags_of_member(ctx.member.id))


async def _intro_post(ctx: Context, intro: str, limit: int) -> Message:
    lines = [f"👋 Please welcome {who(ctx.platform, ctx.member)}!"]
    if ctx.member.role:
        lines.append(f"**Role:** {quote(ctx.member.role, 80)}")
    lines.append(f"> {quote(intro, limit)}")
    tags = await _member_tags(ctx)
    if tags:
        lines.append("**Interests:** " + ", ".join(f"`{tag.name}`" for tag in tags))
    return Message("\n".join(lines))


async def on_consent(ctx: Context, flow: Flow, word: str) -> list[Action]:
    """The member's answer to "post your intro?"; anything but yes/no asks again."""
    word = word.strip().strip(".!").casefold()
    intro = _intro(flow)
    channel = ctx.community.introductions_channel
    if word in _YES:
        if intro is None or not channel:
            note = "I couldn't post your intro after all (there's no introductions channel now)."
            return [Reply(await complete(ctx, flow, note), ephemeral=False)]
        post = SendToChannel(ctx.community.ref, channel, await _intro_post(ctx, *intro))
        lead = f"📣 Posted your intro in {ctx.platform.mention_channel(channel)}."
        return [post, Reply(await complete(ctx, flow, lead), ephemeral=False)]
    if word in _NO:
        lead = "👍 No problem, I won't post it."
        return [Reply(await complete(ctx, flow, lead), ephemeral=False)]
    return [Reply(await consent_message(ctx, "Please reply yes or no."), ephemeral=False)]


def _network_visibility(ctx: Context, flow: Flow) -> list[str]:
    """In an affiliate of a network: who can find the member, and how to change it (everyone
    starts findable in this community only)."""
    if flow.network.network_id is None:
        return []
    p = ctx.prefix
    name = quote(flow.network.network_name, 80)
    match ctx.member.discover_scope:
        case "network":
            now = "members of every community of the network can find you"
        case "community":
            now = "only this community's members can find you"
        case _:
            now = "nobody can find you"
    return [
        "",
        f"🌐 This community is part of the network “{name}”. Right now {now} with "
        f"`{p}peers`; choose with `{p}privacy discoverable on|network|off` (`network`: the "
        "other communities of the network too).",
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
        lines.append(f"🎉 All done, thank you {quote(ctx.member.label, 60)}!")
    if noted:
        lines += ["Here's what I noted:", *noted]
    channels = tag_commands.channel_suggestions(ctx, await _member_tags(ctx))
    if channels:
        lines += ["", "**Channels for your interests:**", *channels]
    peers = await peer_commands.suggest_peers(ctx, limit=3)
    if peers:
        lines += ["", "**People you might like to meet:**", *peers]
    else:
        lines += ["", f"I'll have peers to suggest as more members join: try `{ctx.prefix}peers`."]
    lines += _network_visibility(ctx, flow)
    lines += [
        "",
        f"Change anything later with `{ctx.prefix}profile edit` and `{ctx.prefix}tags add` / "
        f"`{ctx.prefix}tags remove`, or answer the questions again with `{ctx.prefix}onboard`.",
    ]
    return Message("\n".join(lines))
