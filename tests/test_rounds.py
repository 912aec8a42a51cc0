"""Peer rounds through the bot: opting in, rounds, the weekly schedule, follow-ups, re-confirming.

Driven through the Harness (real Bot, real SQLite file) and a real Scheduler on the fake clock,
which starts on Monday 4 January 2027, 12:00 UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from communitybot.bot import Bot
from communitybot.clock import FakeClock
from communitybot.command_parser import CommandParseError
from communitybot.events import UserRef
from communitybot.peers.index import PeerIndex
from communitybot.rounds.feature import FEATURE as rounds
from communitybot.scheduler import Scheduler
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, running_scheduler
from tests.fakes import FakePlatform, Sent

DAY = 24 * 3600


async def _community(harness: Harness, *members: str, tags: dict[str, tuple[str, ...]]) -> None:
    """A moderator with a moderator-log channel, and members who joined the rounds."""
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    await harness.store.communities.update_settings(community.id, modlog_channel="modlog")
    for name in members:
        await harness.join(name)
        await harness.give_tags(name, *tags.get(name, ()))
        await harness.command(name, "/rounds join")
    harness.platform.take()


def _groups(sent: list[Sent]) -> list[frozenset[str]]:
    """The groups introduced: each `group:<a>,<b>` delivery as a set of user ids."""
    return [
        frozenset(s.where.removeprefix("group:").split(","))
        for s in sent
        if s.where.startswith("group:")
    ]


def _pairs(groups: list[frozenset[str]]) -> set[frozenset[str]]:
    return {frozenset((a, b)) for g in groups for a in g for b in g if a < b}


async def _status(harness: Harness, name: str) -> str:
    return await harness.reply_text(name, "/rounds status")


async def _advance(harness: Harness, scheduler: Scheduler, seconds: float) -> list[Sent]:
    harness.clock.advance(seconds=seconds)
    await scheduler.settle()
    return harness.platform.take()


def _met_id(message_text: str, sent: list[Sent], name: str) -> str:
    (prompted,) = [s for s in sent if s.where == f"dm:{name}" and s.message.prompt]
    assert prompted.message.prompt is not None
    assert message_text in prompted.text
    return prompted.message.prompt.custom_id


FOUR = {
    "ann": ("maths", "robotics"),
    "bob": ("maths", "robotics"),
    "cat": ("art", "history"),
    "dan": ("art", "history"),
}


# Members ----------------------------------------------------------------------------------------


async def test_join_pause_resume_leave_with_friendly_errors(harness: Harness) -> None:
    await harness.join("ann")
    assert "haven't joined" in await harness.reply_text("ann", "/rounds pause")
    assert "nothing to leave" in await harness.reply_text("ann", "/rounds leave")
    joined = await harness.reply_text("ann", "/rounds join")
    assert "You're in" in joined and "tags add" in joined and "aren't scheduled" in joined
    assert "already taking part" in await harness.reply_text("ann", "/rounds join")
    for bad in ("0", "13", "soon"):
        assert "from 1 to 12" in await harness.reply_text("ann", f"/rounds pause {bad}")
    assert "You're taking part" in await _status(harness, "ann")
    assert "skip the next 2 rounds" in await harness.reply_text("ann", "/rounds pause 2")
    assert "skipping the next 2 rounds" in await _status(harness, "ann")
    assert "Welcome back" in await harness.reply_text("ann", "/rounds resume")
    assert "not paused" in await harness.reply_text("ann", "/rounds resume")
    assert "until you say so" in await harness.reply_text("ann", "/rounds pause all")
    assert "Paused until you resume" in await _status(harness, "ann")
    assert "You've left" in await harness.reply_text("ann", "/rounds leave")
    assert "not taking part" in await _status(harness, "ann")


async def test_a_paused_member_skips_exactly_the_rounds_they_asked_to(harness: Harness) -> None:
    await _community(harness, "ann", "bob", "cat", tags=FOUR)
    harness.platform.moderators.add("mod")
    await harness.command("ann", "/rounds pause 1")
    harness.platform.take()
    await harness.command("mod", "/rounds run")
    assert _groups(harness.platform.take()) == [frozenset({"bob", "cat"})]
    assert "You're taking part" in await _status(harness, "ann")
    harness.clock.advance(seconds=DAY)
    await harness.command("mod", "/rounds run")
    assert _groups(harness.platform.take()) == [frozenset({"ann", "bob", "cat"})]


# Rounds -----------------------------------------------------------------------------------------


async def test_a_round_pairs_by_shared_tags_with_one_trio_and_nobody_left_out(
    harness: Harness,
) -> None:
    tags = {**FOUR, "eve": ("art",)}
    await _community(harness, "ann", "bob", "cat", "dan", "eve", tags=tags)
    await harness.command("mod", "/rounds run")
    sent = harness.platform.take()
    assert sorted(_groups(sent), key=len) == [
        frozenset({"ann", "bob"}),
        frozenset({"cat", "dan", "eve"}),
    ]
    intros = {s.where: s.text for s in sent if s.where.startswith("group:")}
    pair = intros["group:ann,bob"]
    assert "Ann, meet Bob" in pair and "**maths**" in pair and "**robotics**" in pair
    assert "Suggested first step" in pair and "rounds status" in pair
    trio = intros["group:cat,dan,eve"]
    assert "Cat, Dan and Eve, meet each other" in trio
    assert "You share **art**. Cat and Dan also share **history**." in trio
    (summary,) = [s.text for s in sent if s.where == "reply:mod"]
    assert "2 group(s) introduced (1 pair, 1 trio, 5 members)" in summary
    assert [s for s in sent if s.where == "#modlog"]


async def test_time_zones_are_named_in_the_introduction(harness: Harness) -> None:
    await _community(harness, "ann", "bob", tags=FOUR)
    await harness.command("ann", "/profile edit timezone Europe/London")
    await harness.command("bob", "/profile edit timezone America/New_York")
    harness.platform.take()
    await harness.command("mod", "/rounds run")
    (intro,) = [s.text for s in harness.platform.take() if s.where.startswith("group:")]
    assert "Ann UTC+0" in intro and "Bob UTC-5" in intro and "5 hours apart" in intro


async def test_no_pair_repeats_within_the_window_over_several_rounds(harness: Harness) -> None:
    # Ann and Bob share the rarest tags: without the window they would meet every round.
    tags = {"ann": ("maths", "chess"), "bob": ("maths", "chess"), "cat": ("art",), "dan": ("art",)}
    await _community(harness, "ann", "bob", "cat", "dan", tags=tags)
    seen: list[set[frozenset[str]]] = []
    for _ in range(3):
        await harness.command("mod", "/rounds run")
        groups = _groups(harness.platform.take())
        assert sorted(len(g) for g in groups) == [2, 2]
        seen.append(_pairs(groups))
        harness.clock.advance(seconds=DAY)
    assert frozenset({"ann", "bob"}) in seen[0]
    assert not (seen[0] & seen[1]) and not (seen[0] & seen[2]) and not (seen[1] & seen[2])
    assert len(seen[0] | seen[1] | seen[2]) == 6  # everyone has met everyone once


async def test_a_round_runs_once_a_day_and_a_preview_changes_nothing(harness: Harness) -> None:
    await _community(harness, "ann", "bob", "cat", "dan", tags=FOUR)
    preview = await harness.reply_text("mod", "/rounds run dry_run=on")
    assert "Preview" in preview and "Ann and Bob" in preview and "maths" in preview
    assert not _groups(harness.platform.take())
    assert await harness.store.db.fetch_one("SELECT * FROM rounds") is None
    await harness.command("mod", "/rounds run")
    assert len(_groups(harness.platform.take())) == 2
    again = await harness.reply_text("mod", "/rounds run")
    assert "already run" in again
    assert not _groups(harness.platform.take())


async def test_nobody_to_pair_and_moderator_only_commands(harness: Harness) -> None:
    await _community(harness, "ann", tags=FOUR)
    text = await harness.reply_text("mod", "/rounds run")
    assert "Nobody to pair" in text and "1 member(s)" in text and "Nothing was changed" in text
    assert await harness.store.db.fetch_one("SELECT * FROM rounds") is None
    for line in ("/rounds run", "/rounds setup weekly", "/rounds off"):
        assert "Only moderators" in await harness.reply_text("ann", line)
    assert await harness.store.rounds.settings(1) is None


async def test_bad_setup_input_changes_nothing(harness: Harness) -> None:
    await _community(harness, tags={})
    with pytest.raises(CommandParseError, match="weekly, biweekly, monthly"):
        await harness.command("mod", "/rounds setup daily")
    for line, expected in (
        ("/rounds setup weekly funday", "not a weekday"),
        ("/rounds setup weekly monday 25:00", "not a time"),
        ("/rounds setup weekly monday 09:00 Mars/Olympus", "time zone"),
    ):
        text = await harness.reply_text("mod", line)
        assert expected in text and "Nothing was changed" in text
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    assert await harness.store.rounds.settings(community.id) is None
    assert "nothing to turn off" in await harness.reply_text("mod", "/rounds off")


# The schedule -----------------------------------------------------------------------------------


@dataclass
class CrashingPlatform(FakePlatform):
    """Dies (raises) after `calls_left` mentions: a power cut in the middle of writing a round."""

    calls_left: int | None = None

    def mention_user(self, user: UserRef) -> str:
        if self.calls_left is not None:
            self.calls_left -= 1
            if self.calls_left < 0:
                raise RuntimeError("the process died")
        return super().mention_user(user)


async def test_weekly_rounds_fire_on_time_and_a_restart_mid_round_duplicates_nothing(
    db_path: Path,
) -> None:
    clock = FakeClock()
    store = await Store.open(db_path)
    platform = CrashingPlatform()
    harness = Harness(Bot(store, platform, clock, PeerIndex()), platform, clock, store)
    await _community(harness, "ann", "bob", "cat", "dan", tags=FOUR)
    text = await harness.reply_text("mod", "/rounds setup weekly monday 09:00")
    assert "every week on Monday at 09:00 (UTC)" in text
    assert "Monday 11 January 2027, 09:00 (UTC)" in text and "the time is UTC" in text
    assert "next round is on Monday 11 January" in await harness.reply_text("ann", "/rounds join")
    async with running_scheduler(harness, rounds.jobs) as scheduler:
        # Monday 4 Jan 12:00 → one minute before the first round: nothing yet.
        assert not _groups(await _advance(harness, scheduler, 7 * DAY - 3 * 3600 - 60))
        first = _groups(await _advance(harness, scheduler, 60))
        assert len(first) == 2
        assert "Monday 18 January" in await _status(harness, "ann")
        platform.calls_left = 5  # the second round dies after writing its first group
        second = await _advance(harness, scheduler, 7 * DAY)
        assert not _groups(second)
    await store.close()

    # The restart: a new store, bot and scheduler on the same file.
    store = await Store.open(db_path)
    platform = CrashingPlatform(moderators={"mod"})
    harness = Harness(Bot(store, platform, clock, PeerIndex()), platform, clock, store)
    async with running_scheduler(harness, rounds.jobs) as scheduler:
        second_groups = _groups(await _advance(harness, scheduler, 5 * 60))
        assert len(second_groups) == 2
        assert not (_pairs(first) & _pairs(second_groups))
        assert not _groups(await _advance(harness, scheduler, 60))
        assert "already run" in await harness.reply_text("mod", "/rounds run")
        rows = await store.db.fetch_all(
            "SELECT r.round_key, count(g.id) FROM rounds r JOIN round_groups g"
            " ON g.round_id = r.id GROUP BY r.id ORDER BY r.id"
        )
        assert [(row[0], row[1]) for row in rows] == [("2027-01-11", 2), ("2027-01-18", 2)]
        for name in FOUR:  # round 1's follow-up, so nobody has two silent rounds yet
            assert "Wonderful" in await harness.reply_text(name, "/rounds met yes")
        third = _groups(await _advance(harness, scheduler, 7 * DAY))
        assert len(third) == 2
    await store.close()


async def test_without_group_conversations_each_member_gets_the_introduction_by_dm(
    harness: Harness,
) -> None:
    await _community(harness, "ann", "bob", tags=FOUR)
    harness.platform.groups_supported = False
    await harness.command("mod", "/rounds run")
    sent = harness.platform.take()
    assert not _groups(sent)
    for name, other in (("ann", "Bob"), ("bob", "Ann")):
        (intro,) = [s.text for s in sent if s.where == f"dm:{name}"]
        assert "Ann, meet Bob" in intro and other in intro


async def test_monthly_rounds_fall_on_the_first_weekday_of_the_month(harness: Harness) -> None:
    await _community(harness, tags={})
    text = await harness.reply_text("mod", "/rounds setup monthly mon 09:00 London")
    assert "every month on the 1st Monday at 09:00 (Europe/London)" in text
    assert "First round: Monday 01 February 2027, 09:00 (Europe/London)" in text


async def test_a_round_missed_by_days_is_skipped_and_the_schedule_goes_on(
    harness: Harness,
) -> None:
    await _community(harness, "ann", "bob", tags=FOUR)
    await harness.command("mod", "/rounds setup weekly monday 09:00")
    harness.platform.take()
    harness.clock.advance(seconds=10 * DAY)  # the bot was down over Monday 11 January
    async with running_scheduler(harness, rounds.jobs) as scheduler:
        sent = await _advance(harness, scheduler, 1)
        assert not _groups(sent)
        assert any("2027-01-11 was skipped" in s.text for s in sent if s.where == "#modlog")
        assert "Monday 18 January" in await _status(harness, "ann")
        assert len(_groups(await _advance(harness, scheduler, 4 * DAY))) == 1


async def test_rounds_off_stops_the_schedule(harness: Harness) -> None:
    await _community(harness, "ann", "bob", tags=FOUR)
    await harness.command("mod", "/rounds setup biweekly thursday 18:30 Europe/Paris 2")
    text = next(s.text for s in harness.platform.take() if s.where == "reply:mod")
    assert "every 2 weeks on Thursday at 18:30 (Europe/Paris)" in text and "2 round(s)" in text
    assert "the time is UTC" not in text
    assert "turned peer rounds off" not in text
    assert "Peer rounds are off" in await harness.reply_text("mod", "/rounds off")
    async with running_scheduler(harness, rounds.jobs) as scheduler:
        assert not _groups(await _advance(harness, scheduler, 30 * DAY))
    assert "aren't scheduled" in await _status(harness, "ann")


# Follow-ups and re-confirmation -----------------------------------------------------------------


async def test_follow_up_buttons_and_the_text_command(harness: Harness) -> None:
    await _community(harness, "ann", "bob", "cat", "dan", tags=FOUR)
    assert "haven't asked you" in await harness.reply_text("ann", "/rounds met yes")
    await harness.command("mod", "/rounds run")
    harness.platform.take()
    async with running_scheduler(harness, rounds.jobs) as scheduler:
        assert not [
            s for s in await _advance(harness, scheduler, 5 * DAY - 60) if s.where.startswith("dm:")
        ]
        sent = await _advance(harness, scheduler, 60)
    ann_button = _met_id("Did you meet Bob", sent, "ann")
    assert re.fullmatch(r"rounds:met:\d+", ann_button)
    ann_text = next(s.text for s in sent if s.where == "dm:ann")
    assert "/rounds met yes" in ann_text and "/rounds met skip" in ann_text
    cat_button = _met_id("Did you meet Dan", sent, "cat")
    await harness.pick("ann", ann_button, "yes")
    assert "Wonderful" in harness.platform.texts("reply:ann")[0]
    assert "still time" in await harness.reply_text("bob", "/rounds met no")
    assert "not met yet" in await _status(harness, "bob")
    assert "Updated" in await harness.reply_text("bob", "/rounds met yes")
    await harness.pick("ann", cat_button, "yes")  # someone else's question
    assert "no longer open" in harness.platform.texts("reply:ann")[0]
    status = await _status(harness, "cat")
    assert "Did you meet Dan?" in status and "no answer yet" in status
    await harness.pick("cat", cat_button, "skip")
    assert "someone new" in harness.platform.texts("reply:cat")[0]


async def test_a_typed_answer_to_did_you_meet_counts_like_the_button(harness: Harness) -> None:
    await _community(harness, "ann", "bob", "cat", "dan", tags=FOUR)
    for name in ("ann", "bob"):
        await harness.say(name, "stop")  # out of the welcome questions
    await harness.command("mod", "/rounds run")
    harness.platform.take()
    async with running_scheduler(harness, rounds.jobs) as scheduler:
        await _advance(harness, scheduler, 5 * DAY)
    await harness.say("ann", "yes, we met!")
    assert "Wonderful" in harness.platform.texts("reply:ann")[0]
    await harness.say("bob", "2")  # "Not yet", the second choice
    assert "still time" in harness.platform.texts("reply:bob")[0]
    assert "not met yet" in await _status(harness, "bob")


async def test_silent_members_are_put_on_hold_after_two_rounds_until_they_confirm(
    harness: Harness,
) -> None:
    await _community(harness, "ann", "bob", "cat", "dan", tags=FOUR)
    await harness.command("mod", "/rounds setup weekly monday 09:00")
    harness.platform.take()
    async with running_scheduler(harness, rounds.jobs) as scheduler:
        await _advance(harness, scheduler, 7 * DAY - 3 * 3600)  # round 1: Monday 11 Jan
        for _ in range(2):
            await _advance(harness, scheduler, 5 * DAY)  # its follow-ups
            for name in ("ann", "bob", "cat"):
                await harness.command(name, "/rounds met yes")
            harness.platform.take()
            sent = await _advance(harness, scheduler, 2 * DAY)  # the next round
        # Round 3 (25 Jan): Dan answered neither follow-up.
        assert _groups(sent) == [frozenset({"ann", "bob", "cat"})]
        (asked,) = [s for s in sent if s.where == "dm:dan"]
        assert "still up for peer rounds" in asked.text and "/rounds join" in asked.text
        assert asked.message.prompt is not None
        assert asked.message.prompt.custom_id == "rounds:rejoin"
        assert "On hold" in await _status(harness, "dan")
        assert any("1 put on hold" in s.text for s in sent if s.where == "#modlog")
        # Round 4: still on hold, and not asked again.
        await _advance(harness, scheduler, 5 * DAY)
        for name in ("ann", "bob", "cat"):
            await harness.command(name, "/rounds met yes")
        harness.platform.take()
        sent = await _advance(harness, scheduler, 2 * DAY)
        assert all("dan" not in g for g in _groups(sent))
        assert not [s for s in sent if s.where == "dm:dan"]
        late = await harness.reply_text("dan", "/rounds met yes")
        assert "Wonderful" in late and "on hold" in late  # an answer alone is no re-confirmation
        await harness.pick("dan", "rounds:rejoin", "join")
        assert "back in" in harness.platform.texts("reply:dan")[0]
        await _advance(harness, scheduler, 5 * DAY)
        sent = await _advance(harness, scheduler, 2 * DAY)
        assert any("dan" in g for g in _groups(sent))


async def test_a_member_who_leaves_is_out_and_their_partners_are_told(harness: Harness) -> None:
    await _community(harness, "ann", "bob", "cat", "dan", "eve", tags={**FOUR, "eve": ("art",)})
    await harness.command("mod", "/rounds run")
    harness.platform.take()
    await harness.leave("ann")
    await harness.leave("eve")
    sent = harness.platform.take()
    (to_bob,) = [s.text for s in sent if s.where == "dm:bob"]
    assert "Ann has left the community" in to_bob and "someone new" in to_bob
    to_cat = [s.text for s in sent if s.where == "dm:cat"]
    assert len(to_cat) == 1 and "Eve has left" in to_cat[0] and "can still meet" in to_cat[0]
    assert await harness.store.rounds.participant((await harness.member("ann")).id) is None
    async with running_scheduler(harness, rounds.jobs) as scheduler:
        sent = await _advance(harness, scheduler, 6 * DAY)
    assert not [s for s in sent if s.where in ("dm:bob", "dm:ann")]
    assert [s for s in sent if s.where == "dm:cat" and "Did you meet Dan" in s.text]


# Privacy and figures ----------------------------------------------------------------------------


async def test_mydata_exports_rounds_and_forgetme_deletes_them(harness: Harness) -> None:
    await _community(harness, "ann", "bob", tags=FOUR)
    await harness.command("mod", "/rounds run")
    harness.platform.take()
    export = (await harness.reply_file("ann", "/mydata")).content.decode()
    assert '"peer_rounds"' in export and '"status": "active"' in export
    assert (
        '"partners": [\n' in export
        and '"Bob"' in export
        and '"shared": "maths, robotics"' in export
    )
    ann = await harness.member("ann")
    await harness.command("ann", "/forgetme")
    await harness.say("ann", "yes")
    for table in ("round_members", "round_group_members"):
        row = await harness.store.db.fetch_one(
            f"SELECT count(*) FROM {table} WHERE member_id = ?", (ann.id,)
        )
        assert row is not None and row[0] == 0
    assert "Ann" not in (await harness.reply_file("bob", "/mydata")).content.decode()


async def test_stats_show_the_rounds(harness: Harness) -> None:
    await _community(harness, "ann", "bob", "cat", tags=FOUR)
    await harness.command("cat", "/rounds pause")
    before = await harness.reply_text("mod", "/stats")
    assert "Peer rounds: not scheduled; 3 taking part (1 paused, 0 on hold)" in before
    await harness.command("mod", "/rounds setup weekly")
    await harness.command("mod", "/rounds run")
    text = await harness.reply_text("mod", "/stats")
    assert "every week on Monday at 09:00 (UTC), next Mon 11 Jan" in text
    assert "1 round(s) so far" in text and "1 group(s), 0 of 2 said they met" in text


async def test_recording_a_round_twice_adds_nothing(harness: Harness) -> None:
    await _community(harness, "ann", "bob", "cat", tags=FOUR)
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    ids = [(await harness.member(n)).id for n in ("ann", "bob", "cat")]
    now = harness.clock.now()
    rounds_repo = harness.store.rounds
    round_id = await rounds_repo.add_round(community.id, "2027-01-04", "manual", now)
    assert round_id is not None
    assert await rounds_repo.add_round(community.id, "2027-01-04", "schedule", now) is None
    groups = [([ids[1], ids[0]], "maths"), ([ids[2]], "")]
    first = await rounds_repo.add_groups(round_id, community.id, groups, now)
    assert sorted(first) == [f"{round_id}:{ids[0]}-{ids[1]}", f"{round_id}:{ids[2]}"]
    assert await rounds_repo.add_groups(round_id, community.id, groups, now) == {}
    row = await harness.store.db.fetch_one("SELECT count(*) FROM round_group_members")
    assert row is not None and row[0] == 3
