"""A populated community to fuzz the bot's front door with, and the checks every example obeys.

Shared by the property-based tests (`tests/test_fuzz_*.py`, a bounded number of examples) and
`python -m benchmarks.fuzz` (many more). The community is built once through the real Bot into
a SQLite file (members, tags, a hidden member with private fields, a chat, asks, a mentoring
pair, a peer round); each example works on a fresh copy of that file, so examples never see
each other's effects and a failure is reproducible from the example alone.

What an example must never do (`check`):
- crash: an exception out of the Bot, the "something went wrong" apology, or an ERROR log;
- write after a refused command (a moderator command by a member, a command path the catalogue
  does not know): the connection's `total_changes()` must not move;
- show the hidden member's name or private fields (intro, mentoring goals) to anyone but a
  moderator (a pairing by `/mentoring match` or `/rounds run` may legitimately introduce them,
  so the check stops after one).
"""

from __future__ import annotations

import shutil
import string
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st
from loguru import logger

from communitybot.bot import BUSY_TEXT, FAILED_TEXT, Bot
from communitybot.clock import FakeClock
from communitybot.command_parser import CommandParseError, parse_command_line
from communitybot.command_types import Option
from communitybot.commands import CATALOGUE, find_command
from communitybot.events import (
    ChoicePicked,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    Event,
    MemberJoined,
    MessageReceived,
    UserRef,
)
from communitybot.peers.index import PeerIndex
from communitybot.rate_limits import RateLimiter
from communitybot.store.store import Store
from tests.fakes import FakePlatform

COMMUNITY = CommunityRef("fake", "fuzz")
MOD = UserRef("fake", "u-mod", "Morgan Mod")
ALICE = UserRef("fake", "u-alice", "Alice Able")
BOB = UserRef("fake", "u-bob", "Bob Baker")
CY = UserRef("fake", "u-cy", "Cy Cole")
HIDDEN = UserRef("fake", "u-hidden", "Quillon Vexhart")
NEWCOMER = UserRef("fake", "u-new", "Nell Newcomer")
USERS = {user.user_id: user for user in (MOD, ALICE, BOB, CY, HIDDEN, NEWCOMER)}
ACTORS = (MOD, ALICE, BOB, NEWCOMER)
"""Who acts in examples (the hidden member never does: their data must only stay hidden)."""
HIDDEN_INTRO = "HIDDEN-INTRO-7f3a"
HIDDEN_GOAL = "HIDDEN-GOAL-9c2e"
SECRETS = ("Quillon", "Vexhart", HIDDEN_INTRO, HIDDEN_GOAL)
MODLOG = "modlog"
PAIRING = {("mentoring", "match"), ("rounds", "run")}

SETUP: tuple[tuple[UserRef, str], ...] = (
    (MOD, "/setup welcome_channel=welcome introductions_channel=intros modlog_channel=modlog"),
    (MOD, "/tags create maths subject"),
    (MOD, "/tags create science subject"),
    (MOD, "/tags create zoology subject"),
    (MOD, "/tags alias maths math"),
    (ALICE, "/tags add maths, science"),
    (ALICE, "/profile edit intro I teach maths to 12-year-olds"),
    (ALICE, "/privacy discoverable on"),
    (BOB, "/tags add maths"),
    (BOB, "/privacy discoverable on"),
    (CY, "/tags add science"),
    (HIDDEN, "/tags add maths, zoology"),
    (HIDDEN, f"/profile edit intro {HIDDEN_INTRO}"),
    (HIDDEN, "/privacy discoverable off"),
    (ALICE, "/mentor offer 2 maths"),
    (BOB, '/mentor request maths "get better at feedback"'),
    (MOD, "/mentoring match"),
    (HIDDEN, f'/mentor request zoology "{HIDDEN_GOAL}"'),
    (MOD, '/chat create engchat "Feedback that works" chats "weekly tuesday" 19:00 Europe/London'),
    (ALICE, "/chat subscribe engchat"),
    (ALICE, "/ask How do I get quiet students talking?"),
    (BOB, "/follow 1"),
    (MOD, "/rounds setup weekly monday 09:00"),
    (ALICE, "/rounds join"),
    (BOB, "/rounds join"),
    (CY, "/rounds join"),
    (MOD, "/rounds run"),
)


def make_user(raw: str) -> UserRef:
    """How the fake adapter turns a typed mention into a user (`<@id>`, `@id` or a bare id)."""
    cleaned = raw.strip().removeprefix("<@").removesuffix(">").lstrip("@!")
    return USERS.get(cleaned, UserRef("fake", cleaned or raw, ""))


def _where(user: UserRef) -> ConversationRef:
    return ConversationRef("fake", "channel", "general")


def _dm(user: UserRef) -> ConversationRef:
    return ConversationRef("fake", "dm", user.user_id)


def new_bot(store: Store, clock: FakeClock, *, limits: bool = True) -> tuple[Bot, FakePlatform]:
    platform = FakePlatform(moderators={MOD.user_id})
    limiter = RateLimiter(store, platform, clock, enabled=limits)
    return Bot(store, platform, clock, PeerIndex(), "/", limiter), platform


async def build_snapshot(path: Path) -> list[str]:
    """Build the populated community at `path`; returns the setup replies (for debugging)."""
    store = await Store.open(path)
    try:
        bot, platform = new_bot(store, FakeClock(), limits=False)
        for user in (MOD, ALICE, BOB, CY, HIDDEN):
            await bot.dispatch(MemberJoined(COMMUNITY, user))
        for user, line in SETUP:
            parsed = parse_command_line(line, "/", make_user)
            await bot.dispatch(
                CommandInvoked(COMMUNITY, user, _where(user), parsed.command.path, parsed.options)
            )
        return [f"{sent.where}: {sent.text}" for sent in platform.sent]
    finally:
        await store.close()


# -- what an example is ----------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """A command line typed by `actor` (parsed like the Matrix and console adapters do)."""

    actor: str
    text: str

    def __str__(self) -> str:
        return f"{self.actor}: {self.text}"


@dataclass(frozen=True)
class RawCommand:
    """A command path as a stale or foreign client might send it (not in the catalogue)."""

    actor: str
    path: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.actor}: <raw command {self.path!r}>"


@dataclass(frozen=True)
class Dm:
    actor: str
    text: str

    def __str__(self) -> str:
        return f"{self.actor} (DM): {self.text}"


@dataclass(frozen=True)
class Press:
    actor: str
    custom_id: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.actor}: <button {self.custom_id!r} {self.values!r}>"


Step = Line | RawCommand | Dm | Press

# -- strategies ------------------------------------------------------------------------------

TRICKY = (
    "²",
    "١٢",
    "⁵",
    "Ⅻ",
    "9" * 30,
    "-1",
    "0",
    "1",
    "2",
    "@everyone",
    "@here",
    "<@123>",
    "<@u-hidden>",
    "@u-hidden",
    "<@u-alice>",
    "<#123>",
    "#general",
    "maths",
    "math",
    "zoology",
    "engchat",
    "on",
    "off",
    "yes",
    "no",
    "none",
    "2027-01-05",
    "9999-12-31",
    "0001-01-01",
    "Europe/London",
    "Mars/Olympus",
    "weekly tuesday",
    "25:99",
    "x" * 1200,
    '"two words"',
    '"',
    "=",
    "a=b",
    "\u200b",
    "\x00",
    "🙂",
    "ｍａｔｈｓ",
)

_TEXT = st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=24)
values = st.one_of(
    st.sampled_from(TRICKY),
    _TEXT,
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.text(alphabet=string.ascii_lowercase + string.digits + ",", min_size=1, max_size=12),
)


def _value(option: Option) -> st.SearchStrategy[str]:
    if option.choices:
        return st.one_of(st.sampled_from(option.choices), values)
    if option.type == "integer":
        return st.one_of(
            st.integers(min_value=-5, max_value=60).map(str),
            st.integers(min_value=-(10**40), max_value=10**40).map(str),
            values,
        )
    if option.type == "user":
        return st.one_of(
            st.sampled_from([f"<@{user}>" for user in USERS] + ["<@123>", "@everyone"]), values
        )
    return values


def _quoted(value: str) -> str:
    return f'"{value}"' if (" " in value and '"' not in value) else value


@st.composite
def command_lines(draw: st.DrawFn) -> str:
    """A line for one catalogue command: options positional or named, some misspelt."""
    command = draw(st.sampled_from(CATALOGUE))
    words = ["/" + " ".join(command.path)]
    for option in command.options:
        if not option.required and draw(st.booleans()):
            continue
        value = draw(_value(option))
        style = draw(st.sampled_from(["positional", "named", "named", "misspelt"]))
        if style == "positional":
            words.append(value if option.rest else _quoted(value))
        elif style == "named":
            words.append(f"{option.name}={_quoted(value)}")
        else:
            words.append(f"{option.name[:-1] or 'x'}={_quoted(value)}")
    if draw(st.integers(0, 9)) == 0:
        words.append(draw(values))  # one word too many
    return " ".join(words)


lines = st.one_of(
    command_lines(),
    command_lines(),
    command_lines(),
    st.builds(lambda text: "/" + text, _TEXT),
)
actors = st.sampled_from([user.user_id for user in ACTORS])
custom_ids = st.one_of(
    st.sampled_from(
        [
            "forgetme",
            "onboarding:role",
            "onboarding:subjects",
            "onboarding:consent",
            "onboarding:",
            "mentoring:checkin:1",
            "mentoring:checkin:99999999999999999999999",
            "mentoring:checkin:x",
            "rounds:met:1",
            "rounds:met:-1",
            "rounds:met:²",
            "rounds:rejoin",
        ]
    ),
    _TEXT,
)
choice_values = st.lists(
    st.one_of(
        st.sampled_from(["yes", "no", "1", "2", "met", "not-yet", "end", "join", "leave", "skip"]),
        _TEXT,
    ),
    max_size=3,
).map(tuple)
raw_commands: st.SearchStrategy[RawCommand] = st.builds(
    RawCommand,
    actors,
    st.lists(
        st.sampled_from(["tags", "frobnicate", "admin", "add", "nuke", "x"]),
        min_size=1,
        max_size=3,
    )
    .map(tuple)
    .filter(lambda path: find_command(path) is None),
)
steps: st.SearchStrategy[Step] = st.one_of(
    st.builds(Line, actors, lines),
    st.builds(Line, actors, lines),
    st.builds(Line, actors, lines),
    raw_commands,
    st.builds(Dm, actors, st.one_of(st.sampled_from(["yes", "no", "1", "skip", "stop"]), _TEXT)),
    st.builds(Press, actors, custom_ids, choice_values),
)
examples = st.lists(steps, min_size=1, max_size=4)


# -- running one example ---------------------------------------------------------------------


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)
    refused: int = 0
    """Commands the bot refused (moderator-only for a member, unknown path): none may write."""
    parse_errors: int = 0


@contextmanager
def _errors_logged() -> Iterator[list[str]]:
    seen: list[str] = []
    sink = logger.add(lambda message: seen.append(str(message).strip()), level="ERROR")
    try:
        yield seen
    finally:
        logger.remove(sink)


async def _total_changes(store: Store) -> int:
    row = await store.db.fetch_one("SELECT total_changes() AS n")
    assert row is not None
    return int(row["n"])


def _event(step: Step) -> Event | CommandParseError:
    user = USERS[step.actor]
    match step:
        case Line(text=text):
            try:
                parsed = parse_command_line(text, "/", make_user)
            except CommandParseError as error:
                return error
            return CommandInvoked(
                COMMUNITY, user, _where(user), parsed.command.path, parsed.options
            )
        case RawCommand(path=path):
            return CommandInvoked(COMMUNITY, user, _where(user), path, {})
        case Dm(text=text):
            return MessageReceived(COMMUNITY, user, _dm(user), text)
        case Press(custom_id=custom_id, values=chosen):
            return ChoicePicked(COMMUNITY, user, _dm(user), custom_id, chosen)
    raise AssertionError(step)


def _refused(event: Event) -> bool:
    if not isinstance(event, CommandInvoked):
        return False
    command = find_command(event.path)
    if command is None:
        return True
    return command.moderator_only and event.user.user_id != MOD.user_id


def _audience_is_private(where: str) -> bool:
    """Whether a message sent `where` reaches only moderators or the hidden member."""
    return where in (f"reply:{MOD.user_id}", f"dm:{MOD.user_id}", f"#{MODLOG}") or where in (
        f"reply:{HIDDEN.user_id}",
        f"dm:{HIDDEN.user_id}",
    )


def _leaks(where: str, text: str, attachment: bytes | None, named: bool) -> list[str]:
    """The hidden member's secrets in a message to someone else; their name is allowed when
    the step itself mentioned them (the asker already sees it on the platform)."""
    if _audience_is_private(where):
        return []
    content = text + (attachment.decode("utf-8", "replace") if attachment else "")
    secrets = (HIDDEN_INTRO, HIDDEN_GOAL) if named else SECRETS
    return [secret for secret in secrets if secret in content]


def _fresh_copy(snapshot: Path, workdir: Path) -> Path:
    database = workdir / "example.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(snapshot, database)
    return database


async def run_example(snapshot: Path, workdir: Path, example: Sequence[Step]) -> Outcome:
    """Run `example` on a fresh copy of `snapshot`; the problems found, described."""
    database = _fresh_copy(snapshot, workdir)
    outcome = Outcome()
    store = await Store.open(database)
    try:
        bot, platform = new_bot(store, FakeClock())
        private_checked = True
        with _errors_logged() as errors:
            for number, step in enumerate(example, start=1):
                label = f"step {number} ({step})"
                try:
                    event = _event(step)
                except Exception as error:  # the parser itself crashed
                    outcome.problems.append(f"{label}: parser raised {error!r}")
                    continue
                if isinstance(event, CommandParseError):
                    outcome.parse_errors += 1
                    continue
                refused = _refused(event)
                before = await _total_changes(store)
                platform.take()
                try:
                    await bot.dispatch(event)
                except Exception as error:
                    outcome.problems.append(f"{label}: dispatch raised {error!r}")
                    continue
                sent = platform.take()
                if isinstance(event, CommandInvoked) and event.path in PAIRING:
                    private_checked = False  # a pairing may introduce the hidden member
                for message in sent:
                    if FAILED_TEXT in message.text or BUSY_TEXT in message.text:
                        outcome.problems.append(f"{label}: the bot apologised ({message.where})")
                    attachment = message.message.attachment
                    leaked = (
                        _leaks(
                            message.where,
                            message.text,
                            attachment.content if attachment else None,
                            HIDDEN.user_id in str(step),
                        )
                        if private_checked
                        else []
                    )
                    if leaked:
                        outcome.problems.append(
                            f"{label}: {', '.join(leaked)} shown at {message.where}"
                        )
                if refused:
                    outcome.refused += 1
                    after = await _total_changes(store)
                    if after != before and event.user.user_id in USERS and _existing(event):
                        outcome.problems.append(
                            f"{label}: a refused command wrote {after - before} row(s)"
                        )
                if errors:
                    outcome.problems.append(f"{label}: ERROR logged: {errors[0][:300]}")
                    errors.clear()
    finally:
        await store.close()
    return outcome


def _existing(event: Event) -> bool:
    """A first contact creates the member's row even when the command is refused."""
    return event.user.user_id != NEWCOMER.user_id


def describe(example: Sequence[Step]) -> str:
    return "\n".join(f"  {step}" for step in example)
