"""Network chats relayed into Discord through a channel webhook (issue #15).

Why a webhook: a copy then shows who said it ("alice · Matrix", with their avatar) instead
of the bot's name on every line, and the bot's own messages stay the bot's.

- One webhook per channel: the bot's own (found with GET /channels/{id}/webhooks), else one it
  creates, "communitybot relay". A thread's copies go through its parent channel's webhook
  with `thread_id`. The id and token are kept in `discord_relay_webhooks`; the token is a
  secret (registered with the log redactor, never logged, not in `/mydata`). Needs Manage
  Webhooks: without it `MissingPermission`, so the core marks the leg lost and tells the
  moderators. A webhook someone deleted (404 Unknown Webhook) is forgotten and made again,
  once per post.
- Idempotent by (conversation, relay key): every piece of every copy is stored with its
  Discord message id; a key already copied is skipped, so a repeated delivery posts nothing.
- Nothing pings: `allowed_mentions` is none on every post and edit, and mass mentions are
  made inert in the text as well.
- Pace: at most 5 posts per 2 seconds per webhook (`WindowPacer`), Discord's limit. Copies
  that arrive while a conversation's posts wait for that pace, or come in one `relay` call,
  are merged into as few posts as fit (see `relay_render`); none is dropped, the order kept.
- Edits and deletions re-render the Discord message(s) holding the copy from the other pieces
  stored with it: a merged post keeps its other lines; a message left empty is deleted. An
  edited text that no longer fits where the copy was goes on in a new post at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord
from loguru import logger

from adapters.discord.pacing import WindowPacer
from adapters.discord.relay_render import (
    MAX_CONTENT,
    Post,
    frame,
    join,
    label_of,
    merged_posts,
    pieces_of,
    render,
    reply_line,
    solo_posts,
    webhook_username,
)
from adapters.discord.relay_store import Piece, RelayStore, StoredPiece
from communitybot.events import CommunityRef
from communitybot.ports import AdapterState, MissingPermission, PlatformError
from communitybot.replies import Relayed
from communitybot.text_split import split_text

WEBHOOK_NAME = "communitybot relay"
POSTS_PER_WINDOW = 5
WINDOW = 2.0
"""Discord's documented webhook rate limit: 5 requests per 2 seconds."""
WINDOW_MARGIN = 0.1
"""Kept on top of the window, so network jitter never makes six arrive within two seconds."""
UNKNOWN_WEBHOOK = 10015
UNKNOWN_MESSAGE = 10008
MIN_ROOM = 40
"""An edit continues in a new post rather than squeeze into less room than this."""
NO_PINGS = discord.AllowedMentions.none()
THREAD_TYPES = (10, 11, 12)
TEXT_TYPES = (0, 5)


@dataclass(frozen=True)
class Target:
    """Where a conversation's copies go: the webhook's channel, and the thread (or "")."""

    channel_id: str
    thread_id: str

    def thread(self) -> dict[str, Any]:
        return {"thread": discord.Object(int(self.thread_id))} if self.thread_id else {}


@dataclass
class _Waiting:
    messages: list[Relayed]
    done: asyncio.Future[None]


@dataclass
class _Lane:
    """A conversation's copies waiting to be posted, and the task posting them."""

    waiting: list[_Waiting] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class DiscordRelay:
    """Posts, edits and deletes copies of network-chat messages through channel webhooks."""

    def __init__(
        self,
        client: discord.Client,
        state: AdapterState | None,
        *,
        posts_per_window: int = POSTS_PER_WINDOW,
        window: float = WINDOW + WINDOW_MARGIN,
    ) -> None:
        self.client = client
        self._state = state
        self._limit = posts_per_window
        self._window = window
        self._pacers: dict[str, WindowPacer] = {}
        self._webhooks: dict[str, discord.Webhook] = {}
        self._targets: dict[str, Target] = {}
        self._lanes: dict[str, _Lane] = {}

    def _store(self) -> RelayStore:
        if self._state is None or self.client.application_id is None:
            raise PlatformError("relaying needs the bot logged in with its database")
        return RelayStore(self._state, str(self.client.application_id))

    # -- posting -----------------------------------------------------------------------------

    async def relay(
        self, community: CommunityRef, conversation_id: str, messages: Sequence[Relayed]
    ) -> None:
        """Queue the copies behind whatever this conversation is already posting and wait
        until they are posted (merged with the others waiting when the pace asks for it)."""
        if not messages:
            return
        lane = self._lanes.setdefault(conversation_id, _Lane())
        waiting = _Waiting(list(messages), asyncio.get_running_loop().create_future())
        waiting.done.add_done_callback(_retrieved)
        lane.waiting.append(waiting)
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(self._drain(community, conversation_id, lane))
        await asyncio.shield(waiting.done)

    async def _drain(self, community: CommunityRef, conversation_id: str, lane: _Lane) -> None:
        """Post what waits, round after round; each round takes everything that piled up while
        the webhook's pace was waited for, so a busy chat becomes a few merged posts."""
        batch: list[_Waiting] = []
        try:
            while lane.waiting:
                batch = []
                try:
                    target = await self._target(conversation_id)
                    await self._pacer(target.channel_id).ready()
                    batch, lane.waiting = lane.waiting, []
                    messages = [message for waiting in batch for message in waiting.messages]
                    await self._post_new(community, conversation_id, target, messages)
                except Exception as error:
                    if not batch:
                        batch, lane.waiting = lane.waiting, []
                    _settle(batch, error)
                else:
                    _settle(batch, None)
        finally:
            for waiting in batch + lane.waiting:
                if not waiting.done.done():
                    waiting.done.cancel()

    async def _post_new(
        self,
        community: CommunityRef,
        conversation_id: str,
        target: Target,
        messages: list[Relayed],
    ) -> None:
        store = self._store()
        owed: list[tuple[Relayed, list[Piece] | None]] = []
        """Each message still owed here: None (not copied yet: rendered below) or the pieces
        a copy cut short by an earlier failure still lacks."""
        for message in messages:
            if any(m.key == message.key for m, _ in owed):
                continue
            stored = await store.pieces_of_key(conversation_id, message.key)
            if not stored:
                owed.append((message, None))
                continue
            missing = _missing_pieces(message, stored)
            if missing:
                owed.append((message, missing))
        if not owed:
            return
        merged = len(owed) > 1
        copies: list[list[Piece]] = []
        for message, lacking in owed:
            if lacking is None:
                reply = await self._reply_line(store, community, conversation_id, message)
                head, tail = frame(message, reply, merged=merged)
                lacking = pieces_of(message.key, label_of(message), head, message.text, tail)
            copies.append(lacking)
        posts = merged_posts(copies) if merged else solo_posts(owed[0][0], copies[0])
        for post in posts:
            message_id, webhook_id = await self._execute(target, post, conversation_id)
            for position, piece in enumerate(post.pieces):
                await store.add(
                    conversation_id,
                    StoredPiece(
                        piece, target.channel_id, target.thread_id, message_id, webhook_id, position
                    ),
                )

    async def _reply_line(
        self, store: RelayStore, community: CommunityRef, conversation_id: str, message: Relayed
    ) -> str:
        """The quoted "↪ replying to …" line, linking our copy of the answered message or the
        Discord original when it is in this conversation; "" when it answers nothing."""
        key = message.reply_to_key
        if not key:
            return ""
        name: str | None = None
        url: str | None = None
        copies = await store.pieces_of_key(conversation_id, key)
        if copies:
            name = copies[0].piece.label
            url = _jump_url(community.space_id, conversation_id, copies[0].message_id)
        elif key.startswith("discord:") and key[8:].isdigit():
            original = discord.utils.get(self.client.cached_messages, id=int(key[8:]))
            if original is not None and str(original.channel.id) == conversation_id:
                name = original.author.display_name
                url = original.jump_url
        return reply_line(name, message.reply_excerpt, url)

    async def _execute(self, target: Target, post: Post, conversation_id: str) -> tuple[str, str]:
        """Post through the channel's webhook, paced; the new message's id and the webhook's.
        A deleted webhook is made again (once)."""
        for attempt in range(2):
            webhook = await self._webhook(target.channel_id)
            await self._pacer(target.channel_id).turn()
            extra: dict[str, Any] = target.thread()
            if post.avatar_url and post.avatar_url.startswith("https://"):
                extra["avatar_url"] = post.avatar_url  # anything else Discord would refuse
            try:
                sent = await webhook.send(
                    post.content,
                    username=post.username,
                    allowed_mentions=NO_PINGS,
                    wait=True,
                    **extra,
                )
            except discord.NotFound as error:
                if error.code == UNKNOWN_WEBHOOK and attempt == 0:
                    logger.info(
                        "the relay webhook of channel {} was deleted; making a new one",
                        target.channel_id,
                    )
                    await self._forget_webhook(target.channel_id)
                    continue
                raise PlatformError(
                    f"Discord refused a relayed message in <#{conversation_id}>: {error.text}"
                ) from error
            except discord.Forbidden as error:
                raise MissingPermission(
                    f"I'm not allowed to post the network chat in <#{conversation_id}>"
                ) from error
            except discord.HTTPException as error:
                raise PlatformError(
                    f"Discord refused a relayed message in <#{conversation_id}>: {error.text}"
                ) from error
            return str(sent.id), str(webhook.id)
        raise PlatformError(f"the relay webhook of <#{target.channel_id}> keeps disappearing")

    # -- edits and deletions -----------------------------------------------------------------

    async def edit(
        self, community: CommunityRef, conversation_id: str, key: str, text: str
    ) -> None:
        """Show the new text where the copy is (nothing when there is no copy)."""
        await self._posted(conversation_id)
        store = self._store()
        stored = await store.pieces_of_key(conversation_id, key)
        if stored:
            first = stored[0].piece
            full = render(first.head, text, first.tail)
            await self._rewrite(store, conversation_id, stored, full)

    async def delete(self, community: CommunityRef, conversation_id: str, key: str) -> None:
        """Take the copy out (nothing when there is none): its own messages are deleted, a
        merged post keeps its other lines."""
        await self._posted(conversation_id)
        store = self._store()
        stored = await store.pieces_of_key(conversation_id, key)
        if stored:
            await self._rewrite(store, conversation_id, stored, "")

    async def _posted(self, conversation_id: str) -> None:
        """Wait until the copies queued for this conversation are posted (or failed), so an
        edit or deletion delivered right after its post never misses the copy."""
        lane = self._lanes.get(conversation_id)
        while lane is not None and lane.task is not None and not lane.task.done():
            with contextlib.suppress(Exception):
                await asyncio.shield(lane.task)

    async def _rewrite(
        self, store: RelayStore, conversation_id: str, stored: list[StoredPiece], full: str
    ) -> None:
        """Put `full` (the copy's new whole text; "" removes it) where the copy's pieces are,
        each message keeping its other pieces, then update the messages that changed."""
        key = stored[0].piece.key
        target = Target(stored[0].channel_id, stored[0].thread_id)
        remaining = full
        used: dict[str, int] = {}
        messages: list[str] = []
        for piece in stored:
            if piece.message_id not in messages:
                messages.append(piece.message_id)
            others = [
                p.piece.content
                for p in await store.pieces_of_message(piece.message_id)
                if p.piece.key != key
            ]
            taken = len(join(others)) + (1 if others else 0) + used.get(piece.message_id, 0)
            room = MAX_CONTENT - taken
            if not remaining or room < MIN_ROOM:
                await store.remove(conversation_id, key, piece.piece.seq)
                continue
            parts = split_text(remaining, room)
            remaining = "\n".join(parts[1:])
            used[piece.message_id] = used.get(piece.message_id, 0) + len(parts[0]) + 1
            await store.set_content(conversation_id, key, piece.piece.seq, parts[0])
        posted_by = {piece.message_id: piece.webhook_id for piece in stored}
        for message_id in messages:
            pieces = await store.pieces_of_message(message_id)
            content = join(p.piece.content for p in pieces)
            await self._change(target, message_id, posted_by[message_id], content)
        if remaining:
            first = stored[0].piece
            seq = stored[-1].piece.seq + 1
            for offset, part in enumerate(split_text(remaining, MAX_CONTENT)):
                more = Piece(key, seq + offset, first.label, first.head, first.tail, part)
                post = Post(webhook_username(first.label), None, [more])
                message_id, webhook_id = await self._execute(target, post, conversation_id)
                await store.add(
                    conversation_id,
                    StoredPiece(
                        more, target.channel_id, target.thread_id, message_id, webhook_id, 0
                    ),
                )

    async def _change(self, target: Target, message_id: str, posted_by: str, content: str) -> None:
        """Edit a copy's message to `content`, or delete it when nothing is left in it. A
        message already gone is fine. Only the webhook that posted a message may change it: once
        that one was deleted (and replaced), the copy can still be deleted as the bot (Manage
        Messages), no longer edited."""
        webhook = await self._webhook(target.channel_id)
        if str(webhook.id) != posted_by:
            await self._delete_as_bot(target, message_id, editing=bool(content))
            return
        await self._pacer(target.channel_id).turn()
        try:
            if content:
                await webhook.edit_message(
                    int(message_id), content=content, allowed_mentions=NO_PINGS, **target.thread()
                )
            else:
                await webhook.delete_message(int(message_id), **target.thread())
        except discord.NotFound as error:
            if error.code == UNKNOWN_WEBHOOK:
                await self._forget_webhook(target.channel_id)
                raise PlatformError(
                    "the webhook that posted this copy was deleted, so it cannot be changed"
                ) from error
            # Unknown Message: someone deleted the copy already.
        except discord.Forbidden as error:
            raise MissingPermission(
                f"I'm not allowed to change the network chat's copies in <#{target.channel_id}>"
            ) from error
        except discord.HTTPException as error:
            raise PlatformError(
                f"Discord refused to change a relayed copy: {error.text}"
            ) from error

    async def _delete_as_bot(self, target: Target, message_id: str, *, editing: bool) -> None:
        """The webhook that posted this copy was deleted (and replaced): an edit cannot be
        shown any more; a deletion is done with the bot's own rights (Manage Messages)."""
        where = int(target.thread_id or target.channel_id)
        if editing:
            raise PlatformError(
                f"the relay webhook that posted a copy in <#{where}> was deleted, so the copy "
                "can no longer be edited"
            )
        try:
            await self.client.http.delete_message(where, int(message_id), reason="network chat")
        except discord.NotFound:
            pass
        except discord.HTTPException as error:
            raise PlatformError(
                f"the relay webhook that posted a copy in <#{where}> was deleted, and I may not "
                f"delete the copy myself (Manage Messages): {error.text}"
            ) from error

    # -- inbound -----------------------------------------------------------------------------

    async def source_of(self, message_id: int | str) -> str | None:
        """The original's relay key when `message_id` is one of our copies, else None."""
        if self._state is None or self.client.application_id is None:
            return None
        return await self._store().source_of(str(message_id))

    # -- where and through what --------------------------------------------------------------

    def _pacer(self, channel_id: str) -> WindowPacer:
        pacer = self._pacers.get(channel_id)
        if pacer is None:
            pacer = self._pacers[channel_id] = WindowPacer(self._limit, self._window)
        return pacer

    async def _target(self, conversation_id: str) -> Target:
        """The channel whose webhook posts in `conversation_id`, and the thread if it is one."""
        known = self._targets.get(conversation_id)
        if known is not None:
            return known
        if not conversation_id.isdigit():
            raise PlatformError(f"{conversation_id!r} is not a Discord channel or thread")
        channel = self.client.get_channel(int(conversation_id))
        if isinstance(channel, discord.Thread):
            target = Target(str(channel.parent_id), conversation_id)
        elif isinstance(channel, discord.TextChannel):
            target = Target(conversation_id, "")
        else:
            target = await self._fetch_target(conversation_id)
        self._targets[conversation_id] = target
        return target

    async def _fetch_target(self, conversation_id: str) -> Target:
        try:
            data: Any = await self.client.http.get_channel(int(conversation_id))
        except discord.Forbidden as error:
            raise MissingPermission(f"I can't see <#{conversation_id}> any more") from error
        except discord.HTTPException as error:
            raise PlatformError(
                f"the network chat's channel <#{conversation_id}> is gone ({error.text})"
            ) from error
        kind = int(data.get("type", -1))
        if kind in THREAD_TYPES and data.get("parent_id"):
            return Target(str(data["parent_id"]), conversation_id)
        if kind in TEXT_TYPES:
            return Target(conversation_id, "")
        raise PlatformError(f"<#{conversation_id}> is not a text channel or thread")

    async def _webhook(self, channel_id: str) -> discord.Webhook:
        """The channel's relay webhook: remembered, else the bot's own there, else a new one."""
        webhook = self._webhooks.get(channel_id)
        if webhook is not None:
            return webhook
        store = self._store()
        known = await store.webhook(channel_id)
        if known is None:
            known = await self._find_or_create(channel_id)
            await store.save_webhook(channel_id, *known)
        webhook = discord.Webhook.partial(int(known[0]), known[1], client=self.client)
        self._webhooks[channel_id] = webhook
        return webhook

    async def _find_or_create(self, channel_id: str) -> tuple[str, str]:
        http = self.client.http
        me = str(self.client.user.id) if self.client.user else ""
        try:
            hooks: list[Any] = list(await http.channel_webhooks(int(channel_id)))
            for hook in hooks:
                owner = (hook.get("user") or {}).get("id")
                if owner == me and hook.get("type") == 1 and hook.get("token"):
                    return str(hook["id"]), str(hook["token"])
            made: Any = await http.create_webhook(
                int(channel_id), name=WEBHOOK_NAME, reason="relaying a network chat"
            )
        except discord.Forbidden as error:
            raise MissingPermission(
                f"I need the Manage Webhooks permission in <#{channel_id}> to relay the "
                "network chat there"
            ) from error
        except discord.HTTPException as error:
            raise PlatformError(
                f"Discord refused the relay webhook in <#{channel_id}>: {error.text}"
            ) from error
        return str(made["id"]), str(made["token"])

    async def _forget_webhook(self, channel_id: str) -> None:
        self._webhooks.pop(channel_id, None)
        with contextlib.suppress(PlatformError):
            await self._store().forget_webhook(channel_id)


def _missing_pieces(message: Relayed, stored: list[StoredPiece]) -> list[Piece]:
    """The pieces of a copy that were never posted (a long copy whose posting stopped half-way:
    the delivery is retried, and idempotency must not leave it cut). Rendered as it was."""
    first = stored[0].piece
    pieces = pieces_of(message.key, first.label, first.head, message.text, first.tail)
    return [piece for piece in pieces if piece.seq > stored[-1].piece.seq]


def _jump_url(guild_id: str, channel_id: str, message_id: str) -> str:
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _settle(batch: list[_Waiting], error: BaseException | None) -> None:
    for waiting in batch:
        if waiting.done.done():
            continue
        if error is None:
            waiting.done.set_result(None)
        else:
            waiting.done.set_exception(error)


def _retrieved(future: asyncio.Future[None]) -> None:
    """Mark an outcome nobody awaited any more (its caller was cancelled) as seen."""
    if not future.cancelled():
        future.exception()
