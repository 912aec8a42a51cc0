"""A reply handle that keeps the answers instead of sending them: for callers that are not a
chat platform but run commands the adapters' way (the web dashboard's forms).

The dashboard builds a `CommandInvoked` whose `reply_handle` is a `CapturedReplies` and runs it
through the community's `Bot` (lanes, unit of work, rights, outbox). Delivery then hands each
`Reply` to the capture rather than to `ChatPlatform.reply` (`communitybot.delivery`), so the
web page shows the handler's own text, and no adapter needs to know the dashboard exists.
Everything else the handler returned (a moderator-log line, a role grant) is delivered as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from communitybot.replies import Message


@dataclass(eq=False)
class CapturedReplies:
    """The replies one event got, in order."""

    messages: list[Message] = field(default_factory=list)

    def add(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def text(self) -> str:
        return "\n\n".join(m.text for m in self.messages if m.text)


def capture_of(event: object) -> CapturedReplies | None:
    """The event's capture, when its answers are to be kept rather than sent."""
    handle = getattr(event, "reply_handle", None)
    return handle if isinstance(handle, CapturedReplies) else None
