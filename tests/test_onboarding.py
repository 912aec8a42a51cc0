"""The welcome questions, as a new member experiences them in their private conversation."""

from __future__ import annotations

from communitybot.bot import Bot
from communitybot.events import ChoicePicked, ConversationRef
from communitybot.peers.index import PeerIndex
from communitybot.replies import Action
from communitybot.text import ZWSP
from tests.conftest import COMMUNITY, Harness, user

ROLE_Q = "What best describes your role?"
SUBJECTS_Q = "Which subjects do you teach"
GRADES_Q = "Which age groups"
TOPICS_Q = "Which topics"
TIMEZONE_Q = "Which time zone"
WANTS_Q = "Would you like a mentor?"
OFFERS_Q = "Would you like to mentor someone?"
INTRO_Q = "introduce yourself"


async def answer_count(harness: Harness, name: str) -> int:
    return len(await harness.store.onboarding.answers((await harness.member(name)).id))


async def choose(harness: Harness, name: str, custom_id: str, *values: str) -> list[Action]:
    event = ChoicePicked(
        COMMUNITY, user(name), ConversationRef("fake", "dm", name), custom_id, values
    )
    return await harness.bot.dispatch(event)


def last(harness: Harness, where: str) -> str:
    texts = harness.platform.texts(where)
    assert texts, f"nothing was sent to {where}"
    return texts[-1]


async def set_introductions_channel(harness: Harness, channel: str = "introductions") -> None:
    """Set the channel directly (the community is first created, and seeded, by the bot)."""
    await harness.command("mod", "/help")
    harness.platform.take()
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    await harness.store.communities.update_settings(community.id, introductions_channel=channel)


async def answer_up_to_intro(harness: Harness, name: str) -> None:
    await harness.join(name)
    for answer in ("1", "maths, science", "high school", "edtech", "Europe/London", "yes", "no"):
        await harness.say(name, answer)
    harness.platform.take()


async def test_join_greets_privately_with_the_first_question(harness: Harness) -> None:
    await harness.join("alice")
    sent = harness.platform.take()
    assert [s.where for s in sent] == ["dm:alice"]
    text, prompt = sent[0].text, sent[0].message.prompt
    assert "Welcome" in text and "Alice" in text
    assert "`skip`" in text and "`back`" in text and "`stop`" in text and "/onboard" in text
    assert ROLE_Q in text
    assert "1. Classroom teacher" in text and "7. Other" in text
    assert prompt is not None and prompt.custom_id == "onboarding:role"
    assert prompt.kind == "single"
    assert prompt.choices[0].label == "Classroom teacher"


async def test_multi_choice_question_offers_numbers_and_a_select(harness: Harness) -> None:
    await harness.join("alice")
    harness.platform.take()
    await harness.say("alice", "1")
    (sent,) = harness.platform.take()
    assert SUBJECTS_Q in sent.text
    assert "Reply with numbers or names, separated by commas" in sent.text
    assert sent.message.prompt is not None
    assert sent.message.prompt.kind == "multi"
    assert sent.message.prompt.max_values == len(sent.message.prompt.choices) > 5


async def test_answers_by_number_and_by_name_update_the_profile(harness: Harness) -> None:
    await harness.join("alice")
    await harness.say("alice", "student TEACHER")
    assert (await harness.member("alice")).role == "Student teacher"
    assert SUBJECTS_Q in last(harness, "reply:alice")
    await harness.say("alice", "1, english language arts, #Computer-Science")
    assert {"maths", "english-language-arts", "computer-science"} <= await harness.tag_names(
        "alice"
    )
    await harness.say("alice", "Middle school")
    await harness.say("alice", "classroom management")
    assert {"middle-school", "classroom-management"} <= await harness.tag_names("alice")
    await harness.say("alice", "new york")
    await harness.say("alice", "yes")
    await harness.say("alice", "n")
    alice = await harness.member("alice")
    assert alice.timezone == "America/New_York"
    assert alice.wants_mentor is True and alice.offers_mentor is False


async def test_a_new_answer_replaces_the_tags_that_question_gave(harness: Harness) -> None:
    await harness.join("alice")
    await harness.command("alice", "/tags add literacy")
    await harness.say("alice", "1")
    await harness.say("alice", "maths, science")
    await harness.say("alice", "back")
    assert SUBJECTS_Q in last(harness, "reply:alice")
    await harness.say("alice", "music")
    names = await harness.tag_names("alice")
    assert "music" in names and "literacy" in names
    assert not {"maths", "science"} & names


async def test_invalid_choice_is_explained_and_the_question_asked_again(
    harness: Harness,
) -> None:
    await harness.join("alice")
    harness.platform.take()
    await harness.say("alice", "9")
    text = last(harness, "reply:alice")
    assert "couldn't match" in text and "“9”" in text
    assert ROLE_Q in text
    await harness.say("alice", "astronaut")
    assert ROLE_Q in last(harness, "reply:alice")
    assert (await harness.member("alice")).role is None
    assert await answer_count(harness, "alice") == 0


async def test_one_unknown_subject_rejects_the_whole_answer(harness: Harness) -> None:
    await harness.join("alice")
    await harness.say("alice", "1")
    harness.platform.take()
    await harness.say("alice", "maths, underwater basket weaving")
    text = last(harness, "reply:alice")
    assert "underwater basket weaving" in text and SUBJECTS_Q in text
    assert await harness.tag_names("alice") == set()


async def test_invalid_time_zone_suggests_and_asks_again(harness: Harness) -> None:
    await harness.join("alice")
    for answer in ("1", "skip", "skip", "skip"):
        await harness.say("alice", answer)
    harness.platform.take()
    await harness.say("alice", "Europe/Londn")
    text = last(harness, "reply:alice")
    assert "I don't know the time zone" in text and "Europe/London" in text
    assert TIMEZONE_Q in text
    assert (await harness.member("alice")).timezone is None
    await harness.say("alice", "europe/london")
    assert (await harness.member("alice")).timezone == "Europe/London"
    assert WANTS_Q in last(harness, "reply:alice")


async def test_overlong_intro_names_the_limit_and_stores_nothing(harness: Harness) -> None:
    await answer_up_to_intro(harness, "alice")
    answered = await answer_count(harness, "alice")
    await harness.say("alice", "x" * 5000)
    text = last(harness, "reply:alice")
    assert "5,000 characters" in text and "at most 500" in text
    assert INTRO_Q in text
    assert (await harness.member("alice")).intro is None
    assert await answer_count(harness, "alice") == answered


async def test_skip_stores_a_skip_and_moves_on(harness: Harness) -> None:
    await harness.join("alice")
    await harness.say("alice", "skip")
    assert SUBJECTS_Q in last(harness, "reply:alice")
    alice = await harness.member("alice")
    assert alice.role is None
    (answer,) = (await harness.store.onboarding.answers(alice.id)).values()
    assert answer.skipped


async def test_back_asks_the_previous_question_again(harness: Harness) -> None:
    await harness.join("alice")
    await harness.say("alice", "back")
    assert "first question" in last(harness, "reply:alice")
    await harness.say("alice", "2")
    await harness.say("alice", "back")
    text = last(harness, "reply:alice")
    assert "Going back" in text and ROLE_Q in text
    await harness.say("alice", "3")
    assert (await harness.member("alice")).role == "Instructional coach"
    assert SUBJECTS_Q in last(harness, "reply:alice")


async def test_stop_pauses_and_later_messages_reach_the_other_handlers(
    harness: Harness,
) -> None:
    await harness.join("alice")
    await harness.say("alice", "1")
    await harness.say("alice", "stop")
    text = last(harness, "reply:alice")
    assert "stopped" in text and "/onboard" in text
    await harness.say("alice", "maths")
    text = last(harness, "reply:alice")
    assert SUBJECTS_Q not in text and "/help" in text
    assert await harness.tag_names("alice") == set()
    assert (await harness.member("alice")).role == "Classroom teacher"


async def test_a_restarted_bot_resumes_at_the_next_unanswered_question(
    harness: Harness,
) -> None:
    await harness.join("alice")
    await harness.say("alice", "1")
    await harness.say("alice", "maths")
    harness.platform.take()
    restarted = Bot(harness.store, harness.platform, harness.clock, PeerIndex())
    harness.bot = restarted
    await harness.say("alice", "high school")
    assert "middle-school" not in await harness.tag_names("alice")
    assert "high-school" in await harness.tag_names("alice")
    assert TOPICS_Q in last(harness, "reply:alice")


async def test_buttons_answer_the_current_question(harness: Harness) -> None:
    await harness.join("alice")
    await choose(harness, "alice", "onboarding:role", "Teacher educator")
    assert (await harness.member("alice")).role == "Teacher educator"
    await choose(harness, "alice", "onboarding:subjects", "Maths", "Music")
    assert {"maths", "music"} <= await harness.tag_names("alice")
    assert GRADES_Q in last(harness, "reply:alice")


async def test_a_stale_button_updates_that_answer_and_repeats_the_current_question(
    harness: Harness,
) -> None:
    await harness.join("alice")
    await harness.say("alice", "1")
    harness.platform.take()
    await choose(harness, "alice", "onboarding:role", "School leader")
    text = last(harness, "reply:alice")
    assert "Saved your answer" in text and SUBJECTS_Q in text
    assert (await harness.member("alice")).role == "School leader"


async def test_a_button_after_stop_is_explained_not_applied(harness: Harness) -> None:
    await harness.join("alice")
    await harness.say("alice", "stop")
    await choose(harness, "alice", "onboarding:role", "Other")
    assert "/onboard" in last(harness, "reply:alice")
    assert (await harness.member("alice")).role is None


async def test_consent_yes_posts_a_neutralised_intro_with_tags(harness: Harness) -> None:
    await set_introductions_channel(harness)
    await answer_up_to_intro(harness, "alice")
    await harness.say("alice", "Hi @everyone, I teach maths! <@&123> ping")
    sent = harness.platform.take()
    (ask,) = [s for s in sent if s.where == "reply:alice"]
    assert "post your intro" in ask.text and "#introductions" in ask.text
    assert ask.message.prompt is not None
    assert ask.message.prompt.custom_id == "onboarding:__intro_consent"
    assert not [s for s in sent if s.where == "#introductions"]
    await harness.say("alice", "yes")
    (post,) = harness.platform.texts("#introductions")
    assert "Alice" in post and "I teach maths" in post
    assert "@everyone" not in post and f"@{ZWSP}everyone" in post
    assert "<@&123>" not in post
    assert "maths" in post and "high-school" in post


async def test_consent_no_posts_nothing_and_completes(harness: Harness) -> None:
    await set_introductions_channel(harness)
    await answer_up_to_intro(harness, "alice")
    await harness.say("alice", "Hello!")
    await harness.say("alice", "no")
    sent = harness.platform.take()
    assert not [s for s in sent if s.where == "#introductions"]
    assert "All done" in sent[-1].text
    progress = await harness.store.onboarding.get_progress((await harness.member("alice")).id)
    assert progress is not None and progress.status == "completed"


async def test_consent_button_yes_posts(harness: Harness) -> None:
    await set_introductions_channel(harness)
    await answer_up_to_intro(harness, "alice")
    await harness.say("alice", "Hello from Leeds")
    await choose(harness, "alice", "onboarding:__intro_consent", "Yes")
    assert "Hello from Leeds" in last(harness, "#introductions")


async def test_no_introductions_channel_means_no_consent_question(harness: Harness) -> None:
    await answer_up_to_intro(harness, "alice")
    await harness.say("alice", "Hello!")
    text = last(harness, "reply:alice")
    assert "post your intro" not in text and "All done" in text
    assert (await harness.member("alice")).intro == "Hello!"


async def test_completion_shows_summary_linked_channels_and_peers(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/tags link maths maths-club")
    await harness.join("bob")
    await harness.command("bob", "/tags add maths, high school")
    await answer_up_to_intro(harness, "alice")
    await harness.say("alice", "skip")
    text = last(harness, "reply:alice")
    assert "All done" in text
    assert "Classroom teacher" in text and "Maths, Science" in text
    assert "#maths-club" in text
    assert "Bob" in text
    assert "/profile edit" in text and "/onboard" in text


async def test_onboard_restarts_from_the_first_question_keeping_the_profile(
    harness: Harness,
) -> None:
    await answer_up_to_intro(harness, "alice")
    await harness.say("alice", "Hello!")
    harness.platform.take()
    await harness.command("alice", "/onboard")
    sent = harness.platform.take()
    assert [s.where for s in sent] == ["reply:alice", "dm:alice"]
    assert "private message" in sent[0].text and sent[0].ephemeral
    assert ROLE_Q in sent[1].text and "again" in sent[1].text
    assert await answer_count(harness, "alice") == 0
    alice = await harness.member("alice")
    assert alice.role == "Classroom teacher" and alice.intro == "Hello!"
    assert "maths" in await harness.tag_names("alice")
    await harness.say("alice", "2")
    assert (await harness.member("alice")).role == "Teacher educator"


async def test_onboard_after_stop_starts_again(harness: Harness) -> None:
    await harness.join("alice")
    await harness.say("alice", "stop")
    await harness.command("alice", "/onboard")
    harness.platform.take()
    await harness.say("alice", "4")
    assert (await harness.member("alice")).role == "Student teacher"


async def test_rejoining_after_completing_only_says_welcome_back(harness: Harness) -> None:
    await answer_up_to_intro(harness, "alice")
    await harness.say("alice", "Hello!")
    harness.platform.take()
    await harness.join("alice")
    (text,) = harness.platform.texts("dm:alice")
    assert "Welcome back" in text and ROLE_Q not in text


async def test_rejoining_mid_way_picks_up_where_they_left_off(harness: Harness) -> None:
    await harness.join("alice")
    await harness.say("alice", "1")
    harness.platform.take()
    await harness.join("alice")
    (text,) = harness.platform.texts("dm:alice")
    assert "Welcome back" in text and SUBJECTS_Q in text


async def test_messages_after_completion_are_not_taken_as_answers(harness: Harness) -> None:
    await answer_up_to_intro(harness, "alice")
    await harness.say("alice", "Hello!")
    await harness.say("alice", "2")
    assert (await harness.member("alice")).role == "Classroom teacher"
    assert "/help" in last(harness, "reply:alice")


async def test_completion_counts_and_export(harness: Harness) -> None:
    await harness.join("alice")
    await harness.join("bob")
    await harness.say("bob", "1")
    await harness.say("bob", "stop")
    await answer_up_to_intro(harness, "carol")
    await harness.say("carol", "Hi")
    await harness.command("dave", "/help")
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    counts = await harness.store.onboarding.completion_counts(community.id)
    assert counts["active"] == 1 and counts["completed"] == 1
    assert counts["paused"] == 1 and counts["not_started"] == 1
    assert counts["awaiting_consent"] == 0
    export = await harness.store.onboarding.export_for_member((await harness.member("carol")).id)
    assert export["status"] == "completed"
    by_key = {a["question"]: a for a in export["answers"]}
    assert by_key["subjects"]["value"] == ["Maths", "Science"]
    assert by_key["intro"]["value"] == "Hi" and not by_key["intro"]["skipped"]


async def test_back_at_the_consent_question_reopens_the_intro(harness: Harness) -> None:
    await set_introductions_channel(harness)
    await answer_up_to_intro(harness, "alice")
    await harness.say("alice", "Hello!")
    await harness.say("alice", "back")
    assert INTRO_Q in last(harness, "reply:alice")
    await harness.say("alice", "Hello again!")
    await harness.say("alice", "yes")
    assert "Hello again!" in last(harness, "#introductions")


async def test_a_tag_linked_to_a_role_grants_it_and_a_new_answer_revokes_it(
    harness: Harness,
) -> None:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/tags link edtech role=edtech-fans")
    await harness.join("alice")
    for answer in ("1", "skip", "skip", "edtech"):
        await harness.say("alice", answer)
    assert "edtech-fans" in harness.platform.roles.get("alice", set())
    await harness.say("alice", "back")
    await harness.say("alice", "assessment")
    assert "edtech-fans" not in harness.platform.roles.get("alice", set())
    assert await harness.tag_names("alice") == {"assessment"}


async def test_an_onboarding_answer_never_grants_the_moderator_role(harness: Harness) -> None:
    """A tag linked before its role became the moderator role: the answer adds the tag, the
    role is withheld and the moderator log hears why."""
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/tags link edtech role=modrole")
    await harness.command("mod", "/setup modlog_channel=modlog")
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    await harness.store.communities.update_settings(community.id, moderator_role="modrole")
    await harness.join("alice")
    harness.platform.take()
    for answer in ("1", "skip", "skip", "edtech"):
        await harness.say("alice", answer)
    assert "modrole" not in harness.platform.roles.get("alice", set())
    assert "edtech" in await harness.tag_names("alice")
    reports = harness.platform.texts("#modlog")
    assert len(reports) == 1 and "modrole" in reports[0] and "moderator role" in reports[0]
