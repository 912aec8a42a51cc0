"""Matching keeps its promise (issue #10): a mentee told they will get "someone who shares your
interests" is never introduced to a mentor sharing none of their tags, unless the community's
moderators allow such pairs; meanwhile the mentee is told honestly why they wait."""

from __future__ import annotations

from tests.conftest import Harness
from tests.mentoring_setup import mentoring_community

WAITING = "No mentor shares your tags yet; you'll be matched when one does."


async def _run(harness: Harness, name: str, line: str) -> tuple[str, list[str], list[str]]:
    """A command's one reply, the group introductions it sent and their texts."""
    harness.platform.take()
    await harness.command(name, line)
    sent = harness.platform.take()
    (answer,) = [s.text for s in sent if s.where == f"reply:{name}"]
    groups = sorted((s.where, s.text) for s in sent if s.where.startswith("group:"))
    return answer, [g[0] for g in groups], [g[1] for g in groups]


async def test_a_science_request_is_not_given_a_maths_only_mentor(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    await harness.command("ann", "/mentor offer 2 maths")
    answer = await harness.reply_text("cat", "/mentor request science")
    assert WAITING in answer and "shares your interests" not in answer
    preview = await harness.reply_text("mod", "/mentoring match dry_run=yes")
    assert "0 new pair(s) to make" in preview and "no mentor shares their tags yet" in preview
    assert "shares no tags" not in preview
    summary, groups, _ = await _run(harness, "mod", "/mentoring match")
    assert "0 new pair(s)" in summary
    assert "1 request(s) still waiting: 1 because no mentor shares their tags yet" in summary
    assert groups == []
    status = await harness.reply_text("cat", "/mentor status")
    assert f"Request (waiting for a match): science\n  {WAITING}" in status
    # A mentor who shares the tag arrives: the next round introduces them.
    await harness.command("dan", "/mentor offer 1 science")
    preview = await harness.reply_text("mod", "/mentoring match dry_run=yes")
    assert "1 new pair(s) to make, no request waiting" in preview and "Cat ← Dan" in preview
    assert "1 new pair(s) introduced, no request waiting" in await harness.reply_text(
        "mod", "/mentoring match"
    )
    status = await harness.reply_text("cat", "/mentor status")
    assert "Dan is your mentor — you share science" in status


async def test_a_shared_tag_wins_and_a_full_mentor_is_not_a_missing_one(
    harness: Harness,
) -> None:
    await mentoring_community(harness, "ann", "bob", "cat", "dan")
    await harness.command("ann", "/mentor offer 1 maths,science")
    await harness.command("bob", "/mentor offer 1 robotics")
    await harness.command("dan", "/mentor request maths")
    answer = await harness.reply_text("cat", "/mentor request science")
    assert "finds someone who shares your interests" in answer
    summary, (group,), _ = await _run(harness, "mod", "/mentoring match")
    # Ann's one seat goes to one of them; the other waits for a seat, not for a shared tag.
    assert "1 request(s) still waiting: 1 for a mentor with a free seat" in summary
    assert "shares their tags" not in summary
    assert group in ("group:ann,cat", "group:ann,dan")  # never Bob (robotics only)
    waiting = "dan" if group == "group:ann,cat" else "cat"
    status = await harness.reply_text(waiting, "/mentor status")
    assert "waiting for a match" in status and "shares your tags" not in status


async def test_moderators_may_allow_pairs_sharing_no_tag(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat")
    settings = await harness.reply_text("mod", "/mentoring settings")
    assert "Pairs sharing no tag: off" in settings
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request science")
    saved = await harness.reply_text("mod", "/mentoring settings allow_no_shared_tags=on")
    assert "pairs sharing no tag allowed" in saved
    assert "Pairs sharing no tag: on" in await harness.reply_text("mod", "/mentoring settings")
    summary, groups, (intro,) = await _run(harness, "mod", "/mentoring match")
    assert "1 new pair(s) introduced" in summary and groups == ["group:ann,cat"]
    assert "You share" not in intro
    # A request made while it is on promises a mentor, not shared interests.
    answer = await harness.reply_text("eve", "/mentor request robotics")
    assert "finds you a mentor" in answer and WAITING not in answer
    off = await harness.reply_text("mod", "/mentoring settings allow_no_shared_tags=off")
    assert "pairs sharing no tag not made" in off


async def test_automatic_matching_keeps_the_rule_and_tells_the_mentee(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "bob", "cat", auto=True)
    await harness.command("ann", "/mentor offer 2 maths")
    answer, groups, _ = await _run(harness, "cat", "/mentor request science")
    assert WAITING in answer and groups == []
    # An offer that shares the tag matches Cat at once.
    answer, groups, _ = await _run(harness, "bob", "/mentor offer 1 science")
    assert "found a match already" in answer and groups == ["group:bob,cat"]


async def test_allowing_pairs_without_a_shared_tag_matches_who_waited(harness: Harness) -> None:
    await mentoring_community(harness, "ann", "cat", auto=True)
    await harness.command("ann", "/mentor offer 1 maths")
    await harness.command("cat", "/mentor request science")
    saved, groups, _ = await _run(harness, "mod", "/mentoring settings allow_no_shared_tags=on")
    assert "Matched who was waiting: 1 new pair(s) introduced" in saved
    assert groups == ["group:ann,cat"]
