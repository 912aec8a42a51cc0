"""The `ChatPlatform` port for the console: everything the bot does becomes a prefixed line.

The console has no real permissions system, so moderators are the names marked with `:mod` (or
holders of the community's configured moderator role, which the bot itself can grant), and roles
are remembered in memory for the session, each per community. A message's file is saved into the
files folder and announced on the line after it: `[where] 📎 saved <path> (<size>)`.

A run may hold several communities (`:community NAME`): the platform remembers each one it has
seen (entered or written for), and once there are two, every line says which community it
belongs to (`translate.labelled`): `[school-a #general] …`, `[dm:alice from school-a] …`. With
one community the output is exactly as it always was.

A terminal has no length limit, so a message is printed whole, however long (Discord and Matrix
split long texts with `communitybot.text_split`; nothing here needs to).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from adapters.console.files import DEFAULT_FOLDER, save
from adapters.console.translate import PLATFORM, labelled, output_lines, render, reply_where
from communitybot.events import CommunityRef, ConversationRef, Event, UserRef
from communitybot.replies import CalendarEntry, Message, Relayed, format_size


class ConsolePlatform:
    """Prints to `out` (stdout), one flushed line at a time so a reading process sees it at once."""

    name = PLATFORM

    def __init__(self, out: TextIO, files_dir: Path = DEFAULT_FOLDER) -> None:
        self._out = out
        self.files_dir = files_dir
        """Where attachments are saved (relative paths: from the working directory)."""
        self.moderators: dict[CommunityRef, set[str]] = {}
        """The `:mod` names of each community."""
        self.roles: dict[tuple[CommunityRef, str], set[str]] = {}
        """The roles the bot granted, by community and member."""
        self.communities: list[CommunityRef] = []
        """The communities seen in this run, in the order they were first seen."""
        self._relayed: set[tuple[str, str]] = set()
        """(conversation, relay key) of the network-chat copies printed (each once)."""

    def enter(self, community: CommunityRef) -> bool:
        """Remember a community of this run; whether it is new to the run."""
        if community in self.communities:
            return False
        self.communities.append(community)
        return True

    @property
    def several(self) -> bool:
        """Whether this run has seen more than one community (so output names them)."""
        return len(self.communities) > 1

    def where_in(self, community: CommunityRef, where: str) -> str:
        """`where` with the community's name once the run has several communities."""
        self.enter(community)
        return labelled(where, community.space_id) if self.several else where

    def write_in(self, community: CommunityRef, where: str, text: str) -> None:
        """`write` for a place in a community (a channel, a DM it sent, a private reply)."""
        self.write(self.where_in(community, where), text)

    def make_moderator(self, community: CommunityRef, name: str) -> None:
        self.moderators.setdefault(community, set()).add(name)

    def write(self, where: str, text: str) -> None:
        """Print `text` with every line prefixed by `[where]`."""
        for line in output_lines(where, text):
            self._out.write(line + "\n")
            self._out.flush()

    def show(self, where: str, message: Message) -> None:
        """Print the message, then save its file (if any) and say where it went."""
        self.write(where, render(message))
        attachment = message.attachment
        if attachment is None:
            return
        try:
            path = save(self.files_dir, attachment)
        except OSError as error:
            reason = error.strerror or str(error)
            self.write(
                where, f"📎 could not save {attachment.filename} in {self.files_dir}: {reason}"
            )
            return
        self.write(where, f"📎 saved {path} ({format_size(attachment.size)})")

    async def reply(self, event: Event, message: Message, *, ephemeral: bool) -> None:
        self.show(self.where_in(event.community, reply_where(event, ephemeral)), message)

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        self.show(self.where_in(community, f"#{channel_id}"), message)

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        """One DM conversation per member, whichever community writes (as on a platform)."""
        self.show(self.where_in(community, f"dm:{user.user_id}"), message)
        return ConversationRef(PLATFORM, "dm", user.user_id)

    async def open_group(
        self, community: CommunityRef, users: tuple[UserRef, ...], title: str, message: Message
    ) -> ConversationRef:
        """One local "group": a line addressed to all of them at once."""
        members = ",".join(user.user_id for user in users)
        self.show(self.where_in(community, f"group:{members}"), message)
        return ConversationRef(PLATFORM, "thread", f"group:{members}")

    async def open_chat_thread(
        self, community: CommunityRef, channel_id: str, title: str, message: Message
    ) -> str:
        """The console has no threads: the chat runs in the channel itself."""
        self.show(self.where_in(community, f"#{channel_id}"), message)
        return channel_id

    async def relay(
        self, community: CommunityRef, conversation_id: str, messages: Sequence[Relayed]
    ) -> None:
        """A network chat's message from another affiliate: `↪ author · origin: text`, once."""
        for relayed in messages:
            if (conversation_id, relayed.key) in self._relayed:
                continue
            self._relayed.add((conversation_id, relayed.key))
            links = "".join(f"\n{url}" for url in relayed.attachment_urls)
            text = f"↪ {relayed.author} · {relayed.origin}: {relayed.text}{links}"
            self.write_in(community, f"#{conversation_id}", text)

    async def relay_edit(
        self, community: CommunityRef, conversation_id: str, key: str, text: str
    ) -> None:
        if (conversation_id, key) in self._relayed:
            self.write_in(community, f"#{conversation_id}", f"✏️ (edited) {text}")

    async def relay_delete(self, community: CommunityRef, conversation_id: str, key: str) -> None:
        if (conversation_id, key) in self._relayed:
            self._relayed.discard((conversation_id, key))
            self.write_in(community, f"#{conversation_id}", "🗑️ (a relayed message was deleted)")

    async def publish_calendar(
        self, community: CommunityRef, key: str, entry: CalendarEntry | None
    ) -> None:
        """The console's calendar is a line (and the `.ics` saved beside the other files)."""
        if entry is None:
            self.write_in(community, "calendar", f"{key} removed")
            return
        line = f"{key}: {entry.title}, {entry.starts_at} – {entry.ends_at}"
        self.show(self.where_in(community, "calendar"), Message(line, attachment=entry.ics))

    async def grant_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        self.roles.setdefault((community, user.user_id), set()).add(role_id)
        self.write_in(community, "roles", f"{user.user_id} +{role_id}")

    async def revoke_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        self.roles.get((community, user.user_id), set()).discard(role_id)
        self.write_in(community, "roles", f"{user.user_id} -{role_id}")

    async def is_moderator(
        self, community: CommunityRef, user: UserRef, moderator_role: str | None
    ) -> bool:
        if user.user_id in self.moderators.get(community, set()):
            return True
        held = self.roles.get((community, user.user_id), set())
        return moderator_role is not None and moderator_role in held

    async def role_refusal(self, community: CommunityRef, role_id: str) -> str | None:
        """Console roles are names with no permissions: only the core's own rule applies."""
        return None

    async def can_view_channel(
        self, community: CommunityRef, user: UserRef, channel_id: str
    ) -> bool:
        """The console has no private channels."""
        return True

    def mention_channel(self, channel_id: str) -> str:
        return f"#{channel_id}"

    def mention_user(self, user: UserRef) -> str:
        return user.label
