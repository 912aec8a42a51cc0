"""`help`: generated from the command catalogue, so it can never disagree with the commands.

`help` lists the commands by group; `help <command>` (or a group: `help chat`) explains each
option (what it means, whether it is needed, its choices and limits) and shows real examples,
which the tests parse, so they always work as shown.
"""

from __future__ import annotations

from typing import Any

from communitybot.command_parser import named_only, usage
from communitybot.commands import CATALOGUE, Command, Option
from communitybot.context import Context
from communitybot.feature import handles
from communitybot.i18n import N_, ntr, tr
from communitybot.replies import Action, reply
from communitybot.text import quote

MAX_DETAILED = 3
"""Above this many matching commands (`help chat`), list them briefly instead of in detail."""


def _line(command: Command, prefix: str) -> str:
    return f"• `{prefix}{command.name}` — {tr(command.description)}"


def _limits(option: Option) -> str:
    """What values the option takes, in words: choices, number range, length."""
    if option.choices:
        return tr("one of {choices}", choices=", ".join(f"`{c}`" for c in option.choices))
    if option.type == "integer":
        low, high = option.min_value, option.max_value
        if low is not None and high is not None:
            return tr("a whole number from {low} to {high}", low=low, high=high)
        if low is not None:
            return tr("a whole number, at least {low}", low=low)
        return tr("a whole number")
    if option.type == "boolean":
        return tr("on or off (the name alone means on)")
    kinds = {"user": N_("a member"), "channel": N_("a channel"), "role": N_("a role")}
    if option.type in kinds:
        return tr(kinds[option.type])
    if option.max_length is not None and str(option.max_length) not in option.description:
        return ntr("up to {n} character", "up to {n} characters", option.max_length)
    return tr("text")


def option_lines(command: Command) -> list[str]:
    """One line per option: name, meaning, required or optional, what values it takes."""
    lines = []
    for option in command.options:
        need = tr("required") if option.required else tr("optional")
        how = [need, _limits(option)]
        if named_only(command, option):
            how.append(tr("typed as {form}", form=f"`{option.name}=…`"))
        elif option.rest:
            how.append(tr("the rest of the line, up to any `name=…` option"))
        lines.append(f"  `{option.name}` — {tr(option.description)} ({'; '.join(how)})")
    return lines


def details(command: Command, prefix: str) -> list[str]:
    """Everything `help <command>` shows for one command."""
    lines = [_line(command, prefix), f"  {usage(command, prefix)}"]
    if command.moderator_only:
        lines.append("  " + tr("(moderators only)"))
    lines += option_lines(command)
    if any(o.type == "string" and not o.rest and not o.choices for o in command.options):
        lines.append("  " + tr('Put a value with spaces in quotes: `"Feedback that works"`.'))
    if command.examples:
        lines.append("  " + tr("Examples:"))
        lines += [f"  `{prefix}{example}`" for example in command.examples]
    return lines


@handles("help")
async def show_help(ctx: Context, options: dict[str, Any]) -> list[Action]:
    wanted = " ".join(str(options.get("command") or "").lstrip("/!").split()).casefold()
    if wanted:
        matches = [c for c in CATALOGUE if c.name == wanted or c.name.startswith(wanted + " ")]
        if not matches:
            return reply(
                tr(
                    "There is no command “{name}”. Type {help}.",
                    name=quote(wanted, 40),
                    help=f"`{ctx.prefix}help`",
                )
            )
        if len(matches) > MAX_DETAILED:
            lines = [*(_line(c, ctx.prefix) for c in matches)]
            one = f"`{ctx.prefix}help {matches[0].name}`"
            lines += ["", tr("Type {help} for one command's details.", help=one)]
            return reply("\n".join(lines))
        lines = []
        for command in matches:
            if lines:
                lines.append("")
            lines += details(command, ctx.prefix)
        return reply("\n".join(lines))
    members = [c for c in CATALOGUE if not c.moderator_only]
    lines = [tr("**What I can do**"), *(_line(c, ctx.prefix) for c in members)]
    if ctx.is_moderator:
        lines += ["", tr("**For moderators**")]
        lines += [_line(c, ctx.prefix) for c in CATALOGUE if c.moderator_only]
    lines += [
        "",
        tr("Type `{prefix}help <command>` for its options and examples.", prefix=ctx.prefix),
    ]
    return reply("\n".join(lines))
