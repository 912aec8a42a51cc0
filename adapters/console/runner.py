"""The console's read-eval loop: read a line, let the bot handle it fully, print, repeat.

Each line is dispatched and delivered before the next is read, so a scenario piped in always
produces the same transcript. Lines are read on a helper thread (only when the loop asks for
the next one), which keeps the event loop free for other work while a person is typing.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import replace
from queue import SimpleQueue
from typing import TextIO

from adapters.console.platform import ConsolePlatform
from adapters.console.terminal import PromptedTerminal
from adapters.console.translate import (
    HELP_TEXT,
    NO_USER_TEXT,
    Directive,
    Feedback,
    joined,
    left,
    translate_line,
    user_ref,
)
from communitybot.bot import Bot
from communitybot.events import CommandInvoked, CommunityRef, MessageReceived, UserRef
from communitybot.i18n import SUPPORTED, UnknownLanguage, parse_language, use_language
from communitybot.i18n.unknown import unknown_language_text

BANNER = "communitybot console: type `:help` for how it works, `:join NAME` to start."


class LineReader:
    """Reads one line per request on a daemon thread; returns None at end of input."""

    def __init__(
        self, stream: TextIO, interactive: bool, prompt_input: Callable[[str], str] = input
    ) -> None:
        self._stream = stream
        self._interactive = interactive
        self._input = prompt_input
        self._requests: SimpleQueue[tuple[str, asyncio.Future[str | None]]] = SimpleQueue()
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._work, name="console-input", daemon=True)
        self._thread.start()

    async def read(self, prompt: str) -> str | None:
        future: asyncio.Future[str | None] = self._loop.create_future()
        self._requests.put((prompt, future))
        return await future

    def _work(self) -> None:
        while True:
            prompt, future = self._requests.get()
            line = self._read_one(prompt)
            with contextlib.suppress(RuntimeError):  # the loop is already closed: nobody waits
                self._loop.call_soon_threadsafe(_resolve, future, line)

    def _read_one(self, prompt: str) -> str | None:
        try:
            if self._interactive:
                return self._input(prompt)  # line editing and history on a terminal
            line = self._stream.readline()
        except (EOFError, OSError, ValueError):
            return None
        return line if line else None


def _resolve(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)


class ConsoleSession:
    """Who is typing, in which community, and what each kind of line does.

    `community` is the current one: `:community NAME` switches it, and every other line acts
    there. The person typing (`current`) stays the same across a switch, so `:join alice` after
    `:community school-b` makes alice a member of both. A switch tells the core nothing: as when
    a platform adds the bot to a new server, the core creates the community on its first event
    there (a join, a command, a message).
    """

    def __init__(self, bot: Bot, platform: ConsolePlatform, community: CommunityRef) -> None:
        self.bot = bot
        self.platform = platform
        self.community = community
        self.current: str | None = None
        self.locales: dict[str, str] = {}
        """Each console user's app language (`:lang es`), as an interaction's locale."""
        platform.enter(community)

    @property
    def prompt(self) -> str:
        """`alice> `, or `alice@school-a> ` once the run has several communities."""
        where = f"@{self.community.space_id}" if self.platform.several else ""
        return f"{self.current or ''}{where}> "

    def _here(self) -> str:
        """The current community's name after a space, for a console note once there are several."""
        return f" {self.community.space_id}" if self.platform.several else ""

    async def handle(self, line: str) -> bool:
        """Process one line completely; False when the session should end."""
        translated = translate_line(line, self.community, self.current)
        if isinstance(translated, Feedback) and translated.where.startswith("reply:"):
            # A mistyped command, explained in the language the core answers this member in.
            user = user_ref(translated.where.removeprefix("reply:"))
            language = await self.bot.language_of(self.community, user, self._locale(user))
            with use_language(language):
                translated = translate_line(line, self.community, self.current)
        match translated:
            case None:
                return True
            case Feedback(where="console", text=text):
                self.platform.write("console", text)
                return True
            case Feedback(where=where, text=text):
                self.platform.write_in(self.community, where, text)
                return True
            case Directive():
                return await self._directive(translated)
            case CommandInvoked() | MessageReceived() as event if (
                event.user.user_id in self.locales
            ):
                await self.bot.dispatch(replace(event, locale=self.locales[event.user.user_id]))
                return True
            case _:
                await self.bot.dispatch(translated)
                return True

    async def _directive(self, directive: Directive) -> bool:
        name = directive.name or ""
        match directive.verb:
            case "quit":
                return False
            case "help":
                self.platform.write("console", HELP_TEXT)
            case "join":
                self.current = name
                self.platform.write("console", f"{name} joined{self._here()}; you are now {name}.")
                await self.bot.dispatch(joined(self.community, name))
            case "as":
                self.current = name
                self.platform.write("console", f"You are now {name}.")
            case "mod":
                self.platform.make_moderator(self.community, name)
                of = f" of{self._here()}" if self.platform.several else ""
                self.platform.write("console", f"{name} is now a moderator{of}.")
            case "leave":
                await self.bot.dispatch(left(self.community, name))
                place = self._here().strip() or "the community"
                self.platform.write("console", f"{name} left {place}.")
                if self.current == name:
                    self.current = None
            case "community":
                self._community(directive.name)
            case "lang":
                self._language(directive.name)
        return True

    def _locale(self, user: UserRef) -> str | None:
        return self.locales.get(user.user_id)

    def _language(self, raw: str | None) -> None:
        """`:lang es` sets the current user's app language, `:lang -` clears it, `:lang` says."""
        if self.current is None:
            self.platform.write("console", NO_USER_TEXT)
            return
        if raw is None:
            code = self.locales.get(self.current)
            said = f"{SUPPORTED[code]} ({code})" if code else "none (the bot decides)"
            self.platform.write("console", f"{self.current}'s app language: {said}.")
            return
        if raw in ("-", "none"):
            self.locales.pop(self.current, None)
            self.platform.write("console", f"{self.current} has no app language now.")
            return
        try:
            code = parse_language(raw)
        except UnknownLanguage as error:
            self.platform.write("console", unknown_language_text(error))
            return
        self.locales[self.current] = code
        self.platform.write("console", f"{self.current}'s app language is now {SUPPORTED[code]}.")

    def _community(self, name: str | None) -> None:
        """`:community NAME` switches (a new name starts a community); alone, it lists them."""
        if name is None:
            names = ", ".join(community.space_id for community in self.platform.communities)
            self.platform.write(
                "console",
                f"You are in community {self.community.space_id}. Communities in this run: "
                f"{names}. `:community NAME` switches (a new name starts a community).",
            )
            return
        community = CommunityRef(self.community.platform, name)
        if community == self.community:
            self.platform.write("console", f"You are already in community {name}.")
            return
        new = self.platform.enter(community)
        self.community = community
        hint = " (new in this run: `:join NAME` adds its members)" if new else ""
        self.platform.write("console", f"You are now in community {name}{hint}.")


async def run_console(
    bot: Bot,
    platform: ConsolePlatform,
    community: CommunityRef,
    stream: TextIO,
    *,
    interactive: bool = False,
    terminal: PromptedTerminal | None = None,
) -> int:
    """Run until `:quit` or end of input; returns the exit code (0).

    `terminal` is the platform's output when both ends are a terminal: prompts are read through
    it, so what the bot says while someone types is printed above the redrawn prompt.
    """
    session = ConsoleSession(bot, platform, community)
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  # enables line editing for input()
        platform.write("console", BANNER)
    reader = LineReader(stream, interactive, terminal.input if terminal else input)
    while True:
        line = await reader.read(session.prompt if interactive else "")
        if line is None:
            if interactive:
                platform.write("console", "Bye.")
            return 0
        # A paste into a terminal with bracketed paste on arrives as one "line" holding several.
        for part in line.splitlines() or [line]:
            if not await session.handle(part):
                return 0
