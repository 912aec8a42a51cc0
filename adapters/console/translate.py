"""Pure translation for the console: a typed line → a core event or a console directive,
and a core message → the prefixed lines printed for it.

No I/O here, so the whole grammar is unit-testable; `runner.py` does the reading and printing.

Grammar (the same interactively and from a file or pipe):
    :join NAME   NAME joins the current community and becomes the current user
    :as NAME     act as NAME
    :mod NAME    make NAME a moderator (of the current community)
    :lang CODE   the current user's app language (what Discord calls an interaction's
                 locale): the bot answers in it unless they chose a language of their own;
                 `:lang` alone says which, `:lang -` goes back to none
    :leave NAME  NAME leaves the current community
    :community NAME   switch to community NAME (the bot meets it on its first event there, as
                 when it is added to a new server); `:community` alone names the current one
                 and the communities of this run
    :help        this summary          :quit   stop
    /command …   a slash command of the current user
    #chan> text  the current user's message in channel `chan` (what a running topic chat
                 hears; `@name` mentions someone, a leading `^name` replies to them)
    NAME#chan> text   the same, written by NAME (the current user stays who it was)
    # comment    ignored, as are blank lines
    text  # note a trailing comment: ` # ` (a hash with a space or the line's end after it,
                 and whitespace before it, outside double quotes) ends what is read, so the
                 README's annotated walk-through can be pasted as it is; `#maths` (a hash
                 directly followed by a word) is a tag or channel name, never a comment
    anything else: the current user's private message to the bot

Everything but `:community` acts in the current community. Once a run has seen more than one
community, every output line says which one it belongs to (`labelled`); with one, nothing changes.

A byte-order mark (what some editors put at the start of a UTF-8 file) is dropped, so a
scenario saved that way does not lose its first line.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from communitybot.command_parser import CommandParseError, parse_command_line
from communitybot.events import (
    ChannelMessage,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    Event,
    MemberJoined,
    MemberLeft,
    MessageReceived,
    UserRef,
)
from communitybot.i18n.hints import with_yes_no_hint
from communitybot.replies import Message

PLATFORM = "console"
PUBLIC_CHANNEL = "general"
"""The channel slash commands are typed in; public replies appear there."""
PREFIX = "/"
BOM = "\ufeff"
"""A UTF-8 byte-order mark: some editors start a saved scenario file with it."""
NAME = re.compile(r"[\w.\-]{1,32}")
COMMUNITY_NAME = re.compile(r"[\w.\-]{1,64}")
"""A community typed after `:community` (64 characters at most, as the community setting)."""
_CHANNEL_LINE = re.compile(
    r"(?P<name>[\w.\-]{1,32})?#(?P<channel>[\w.\-]{1,64})>(?P<text>.*)", re.DOTALL
)
_REPLY_TO = re.compile(r"\^(?P<name>[\w.\-]{1,32})\s+")
_MENTION = re.compile(r"(?<![\w@])@(?P<name>[\w.\-]{1,32})")
Verb = Literal["join", "as", "mod", "leave", "community", "quit", "help", "lang"]
_VERBS: dict[str, Verb] = {
    "join": "join",
    "as": "as",
    "mod": "mod",
    "leave": "leave",
    "community": "community",
    "quit": "quit",
    "help": "help",
    "lang": "lang",
}
_NO_NAME: tuple[Verb, ...] = ("quit", "help")

HELP_TEXT = """\
Type as community members and see what the bot sends where.
  :join NAME    NAME joins the community (the bot welcomes them); you become NAME
  :as NAME      act as NAME
  :mod NAME     make NAME a moderator
  :lang CODE    your app's language (es, fr, en): the bot answers in it unless you chose
                one with `/profile edit language`; `:lang -` goes back to none
  :leave NAME   NAME leaves the community
  :community NAME   switch to (or start) community NAME: `:join`, `:mod`, commands and
                channels then act there; `:community` alone lists this run's communities
  :quit         stop (end of input works too)
  /help         the bot's commands; any /command runs as the current user
  #chan> text   say something in channel chan (a running topic chat listens there);
                `@bob` mentions bob, a leading `^bob` replies to him; `ann#chan> …` as ann
  other text    a private message to the bot (e.g. an answer to a welcome question)
  # …           a comment (ignored, handy in scenario files); `text  # …` too, when the
                hash has a space after it (`#maths` is a tag, not a comment)"""

NO_USER_TEXT = (
    "Nobody is typing yet: start with `:join NAME` (or `:as NAME`). Type `:help` for more."
)


@dataclass(frozen=True)
class Directive:
    """A console instruction (`:join alice`), handled by the runner rather than the bot."""

    verb: Verb
    name: str | None = None


@dataclass(frozen=True)
class Feedback:
    """A line for the person at the keyboard (a typing mistake); the bot never sees it."""

    where: str
    text: str


Translated = Directive | Feedback | Event | None
"""None means: nothing to do (a blank line or a comment)."""


def user_ref(name: str) -> UserRef:
    """In the console a member's id and display name are the name typed."""
    return UserRef(PLATFORM, name, name)


def dm(name: str) -> ConversationRef:
    return ConversationRef(PLATFORM, "dm", name)


def joined(community: CommunityRef, name: str) -> MemberJoined:
    return MemberJoined(community, user_ref(name))


def left(community: CommunityRef, name: str) -> MemberLeft:
    return MemberLeft(community, user_ref(name))


def translate_line(line: str, community: CommunityRef, current: str | None) -> Translated:
    """What one typed line means, given who is typing (`current`, None before any `:as`)."""
    text = strip_comment(line.removeprefix(BOM)).strip()
    if posted := _CHANNEL_LINE.fullmatch(text):
        return _channel_message(community, posted, current)
    if not text or text.startswith("#"):
        return None
    if text.startswith(":"):
        return _directive(text)
    if current is None:
        return Feedback("console", NO_USER_TEXT)
    if text.startswith(PREFIX):
        try:
            parsed = parse_command_line(text, PREFIX, user_ref)
        except CommandParseError as error:
            return Feedback(f"reply:{current}", str(error))
        return CommandInvoked(
            community,
            user_ref(current),
            ConversationRef(PLATFORM, "channel", PUBLIC_CHANNEL),
            parsed.command.path,
            parsed.options,
        )
    return MessageReceived(community, user_ref(current), dm(current), text)


def strip_comment(line: str) -> str:
    """The line without its trailing `# comment`.

    A comment starts at a `#` that has whitespace (or the line's start) before it and whitespace
    (or the line's end) after it, outside double quotes. So `:join alice   # she joins` is
    `:join alice`, while `/tags add #maths #edtech` and `#general> hi` keep their hashes.
    """
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            before = line[index - 1] if index else " "
            after = line[index + 1] if index + 1 < len(line) else " "
            if before.isspace() and after.isspace():
                return line[:index]
    return line


def _channel_message(
    community: CommunityRef, posted: re.Match[str], current: str | None
) -> ChannelMessage | Feedback:
    """`#chan> text` (or `NAME#chan> text`): a message in a channel, with its mentions/reply."""
    author = posted["name"] or current
    if author is None:
        return Feedback("console", NO_USER_TEXT)
    body = posted["text"].strip()
    reply_to = None
    if replying := _REPLY_TO.match(body):
        reply_to, body = replying["name"], body[replying.end() :]
    if not body:
        return Feedback("console", f"Type a message after `#{posted['channel']}>`.")
    mentions = tuple(dict.fromkeys(m["name"].rstrip(".") for m in _MENTION.finditer(body)))
    return ChannelMessage(
        community,
        user_ref(author),
        ConversationRef(PLATFORM, "channel", posted["channel"]),
        body,
        f"console-{uuid.uuid4().hex}",
        reply_to_user_id=reply_to,
        mentioned_user_ids=mentions,
    )


def _directive(text: str) -> Directive | Feedback:
    word, _, rest = text[1:].partition(" ")
    verb = _VERBS.get(word.casefold())
    name = rest.strip()
    if verb is None:
        return Feedback(
            "console", f"I don't know `:{word[:20]}`. Type `:help` for the console commands."
        )
    if verb in _NO_NAME:
        if name:
            return Feedback("console", f"`:{verb}` takes nothing after it.")
        return Directive(verb)
    if verb == "lang":
        return Directive(verb, name or None)
    if verb == "community":
        if name and not COMMUNITY_NAME.fullmatch(name):
            return Feedback(
                "console",
                "A community name is one word of letters, digits, `.`, `-` or `_` "
                "(at most 64 characters), e.g. `:community school-a`.",
            )
        return Directive(verb, name or None)
    if not name:
        return Feedback("console", f"Usage: `:{verb} NAME`.")
    if not NAME.fullmatch(name):
        return Feedback(
            "console",
            "A name is one word of letters, digits, `.`, `-` or `_` (at most 32 characters).",
        )
    return Directive(verb, name)


def reply_where(event: Event, ephemeral: bool) -> str:
    """Where a reply shows: in the DM it answers, privately to the invoker, or in the channel."""
    conversation = getattr(event, "conversation", None)
    user = event.user.user_id
    if conversation is None or conversation.kind == "dm":
        return f"dm:{user}"
    if ephemeral:
        return f"reply:{user}"
    return f"#{conversation.conversation_id}"


def render(message: Message) -> str:
    """The text to print; a yes/no prompt gets a hint unless its text already offers yes/no."""
    return with_yes_no_hint(message)


def labelled(where: str, community: str) -> str:
    """`where` saying which community it belongs to, for a run with several communities.

    A channel, a private reply, a group or a role change belongs to a community:
    `school-a #general`. A DM belongs to the person (one DM conversation per member, whichever
    community the bot writes from), so it keeps its name and says where it came from:
    `dm:alice from school-a`.
    """
    if where.startswith("dm:"):
        return f"{where} from {community}"
    return f"{community} {where}"


def output_lines(where: str, text: str) -> list[str]:
    """Every line of a message, prefixed with where it went: `[dm:alice] …`."""
    return [f"[{where}] {line}".rstrip() for line in text.splitlines() or [""]]
