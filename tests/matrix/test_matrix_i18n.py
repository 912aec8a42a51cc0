"""Matrix in the member's language (#17): `!help` and a mistyped command, explained by the
adapter itself, in the language the core answers that member in."""

from __future__ import annotations

from tests.matrix.conftest import World

FIRST_QUESTION = "What best describes your role?"


async def test_help_and_a_typo_in_the_language_the_member_chose(world: World) -> None:
    mod = await world.member("mod")
    world.general = await mod.create_room(f"General {world.n}")
    await world.start_bot()
    bot_id = world.bot_id
    alice = await world.member("alice")
    await alice.join(world.general)
    await alice.wait_dm(FIRST_QUESTION, sender=bot_id)

    mark = alice.mark()
    await alice.say(world.general, "!tags")
    await alice.wait_dm("`!tags` needs a subcommand", after=mark, sender=bot_id)

    mark = alice.mark()
    await alice.say(world.general, "!profile edit language es")
    await alice.wait_dm("Español", after=mark, sender=bot_id)
    mark = alice.mark()
    await alice.say(world.general, "!tags")
    await alice.wait_dm("`!tags` necesita un subcomando: `!tags add`", after=mark, sender=bot_id)
    mark = alice.mark()
    await alice.say(world.general, "!help peers")
    await alice.wait_dm("Encuentra miembros con tus mismos intereses", after=mark, sender=bot_id)
