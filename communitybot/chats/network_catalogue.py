"""Commands of network chats (issue #15): an affiliate's room for one, and `norelay`.

Kept beside the feature that serves them; `communitybot.commands` joins every part into the one
catalogue the adapters generate their commands from.
"""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

CHAT_NETWORK_COMMANDS: tuple[Command, ...] = (
    Command(
        ("chat", "room"),
        N_("Where your community holds a network chat (default: the welcome channel)"),
        (
            Option("hashtag", N_("The network chat's hashtag, e.g. netchat"), max_length=33),
            Option("channel", N_("The channel or room it is held in here"), type="channel"),
        ),
        moderator_only=True,
        examples=("chat room netchat general",),
    ),
    Command(
        ("chat", "norelay"),
        N_("Keep your network-chat messages in your own community's room (on, or off again)"),
        (
            Option(
                "setting",
                N_("on (default): not shown to other affiliates; off: relayed again"),
                required=False,
                choices=(N_("on"), N_("off")),
            ),
        ),
        examples=("chat norelay", "chat norelay off"),
        spans="person",
    ),
)
