"""The Discord adapter: the shared core on Discord servers, through discord.py."""

from adapters.discord.platform import DiscordPlatform
from adapters.discord.runner import DiscordBot, DiscordConfig, DiscordStartupError

__all__ = ["DiscordBot", "DiscordConfig", "DiscordPlatform", "DiscordStartupError"]
