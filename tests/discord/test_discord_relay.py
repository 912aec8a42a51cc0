"""Network chats relayed into Discord through channel webhooks, and members' edits, deletions
and replies coming back as events (issue #15): the real discord.py client against the double."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordBot
from adapters.discord.relay import DiscordRelay
from adapters.discord.relay_render import MERGED_NAME, webhook_username
from communitybot.events import ChannelMessage, CommunityRef
from communitybot.logging import configure_logging
from communitybot.ports import MissingPermission, PlatformError
from communitybot.replies import Relayed
from communitybot.settings import load_settings
from tests.discord.gateway_double import BOT_ID, GUILD_ID, WELCOME_CHANNEL, Call, DiscordDouble
from tests.discord.helpers import BOB, connected
from tests.discord.test_discord_threads import recording
from tests.test_logging import restore_logging  # noqa: F401 - autouse: logging put back

COMMUNITY = CommunityRef("discord", GUILD_ID)
AVATAR = "https://matrix.example.org/_matrix/media/v3/download/example.org/ann"


def copy(key: str, text: str = "Hello from Matrix", **extra: Any) -> Relayed:
    return Relayed(key, extra.pop("author", "Ann"), extra.pop("origin", "Matrix"), text, **extra)


async def relay(bot: DiscordBot, conversation: str, *messages: Relayed) -> None:
    await bot.platform.relay(COMMUNITY, conversation, messages)


def contents(calls: list[Call]) -> list[str]:
    return [str(call.body["content"]) for call in calls]


def most_in_any_window(calls: list[Call], window: float) -> int:
    """The largest number of calls that arrived within `window` seconds of each other."""
    times = sorted(call.at for call in calls)
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


async def test_a_copy_is_posted_through_the_channels_webhook_in_its_authors_name(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$1", "Hi @everyone <@&1234>", avatar_url=AVATAR))

    [created] = double.rest("POST", f"/channels/{WELCOME_CHANNEL}/webhooks")
    assert created.body["name"] == "communitybot relay"
    [post] = double.webhook_posts(WELCOME_CHANNEL)
    assert post.query.get("wait") in ("1", "true"), "the message is returned"
    assert post.body["username"] == "Ann · Matrix"
    assert post.body["avatar_url"] == AVATAR
    assert post.body["allowed_mentions"] == {"parse": []}, "nobody is pinged, ever"
    assert "@\u200beveryone" in post.body["content"]


async def test_the_bots_own_webhook_is_reused_and_its_token_never_logged(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    stream = io.StringIO()
    settings = load_settings(_env_file=None, adapter="console", log_level="DEBUG")
    configure_logging(settings, [double.valid_token], stream=stream)
    existing = double.add_webhook(WELCOME_CHANNEL, "communitybot relay")
    double.add_webhook(WELCOME_CHANNEL, "someone else's", owner=BOB)

    await relay(bot, WELCOME_CHANNEL, copy("matrix:$1"))
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$2"))

    assert not double.rest("POST", f"/channels/{WELCOME_CHANNEL}/webhooks")
    assert len(double.rest("GET", f"/channels/{WELCOME_CHANNEL}/webhooks")) == 1, "remembered"
    posts = double.webhook_posts(WELCOME_CHANNEL)
    assert [call.path.split("/")[2] for call in posts] == [existing["id"]] * 2
    output = stream.getvalue()
    assert f"/webhooks/{existing['id']}/[redacted]" in output, "discord.py logged the URL"
    assert existing["token"] not in output


async def test_a_threads_copies_go_through_its_parent_channels_webhook(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    thread = await double._start_thread(WELCOME_CHANNEL, {"name": "Chat"}, double.next_id())
    await relay(bot, thread["id"], copy("matrix:$1"))
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$2"))

    [post] = double.webhook_posts(thread["id"])
    assert post.query["thread_id"] == thread["id"]
    assert len(double.webhooks) == 1, "one webhook for the channel and its threads"
    assert [m["content"] for m in double.live_messages(thread["id"])] == ["Hello from Matrix"]


async def test_a_copy_already_posted_is_not_posted_again(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$1"))
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$1"), copy("matrix:$1"))

    assert len(double.webhook_posts(WELCOME_CHANNEL)) == 1


async def test_an_edit_and_a_deletion_reach_the_copy(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$1", "A1 fractions first"))
    [message] = double.live_messages(WELCOME_CHANNEL)

    await bot.platform.relay_edit(COMMUNITY, WELCOME_CHANNEL, "matrix:$1", "A1 decimals first")
    [edit] = double.rest("PATCH", f"/messages/{message['id']}")
    assert edit.body["allowed_mentions"] == {"parse": []}
    assert double.messages[message["id"]]["content"] == "A1 decimals first"

    await bot.platform.relay_delete(COMMUNITY, WELCOME_CHANNEL, "matrix:$1")
    assert double.live_messages(WELCOME_CHANNEL) == []
    await bot.platform.relay_edit(COMMUNITY, WELCOME_CHANNEL, "matrix:$1", "too late")
    assert len(double.rest("PATCH", "/messages/")) == 1, "no copy any more: nothing to edit"


async def test_editing_or_deleting_one_line_of_a_merged_post_keeps_the_others(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    await relay(
        bot,
        WELCOME_CHANNEL,
        copy("matrix:$1", "first"),
        copy("matrix:$2", "second", author="Bo"),
        copy("matrix:$3", "third", origin="Lycée Curie"),
    )
    [post] = double.webhook_posts(WELCOME_CHANNEL)
    assert post.body["username"] == MERGED_NAME
    assert post.body["content"] == (
        "**Ann · Matrix**: first\n**Bo · Matrix**: second\n**Ann · Lycée Curie**: third"
    )
    [message] = double.live_messages(WELCOME_CHANNEL)

    await bot.platform.relay_edit(COMMUNITY, WELCOME_CHANNEL, "matrix:$2", "second, edited")
    assert double.messages[message["id"]]["content"] == (
        "**Ann · Matrix**: first\n**Bo · Matrix**: second, edited\n**Ann · Lycée Curie**: third"
    )
    await bot.platform.relay_delete(COMMUNITY, WELCOME_CHANNEL, "matrix:$2")
    assert double.messages[message["id"]]["content"] == (
        "**Ann · Matrix**: first\n**Ann · Lycée Curie**: third"
    )
    await bot.platform.relay_delete(COMMUNITY, WELCOME_CHANNEL, "matrix:$1")
    await bot.platform.relay_delete(COMMUNITY, WELCOME_CHANNEL, "matrix:$3")
    assert double.live_messages(WELCOME_CHANNEL) == [], "an empty post is deleted"


async def test_a_long_message_arrives_split_and_complete(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    words = [f"w{n:03d}" for n in range(900)]
    text = " ".join(words)
    assert len(text) == 4499
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$long", text))

    posted = contents(double.webhook_posts(WELCOME_CHANNEL))
    assert len(posted) == 3
    assert all(len(part) <= 2000 for part in posted)
    assert " ".join(posted).split() == words, "nothing cut, nothing lost, in order"

    edited = " ".join(words[:100])
    await bot.platform.relay_edit(COMMUNITY, WELCOME_CHANNEL, "matrix:$long", edited)
    live = double.live_messages(WELCOME_CHANNEL)
    assert [m["content"] for m in live] == [edited], "the parts no longer needed are deleted"


async def test_a_long_copy_cut_short_by_a_failure_is_completed_by_the_retry(
    bot: DiscordBot, double: DiscordDouble, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = [f"w{n:03d}" for n in range(900)]
    relays = bot.platform.relays
    execute = relays._execute
    attempts = 0

    async def second_post_fails(*args: Any) -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 2:
            raise PlatformError("Discord refused a relayed message: 500")
        return await execute(*args)

    monkeypatch.setattr(relays, "_execute", second_post_fails)
    with pytest.raises(PlatformError):
        await relay(bot, WELCOME_CHANNEL, copy("matrix:$long", " ".join(words)))
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$long", " ".join(words)))

    posted = contents(double.webhook_posts(WELCOME_CHANNEL))
    assert len(posted) == 3
    assert " ".join(posted).split() == words, "the first part once, then the rest"


async def test_after_a_restart_copies_are_known_and_the_webhook_reused(
    double: DiscordDouble, tmp_path: Path
) -> None:
    async with connected(double, tmp_path / "bot.db") as first:
        await relay(first, WELCOME_CHANNEL, copy("matrix:$1", "before"))
    async with connected(double, tmp_path / "bot.db") as second:
        await relay(second, WELCOME_CHANNEL, copy("matrix:$1", "before"))
        await second.platform.relay_edit(COMMUNITY, WELCOME_CHANNEL, "matrix:$1", "after")

    assert len(double.webhook_posts(WELCOME_CHANNEL)) == 1, "posted once across the restart"
    assert len(double.rest("GET", f"/channels/{WELCOME_CHANNEL}/webhooks")) == 1
    assert [m["content"] for m in double.live_messages(WELCOME_CHANNEL)] == ["after"]


async def test_deletions_of_messages_from_before_a_restart(
    double: DiscordDouble, tmp_path: Path
) -> None:
    """Discord says only which message went: a copy is still recognised (the relay's table),
    a member's message the bot no longer has in memory is passed on in the bot's name."""
    async with connected(double, tmp_path / "bot.db") as first:
        await relay(first, WELCOME_CHANNEL, copy("matrix:$1"))
        [copied] = double.live_messages(WELCOME_CHANNEL)
        said = await double.say_in_channel(BOB, WELCOME_CHANNEL, "see you")
    async with connected(double, tmp_path / "bot.db") as second:
        with recording(second) as recorder:
            await double.delete_in_channel(copied["id"])
            await double.delete_in_channel(said)
            [deleted] = await recorder.wait(ChannelMessage, 1)
            await asyncio.sleep(0.3)  # handled concurrently: let any straggler land
            events = recorder.of(ChannelMessage)

    assert events == [deleted], "the copy's deletion never comes back"
    assert isinstance(deleted, ChannelMessage)
    assert (deleted.change, deleted.message_id, deleted.user.user_id) == ("deleted", said, BOT_ID)


async def test_an_edit_delivered_right_after_its_post_still_finds_the_copy(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    await asyncio.gather(
        relay(bot, WELCOME_CHANNEL, copy("matrix:$1", "typo")),
        bot.platform.relay_edit(COMMUNITY, WELCOME_CHANNEL, "matrix:$1", "fixed"),
    )

    assert [m["content"] for m in double.live_messages(WELCOME_CHANNEL)] == ["fixed"]


async def test_a_reply_quotes_and_links_the_copy_it_answers(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$1", "What about fractions?"))
    [first] = double.live_messages(WELCOME_CHANNEL)
    await relay(
        bot,
        WELCOME_CHANNEL,
        copy(
            "matrix:$2",
            "Start with pizzas",
            author="Bo",
            reply_to_key="matrix:$1",
            reply_excerpt="What about fractions?",
            attachment_urls=("https://example.org/pizza.png",),
        ),
    )
    second = contents(double.webhook_posts(WELCOME_CHANNEL))[1]
    url = f"https://discord.com/channels/{GUILD_ID}/{WELCOME_CHANNEL}/{first['id']}"
    assert second == (
        f"> [↪ replying to Ann · Matrix](<{url}>): What about fractions?\n"
        "Start with pizzas\nhttps://example.org/pizza.png"
    )

    await relay(bot, WELCOME_CHANNEL, copy("matrix:$3", "Yes!", reply_to_key="matrix:$gone"))
    assert contents(double.webhook_posts(WELCOME_CHANNEL))[2] == "> ↪ reply\nYes!"


async def test_a_burst_is_delivered_in_order_merged_and_within_the_rate_limit(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    texts = [f"message {n:02d}" for n in range(30)]
    await asyncio.gather(
        *(relay(bot, WELCOME_CHANNEL, copy(f"matrix:${n}", text)) for n, text in enumerate(texts))
    )

    posts = double.webhook_posts(WELCOME_CHANNEL)
    lines = [line for post in contents(posts) for line in post.split("\n")]
    assert [line.rsplit(": ", 1)[-1] for line in lines] == texts, "all of them, in order"
    assert len(posts) < 10, "merged into a few posts"
    assert all(call.status != 429 for call in double.calls), "never rate-limited"
    assert most_in_any_window(posts, 2.0) <= 5


async def test_posts_that_cannot_merge_are_paced_at_five_per_two_seconds(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    long = "x " * 950
    await relay(bot, WELCOME_CHANNEL, *(copy(f"matrix:${n}", f"{n} {long}") for n in range(7)))

    posts = double.webhook_posts(WELCOME_CHANNEL)
    assert len(posts) == 7
    numbers = [post.body["content"].split(": ", 1)[1].split(" ", 1)[0] for post in posts]
    assert numbers == [str(n) for n in range(7)], "in order"
    assert all(call.status != 429 for call in double.calls), "never rate-limited"
    assert most_in_any_window(posts, 2.0) <= 5


async def test_the_double_rate_limits_a_relay_that_would_not_pace_itself(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    """So the pacing test above means something: unpaced, the sixth post in 2 s gets a 429."""
    unpaced = DiscordRelay(bot.client, bot.state, posts_per_window=1000, window=0.001)
    long = "x " * 950
    messages = [copy(f"matrix:${n}", f"{n} {long}") for n in range(7)]
    await unpaced.relay(COMMUNITY, WELCOME_CHANNEL, messages)

    refused = [c for c in double.calls if c.path.startswith("/webhooks/") and c.status == 429]
    assert refused, "Discord's limit is enforced by the double"
    assert len(double.webhook_posts(WELCOME_CHANNEL)) == 7, "discord.py waited and retried"


async def test_a_deleted_webhook_is_made_again(bot: DiscordBot, double: DiscordDouble) -> None:
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$1"))
    [first] = list(double.webhooks)
    double.delete_webhook(first)

    await relay(bot, WELCOME_CHANNEL, copy("matrix:$2", "still here"))

    [second] = list(double.webhooks)
    assert second != first
    assert [m["content"] for m in double.live_messages(WELCOME_CHANNEL)][-1] == "still here"


async def test_a_copy_left_by_a_deleted_webhook_is_deleted_by_the_bot_not_edited(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$1", "old webhook"))
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$2", "also old"))
    [old_one, old_two] = double.live_messages(WELCOME_CHANNEL)
    double.delete_webhook(old_one["webhook_id"])
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$3", "new webhook"))

    with pytest.raises(PlatformError, match="can no longer be edited"):
        await bot.platform.relay_edit(COMMUNITY, WELCOME_CHANNEL, "matrix:$2", "edited")
    await bot.platform.relay_delete(COMMUNITY, WELCOME_CHANNEL, "matrix:$1")

    assert double.rest("DELETE", f"/channels/{WELCOME_CHANNEL}/messages/{old_one['id']}")
    assert old_one["id"] in double.deleted_messages
    assert double.messages[old_two["id"]]["content"] == "also old"


async def test_without_manage_webhooks_the_relay_reports_a_missing_permission(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    double.no_webhook_channels.add(WELCOME_CHANNEL)

    with pytest.raises(MissingPermission, match="Manage Webhooks"):
        await relay(bot, WELCOME_CHANNEL, copy("matrix:$1"))
    assert not double.webhook_posts(WELCOME_CHANNEL)


async def test_members_edits_deletions_and_replies_become_events(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    await relay(bot, WELCOME_CHANNEL, copy("matrix:$1", "Who teaches maths?"))
    [copied] = double.live_messages(WELCOME_CHANNEL)
    with recording(bot) as recorder:
        own = await double.say_in_channel(
            BOB, WELCOME_CHANNEL, "Me!", reply_to=copied["id"], attachments=("plan.pdf",)
        )
        await recorder.wait(ChannelMessage, 1)
        await double.edit_in_channel(own, "Me, since 2010!")
        await recorder.wait(ChannelMessage, 2)
        other = await double.say_in_channel(BOB, WELCOME_CHANNEL, "Also…", reply_to=own)
        await recorder.wait(ChannelMessage, 3)
        await double.delete_in_channel(own)
        events = await recorder.wait(ChannelMessage, 4)

    posted, edited, answer, deleted = events
    assert isinstance(posted, ChannelMessage) and posted.change == "posted"
    assert posted.reply_to_key == "matrix:$1", "a reply to a copy points at the original"
    assert posted.reply_to_user_id is None
    assert posted.attachment_urls and posted.attachment_urls[0].endswith("/plan.pdf")
    assert posted.avatar_url and posted.avatar_url.startswith("https://cdn.discordapp.com/")
    assert isinstance(edited, ChannelMessage)
    assert (edited.change, edited.message_id, edited.text) == ("edited", own, "Me, since 2010!")
    assert isinstance(deleted, ChannelMessage)
    assert (deleted.change, deleted.message_id, deleted.text) == ("deleted", own, "")
    assert deleted.user.user_id == BOB
    assert isinstance(answer, ChannelMessage) and answer.message_id == other
    assert answer.reply_to_key == f"discord:{own}"


async def test_our_own_copies_never_come_back_as_events(
    bot: DiscordBot, double: DiscordDouble
) -> None:
    with recording(bot) as recorder:
        await relay(bot, WELCOME_CHANNEL, copy("matrix:$1"), copy("matrix:$2"))
        await relay(bot, WELCOME_CHANNEL, copy("matrix:$3"))
        await bot.platform.relay_edit(COMMUNITY, WELCOME_CHANNEL, "matrix:$3", "edited")
        await bot.platform.relay_delete(COMMUNITY, WELCOME_CHANNEL, "matrix:$3")
        await bot.platform.relay_delete(COMMUNITY, WELCOME_CHANNEL, "matrix:$1")
        sentinel = await double.say_in_channel(BOB, WELCOME_CHANNEL, "after the copies")
        await recorder.wait(ChannelMessage, 1)
        await asyncio.sleep(0.3)  # events are handled concurrently: let any straggler land
        events = recorder.of(ChannelMessage)

    assert [event.message_id for event in events if isinstance(event, ChannelMessage)] == [sentinel]


@pytest.mark.parametrize(
    ("author", "origin", "expected"),
    [
        ("Ann", "Matrix", "Ann · Matrix"),
        ("Ann", "Discord Teachers", "Ann · Dis-cord Teachers"),
        ("CLYDE", "discord", "CLY-DE · dis-cord"),
        ("a@b#c:d", "```x", "a＠b＃c∶d · '''x"),
        ("everyone", "", "everyone (relay)"),
        ("  \n ", "", MERGED_NAME),
        ("A" * 120, "Lycée Curie", "A" * 65 + "… · Lycée Curie"),
    ],
)
def test_webhook_names_follow_discords_rules(author: str, origin: str, expected: str) -> None:
    label = f"{author} · {origin}" if origin else author
    name = webhook_username(label)
    assert name == expected
    assert 1 <= len(name) <= 80
    assert "discord" not in name.casefold() and "clyde" not in name.casefold()
