"""Mentoring check-ins: buttons and typed answers, follow-ups, flags for moderators, /stats, a
restart between the introduction and the check-in, and the check-in interval setting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from communitybot.bot import Bot
from communitybot.events import CommandInvoked, ConversationRef
from communitybot.mentoring.feature import FEATURE as mentoring
from communitybot.peers.index import PeerIndex
from communitybot.scheduler import Scheduler
from communitybot.store.store import Store
from tests.conftest import COMMUNITY, Harness, running_scheduler, user
from tests.fakes import FakePlatform
from tests.mentoring_setup import ann_mentors_cat, mentoring_community


async def _to(harness: Harness, days: float, scheduler: Scheduler) -> None:
    harness.clock.advance(days=days)
    await scheduler.settle()


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, mentoring.jobs) as running:
        yield running


async def test_button_answers_are_stored_and_feed_stats(
    harness: Harness, scheduler: Scheduler
) -> None:
    pair_id = await ann_mentors_cat(harness)
    await _to(harness, 14.01, scheduler)
    sent = harness.platform.take()
    assert sorted(s.where for s in sent) == ["dm:ann", "dm:cat"]
    prompt = sent[0].message.prompt
    assert prompt is not None and prompt.custom_id == f"mentoring:checkin:{pair_id}"
    assert prompt.kind == "single"

    await harness.pick("cat", f"mentoring:checkin:{pair_id}", "met")
    (thanks,) = harness.platform.texts("reply:cat")
    assert "Wonderful" in thanks and "Ann" in thanks
    await harness.pick("ann", f"mentoring:checkin:{pair_id}", "not_yet")
    (noted,) = harness.platform.texts("reply:ann")
    assert "ask again in about 14 days" in noted

    stats = await harness.reply_text("mod", "/stats")
    assert "Mentor pairings: 1 active (0 flagged), 0 request(s) waiting" in stats
    assert "check-ins answered: 1 met, 1 not yet" in stats

    # Two weeks on, only Ann (who hadn't met yet) is asked again; Cat said "met".
    await _to(harness, 14, scheduler)
    assert [s.where for s in harness.platform.take()] == ["dm:ann"]
    await harness.pick("ann", f"mentoring:checkin:{pair_id}", "met")
    harness.platform.take()
    await _to(harness, 60, scheduler)
    assert not harness.platform.take()
    pairs = await harness.reply_text("mod", "/mentoring pairs")
    assert "Cat ← Ann" in pairs and "check-in 2: Cat: met, Ann: met" in pairs


async def test_answering_end_ends_the_pairing_like_mentor_end(
    harness: Harness, scheduler: Scheduler
) -> None:
    pair_id = await ann_mentors_cat(harness)
    await _to(harness, 14.01, scheduler)
    harness.platform.take()
    await harness.pick("cat", f"mentoring:checkin:{pair_id}", "end")
    sent = harness.platform.take()
    (done,) = [s.text for s in sent if s.where == "reply:cat"]
    assert "The pairing is ended" in done
    (told,) = [s.text for s in sent if s.where == "dm:ann"]
    assert "Cat has ended your mentoring pairing" in told
    assert "Nothing yet" in await harness.reply_text("cat", "/mentor status")
    # The old button now says so; nobody is asked again.
    await harness.pick("ann", f"mentoring:checkin:{pair_id}", "met")
    assert "already ended" in harness.platform.texts("reply:ann")[0]
    await _to(harness, 60, scheduler)
    assert not harness.platform.take()


async def test_two_unanswered_checkins_flag_the_pairing_once(
    harness: Harness, scheduler: Scheduler
) -> None:
    await ann_mentors_cat(harness)
    await _to(harness, 14.01, scheduler)
    assert sorted(s.where for s in harness.platform.take()) == ["dm:ann", "dm:cat"]
    await harness.command("ann", "/mentor checkin not-yet")  # Ann answers, Cat stays silent
    harness.platform.take()
    await _to(harness, 14, scheduler)
    assert sorted(s.where for s in harness.platform.take()) == ["dm:ann", "dm:cat"]
    await harness.command("ann", "/mentor checkin not-yet")
    harness.platform.take()
    await _to(harness, 14, scheduler)
    sent = harness.platform.take()
    (flag,) = [s.text for s in sent if s.where == "#modlog"]
    assert "Cat ← Ann" in flag and "Cat left two check-ins unanswered" in flag
    assert "Ann left" not in flag
    assert not [s for s in sent if s.where.startswith("dm:")]  # no more asking once flagged

    stats = await harness.reply_text("mod", "/stats")
    assert "1 active (1 flagged)" in stats
    pairs = await harness.reply_text("mod", "/mentoring pairs")
    assert "⚠️ flagged" in pairs and "Cat: no answer yet" in pairs and "Ann: not yet" in pairs
    await _to(harness, 90, scheduler)
    assert not harness.platform.take()  # flagged once
    # Cat turns up after all: "met" clears the flag, and the moderators hear so.
    await harness.command("cat", "/mentor checkin met")
    (cleared,) = harness.platform.texts("#modlog")
    assert "Cat says they have met" in cleared and "no longer flagged" in cleared
    assert "1 active (0 flagged)" in await harness.reply_text("mod", "/stats")


async def test_a_restart_between_introduction_and_checkin_loses_nothing(
    harness: Harness, store_target: Path | str
) -> None:
    pair_id = await ann_mentors_cat(harness)
    await harness.store.close()  # the bot stops after the introductions…

    store = await Store.open(store_target)  # …and starts again on the same database
    platform = FakePlatform(moderators={"mod"})
    try:
        bot = Bot(store, platform, harness.clock, PeerIndex(), prefix="/")
        restarted = Harness(bot, platform, harness.clock, store)
        async with running_scheduler(restarted, mentoring.jobs) as scheduler:
            await _to(restarted, 14.01, scheduler)
            assert sorted(s.where for s in platform.take()) == ["dm:ann", "dm:cat"]
            await restarted.pick("cat", f"mentoring:checkin:{pair_id}", "met")
            assert "Wonderful" in platform.texts("reply:cat")[0]
        stats = await restarted.reply_text("mod", "/stats")
        assert "check-ins answered: 1 met, 0 not yet" in stats
    finally:
        await store.close()


async def test_a_checkin_due_during_a_long_downtime_still_goes_out_and_the_next_follows(
    harness: Harness, store_target: Path | str
) -> None:
    await ann_mentors_cat(harness)
    await harness.store.close()
    harness.clock.advance(days=40)  # down for weeks, well past the first check-in

    store = await Store.open(store_target)
    platform = FakePlatform(moderators={"mod"})
    try:
        bot = Bot(store, platform, harness.clock, PeerIndex(), prefix="/")
        restarted = Harness(bot, platform, harness.clock, store)
        async with running_scheduler(restarted, mentoring.jobs) as scheduler:
            await _to(restarted, 0.01, scheduler)
            assert sorted(s.where for s in platform.take()) == ["dm:ann", "dm:cat"]
            await _to(restarted, 14.01, scheduler)  # unanswered: asked again one interval later
            assert sorted(s.where for s in platform.take()) == ["dm:ann", "dm:cat"]
    finally:
        await store.close()


async def test_the_checkin_interval_is_a_community_setting(
    harness: Harness, scheduler: Scheduler
) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("mod", "/mentoring settings checkin_days=5")
    sent = harness.platform.take()
    (saved,) = [s.text for s in sent if s.where == "reply:mod"]
    assert "check-ins after 5 days" in saved
    (logged,) = [s.text for s in sent if s.where == "#modlog"]
    assert "changed the mentoring settings" in logged
    shown = await harness.reply_text("mod", "/mentoring settings")
    assert "Check-ins: 5 days" in shown and "Automatic matching: off" in shown
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    intro = [s.text for s in harness.platform.take() if s.where.startswith("group:")]
    assert "In 5 days I'll ask each of you" in intro[0]
    await _to(harness, 4.9, scheduler)
    assert not harness.platform.take()
    await _to(harness, 0.2, scheduler)
    assert sorted(s.where for s in harness.platform.take()) == ["dm:ann", "dm:cat"]


async def test_bad_settings_are_refused_and_change_nothing(harness: Harness) -> None:
    await mentoring_community(harness, "ann")

    async def settings(name: str, **options: object) -> str:
        harness.platform.take()
        event = CommandInvoked(
            COMMUNITY,
            user(name),
            ConversationRef("fake", "channel", "general"),
            ("mentoring", "settings"),
            dict(options),
        )
        await harness.bot.dispatch(event)
        (text,) = harness.platform.texts(f"reply:{name}")
        return text

    for days in (2, 91, "soon"):
        assert "from 3 to 90" in await settings("mod", checkin_days=days)
    assert "on or off" in await settings("mod", auto_match="maybe")
    assert "Only moderators" in await settings("ann", checkin_days=21)
    assert "Only moderators" in await harness.reply_text("ann", "/mentoring pairs")
    shown = await settings("mod")
    assert "Check-ins: 14 days" in shown and "Automatic matching: off" in shown


async def test_typed_checkin_answers_and_their_friendly_errors(
    harness: Harness, scheduler: Scheduler
) -> None:
    await mentoring_community(harness, "ann", "cat", "dan", "eve")
    assert "no active mentoring pairing" in await harness.reply_text("cat", "/mentor checkin met")
    await harness.command("ann", "/mentor offer 2 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("dan", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    assert "haven't asked you" in await harness.reply_text("cat", "/mentor checkin met")
    assert "no active mentoring pairing with them" in await harness.reply_text(
        "cat", "/mentor checkin met eve"
    )
    await _to(harness, 14.01, scheduler)
    harness.platform.take()
    assert "Say which one" in await harness.reply_text("ann", "/mentor checkin met")
    assert "Wonderful" in await harness.reply_text("ann", "/mentor checkin met dan")
    # Only Cat's check-in is still open for Ann now, so no name is needed.
    assert "ask again" in await harness.reply_text("ann", "/mentor checkin not-yet")
    pairs = await harness.reply_text("mod", "/mentoring pairs")
    assert "Cat: no answer yet, Ann: not yet" in pairs
    assert "Dan: no answer yet, Ann: met" in pairs


async def test_a_typed_number_or_word_answers_the_checkin_where_there_are_no_buttons(
    harness: Harness, scheduler: Scheduler
) -> None:
    await ann_mentors_cat(harness)
    await harness.say("cat", "stop")  # out of the welcome questions: DMs reach the check-in
    await harness.say("ann", "stop")
    await _to(harness, 14.01, scheduler)
    harness.platform.take()
    export = (await harness.reply_file("cat", "/mydata")).content.decode()
    assert '"open_question": {' in export and "mentoring:checkin:" in export
    await harness.say("cat", "1")  # Matrix and the console show the choices numbered
    assert "Wonderful" in harness.platform.texts("reply:cat")[0]
    await harness.say("ann", "Not yet")
    assert "ask again" in harness.platform.texts("reply:ann")[0]
    await harness.say("ann", "1")  # that question is answered: nothing to answer twice
    assert "not sure what you mean" in harness.platform.texts("reply:ann")[0]
    stats = await harness.reply_text("mod", "/stats")
    assert "check-ins answered: 1 met, 1 not yet" in stats


async def test_a_member_still_in_the_welcome_questions_answers_those_first(
    harness: Harness, scheduler: Scheduler
) -> None:
    await ann_mentors_cat(harness)
    await _to(harness, 14.01, scheduler)
    harness.platform.take()
    await harness.say("cat", "1")  # the welcome questions are still running for Cat
    assert "Wonderful" not in " ".join(harness.platform.texts())
    assert "check-ins answered: 0 met" in await harness.reply_text("mod", "/stats")


async def test_stray_buttons_are_answered_kindly(harness: Harness, scheduler: Scheduler) -> None:
    pair_id = await ann_mentors_cat(harness)
    await harness.join("eve")
    await _to(harness, 14.01, scheduler)
    harness.platform.take()
    for name, custom_id, value in (
        ("eve", f"mentoring:checkin:{pair_id}", "met"),  # not her pairing
        ("cat", "mentoring:checkin:999", "met"),  # no such pairing
        ("cat", "mentoring:checkin:abc", "met"),
        ("cat", f"mentoring:checkin:{pair_id}", "maybe"),
    ):
        await harness.pick(name, custom_id, value)
        (text,) = harness.platform.texts(f"reply:{name}")
        assert "no longer open" in text
    assert "check-ins answered: 0 met" in await harness.reply_text("mod", "/stats")


async def test_checkins_are_in_mydata_and_go_with_forgetme(
    harness: Harness, scheduler: Scheduler
) -> None:
    pair_id = await ann_mentors_cat(harness)
    await _to(harness, 14.01, scheduler)
    await harness.pick("cat", f"mentoring:checkin:{pair_id}", "not_yet")
    export = (await harness.reply_file("cat", "/mydata")).content.decode()
    assert '"answer": "not_yet"' in export and '"partner": "Ann"' in export
    await harness.command("cat", "/forgetme")
    await harness.say("cat", "yes")
    row = await harness.store.db.fetch_one("SELECT count(*) FROM mentor_checkins")
    assert row is not None and row[0] == 0
    await _to(harness, 30, scheduler)
    assert not [s for s in harness.platform.take() if s.where == "dm:ann"]


async def test_a_checkin_scheduled_by_the_first_release_still_goes_out(
    harness: Harness, scheduler: Scheduler
) -> None:
    """Jobs stored before check-in rounds existed carry only the pair id (round 1)."""
    pair_id = await ann_mentors_cat(harness)
    now = harness.clock.now()
    await harness.store.jobs.cancel(f"mentoring.checkin:{pair_id}", now)
    await harness.store.jobs.schedule(
        "mentoring.checkin", now, f"mentoring.checkin:{pair_id}:old", now, {"pair_id": pair_id}
    )
    await _to(harness, 0.01, scheduler)
    assert sorted(s.where for s in harness.platform.take()) == ["dm:ann", "dm:cat"]
    assert "Wonderful" in await harness.reply_text("cat", "/mentor checkin met")


@pytest.mark.parametrize("values", [(), ("bogus",), ("Met!",)])
async def test_a_malformed_button_press_keeps_the_question_open(
    harness: Harness, scheduler: Scheduler, values: tuple[str, ...]
) -> None:
    pair_id = await ann_mentors_cat(harness)
    await harness.say("cat", "stop")  # out of the welcome questions: DMs reach the check-in
    await _to(harness, 14.01, scheduler)
    harness.platform.take()
    await harness.pick("cat", f"mentoring:checkin:{pair_id}", *values)
    assert "no longer open" in harness.platform.texts("reply:cat")[0]
    await harness.pick("ann", f"mentoring:checkin:{pair_id}", "bogus")  # not even hers to close
    harness.platform.take()
    await harness.say("cat", "1")  # the typed answer still answers the question
    assert "Wonderful" in harness.platform.texts("reply:cat")[0]
