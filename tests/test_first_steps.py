"""A fresh community tells its moderators what to set up first: the welcome and introductions
channels (`/ask` and intro posts need them). Once after the first moderator command, and in
`/stats` for as long as a channel is unset."""

from __future__ import annotations

from tests.conftest import Harness

HINT = "First steps for this community"
TO_SET_UP = "• Not set yet:"


async def moderator(harness: Harness, name: str = "mod") -> str:
    harness.platform.moderators.add(name)
    await harness.join(name)
    harness.platform.take()
    return name


async def test_the_first_moderator_command_ends_with_the_hint_once(harness: Harness) -> None:
    mod = await moderator(harness)
    first = await harness.reply_text(mod, "/tags create robotics subject")
    assert "robotics" in first, "the command's own answer comes first"
    hint = first[first.index(HINT) :]
    assert "welcome channel" in hint and "/ask" in hint
    assert "introductions channel" in hint and "intro posts" in hint
    assert "`/setup welcome_channel=… introductions_channel=…`" in hint
    assert HINT not in await harness.reply_text(mod, "/tags create drama subject")
    assert HINT not in await harness.reply_text("mod", "/setup")


async def test_the_hint_names_only_what_is_still_missing(harness: Harness) -> None:
    mod = await moderator(harness)
    saved = await harness.reply_text(mod, "/setup welcome_channel=welcome")
    assert "Saved" in saved
    hint = saved[saved.index(HINT) :]
    assert "introductions channel" in hint and "welcome channel" not in hint
    assert "`/setup introductions_channel=…`" in hint


async def test_setting_both_channels_first_needs_no_hint(harness: Harness) -> None:
    mod = await moderator(harness)
    saved = await harness.reply_text(mod, "/setup welcome_channel=welcome introductions_channel=i")
    assert "Saved" in saved and HINT not in saved
    assert TO_SET_UP not in await harness.reply_text(mod, "/stats")


async def test_stats_reminds_while_unset_and_is_not_repeated_by_the_hint(
    harness: Harness,
) -> None:
    mod = await moderator(harness)
    stats = await harness.reply_text(mod, "/stats")
    assert stats.count("welcome channel") == 1, "one reminder, not the line and the hint"
    assert HINT not in stats
    (line,) = [line for line in stats.splitlines() if line.startswith(TO_SET_UP)]
    assert "introductions channel" in line and "/setup welcome_channel=…" in line
    assert HINT not in await harness.reply_text(mod, "/tags create robotics subject")
    await harness.command(mod, "/setup welcome_channel=welcome introductions_channel=intros")
    assert TO_SET_UP not in await harness.reply_text(mod, "/stats")


async def test_members_never_see_it_and_it_waits_for_a_moderator(harness: Harness) -> None:
    await harness.join("alice")
    harness.platform.take()
    assert HINT not in await harness.reply_text("alice", "/tags add maths")
    refused = await harness.reply_text("alice", "/stats")
    assert "Only moderators" in refused and HINT not in refused
    mod = await moderator(harness)
    assert HINT in await harness.reply_text(mod, "/tags create robotics subject")


async def test_after_a_public_answer_the_hint_is_a_separate_private_reply(
    harness: Harness,
) -> None:
    mod = await moderator(harness)
    await harness.command(
        mod, '/chat create engchat "Feedback" chats "weekly tuesday" 19:00 Europe/London'
    )
    replies = [s for s in harness.platform.take() if s.where == f"reply:{mod}"]
    public = [s for s in replies if not s.ephemeral]
    private = [s for s in replies if s.ephemeral]
    assert public and all(HINT not in s.text for s in public)
    assert [s for s in private if HINT in s.text], [s.text for s in replies]
