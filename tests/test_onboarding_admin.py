"""Moderators shape the welcome questions with `/onboarding questions …`."""

from __future__ import annotations

import pytest

from communitybot.command_parser import CommandParseError
from communitybot.models import Question
from tests.conftest import COMMUNITY, Harness


@pytest.fixture
async def mod(harness: Harness) -> Harness:
    harness.platform.moderators.add("mod")
    await harness.command("mod", "/help")  # the community is created (and seeded) by the bot
    harness.platform.take()
    return harness


async def run(harness: Harness, line: str, name: str = "mod") -> str:
    await harness.command(name, line)
    (text,) = harness.platform.texts(f"reply:{name}")
    return text


async def questions(harness: Harness) -> list[Question]:
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    return await harness.store.onboarding.list_questions(community.id)


async def keys(harness: Harness) -> list[str]:
    return [q.key for q in await questions(harness)]


async def tag_names(harness: Harness) -> set[str]:
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    return {tag.name for tag in await harness.store.tags.all(community.id)}


DEFAULT_KEYS = [
    "role",
    "subjects",
    "grades",
    "topics",
    "timezone",
    "wants-mentor",
    "offers-mentor",
    "intro",
]


async def test_a_new_community_gets_the_default_questions_and_tags(mod: Harness) -> None:
    assert await keys(mod) == DEFAULT_KEYS
    assert {"maths", "high-school", "edtech", "classroom-management"} <= await tag_names(mod)
    community = await mod.store.communities.get(COMMUNITY)
    assert community is not None
    maths = await mod.store.tags.get_by_name(community.id, "maths")
    assert maths is not None and maths.category == "subject"


async def test_members_cannot_use_the_question_commands(mod: Harness) -> None:
    for line in (
        "/onboarding questions list",
        "/onboarding questions add pets multi none Do you have pets?",
        "/onboarding questions remove role",
    ):
        assert "Only moderators" in await run(mod, line, "alice")
    assert await keys(mod) == DEFAULT_KEYS


async def test_list_shows_position_key_kind_target_prompt_and_choices(mod: Harness) -> None:
    text = await run(mod, "/onboarding questions list")
    assert "(8)" in text
    assert "1. `role` · single → role" in text
    assert "What best describes your role?" in text
    assert "Choices: Classroom teacher, Teacher educator" in text
    assert "2. `subjects` · multi → tags (category `subject`)" in text
    assert "8. `intro` · text → intro (max 500 characters)" in text


async def test_add_normalises_the_key_and_appends(mod: Harness) -> None:
    text = await run(
        mod, "/onboarding questions add Favourite_Book text none What are you reading?"
    )
    assert "Added question 9" in text and "`favourite-book`" in text
    assert (await keys(mod))[-1] == "favourite-book"
    (added,) = [q for q in await questions(mod) if q.key == "favourite-book"]
    assert added.max_length == 500 and added.prompt == "What are you reading?"


@pytest.mark.parametrize(
    ("kind", "target", "needs"),
    [
        ("text", "tags", "single or multi"),
        ("text", "timezone", "timezone"),
        ("single", "wants_mentor", "yesno"),
        ("timezone", "role", "single or text"),
        ("single", "intro", "text"),
        ("multi", "role", "single or text"),
    ],
)
async def test_add_refuses_a_kind_that_cannot_feed_the_target(
    mod: Harness, kind: str, target: str, needs: str
) -> None:
    text = await run(mod, f"/onboarding questions add extra {kind} {target} A question?")
    assert f"need a {needs} question" in text
    assert await keys(mod) == DEFAULT_KEYS


async def test_add_accepts_matching_kinds(mod: Harness) -> None:
    for line in (
        "/onboarding questions add helper yesno offers_mentor Would you host a visit?",
        "/onboarding questions add zone timezone timezone Where are you?",
        "/onboarding questions add job text role Your job title?",
    ):
        assert "Added" in await run(mod, line)
    assert (await keys(mod))[-3:] == ["helper", "zone", "job"]


async def test_add_refuses_a_duplicate_or_empty_key(mod: Harness) -> None:
    assert "already a question `role`" in await run(
        mod, "/onboarding questions add ROLE single role Who are you?"
    )
    assert "letters or digits" in await run(mod, "/onboarding questions add ### text none Hm?")
    assert await keys(mod) == DEFAULT_KEYS


async def test_a_new_choice_question_is_asked_only_once_it_has_choices(mod: Harness) -> None:
    text = await run(mod, "/onboarding questions add Clubs multi tags Which clubs do you run?")
    assert "choices" in text and "edit clubs choices" in text
    await run(mod, "/onboarding questions move clubs 1")
    await mod.join("alice")
    assert "Which clubs" not in mod.platform.texts("dm:alice")[0]
    text = await run(mod, "/onboarding questions edit clubs choices Chess, Robotics club, Choir")
    assert "Choices: Chess, Robotics club, Choir" in text
    assert {"chess", "robotics-club", "choir"} <= await tag_names(mod)
    await mod.join("bob")
    (greeting,) = mod.platform.texts("dm:bob")
    assert "Which clubs do you run?" in greeting and "2. Robotics club" in greeting
    await mod.say("bob", "2, choir")
    community = await mod.store.communities.get(COMMUNITY)
    assert community is not None
    bob = await mod.store.members.find_by_name(community.id, "bob")
    assert bob is not None
    names = {t.name for t in await mod.store.tags.tags_of_member(bob.id)}
    assert names == {"robotics-club", "choir"}


async def test_edit_choices_validates_before_changing_anything(mod: Harness) -> None:
    many = ", ".join(f"Option {i}" for i in range(26))
    cases = {
        f"/onboarding questions edit role choices {many}": "at most 25",
        "/onboarding questions edit role choices Teacher, " + "x" * 81: "at most 80",
        "/onboarding questions edit role choices Teacher, teacher": "appears twice",
        "/onboarding questions edit role choices 1, 2, 3": "just a number",
        "/onboarding questions edit role choices ,": "at least one choice",
        "/onboarding questions edit intro choices a, b": "no choices",
        "/onboarding questions edit subjects choices Maths, " + "y" * 40: "tag name",
    }
    before = await questions(mod)
    for line, expected in cases.items():
        assert expected in await run(mod, line), line
    assert await questions(mod) == before


async def test_edit_prompt_max_length_and_category(mod: Harness) -> None:
    assert "Who are you?" in await run(mod, "/onboarding questions edit role prompt Who are you?")
    assert "max 1000" in await run(mod, "/onboarding questions edit intro max_length 1000")
    for bad in ("0", "2001", "lots"):
        text = await run(mod, f"/onboarding questions edit intro max_length {bad}")
        assert "from 1 to 2000" in text
    assert "Only text questions" in await run(mod, "/onboarding questions edit role max_length 10")
    assert "category `subject-area`" in await run(
        mod, "/onboarding questions edit subjects category Subject Area"
    )
    assert "Only questions whose answers become tags" in await run(
        mod, "/onboarding questions edit role category people"
    )
    assert "can't be empty" in await run(mod, '/onboarding questions edit role prompt value=" "')
    (role,) = [q for q in await questions(mod) if q.key == "role"]
    (intro,) = [q for q in await questions(mod) if q.key == "intro"]
    assert role.prompt == "Who are you?" and intro.max_length == 1000


async def test_the_new_text_limit_applies_to_answers(mod: Harness) -> None:
    await run(mod, "/onboarding questions edit intro max_length 10")
    await run(mod, "/onboarding questions move intro 1")
    await mod.join("alice")
    await mod.say("alice", "This intro is far too long")
    text = mod.platform.texts("reply:alice")[-1]
    assert "at most 10" in text and "26 characters" in text


async def test_move_reorders_positions_densely(mod: Harness) -> None:
    text = await run(mod, "/onboarding questions move intro 2")
    assert "position 2" in text
    assert await keys(mod) == [
        "role",
        "intro",
        "subjects",
        "grades",
        "topics",
        "timezone",
        "wants-mentor",
        "offers-mentor",
    ]
    text = await run(mod, "/onboarding questions move role 40")
    assert "position 8" in text
    positions = [q.position for q in await questions(mod)]
    assert positions == list(range(1, 9))
    assert (await keys(mod))[-1] == "role"


async def test_move_beyond_the_catalogue_limit_is_a_parse_error(mod: Harness) -> None:
    with pytest.raises(CommandParseError, match="between 1 and 50"):
        await mod.command("mod", "/onboarding questions move role 99")


async def test_remove_deletes_answers_and_renumbers(mod: Harness) -> None:
    await mod.join("alice")
    await mod.say("alice", "1")
    text = await run(mod, "/onboarding questions remove role")
    assert "Removed `role` and 1 answer" in text
    assert await keys(mod) == DEFAULT_KEYS[1:]
    assert [q.position for q in await questions(mod)] == list(range(1, 8))


async def test_unknown_key_lists_the_questions(mod: Harness) -> None:
    text = await run(mod, "/onboarding questions remove nope")
    assert "no question `nope`" in text and "`subjects`" in text
    assert await keys(mod) == DEFAULT_KEYS


async def test_without_questions_a_new_member_is_only_welcomed(mod: Harness) -> None:
    for key in DEFAULT_KEYS:
        await run(mod, f"/onboarding questions remove {key}")
    assert "no onboarding questions" in await run(mod, "/onboarding questions list")
    await mod.join("alice")
    (text,) = mod.platform.texts("dm:alice")
    assert "Welcome" in text and "Question" not in text
    assert "no welcome questions" in await run(mod, "/onboard", "alice")
