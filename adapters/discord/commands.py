"""Slash commands generated from the core's catalogue, and synced only when it changed.

The catalogue (`communitybot.commands.CATALOGUE`) is turned into Discord's application-command
JSON: one top-level command per first path word, with subcommand groups and subcommands under
it, typed options, choices and autocomplete. A top-level command whose every subcommand is
moderator-only gets `default_member_permissions` = Manage Server (the core still checks).

Names, descriptions and choices carry their Spanish and French words
(`name_localizations`, `description_localizations`: `adapters.discord.command_locales`), so a
Spanish Discord client shows Spanish commands; what a member picks still arrives under the
English names the core reads.

Syncing is a bulk overwrite (one PUT). Its hash (over the localized JSON, so a changed
translation syncs again) is kept in the adapter's own state (`discord_state`), so restarts with
the same catalogue make no sync call (Discord rate-limits command registration).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import discord
from discord.app_commands import locale_str

from adapters.discord.command_locales import CatalogueTranslator, english, localized
from communitybot.commands import CATALOGUE, Command, Option
from communitybot.i18n import N_
from communitybot.ports import AdapterState

CHAT_INPUT = 1
SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
OPTION_TYPES = {"string": 3, "integer": 4, "boolean": 5, "user": 6, "channel": 7, "role": 8}
MANAGE_GUILD = str(1 << 5)
HASH_KEY = "commands_hash"
MAX_AUTOCOMPLETE = 25

GUILD_TEXT = 0
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
POSTABLE = [GUILD_TEXT, GUILD_ANNOUNCEMENT]
"""Where the bot can post and members read: text and announcement channels (never voice,
stage, category, forum or media channels, which would fail later)."""
CHANNEL_TYPES: dict[tuple[tuple[str, ...], str], list[int]] = {
    # Private welcome threads and private group introductions are opened in these: only text
    # channels allow private threads.
    (("setup",), "welcome_channel"): [GUILD_TEXT],
    (("setup",), "introductions_channel"): [GUILD_TEXT],
    # A chat opens a public thread on its welcome message: text and announcement channels.
    (("chat", "create"), "channel"): POSTABLE,
    (("chat", "edit"), "channel"): POSTABLE,
    # One post (an ask) or a channel to suggest: a public thread works as well.
    (("ask",), "channel"): [*POSTABLE, ANNOUNCEMENT_THREAD, PUBLIC_THREAD],
    (("tags", "link"), "channel"): [*POSTABLE, ANNOUNCEMENT_THREAD, PUBLIC_THREAD],
}
"""Which channel types a channel option lists, by (command path, option); others: `POSTABLE`."""


def option_payload(option: Option, path: tuple[str, ...] = ()) -> dict[str, Any]:
    """One option's JSON, its texts still `locale_str` (see `command_locales`)."""
    payload: dict[str, Any] = {
        "type": OPTION_TYPES[option.type],
        "name": locale_str(option.name, kind="name"),
        "description": locale_str(option.description),
        "required": option.required,
    }
    if option.type == "channel":
        payload["channel_types"] = CHANNEL_TYPES.get((path, option.name), POSTABLE)
    if option.choices:
        payload["choices"] = [
            {"name": locale_str(c, kind="choice"), "value": c} for c in option.choices
        ]
    elif option.autocomplete:
        payload["autocomplete"] = True
    if option.max_length is not None:
        payload["max_length"] = option.max_length
    if option.min_value is not None:
        payload["min_value"] = option.min_value
    if option.max_value is not None:
        payload["max_value"] = option.max_value
    return payload


def _options(command: Command) -> list[dict[str, Any]]:
    # Discord wants required options first; the catalogue already orders them that way.
    return [
        option_payload(o, command.path)
        for o in sorted(command.options, key=lambda o: not o.required)
    ]


def _leaf(command: Command, name: str, kind: int) -> dict[str, Any]:
    return {
        "type": kind,
        "name": locale_str(name, kind="name"),
        "description": locale_str(command.description),
        "options": _options(command),
    }


def _group_description(name: str) -> locale_str:
    """ "Tags commands": the group's name is filled in each language's own word for it."""
    return locale_str(f"{name.title()} commands", msgid=N_("{name} commands"), group=name)


def command_payloads(catalogue: tuple[Command, ...] = CATALOGUE) -> list[dict[str, Any]]:
    """The bulk-overwrite body for the whole catalogue, in catalogue order, in English."""
    return english(command_tree(catalogue))


async def localized_payloads(
    translator: discord.app_commands.Translator | None = None,
    catalogue: tuple[Command, ...] = CATALOGUE,
) -> list[dict[str, Any]]:
    """The bulk-overwrite body with every language's names and descriptions."""
    return await localized(command_tree(catalogue), translator or CatalogueTranslator())


def command_tree(catalogue: tuple[Command, ...] = CATALOGUE) -> list[dict[str, Any]]:
    """The commands' JSON with `locale_str` where a text is translated."""
    tops: dict[str, dict[str, Any]] = {}
    moderator_only: dict[str, bool] = {}
    for command in catalogue:
        top_name = command.path[0]
        moderator_only[top_name] = moderator_only.get(top_name, True) and command.moderator_only
        if len(command.path) == 1:
            tops[top_name] = {**_leaf(command, top_name, CHAT_INPUT), "contexts": [0]}
            continue
        top = tops.setdefault(
            top_name,
            {
                "type": CHAT_INPUT,
                "name": locale_str(top_name, kind="name"),
                "description": _group_description(top_name),
                "options": [],
                "contexts": [0],
            },
        )
        parent = top
        for group in command.path[1:-1]:
            found = next((o for o in parent["options"] if str(o["name"]) == group), None)
            if found is None:
                found = {
                    "type": SUB_COMMAND_GROUP,
                    "name": locale_str(group, kind="name"),
                    "description": _group_description(group),
                    "options": [],
                }
                parent["options"].append(found)
            parent = found
        parent["options"].append(_leaf(command, command.path[-1], SUB_COMMAND))
    for name, top in tops.items():
        top["default_member_permissions"] = MANAGE_GUILD if moderator_only[name] else None
    return list(tops.values())


def catalogue_hash(payloads: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(payloads, sort_keys=True).encode()).hexdigest()


class CommandSync:
    """Registers the commands (globally, or per development guild) when the catalogue changed."""

    def __init__(
        self,
        db: AdapterState,
        application_id: int,
        dev_guild_ids: list[int],
        translator: discord.app_commands.Translator | None = None,
    ) -> None:
        self.db = db
        self.application_id = application_id
        self.dev_guild_ids = dev_guild_ids
        self.translator = translator or CatalogueTranslator()

    def _scope(self) -> str:
        guilds = ",".join(str(g) for g in sorted(self.dev_guild_ids)) or "global"
        return f"{HASH_KEY}:{guilds}"

    async def stored_hash(self) -> str | None:
        row = await self.db.fetch_one(
            "SELECT value FROM discord_state WHERE application_id = ? AND key = ?",
            (str(self.application_id), self._scope()),
        )
        return str(row["value"]) if row else None

    async def sync_if_changed(self, http: discord.http.HTTPClient) -> bool:
        """One bulk overwrite if the catalogue's hash differs from the stored; True if synced."""
        payloads = await localized_payloads(self.translator)
        digest = catalogue_hash(payloads)
        if await self.stored_hash() == digest:
            return False
        if self.dev_guild_ids:
            for guild_id in self.dev_guild_ids:
                await http.bulk_upsert_guild_commands(self.application_id, guild_id, payloads)
        else:
            await http.bulk_upsert_global_commands(self.application_id, payloads)
        await self.db.write(
            "INSERT INTO discord_state (application_id, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (application_id, key) DO UPDATE SET value = excluded.value",
            (str(self.application_id), self._scope(), digest),
        )
        return True
