"""Files in the console: saved into the files folder, announced on a line, never overwritten."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from adapters.console.files import save
from adapters.console.platform import ConsolePlatform
from communitybot.events import CommunityRef, UserRef
from communitybot.replies import Attachment, Message
from tests.test_console import clean_env, communitybot

COMMUNITY = CommunityRef("console", "local")


def test_a_file_never_overwrites_an_earlier_one(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "files"
    first = save(folder, Attachment("engchat.ics", b"one", "text/calendar"))
    second = save(folder, Attachment("engchat.ics", b"two", "text/calendar"))
    third = save(folder, Attachment("engchat.ics", b"three", "text/calendar"))
    assert [p.name for p in (first, second, third)] == [
        "engchat.ics",
        "engchat-1.ics",
        "engchat-2.ics",
    ]
    assert [p.read_bytes() for p in (first, second, third)] == [b"one", b"two", b"three"]
    tricky = save(folder, Attachment("../../escape.md", b"x", "text/markdown"))
    assert tricky == folder / "escape.md", "a name never leaves the folder"


async def test_a_message_with_a_file_prints_the_text_then_where_it_was_saved(
    tmp_path: Path,
) -> None:
    out = io.StringIO()
    platform = ConsolePlatform(out, tmp_path / "files")
    message = Message("Your calendar file:", attachment=Attachment("a.ics", b"x" * 2048, "t/c"))
    await platform.send_direct(COMMUNITY, UserRef("console", "ann", "ann"), message)
    await platform.send_direct(COMMUNITY, UserRef("console", "ann", "ann"), message)
    assert out.getvalue().splitlines() == [
        "[dm:ann] Your calendar file:",
        f"[dm:ann] 📎 saved {tmp_path / 'files' / 'a.ics'} (2.0 KB)",
        "[dm:ann] Your calendar file:",
        f"[dm:ann] 📎 saved {tmp_path / 'files' / 'a-1.ics'} (2.0 KB)",
    ]


async def test_a_folder_that_cannot_be_written_is_said_plainly(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file where the folder should be")
    out = io.StringIO()
    platform = ConsolePlatform(out, blocker)
    message = Message("Here:", attachment=Attachment("a.md", b"x", "text/markdown"))
    await platform.send_to_channel(COMMUNITY, "general", message)
    lines = out.getvalue().splitlines()
    assert lines[0] == "[#general] Here:"
    assert lines[1].startswith(f"[#general] 📎 could not save a.md in {blocker}: ")


@pytest.mark.parametrize("configured", [False, True])
def test_mydata_in_the_console_saves_the_export_in_the_files_folder(
    tmp_path: Path, configured: bool
) -> None:
    env = clean_env(COMMUNITYBOT_CONSOLE_FILES_DIR="exports") if configured else clean_env()
    run = communitybot(
        tmp_path, "run", "--db", str(tmp_path / "bot.db"), stdin=":join alice\n/mydata\n", env=env
    )
    assert run.code == 0 and "Traceback" not in run.stderr, run.stderr
    folder = tmp_path / ("exports" if configured else "communitybot-files")
    (saved,) = folder.iterdir()
    assert saved.name.startswith("mydata-") and saved.suffix == ".json"
    replies = run.at("reply:alice")
    assert any("attached as JSON" in line for line in replies)
    assert any(line.startswith("📎 saved ") and saved.name in line for line in replies)
    assert json.loads(saved.read_text())["user_id"] == "alice"
