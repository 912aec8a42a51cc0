"""The settings page over HTTP: every form runs the moderator's command through the bot (the
store changes as the typed command would change it, and the moderator-log channel gets a line),
the bot's own answer is shown after the redirect, and nothing changes without the CSRF token,
a session, or the rights. A real server on 127.0.0.1."""

from __future__ import annotations

import csv
import html
import io
from typing import Any

import aiohttp
import pytest

from communitybot.events import CommandInvoked, CommunityRef, ConversationRef
from tests.conftest import Harness, user
from tests.dashboard_world import link_for, running_dashboard
from tests.test_dashboard_http import client, csrf_of, sign_in

MODLOG = "mod-log"


async def moderated_community(harness: Harness) -> int:
    """A community with its moderator (`mod`, who set a moderator-log channel) and a member."""
    harness.platform.moderators.add("mod")
    await harness.join("mod")
    await harness.join("ann")
    await harness.command("mod", f"/setup modlog_channel={MODLOG}")
    community = await harness.store.communities.get(CommunityRef("fake", "community-1"))
    assert community is not None
    return community.id


async def settings_page(http: aiohttp.ClientSession, base: str, community_id: int) -> str:
    async with http.get(f"{base}/c/{community_id}/settings") as page:
        assert page.status == 200
        return await page.text()


async def send(
    http: aiohttp.ClientSession, base: str, community_id: int, command: str, **fields: Any
) -> tuple[int, str]:
    """Post one settings form as the page's own button does, following the redirect; the final
    status and the bot's answer as the page shows it (unescaped)."""
    csrf = csrf_of(await settings_page(http, base, community_id))
    data = {"csrf": csrf, "command": command, **{k: str(v) for k, v in fields.items()}}
    async with http.post(
        f"{base}/c/{community_id}/settings", data=data, allow_redirects=False
    ) as posted:
        if posted.status != 303:
            return posted.status, await posted.text()
        location = posted.headers["Location"]
    assert location.startswith(f"/c/{community_id}/settings?done=")
    async with http.get(base + location) as page:
        text = await page.text()
        assert page.status == 200
    if 'class="answer">' not in text:
        return 200, ""
    return 200, html.unescape(text.split('class="answer">', 1)[1].split("</p>", 1)[0])


def modlog_lines(harness: Harness) -> list[str]:
    return [s.text for s in harness.platform.sent if s.where == f"#{MODLOG}"]


@pytest.fixture
async def signed_in(harness: Harness) -> Any:
    community_id = await moderated_community(harness)
    async with running_dashboard(harness) as dashboard, client() as http:
        await sign_in(http, await link_for(harness, "mod"))
        harness.platform.take()
        yield http, str(dashboard.base_url), community_id


async def test_editing_a_question_changes_it_and_writes_the_moderator_log(
    harness: Harness, signed_in: Any
) -> None:
    http, base, community_id = signed_in
    first = (await harness.store.onboarding.list_questions(community_id))[0]
    status, answer = await send(
        http, base, community_id, "onboarding questions edit",
        key=first.key, field="prompt", value="Which <b>school</b> are you from?",
    )  # fmt: skip
    assert status == 200
    assert answer  # the handler's own confirmation
    edited = await harness.store.onboarding.get_question(community_id, first.key)
    assert edited is not None and edited.prompt == "Which <b>school</b> are you from?"
    assert not [s for s in harness.platform.sent if s.where.startswith("reply:")]  # kept, not sent
    (line,) = modlog_lines(harness)
    assert "Mod" in line and "web dashboard" in line and "onboarding questions edit" in line
    # the page shows the new text, escaped
    page = await settings_page(http, base, community_id)
    assert "Which &lt;b&gt;school&lt;/b&gt; are you from?" in page
    assert "<b>school</b>" not in page


async def test_moving_a_question_down_reorders_them(harness: Harness, signed_in: Any) -> None:
    http, base, community_id = signed_in
    before = [q.key for q in await harness.store.onboarding.list_questions(community_id)]
    assert len(before) >= 2
    status, _ = await send(
        http, base, community_id, "onboarding questions move", key=before[0], position=2
    )
    assert status == 200
    after = [q.key for q in await harness.store.onboarding.list_questions(community_id)]
    assert after[:2] == [before[1], before[0]]
    assert len(modlog_lines(harness)) == 1


async def test_tags_create_alias_merge_and_link(harness: Harness, signed_in: Any) -> None:
    http, base, community_id = signed_in
    tags = harness.store.tags
    await send(http, base, community_id, "tags create", name="robotics", category="topic")
    await send(http, base, community_id, "tags create", name="coding")
    assert await tags.get_by_name(community_id, "robotics") is not None
    await send(http, base, community_id, "tags alias", tag="robotics", alias="robots")
    robotics = await tags.get_by_name(community_id, "robotics")
    assert robotics is not None and "robots" in robotics.aliases
    await send(http, base, community_id, "tags merge", source="coding", target="robotics")
    merged = await tags.get_by_name(community_id, "coding")  # gone, or another name of robotics
    assert merged is None or merged.id == robotics.id
    await send(http, base, community_id, "tags link", tag="robotics", channel="robot-lab")
    linked = await tags.get(robotics.id)
    assert linked is not None and linked.channel_id == "robot-lab"
    assert len(modlog_lines(harness)) == 5
    page = await settings_page(http, base, community_id)
    assert "robot-lab" in page and "robots" in page


async def test_a_refusal_is_the_handlers_own_words_and_changes_nothing(
    harness: Harness, signed_in: Any
) -> None:
    http, base, community_id = signed_in
    typed = await harness.reply_text("mod", "/tags merge nosuch maths")
    harness.platform.take()
    status, answer = await send(
        http, base, community_id, "tags merge", source="nosuch", target="maths"
    )
    assert status == 200
    assert answer == typed
    # a value the command's parser refuses: its message, before the bot is asked
    status, answer = await send(http, base, community_id, "mentoring settings", checkin_days="soon")
    assert "checkin_days" in answer
    assert (await harness.store.mentoring.settings(community_id)).checkin_days == 14
    status, answer = await send(http, base, community_id, "tags alias", tag="maths")
    assert "alias" in answer
    assert len(modlog_lines(harness)) == 1  # only the merge reached the bot: logged as tried


async def test_chat_series_create_edit_and_questions(harness: Harness, signed_in: Any) -> None:
    http, base, community_id = signed_in
    status, answer = await send(
        http, base, community_id, "chat create",
        hashtag="engchat", title="Feedback <that> works", channel="english-chat",
        schedule="weekly tuesday", time="19:00", timezone="Europe/London",
    )  # fmt: skip
    series = await harness.store.chats.find(community_id, "engchat")
    assert series is not None, answer
    assert series.title == "Feedback <that> works"
    await send(http, base, community_id, "chat edit", hashtag="engchat", time="18:30")
    edited = await harness.store.chats.find(community_id, "engchat")
    assert edited is not None and edited.schedule.local_time.strftime("%H:%M") == "18:30"
    status, answer = await send(
        http, base, community_id, "chat questions",
        hashtag="engchat", script="What worked this week?\nWhat will you try next?",
    )  # fmt: skip
    assert status == 200 and answer
    assert len(modlog_lines(harness)) == 3
    shown = await harness.reply_text("mod", "/chat questions engchat")
    assert "What worked this week?" in shown
    page = await settings_page(http, base, community_id)
    assert "Feedback &lt;that&gt; works" in page


async def test_mentoring_and_rounds_settings(harness: Harness, signed_in: Any) -> None:
    http, base, community_id = signed_in
    await send(http, base, community_id, "mentoring settings", auto_match="on", checkin_days="21")
    settings = await harness.store.mentoring.settings(community_id)
    assert settings.auto_match and settings.checkin_days == 21
    await send(
        http, base, community_id, "rounds setup",
        frequency="biweekly", weekday="thursday", time="16:00", timezone="UTC",
    )  # fmt: skip
    rounds = await harness.store.rounds.settings(community_id)
    assert rounds is not None and rounds.active and rounds.frequency == "biweekly"
    page = await settings_page(http, base, community_id)
    assert "Thursday" in page and "16:00" in page
    await send(http, base, community_id, "rounds off")
    rounds = await harness.store.rounds.settings(community_id)
    assert rounds is not None and not rounds.active
    assert len(modlog_lines(harness)) == 3  # one line each (these handlers write their own)


async def test_without_the_csrf_token_nothing_changes(harness: Harness, signed_in: Any) -> None:
    http, base, community_id = signed_in
    form = {"command": "tags create", "name": "robotics"}
    for csrf in (None, "wrong"):
        data = form if csrf is None else {**form, "csrf": csrf}
        async with http.post(f"{base}/c/{community_id}/settings", data=data) as refused:
            assert refused.status == 403
    assert await harness.store.tags.get_by_name(community_id, "robotics") is None
    assert modlog_lines(harness) == []


async def test_a_form_for_another_command_is_refused(harness: Harness, signed_in: Any) -> None:
    http, base, community_id = signed_in
    status, _ = await send(http, base, community_id, "network leave")
    assert status == 400
    status, _ = await send(http, base, community_id, "onboarding questions remove", key="role")
    assert status == 400
    assert modlog_lines(harness) == []


async def test_no_session_another_community_and_a_lost_role_are_refused(
    harness: Harness, signed_in: Any
) -> None:
    http, base, community_id = signed_in
    csrf = csrf_of(await settings_page(http, base, community_id))
    form = {"csrf": csrf, "command": "tags create", "name": "robotics"}
    async with (
        client() as stranger,
        stranger.post(f"{base}/c/{community_id}/settings", data=form) as answer,
    ):
        assert answer.status == 401
    other = CommunityRef("fake", "community-2")
    await harness.bot.dispatch(
        CommandInvoked(other, user("mod"), ConversationRef("fake", "channel", "g"), ("help",), {})
    )
    other_row = await harness.store.communities.get(other)
    assert other_row is not None
    async with http.post(f"{base}/c/{other_row.id}/settings", data=form) as answer:
        assert answer.status == 403
    harness.platform.moderators.discard("mod")  # a member now: refused, nothing run
    async with http.post(f"{base}/c/{community_id}/settings", data=form) as answer:
        assert answer.status == 403
    assert await harness.store.tags.get_by_name(community_id, "robotics") is None
    assert modlog_lines(harness) == []


async def test_names_are_escaped_and_the_questions_download_as_csv(
    harness: Harness, signed_in: Any
) -> None:
    http, base, community_id = signed_in
    await send(http, base, community_id, "tags create", name="<script>alert(1)</script>")
    page = await settings_page(http, base, community_id)
    assert "<script>" not in page
    async with http.get(f"{base}/c/{community_id}/settings.csv") as download:
        assert download.status == 200
        rows = list(csv.reader(io.StringIO(await download.text())))
    questions = await harness.store.onboarding.list_questions(community_id)
    assert rows[0][:2] == ["position", "key"]
    assert [r[1] for r in rows[1:]] == [q.key for q in questions]


async def test_a_used_answer_token_shows_nothing_again(harness: Harness, signed_in: Any) -> None:
    http, base, community_id = signed_in
    csrf = csrf_of(await settings_page(http, base, community_id))
    async with http.post(
        f"{base}/c/{community_id}/settings",
        data={"csrf": csrf, "command": "tags create", "name": "robotics"},
        allow_redirects=False,
    ) as posted:
        location = posted.headers["Location"]
    assert 'class="answer"' in await (await http.get(base + location)).text()
    assert 'class="answer"' not in await (await http.get(base + location)).text()


async def test_the_tags_table_is_paginated(harness: Harness, signed_in: Any) -> None:
    http, base, community_id = signed_in
    existing = len(await harness.store.tags.all(community_id))
    for n in range(2 * 50 - existing + 5):
        await harness.store.tags.create(community_id, f"zz-tag-{n:03d}", "zz", harness.clock.now())
    first = await settings_page(http, base, community_id)
    assert "Next tags" in first and "Previous tags" not in first
    async with http.get(f"{base}/c/{community_id}/settings?page=3") as last:
        page = await last.text()
    assert "Previous tags" in page and "Next tags" not in page
    assert page.count("<td>zz-tag-") == 5


async def test_editing_a_questions_choices(harness: Harness, signed_in: Any) -> None:
    http, base, community_id = signed_in
    question = next(
        q for q in await harness.store.onboarding.list_questions(community_id) if q.kind == "single"
    )
    status, answer = await send(
        http, base, community_id, "onboarding questions edit",
        key=question.key, field="choices", value="Teacher, Coach,  Leader",
    )  # fmt: skip
    assert status == 200, answer
    edited = await harness.store.onboarding.get_question(community_id, question.key)
    assert edited is not None and edited.choices == ("Teacher", "Coach", "Leader")
    page = await settings_page(http, base, community_id)
    assert 'value="Teacher, Coach, Leader"' in page
    assert len(modlog_lines(harness)) == 1
