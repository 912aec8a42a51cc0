"""`help`: generated from the command catalogue, so it can never disagree with the commands."""

from __future__ import annotations

from typing import Any

from communitybot.command_parser import usage
from communitybot.commands import CATALOGUE, Command
from communitybot.context import CommandHandler, Context
from communitybot.replies import Action, reply
from communitybot.text import quote


def _line(command: Command, prefix: str) -> str:
    return f"• `{prefix}{command.name}` — {command.description}"


async def show_help(ctx: Context, options: dict[str, Any]) -> list[Action]:
    wanted = " ".join(str(options.get("command") or "").lstrip("/!").split()).casefold()
    if wanted:
        matches = [c for c in CATALOGUE if c.name == wanted or c.name.startswith(wanted + " ")]
        if not matches:
            return reply(f"There is no command “{quote(wanted, 40)}”. Type `{ctx.prefix}help`.")
        lines = []
        for command in matches:
            lines.append(_line(command, ctx.prefix))
            lines.append(f"  {usage(command, ctx.prefix)}")
            if command.moderator_only:
                lines.append("  (moderators only)")
        return reply("\n".join(lines))
    members = [c for c in CATALOGUE if not c.moderator_only]
    lines = ["**What I can do**", *(_line(c, ctx.prefix) for c in members)]
    if ctx.is_moderator:
        lines += ["", "**For moderators**"]
        lines += [_line(c, ctx.prefix) for c in CATALOGUE if c.moderator_only]
    lines += ["", f"Type `{ctx.prefix}help <command>` for the details of one command."]
    return reply("\n".join(lines))


COMMANDS: dict[tuple[str, ...], CommandHandler] = {("help",): show_help}
