"""Mentor matching beyond a moderator's round: group introductions (and their DM fallback),
automatic matching, /mentor rematch, the time-zone window, and the issue's bad inputs."""

from __future__ import annotations

from communitybot.mentoring.commands import parse_window
from tests.conftest import Harness
from tests.mentoring_setup import mentoring_community


async def _timezone(harness: Harness, name: str, zone: str) -> None:
    await harness.command(name, f"/profile edit timezone {zone}")
    harness.platform.take()


async def test_the_introduction_is_one_group_message(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 1 maths note=I taught maths for 20 years")
    await harness.command("cat", "/mentor request maths goals=Help with @everyone and fractions")
    harness.platform.take()
    await harness.command("mod", "/mentoring match")
    sent = harness.platform.take()
    groups = [s for s in sent if s.where.startswith("group:")]
    assert [s.where for s in groups] == ["group:ann,cat"]
    text = groups[0].text
    assert "Cat's goals" in text and "fractions" in text and "@everyone" not in text
    assert "Ann's note" in text and "20 years" in text
    assert not [s for s in sent if s.where.startswith("dm:")]


async def test_without_group_conversations_each_side_gets_the_same_dm(harness: Harness) -> None:
    harness.platform.groups_supported = False
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    harness.platform.take()
    await harness.command("mod", "/mentoring match")
    sent = harness.platform.take()
    assert not [s for s in sent if s.where.startswith("group:")]
    to_ann = [s.text for s in sent if s.where == "dm:ann"]
    to_cat = [s.text for s in sent if s.where == "dm:cat"]
    assert len(to_ann) == len(to_cat) == 1 and to_ann == to_cat
    assert "Ann, meet Cat" in to_cat[0]


async def test_auto_matching_introduces_a_new_request_at_once(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat", auto=True)
    await harness.command("ann", "/mentor offer 1 maths")
    harness.platform.take()
    await harness.command("cat", "/mentor request maths")
    sent = harness.platform.take()
    (answer,) = [s.text for s in sent if s.where == "reply:cat"]
    assert "Good news" in answer
    assert [s.where for s in sent if s.where.startswith("group:")] == ["group:ann,cat"]
    (logged,) = [s.text for s in sent if s.where == "#modlog"]
    assert "Automatic mentor matching after Cat's request: 1 new pair" in logged


async def test_a_new_offer_unblocks_waiting_requests_with_auto_matching(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat", "dan", auto=True)
    assert "No mentor shares your tags yet; you'll be matched when one does" in (
        await harness.reply_text("cat", "/mentor request maths")
    )
    await harness.command("dan", "/mentor request maths")
    harness.platform.take()
    await harness.command("ann", "/mentor offer 2 maths")
    sent = harness.platform.take()
    (answer,) = [s.text for s in sent if s.where == "reply:ann"]
    assert "found a match already" in answer
    assert sorted(s.where for s in sent if s.where.startswith("group:")) == [
        "group:ann,cat",
        "group:ann,dan",
    ]


async def test_without_auto_matching_requests_wait_for_a_round(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 1 maths")
    harness.platform.take()
    await harness.command("cat", "/mentor request maths")
    sent = harness.platform.take()
    assert [s.where for s in sent] == ["reply:cat"]
    assert "next matching round" in sent[0].text


async def test_switching_auto_matching_on_matches_who_is_waiting(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    harness.platform.take()
    await harness.command("mod", "/mentoring settings auto_match=on")
    sent = harness.platform.take()
    (saved,) = [s.text for s in sent if s.where == "reply:mod"]
    assert "automatic matching on" in saved and "1 new pair" in saved
    assert [s.where for s in sent if s.where.startswith("group:")] == ["group:ann,cat"]


async def test_rematch_ends_kindly_and_never_proposes_the_old_mentor(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "bob", "cat")
    await harness.command("ann", "/mentor offer 2 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    await harness.command("bob", "/mentor offer 1 maths")
    harness.platform.take()
    await harness.command("cat", "/mentor rematch")
    sent = harness.platform.take()
    (answer,) = [s.text for s in sent if s.where == "reply:cat"]
    assert "The pairing is ended" in answer and "next matching round" in answer
    (told,) = [s.text for s in sent if s.where == "dm:ann"]
    assert "Cat has asked to be matched with a different mentor" in told
    assert "waiting for a match" in await harness.reply_text("cat", "/mentor status")
    # Ann still has free seats and the best fit, but the old pair is never proposed again.
    await harness.command("mod", "/mentoring match")
    assert [s.where for s in harness.platform.take() if s.where.startswith("group:")] == [
        "group:bob,cat"
    ]
    assert "Bob is your mentor" in await harness.reply_text("cat", "/mentor status")


async def test_rematch_with_auto_matching_is_immediate(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "bob", "cat", auto=True)
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("bob", "/mentor offer 1 maths")
    harness.platform.take()
    await harness.command("cat", "/mentor rematch")
    sent = harness.platform.take()
    (answer,) = [s.text for s in sent if s.where == "reply:cat"]
    assert "found you a new mentor already" in answer
    assert [s.where for s in sent if s.where.startswith("group:")] == ["group:bob,cat"]


async def test_rematch_without_a_mentor_explains(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    assert "don't have a mentor to swap" in await harness.reply_text("cat", "/mentor rematch")
    await harness.command("cat", "/mentor request maths")
    assert "waiting for a match" in await harness.reply_text("cat", "/mentor rematch")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor offer 1 robotics")
    await harness.command("mod", "/mentoring match")
    # Ann mentors Cat; Ann has no mentor of her own to swap.
    assert "don't have a mentor to swap" in await harness.reply_text("ann", "/mentor rematch")
    assert "rematch" in await harness.reply_text("cat", "/mentor request maths")


async def test_the_time_zone_window_is_a_hard_rule(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "bob", "cat")
    await _timezone(harness, "ann", "Europe/Berlin")
    await _timezone(harness, "cat", "America/Chicago")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("bob", "/mentor offer 1 maths")  # no time zone known
    answer = await harness.reply_text("cat", "/mentor request maths window=±3h Fractions")
    assert "within ±3h of your time zone" in answer
    assert "mentors within ±3h" in await harness.reply_text("cat", "/mentor status")
    assert "0 new pair" in await harness.reply_text("mod", "/mentoring match")
    await _timezone(harness, "bob", "America/New_York")
    assert "1 new pair" in await harness.reply_text("mod", "/mentoring match")
    assert "Bob is your mentor" in await harness.reply_text("cat", "/mentor status")


async def test_without_a_window_a_far_mentor_is_fine(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await _timezone(harness, "ann", "Europe/Berlin")
    await _timezone(harness, "cat", "America/Chicago")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    assert "1 new pair" in await harness.reply_text("mod", "/mentoring match")


async def test_a_window_needs_a_time_zone_and_a_sensible_size(harness: Harness) -> None:
    await mentoring_community(harness, "cat")
    answer = await harness.reply_text("cat", "/mentor request maths window=3")
    assert "/profile edit timezone" in answer and "Nothing was saved" in answer
    await _timezone(harness, "cat", "Europe/Paris")
    for bad in ("13", "banana", "-3h"):
        text = await harness.reply_text("cat", f"/mentor request maths window={bad}")
        assert "0 to 12" in text and "Nothing was saved" in text, bad
    assert "Nothing yet" in await harness.reply_text("cat", "/mentor status")


def test_window_spellings() -> None:
    assert parse_window("3") == 180
    assert parse_window("±3h") == 180
    assert parse_window("+-1.5 hours") == 90
    assert parse_window("0") == 0
    assert parse_window("12h") == 720
    for bad in ("13", "3 days", "", "±", "1.25"):
        assert parse_window(bad) is None, bad


async def test_a_member_is_never_their_own_mentor(harness: Harness) -> None:
    await mentoring_community(harness, "ann")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("ann", "/mentor request maths")
    text = await harness.reply_text("mod", "/mentoring match")
    assert "0 new pair" in text and "1 request(s) still waiting" in text


async def test_a_mentee_who_leaves_ends_the_pairing_and_the_mentor_is_told(
    harness: Harness,
) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("mod", "/mentoring match")
    harness.platform.take()
    await harness.leave("cat")
    (told,) = [s.text for s in harness.platform.take() if s.where == "dm:ann"]
    assert "Cat has left the community" in told and "free seats" in told
    status = await harness.reply_text("ann", "/mentor status")
    assert "Cat" not in status
    assert "0 active" in await harness.reply_text("mod", "/stats")


async def test_a_freed_seat_is_filled_at_once_with_auto_matching(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat", "dan", auto=True)
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request maths")
    await harness.command("dan", "/mentor request maths")
    harness.platform.take()
    await harness.leave("cat")
    sent = harness.platform.take()
    assert [s.where for s in sent if s.where.startswith("group:")] == ["group:ann,dan"]


async def test_stats_count_waiting_requests(harness: Harness) -> None:
    await mentoring_community(harness, "cat", "dan")
    await harness.command("cat", "/mentor request maths")
    await harness.command("dan", "/mentor request robotics")
    stats = await harness.reply_text("mod", "/stats")
    assert "Mentor pairings: 0 active (0 flagged), 2 request(s) waiting" in stats
