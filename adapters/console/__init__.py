"""The console adapter: one local community in a terminal, scriptable from a file or a pipe.

Lets anyone try the bot (and tests drive the real process) without a Discord or Matrix account.
"""

from adapters.console.platform import ConsolePlatform
from adapters.console.runner import run_console

__all__ = ["ConsolePlatform", "run_console"]
