"""Files the bot sends in the console (an export, a transcript, a calendar entry) saved to disk.

A terminal cannot show an attachment, so the file is written into one folder (the
`COMMUNITYBOT_CONSOLE_FILES_DIR` setting) and its path printed. An existing file is never
overwritten: the name gets a `-1`, `-2`, … suffix, and the file is created exclusively, so two
saves of the same name can never race onto one file. An export holds a member's data, so each
file is created readable by the bot's user only (0600), and a folder made for it 0700.
"""

from __future__ import annotations

import os
from pathlib import Path

from communitybot.file_modes import make_private_dirs, open_private_new
from communitybot.replies import Attachment

DEFAULT_FOLDER = Path("communitybot-files")
MAX_SUFFIX = 10_000


def save(folder: Path, attachment: Attachment) -> Path:
    """Write the attachment into `folder` (created if missing) under a free name; its path.

    Raises OSError when the folder cannot be made or written (the caller says so).
    """
    make_private_dirs(folder)
    name = Path(attachment.filename).name or "file"  # never a path: the name only
    stem, dot, extension = name.partition(".")
    for number in range(MAX_SUFFIX):
        candidate = folder / (name if number == 0 else f"{stem}-{number}{dot}{extension}")
        try:
            descriptor = open_private_new(candidate)
        except FileExistsError:
            continue
        with os.fdopen(descriptor, "wb") as file:
            file.write(attachment.content)
        return candidate
    raise FileExistsError(f"{MAX_SUFFIX} files named like {name} already exist in {folder}")
