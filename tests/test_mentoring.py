"""Mentoring through the bot: offers, requests, matching rounds, introductions, ending."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from communitybot.mentoring.feature import FEATURE as mentoring
from communitybot.scheduler import Scheduler
from communitybot.store.mentoring import MentoringRepository
from tests.conftest import Harness, running_scheduler
from tests.mentoring_setup import ann_mentors_cat, mentoring_community


async def test_a_round_introduces_each_pair_privately_and_tells_the_moderators(
    harness: Harness,
) -> None:
    await mentoring_community(harness, "ann", "bob", "cat")
    assert "up to 2 people" in await harness.reply_text(
        "ann", "/mentor offer 2 maths,robotics note=Happy to help with first lessons"
    )
    await harness.command("bob", "/mentor offer 1 science")
    assert "looking for a mentor" in await harness.reply_text(
        "cat", "/mentor request robotics,maths goals=I want to start a robotics club"
    )
    harness.platform.take()
    await harness.command("mod", "/mentoring match")
    sent = harness.platform.take()
    # One private group conversation for the pair (mentor first), nothing by DM.
    (intro,) = [s.text for s in sent if s.where == "group:ann,cat"]
    assert not [s for s in sent if s.where.startswith("dm:")]
    assert "Ann, meet Cat" in intro and "Ann is Cat's new mentor" in intro
    assert "robotics" in intro and "maths" in intro
    assert "Suggested first step" in intro
    assert "first lessons" in intro and "robotics club" in intro
    assert not [s for s in sent if s.where == "dm:bob"]
    (summary,) = [s.text for s in sent if s.where == "#modlog"]
    assert "1 new pair" in summary
    status = await harness.reply_text("cat", "/mentor status")
    assert "Ann is your mentor" in status
    # Running the round again changes nothing: the request is matched, nobody is re-introduced.
    again = await harness.reply_text("mod", "/mentoring match")
    assert "Nobody to match" in again
    assert not [s for s in harness.platform.take() if s.where.startswith(("dm:", "group:"))]


async def test_dry_run_previews_without_saving_or_messaging(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    harness.platform.take()
    await harness.command("mod", "/mentoring match dry_run=yes")
    sent = harness.platform.take()
    (preview,) = [s.text for s in sent if s.where == "reply:mod"]
    assert "Preview" in preview and "Cat ← Ann" in preview and "maths" in preview
    assert [s.where for s in sent] == ["reply:mod"]
    assert "waiting for a match" in await harness.reply_text("cat", "/mentor status")


async def test_bad_input_is_refused_and_saves_nothing(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    for line in ("/mentor offer 9 maths", "/mentor offer 0 maths"):
        assert "from 1 to 5" in await harness.reply_text("ann", line)
    assert "Nothing was saved" in await harness.reply_text("ann", "/mentor offer 2 knitting")
    assert "Nothing was saved" in await harness.reply_text("cat", "/mentor request maths,knitting")
    assert "Nothing yet" in await harness.reply_text("ann", "/mentor status")
    assert "Nothing yet" in await harness.reply_text("cat", "/mentor status")
    assert "Nobody to match" in await harness.reply_text("mod", "/mentoring match")
    assert "haven't offered" in await harness.reply_text("cat", "/mentor pause")
    assert "no active mentoring" in await harness.reply_text("cat", "/mentor end")


async def test_matching_is_for_moderators_only(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    harness.platform.take()
    await harness.command("cat", "/mentoring match")
    assert not [s for s in harness.platform.take() if s.where.startswith(("dm:", "group:"))]
    assert "waiting for a match" in await harness.reply_text("cat", "/mentor status")


async def test_a_paused_mentor_is_not_matched_until_they_resume(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 1 maths")
    assert "Paused" in await harness.reply_text("ann", "/mentor pause")
    await harness.command("cat", "/mentor request maths")
    assert "Nobody to match" in await harness.reply_text("mod", "/mentoring match")
    await harness.command("ann", "/mentor resume")
    assert "1 new pair" in await harness.reply_text("mod", "/mentoring match")


async def test_ending_tells_the_other_side_kindly_and_the_pair_is_never_repeated(
    harness: Harness,
) -> None:
    await ann_mentors_cat(harness)
    await harness.command("cat", '/mentor end feedback="We never found a time"')
    sent = harness.platform.take()
    (ended,) = [s.text for s in sent if s.where == "reply:cat"]
    assert "ended" in ended and "only to the moderators" in ended
    (told,) = [s.text for s in sent if s.where == "dm:ann"]
    assert "Cat has ended" in told and "never found a time" not in told
    cat = await harness.member("cat")
    rows = await harness.store.db.fetch_all(
        "SELECT status, feedback FROM mentor_pairs WHERE mentee_id = ?", (cat.id,)
    )
    assert [tuple(r) for r in rows] == [("ended", "We never found a time")]
    # Cat asks again; Ann (the only mentor, with seats free) is not proposed a second time.
    await harness.command("cat", "/mentor request maths")
    text = await harness.reply_text("mod", "/mentoring match")
    assert "0 new pair" in text and "1 request(s) still waiting" in text


async def test_a_mentor_is_never_matched_as_the_mentee_of_their_own_mentee(
    harness: Harness,
) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    await harness.command("cat", "/mentor offer 1 robotics")
    await harness.command("ann", "/mentor request robotics")
    text = await harness.reply_text("mod", "/mentoring match")
    assert "0 new pair" in text


async def test_a_member_with_several_pairings_names_the_one_to_end(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat", "dan")
    await harness.command("ann", "/mentor offer 2 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("dan", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    assert "Say which one" in await harness.reply_text("ann", "/mentor end")
    assert "ended" in await harness.reply_text("ann", "/mentor end dan")
    status = await harness.reply_text("ann", "/mentor status")
    assert "Cat is your mentee" in status and "Dan" not in status


async def test_recording_a_pair_twice_in_a_round_is_a_no_op(harness: Harness) -> None:
    round_key = "2027-01-04"
    await mentoring_community(harness, "ann", "cat")
    ann, cat = await harness.member("ann"), await harness.member("cat")
    repo = MentoringRepository(harness.store.db)
    now = harness.clock.now()
    first = await repo.add_pair(ann.community_id, ann.id, cat.id, round_key, 5, "maths", now)
    assert first is not None
    assert await repo.add_pair(ann.community_id, ann.id, cat.id, round_key, 5, "maths", now) is None
    assert len(await repo.active_pairs_of(ann.id)) == 1


@pytest.fixture
async def scheduler(harness: Harness) -> AsyncIterator[Scheduler]:
    async with running_scheduler(harness, mentoring.jobs) as running:
        yield running


async def test_both_sides_are_asked_how_it_goes_two_weeks_in(
    harness: Harness, scheduler: Scheduler
) -> None:
    await mentoring_community(harness, "ann", "cat", "dan")
    await harness.command("ann", "/mentor offer 2 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("dan", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    await harness.command("dan", "/mentor end")
    harness.platform.take()
    harness.clock.advance(days=13)
    await scheduler.settle()
    assert not harness.platform.take()
    harness.clock.advance(days=1, minutes=1)
    await scheduler.settle()
    sent = harness.platform.take()
    assert sorted(s.where for s in sent) == ["dm:ann", "dm:cat"]  # not Dan: that pairing ended
    (to_cat,) = [s for s in sent if s.where == "dm:cat"]
    assert "how is it going?" in to_cat.text and "Ann, your mentor" in to_cat.text
    assert to_cat.message.prompt is not None
    assert [c.value for c in to_cat.message.prompt.choices] == ["met", "not_yet", "end"]
    # Both say they've met: nobody is asked again.
    await harness.command("ann", "/mentor checkin met")
    await harness.command("cat", "/mentor checkin met")
    harness.platform.take()
    harness.clock.advance(days=30)
    await scheduler.settle()
    assert not harness.platform.take()


async def test_the_goals_a_mentee_names_steer_the_match(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "bob", "cat")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("bob", "/mentor offer 1 robotics")
    await harness.command("cat", "/mentor request maths,robotics goals=Mostly Robotics, for a club")
    await harness.command("mod", "/mentoring match")
    assert "Bob is your mentor" in await harness.reply_text("cat", "/mentor status")


async def test_forgetting_a_member_removes_their_mentoring_rows(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat", "dan")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    ann = await harness.member("ann")
    async with harness.store.db.transaction():
        await harness.store.members.delete_everywhere(ann.ref)
    for table in ("mentor_offers", "mentor_offer_tags", "mentor_pairs"):
        row = await harness.store.db.fetch_one(f"SELECT count(*) FROM {table}")
        assert row is not None and row[0] == 0, table
    # Cat's request is open again: the next round may find her someone else.
    assert "waiting for a match" in await harness.reply_text("cat", "/mentor status")
    await harness.command("dan", "/mentor offer 1 maths")
    assert "1 new pair" in await harness.reply_text("mod", "/mentoring match")


async def test_a_member_who_leaves_ends_their_pairings_and_the_other_side_is_told(
    harness: Harness,
) -> None:
    await ann_mentors_cat(harness)

    await harness.leave("ann")
    (told,) = [s.text for s in harness.platform.take() if s.where == "dm:cat"]
    assert "Ann has left the community" in told and "request is open again" in told
    cat = await harness.member("cat")
    rows = await harness.store.db.fetch_all(
        "SELECT status FROM mentor_pairs WHERE mentee_id = ?", (cat.id,)
    )
    assert [r["status"] for r in rows] == ["ended"]
    request = await harness.store.mentoring.get_request(cat.id)
    assert request is not None and request.status == "open"


async def test_mentoring_data_is_in_mydata(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 2 maths note=Happy to help")
    await harness.command("cat", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    export = (await harness.reply_file("ann", "/mydata")).content.decode()
    assert '"note": "Happy to help"' in export
    assert '"role": "mentor"' in export and '"partner": "Cat"' in export
