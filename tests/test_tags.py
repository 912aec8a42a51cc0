"""Interest tags as members and moderators use them, through the real bot and store."""

from __future__ import annotations

import pytest

from communitybot.text import MAX_TAG_LENGTH
from tests.conftest import COMMUNITY, Harness


async def all_tag_names(harness: Harness) -> set[str]:
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    return {t.name for t in await harness.store.tags.all(community.id)}


async def said(harness: Harness, name: str, line: str) -> str:
    """Run a command and return the one reply its author saw."""
    await harness.command(name, line)
    (text,) = harness.platform.texts(f"reply:{name}")
    return text


@pytest.fixture
async def curated(harness: Harness) -> Harness:
    """A community whose moderator created a few tags."""
    harness.platform.moderators.add("mod")
    for line in (
        "/tags create beekeeping hobby",
        "/tags create origami hobby",
        "/tags create astronomy science",
    ):
        assert "Created" in await said(harness, "mod", line)
    return harness


async def test_names_are_normalised_on_create_and_on_add(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    text = await said(harness, "mod", '/tags create "#Bee Keeping_Club" Hobby')
    assert "**bee-keeping-club**" in text and "hobby" in text
    text = await said(harness, "alice", "/tags add BEE-keeping club")
    # without commas the words are separate tags: neither alone is a tag
    assert "Nothing was changed" in text
    text = await said(harness, "alice", "/tags add #bee keeping CLUB,")
    assert "Added **bee-keeping-club**" in text
    assert await harness.tag_names("alice") == {"bee-keeping-club"}


async def test_alias_resolves_to_its_tag(curated: Harness) -> None:
    assert "another name for **beekeeping**" in await said(
        curated, "mod", "/tags alias beekeeping bees"
    )
    assert "Added **beekeeping**" in await said(curated, "alice", "/tags add #Bees")
    assert await curated.tag_names("alice") == {"beekeeping"}
    assert "Removed **beekeeping**" in await said(curated, "alice", "/tags remove bees")
    assert await curated.tag_names("alice") == set()


async def test_unknown_tags_get_suggestions_and_known_ones_are_still_added(
    curated: Harness,
) -> None:
    text = await said(curated, "alice", "/tags add origamy, astronomy")
    assert "Added **astronomy**" in text
    assert "I don't know the tag “origamy”. Did you mean `origami`?" in text
    assert await curated.tag_names("alice") == {"astronomy"}


async def test_only_unknown_tags_change_nothing(curated: Harness) -> None:
    text = await said(curated, "alice", "/tags add qwertyuiop")
    assert "I don't know the tag “qwertyuiop”" in text
    assert "/tags list" in text
    assert "Nothing was changed" in text
    assert await curated.tag_names("alice") == set()


async def test_adding_twice_and_removing_what_you_lack_are_explained(curated: Harness) -> None:
    await said(curated, "alice", "/tags add origami")
    assert "You already had **origami**" in await said(curated, "alice", "/tags add origami")
    assert "You didn't have **astronomy**" in await said(curated, "alice", "/tags remove astronomy")
    assert await curated.tag_names("alice") == {"origami"}


async def test_echoed_unknown_tag_cannot_ping_everyone(curated: Harness) -> None:
    text = await said(curated, "alice", "/tags add @everyone")
    assert "@everyone" not in text


async def test_over_long_names_are_refused(curated: Harness) -> None:
    long_name = "x" * (MAX_TAG_LENGTH + 1)
    text = await said(curated, "mod", f"/tags create {long_name}")
    assert f"at most {MAX_TAG_LENGTH} characters" in text
    assert long_name not in await all_tag_names(curated)
    text = await said(curated, "mod", f"/tags alias origami {long_name}")
    assert f"at most {MAX_TAG_LENGTH} characters" in text


async def test_duplicates_and_alias_clashes_are_refused(curated: Harness) -> None:
    assert "already a tag **origami**" in await said(curated, "mod", "/tags create Origami")
    await said(curated, "mod", "/tags alias astronomy stars")
    assert "already an alias of **astronomy**" in await said(curated, "mod", "/tags create stars")
    assert "already an alias of **astronomy**" in await said(
        curated, "mod", "/tags alias origami stars"
    )
    assert "already a tag" in await said(curated, "mod", "/tags rename origami astronomy")
    assert "stars" not in await all_tag_names(curated)


async def test_moderator_commands_are_refused_for_members(curated: Harness) -> None:
    for line in (
        "/tags create knitting",
        "/tags rename origami paper",
        "/tags alias origami paper",
        "/tags merge origami astronomy",
        "/tags delete origami",
        "/tags link origami general",
    ):
        assert "Only moderators" in await said(curated, "alice", line)
    assert {"origami", "astronomy"} <= await all_tag_names(curated)
    assert "knitting" not in await all_tag_names(curated)


async def test_rename_keeps_members(curated: Harness) -> None:
    await said(curated, "alice", "/tags add origami")
    assert "Renamed **origami** to **paper-folding**" in await said(
        curated, "mod", '/tags rename origami "Paper Folding"'
    )
    assert await curated.tag_names("alice") == {"paper-folding"}
    assert "I don't know the tag “origami”" in await said(curated, "bob", "/tags add origami")


async def test_merge_moves_members_and_aliases(curated: Harness) -> None:
    await said(curated, "mod", "/tags alias origami paper")
    await said(curated, "alice", "/tags add origami, astronomy")
    await said(curated, "bob", "/tags add origami")
    text = await said(curated, "mod", "/tags merge origami astronomy")
    assert "Merged **origami** into **astronomy**: 1 member gained" in text
    assert await curated.tag_names("alice") == {"astronomy"}
    assert await curated.tag_names("bob") == {"astronomy"}
    assert "origami" not in await all_tag_names(curated)
    # the source's name and its aliases now lead to the target
    assert "You already had **astronomy**" in await said(curated, "bob", "/tags add paper, origami")
    # and peer search sees the merged tag straight away
    assert "Bob" in await said(curated, "alice", "/peers")


async def test_merge_into_itself_is_refused(curated: Harness) -> None:
    await said(curated, "mod", "/tags alias origami paper")
    assert "the same tag" in await said(curated, "mod", "/tags merge paper origami")


async def test_delete_removes_the_tag_from_profiles_and_searches(curated: Harness) -> None:
    await said(curated, "alice", "/tags add origami")
    await said(curated, "bob", "/tags add origami")
    assert "Bob" in await said(curated, "alice", "/peers")
    assert "2 members" in await said(curated, "mod", "/tags delete origami")
    assert await curated.tag_names("alice") == set()
    assert "no interest tags" in await said(curated, "alice", "/peers")
    assert "Bob" not in await said(curated, "alice", "/peers astronomy")


async def test_role_linked_tags_grant_and_revoke_roles(curated: Harness) -> None:
    await said(curated, "mod", "/tags link beekeeping role=r-bees")
    await said(curated, "mod", "/tags link origami role=r-bees")
    actions = await curated.command("alice", "/tags add beekeeping, origami")
    assert curated.platform.roles["alice"] == {"r-bees"}
    assert [type(a).__name__ for a in actions].count("GrantRole") == 1
    await curated.command("alice", "/tags remove beekeeping")
    assert curated.platform.roles["alice"] == {"r-bees"}  # origami still links to it
    await curated.command("alice", "/tags remove origami")
    assert curated.platform.roles["alice"] == set()


async def test_refused_role_grant_is_reported_to_moderators(curated: Harness) -> None:
    community = await curated.store.communities.get(COMMUNITY)
    assert community is not None
    await curated.store.communities.update_settings(community.id, modlog_channel="modlog")
    curated.platform.forbidden_roles.add("r-admins")
    await said(curated, "mod", "/tags link astronomy role=r-admins")
    await curated.command("alice", "/tags add astronomy")
    sent = curated.platform.take()
    reports = [s.text for s in sent if s.where == "#modlog"]
    assert len(reports) == 1 and "r-admins" in reports[0] and "Alice" in reports[0]
    assert any("Added **astronomy**" in s.text for s in sent if s.where == "reply:alice")
    assert await curated.tag_names("alice") == {"astronomy"}


async def test_linked_channels_are_suggested_and_listed(curated: Harness) -> None:
    text = await said(curated, "mod", "/tags link astronomy #stargazing")
    assert "suggests #stargazing" in text
    text = await said(curated, "alice", "/tags add astronomy")
    assert "#stargazing — for astronomy" in text
    listing = await said(curated, "alice", "/tags list")
    assert "astronomy ✓ (#stargazing)" in listing
    assert "origami" in listing and "origami ✓" not in listing
    assert "still linked" not in await said(curated, "mod", "/tags link astronomy")
    assert "no longer suggests a channel" in await said(
        curated, "mod", "/tags link astronomy clear=both"
    )
    assert "#stargazing" not in await said(curated, "alice", "/tags list")


async def test_list_by_category(curated: Harness) -> None:
    listing = await said(curated, "alice", "/tags list hobby")
    assert "beekeeping" in listing and "astronomy" not in listing
    text = await said(curated, "alice", "/tags list cooking")
    assert "no category “cooking”" in text and "`hobby`" in text


async def test_empty_and_oversized_requests(curated: Harness) -> None:
    assert "Which tags?" in await said(curated, "alice", "/tags add ,,,")
    many = ", ".join(f"t{i}" for i in range(30))
    assert "at most 25" in await said(curated, "alice", f"/tags add {many}")


async def test_a_tag_is_never_linked_to_the_moderator_role(curated: Harness) -> None:
    await said(curated, "mod", "/setup moderator_role=modrole")
    text = await said(curated, "mod", "/tags link beekeeping role=modrole")
    assert "can't link **beekeeping**" in text and "moderator role" in text
    assert "Nothing was changed" in text
    await curated.command("alice", "/tags add beekeeping")
    assert "modrole" not in curated.platform.roles.get("alice", set())
    curated.platform.take()
    assert "Only moderators" in await said(curated, "alice", "/stats")


async def test_a_role_the_platform_refuses_is_not_linked(curated: Harness) -> None:
    curated.platform.refused_roles["r-admins"] = "it has the Administrator permission"
    text = await said(curated, "mod", "/tags link astronomy role=r-admins")
    assert "can't link **astronomy**" in text and "Administrator" in text
    await curated.command("alice", "/tags add astronomy")
    assert curated.platform.roles.get("alice", set()) == set()


async def test_setting_the_moderator_role_to_a_linked_role_is_refused(curated: Harness) -> None:
    await said(curated, "mod", "/tags link beekeeping role=r-bees")
    text = await said(curated, "mod", "/setup moderator_role=r-bees")
    assert "can't be the moderator role" in text and "**beekeeping**" in text
    community = await curated.store.communities.get(COMMUNITY)
    assert community is not None and community.moderator_role is None


async def test_a_linked_role_that_became_dangerous_is_withheld_and_reported(
    curated: Harness,
) -> None:
    """Second line of defence: the links were made before the roles became dangerous."""
    community = await curated.store.communities.get(COMMUNITY)
    assert community is not None
    for name, role in (("beekeeping", "r-bees"), ("astronomy", "r-stars")):
        tag = await curated.store.tags.get_by_name(community.id, name)
        assert tag is not None
        await curated.store.tags.link(tag.id, None, role)
    await curated.store.communities.update_settings(
        community.id, modlog_channel="modlog", moderator_role="r-bees"
    )
    curated.platform.refused_roles["r-stars"] = "it has the Manage Roles permission"
    curated.platform.take()
    await curated.command("alice", "/tags add beekeeping, astronomy")
    assert curated.platform.roles.get("alice", set()) == set()
    sent = curated.platform.take()
    reports = [s.text for s in sent if s.where == "#modlog"]
    assert len(reports) == 2
    assert any("r-bees" in r and "moderator role" in r for r in reports)
    assert any("r-stars" in r and "Manage Roles" in r for r in reports)
    assert any("Added **beekeeping**" in s.text for s in sent if s.where == "reply:alice")
    assert await curated.tag_names("alice") == {"beekeeping", "astronomy"}
    assert "Only moderators" in await said(curated, "alice", "/stats")


async def _links(harness: Harness, name: str) -> tuple[str | None, str | None]:
    community = await harness.store.communities.get(COMMUNITY)
    assert community is not None
    tag = await harness.store.tags.get_by_name(community.id, name)
    assert tag is not None
    return tag.channel_id, tag.role_id


async def test_link_none_clears_and_a_left_out_link_stays(curated: Harness) -> None:
    text = await said(curated, "mod", "/tags link origami paper-club folders")
    assert "now suggests #paper-club" in text and "`folders`" in text
    assert await _links(curated, "origami") == ("paper-club", "folders")
    # Only a role given: the channel link stays, and the reply says so.
    text = await said(curated, "mod", "/tags link origami role=cranes")
    assert "now grants the role `cranes`" in text and "still suggests #paper-club" in text
    assert await _links(curated, "origami") == ("paper-club", "cranes")
    # `none` clears that link (it is not a channel called #none).
    text = await said(curated, "mod", "/tags link origami none")
    assert "no longer suggests a channel" in text and "#none" not in text
    assert await _links(curated, "origami") == (None, "cranes")
    text = await said(curated, "mod", "/tags link origami clear=role")
    assert "no longer grants a role" in text
    assert await _links(curated, "origami") == (None, None)
    assert "Nothing changed" in await said(curated, "mod", "/tags link origami")


async def test_link_refuses_a_new_value_and_clearing_it_at_once(curated: Harness) -> None:
    text = await said(curated, "mod", "/tags link origami paper-club clear=channel")
    assert "Nothing was changed" in text
    assert await _links(curated, "origami") == (None, None)


async def test_create_says_when_the_typed_name_was_changed(harness: Harness) -> None:
    harness.platform.moderators.add("mod")
    text = await said(harness, "mod", "/tags create @everyone")
    assert "Created the tag **everyone**" in text and "the @ was removed" in text
    assert "@everyone" not in text  # the echo is neutralised
    text = await said(harness, "mod", "/tags create #Special_Education")
    assert "**special-education**" in text and "removed" not in text
    text = await said(harness, "mod", "/tags alias everyone all!")
    assert "“all”" in text and "the ! was removed" in text
