"""Rooms named in commands: `!tags link maths role=#maths:example.org`, `!setup … !roomid`.

The command parser treats channel and role options as text; on Matrix both are rooms, typed as
an id, an alias, a matrix.to link or a room's name. They are resolved to room ids here, before
the core sees the command, so the store only ever holds ids.
"""

from __future__ import annotations

from nio import AsyncClient

from adapters.matrix.translate import room_reference
from communitybot.commands import find_command
from communitybot.events import CommandInvoked
from communitybot.i18n import tr


async def resolve_room_options(client: AsyncClient, event: CommandInvoked) -> CommandInvoked | str:
    """The command with room ids in its channel/role options, or why a room is unknown."""
    command = find_command(event.path)
    if command is None:
        return event
    options = dict(event.options)
    for option in command.options:
        value = options.get(option.name)
        if option.type not in ("channel", "role") or not isinstance(value, str):
            continue
        if value.casefold() in ("none", "room", "@room"):
            continue  # "room": a chat's ping is the room's own @room, not a room to look up
        room_id = await room_id_for(client, room_reference(value))
        if room_id is None:
            return tr(
                "I can't find the room “{room}” for `{option}`. Use its address "
                "(#name:server) or id (!…), and make sure I'm in it.",
                room=value,
                option=option.name,
            )
        options[option.name] = room_id
    return CommandInvoked(event.community, event.user, event.conversation, event.path, options)


async def room_id_for(client: AsyncClient, reference: str) -> str | None:
    """A room id from an id, an alias (known locally or asked of the server) or a room name."""
    if reference.startswith("!"):
        return reference
    if reference.startswith("#"):
        for room_id, room in client.rooms.items():
            if room.canonical_alias == reference:
                return str(room_id)
        response = await client.room_resolve_alias(reference)
        found = getattr(response, "room_id", None)
        return str(found) if found else None
    wanted = reference.casefold()
    for room_id, room in client.rooms.items():
        if (room.name or "").casefold() == wanted:
            return str(room_id)
    return None
