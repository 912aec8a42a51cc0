"""Typed answers to choice questions the bot asked privately (check-ins, "did you meet?").

On Discord such a question has buttons. Matrix and the console show the same choices as a
numbered list, so the member naturally types "1" or "not yet": this module remembers the last
such question each member was sent (`remember`, in the same transaction as the message) and turns
a typed answer back into the `ChoicePicked` the buttons would have produced (`match`). Only the
prompts listed in `ANSWERABLE` are remembered: onboarding and `/forgetme` read typed answers
themselves, and they keep priority (registry.on_message asks them first).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from communitybot.context import Context
from communitybot.numbers import parse_int
from communitybot.replies import Action, SendDirect
from communitybot.store.store import Store

ANSWERABLE = ("mentoring:checkin:", "rounds:met:", "rounds:rejoin")
"""Prompt ids (prefixes) whose questions can be answered by typing."""
OPEN_FOR = timedelta(days=14)
"""After this, a typed "1" no longer answers the old question (it would surprise more than help)."""


async def remember(store: Store, actions: list[Action], now: datetime) -> None:
    """Note each answerable question sent privately, for the member it goes to."""
    for action in actions:
        if not isinstance(action, SendDirect):
            continue
        prompt = action.message.prompt
        if prompt is None or not prompt.choices or not prompt.custom_id.startswith(ANSWERABLE):
            continue
        community = await store.communities.get(action.community)
        member = await store.members.get(community.id, action.user) if community else None
        if member is not None:
            await store.open_prompts.put(member.id, prompt.custom_id, prompt.choices, now)


def _words(text: str) -> str:
    return " ".join(text.replace("-", " ").replace("’", "'").split()).strip(".!").casefold()


async def match(ctx: Context, text: str) -> tuple[str, tuple[str, ...]] | None:
    """The (prompt id, chosen values) a typed answer stands for, or None if it answers nothing.

    "2", "not yet", "Not-yet", "not_yet" all pick the second of Met / Not yet / End. The
    question is then closed: a second "1" does not answer it again.
    """
    opened = await ctx.store.open_prompts.get(ctx.member.id)
    if opened is None:
        return None
    if ctx.clock.now() - opened.asked_at > OPEN_FOR:
        await ctx.store.open_prompts.clear(ctx.member.id)
        return None
    said = _words(text)
    chosen = None
    number = parse_int(said, 1, len(opened.choices))
    if number is not None:
        chosen = opened.choices[number - 1]
    else:
        chosen = next(
            (
                c
                for c in opened.choices
                if said in (_words(c.value.replace("_", " ")), _words(c.label))
            ),
            None,
        )
    if chosen is None:
        return None
    await ctx.store.open_prompts.clear(ctx.member.id)
    return opened.custom_id, (chosen.value,)


async def answered(ctx: Context, custom_id: str) -> None:
    """A button answered the question: a later typed "1" must not answer it a second time."""
    opened = await ctx.store.open_prompts.get(ctx.member.id)
    if opened is not None and opened.custom_id == custom_id:
        await ctx.store.open_prompts.clear(ctx.member.id)
