"""The `ChatPlatform` port for the console: everything the bot does becomes a prefixed line.

The console is one local community with no real permissions system, so moderators are the
names marked with `:mod` (or holders of the community's configured moderator role, which the
bot itself can grant), and roles are remembered in memory for the session. A message's file
is saved into the files folder and announced on the line after it: `[where] 📎 saved <path>
(<size>)`.

A terminal has no length limit, so a message is printed whole, however long (Discord and Matrix
split long texts with `communitybot.text_split`; nothing here needs to).
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from adapters.console.files import DEFAULT_FOLDER, save
from adapters.console.translate import PLATFORM, output_lines, render, reply_where
from communitybot.events import CommunityRef, ConversationRef, Event, UserRef
from communitybot.replies import Message, format_size


class ConsolePlatform:
    """Prints to `out` (stdout), one flushed line at a time so a reading process sees it at once."""

    name = PLATFORM

    def __init__(self, out: TextIO, files_dir: Path = DEFAULT_FOLDER) -> None:
        self._out = out
        self.files_dir = files_dir
        """Where attachments are saved (relative paths: from the working directory)."""
        self.moderators: set[str] = set()
        self.roles: dict[str, set[str]] = {}

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
        self.show(reply_where(event, ephemeral), message)

    async def send_to_channel(
        self, community: CommunityRef, channel_id: str, message: Message
    ) -> None:
        self.show(f"#{channel_id}", message)

    async def send_direct(
        self, community: CommunityRef, user: UserRef, message: Message
    ) -> ConversationRef:
        self.show(f"dm:{user.user_id}", message)
        return ConversationRef(PLATFORM, "dm", user.user_id)

    async def open_group(
        self, community: CommunityRef, users: tuple[UserRef, ...], title: str, message: Message
    ) -> ConversationRef:
        """One local "group": a line addressed to all of them at once."""
        members = ",".join(user.user_id for user in users)
        self.show(f"group:{members}", message)
        return ConversationRef(PLATFORM, "thread", f"group:{members}")

    async def open_chat_thread(
        self, community: CommunityRef, channel_id: str, title: str, message: Message
    ) -> str:
        """The console has no threads: the chat runs in the channel itself."""
        self.show(f"#{channel_id}", message)
        return channel_id

    async def grant_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        self.roles.setdefault(user.user_id, set()).add(role_id)
        self.write("roles", f"{user.user_id} +{role_id}")

    async def revoke_role(self, community: CommunityRef, user: UserRef, role_id: str) -> None:
        self.roles.get(user.user_id, set()).discard(role_id)
        self.write("roles", f"{user.user_id} -{role_id}")

    async def is_moderator(
        self, community: CommunityRef, user: UserRef, moderator_role: str | None
    ) -> bool:
        if user.user_id in self.moderators:
            return True
        return moderator_role is not None and moderator_role in self.roles.get(user.user_id, set())

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
