"""Pure translation for Discord: interaction payloads → core events, core messages → components.

Everything here works on the JSON Discord sends (`interaction.data`) and returns plain dicts and
discord.py `ui` items, so the rules are unit-testable without a gateway. Component `custom_id`s
are stable and carry everything needed to answer ("onboarding:<key>", "forgetme", plus a
`|<value>` suffix on buttons), so a button sent before a restart still works after it.
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

import discord

from communitybot.commands import Command, Option, find_command
from communitybot.events import (
    ChannelMessage,
    ChoicePicked,
    CommandInvoked,
    CommunityRef,
    ConversationRef,
    MemberJoined,
    MessageChange,
    UserRef,
)
from communitybot.i18n import tr, use_language
from communitybot.models import Tag
from communitybot.replies import Attachment, Choice, Message, Prompt, format_size
from communitybot.text import normalize_tag, split_list
from communitybot.text_split import split_text

PLATFORM = "discord"
SEP = "|"
"""Separates a prompt's custom_id from the picked value on buttons."""
MODAL_VALUE = "__modal__"
"""The button that opens the free-text modal of a text/timezone prompt."""
MODAL_INPUT = "answer"
MAX_CUSTOM_ID = 100
MAX_BUTTONS = 5
MAX_SELECT_OPTIONS = 25
MAX_CONTENT = 2000
"""Discord's cap on one message's content, in code points; a longer text becomes several messages
(`contents_of`)."""
MAX_BUTTON_LABEL = 80
MAX_OPTION_TEXT = 100
"""Discord's cap on a select option's label, description and value."""
UPLOAD_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES
"""Discord's documented default upload limit per message (10 MiB). Interactions report the real
one (`attachment_size_limit`, more on boosted servers), and so does a cached guild's boost tier;
a bigger file is not sent, a note is."""
MODAL_LABEL = 18
"""Discord's Label component: a modal's text input sits in one (action rows are deprecated)."""

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2

NO_PINGS = discord.AllowedMentions(everyone=False, roles=False, users=False, replied_user=False)
"""Bot messages never ping @everyone/@here, roles or users, whatever the text says."""

_SNOWFLAKE = re.compile(r"[0-9]{1,20}")


def community_ref(guild_id: int | str) -> CommunityRef:
    return CommunityRef(PLATFORM, str(guild_id))


def user_ref(user_id: int | str, display_name: str = "") -> UserRef:
    return UserRef(PLATFORM, str(user_id), display_name)


def user_from_payload(user: Mapping[str, Any]) -> UserRef:
    return user_ref(user["id"], str(user.get("global_name") or user.get("username") or ""))


def member_joined(guild_id: int | str, user: Mapping[str, Any]) -> MemberJoined:
    return MemberJoined(community_ref(guild_id), user_from_payload(user))


def conversation(channel_id: int | str, *, is_dm: bool) -> ConversationRef:
    return ConversationRef(PLATFORM, "dm" if is_dm else "channel", str(channel_id))


# -- commands --------------------------------------------------------------------------------


def command_path(data: Mapping[str, Any]) -> tuple[tuple[str, ...], list[Mapping[str, Any]]]:
    """(catalogue path, leaf options) of an application command's data."""
    path = [str(data["name"])]
    options: list[Mapping[str, Any]] = list(data.get("options") or [])
    while len(options) == 1 and options[0].get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
        path.append(str(options[0]["name"]))
        options = list(options[0].get("options") or [])
    return tuple(path), options


def option_value(option: Option, raw: Any, resolved: Mapping[str, Any]) -> Any:
    """One option typed as the catalogue declares it (Discord already checked its shape)."""
    match option.type:
        case "user":
            users = resolved.get("users") or {}
            payload = users.get(str(raw)) or {"id": str(raw)}
            return user_from_payload(payload)
        case "channel" | "role":
            return str(raw)
        case "integer":
            return int(raw)
        case "boolean":
            return bool(raw)
    return str(raw)


def command_invoked(
    data: Mapping[str, Any], community: CommunityRef, user: UserRef, where: ConversationRef
) -> CommandInvoked:
    path, raw_options = command_path(data)
    command = find_command(path)
    declared = {o.name: o for o in command.options} if command else {}
    resolved = data.get("resolved") or {}
    options: dict[str, Any] = {}
    for raw in raw_options:
        name = str(raw["name"])
        option = declared.get(name)
        if option is not None:
            options[name] = option_value(option, raw.get("value"), resolved)
    return CommandInvoked(community, user, where, path, options)


def focused_option(data: Mapping[str, Any]) -> tuple[Command | None, Option | None, str]:
    """For an autocomplete interaction: the command, the option being typed, and its text."""
    path, raw_options = command_path(data)
    command = find_command(path)
    for raw in raw_options:
        if raw.get("focused") and command is not None:
            option = next((o for o in command.options if o.name == raw["name"]), None)
            return command, option, str(raw.get("value") or "")
    return command, None, ""


MAX_CHOICE = 100
"""Discord's cap on an autocomplete choice's name and value."""


def tag_suggestions(typed: str, tags: Iterable[Tag], limit: int = 25) -> list[str]:
    """Autocomplete values for a tags option: what was typed, its last piece completed to a real
    tag (by start of name or alias, else anywhere in the name, else the closest names).

    The list is cut like the core cuts it (`split_list`: at commas when there are any, else at
    spaces); tags already listed are not offered again. A value past Discord's 100 characters
    is left out rather than cut, so a long list gets no suggestion instead of useless ones.
    """
    separator = "," if "," in typed else " "
    head, _, last = typed.rpartition(separator) if separator in typed.strip() else ("", "", typed)
    wanted = normalize_tag(last)
    chosen = {normalize_tag(piece) for piece in split_list(head)}
    names = [name for name in _matching_tags(wanted, list(tags)) if name not in chosen]
    lead = ", ".join(piece.strip() for piece in split_list(head))
    values = [f"{lead}, {name}" if lead else name for name in names]
    return [value for value in values if len(value) <= MAX_CHOICE][:limit]


def _matching_tags(wanted: str, tags: list[Tag]) -> list[str]:
    if not wanted:
        return [tag.name for tag in tags]
    starts = [
        tag.name
        for tag in tags
        if tag.name.startswith(wanted) or any(a.startswith(wanted) for a in tag.aliases)
    ]
    inside = [tag.name for tag in tags if wanted in tag.name and tag.name not in starts]
    if starts or inside:
        return starts + inside
    return difflib.get_close_matches(wanted, [tag.name for tag in tags], n=5, cutoff=0.6)


# -- components ------------------------------------------------------------------------------


def button_id(prompt_id: str, value: str, index: int) -> str:
    """`<prompt>|<value>`, or `<prompt>|<n>` (1-based) when the value would not fit."""
    candidate = f"{prompt_id}{SEP}{value}"
    return candidate if len(candidate) <= MAX_CUSTOM_ID else f"{prompt_id}{SEP}{index}"


def choice_picked(
    data: Mapping[str, Any], community: CommunityRef, user: UserRef, where: ConversationRef
) -> ChoicePicked | None:
    """A button click or a select choice → ChoicePicked; None for the modal-opening button."""
    custom_id = str(data.get("custom_id", ""))
    if "values" in data:
        return ChoicePicked(
            community, user, where, custom_id, tuple(str(v) for v in data["values"])
        )
    prompt_id, _, value = custom_id.partition(SEP)
    if opens_modal(data):
        return None
    return ChoicePicked(community, user, where, prompt_id, (value,) if value else ())


def _modal_inputs(components: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    """The submitted inputs of a modal, in a Label (`component`) or an old action row
    (`components`), however deep Discord nests them."""
    for component in components:
        yield component
        inner = component.get("component")
        if isinstance(inner, Mapping):
            yield from _modal_inputs([inner])
        yield from _modal_inputs(component.get("components") or [])


def modal_submitted(
    data: Mapping[str, Any], community: CommunityRef, user: UserRef, where: ConversationRef
) -> ChoicePicked:
    texts = [
        str(component.get("value", ""))
        for component in _modal_inputs(data.get("components") or [])
        if component.get("custom_id") == MODAL_INPUT
    ]
    return ChoicePicked(community, user, where, str(data.get("custom_id", "")), tuple(texts[:1]))


def modal_button_id(prompt: Prompt) -> str:
    """`<prompt>|__modal__`, plus `:<max length>` when the question limits its answer, so the
    form it opens (after any restart) allows exactly what the question keeps."""
    plain = f"{prompt.custom_id}{SEP}{MODAL_VALUE}"
    limited = f"{plain}:{prompt.max_length}"
    return limited if prompt.max_length and len(limited) <= MAX_CUSTOM_ID else plain


def _modal_request(data: Mapping[str, Any]) -> str | None:
    """The `__modal__[:n]` part of a modal-opening button's custom_id, else None."""
    _, _, value = str(data.get("custom_id", "")).partition(SEP)
    head, _, length = value.partition(":")
    return value if head == MODAL_VALUE and (not length or length.isdigit()) else None


def opens_modal(data: Mapping[str, Any]) -> bool:
    return _modal_request(data) is not None


def modal_max_length(data: Mapping[str, Any]) -> int | None:
    """The answer's limit carried by a modal-opening button (None: Discord's own 4,000)."""
    request = _modal_request(data) or ""
    _, _, length = request.partition(":")
    return int(length) if length else None


def prompt_id_of(data: Mapping[str, Any]) -> str:
    return str(data.get("custom_id", "")).partition(SEP)[0]


def ping_role_id(message: Message) -> int | None:
    """The role a message deliberately pings (a moderator configured it), if it is a role id.

    Anything else (None, Matrix's "room") pings nobody on Discord.
    """
    role = message.ping_role
    return int(role) if role is not None and _SNOWFLAKE.fullmatch(role) else None


def contents_of(
    message: Message,
    *,
    ping_users: Iterable[str] = (),
    upload_limit: int = UPLOAD_LIMIT,
    limit: int = MAX_CONTENT,
) -> list[str]:
    """The contents of the messages this message becomes on Discord, in order, each at most
    `limit` characters: the text led by its deliberate pings (the role, then missing
    `ping_users`) and followed by the too-big-file note, split at line and word boundaries
    (see `communitybot.text_split`). Nothing is cut off.
    """
    text = message.text
    lead = [f"<@{user}>" for user in ping_users if f"<@{user}>" not in text]
    role = ping_role_id(message)
    if role is not None:
        lead.insert(0, f"<@&{role}>")
    if lead:
        text = f"{' '.join(lead)}\n{text}"
    with use_language(message.language):  # the note is the adapter's, the text's language
        note = too_big_note(message.attachment, upload_limit)
    return split_text(text + timestamps(message) + note, limit)


def timestamps(message: Message) -> str:
    """Each moment the text names also as Discord timestamps ("" when none): the full date and
    time, then how far away, both in the reading client's own time zone and language."""
    return "".join(f"\n🕒 <t:{moment}:F> (<t:{moment}:R>)" for moment in message.moments)


def fits_upload(attachment: Attachment | None, upload_limit: int = UPLOAD_LIMIT) -> bool:
    return attachment is not None and attachment.size <= upload_limit


def too_big_note(attachment: Attachment | None, upload_limit: int = UPLOAD_LIMIT) -> str:
    """What the member reads instead of a file past Discord's upload limit ("" otherwise)."""
    if attachment is None or fits_upload(attachment, upload_limit):
        return ""
    return "\n\n" + tr(
        "📎 I couldn't attach `{filename}`: at {size} it is over Discord's {limit} upload "
        "limit here.",
        filename=attachment.filename,
        size=format_size(attachment.size),
        limit=format_size(upload_limit),
    )


def file_of(message: Message, upload_limit: int = UPLOAD_LIMIT) -> discord.File | None:
    """The message's attachment as a fresh upload (a `discord.File` is read once per send), or
    None when there is none or it is too big to upload."""
    attachment = message.attachment
    if attachment is None or not fits_upload(attachment, upload_limit):
        return None
    return discord.File(io.BytesIO(attachment.content), filename=attachment.filename)


def mentions_for(message: Message, *, ping_users: Iterable[str] = ()) -> discord.AllowedMentions:
    """Who a message may ping: nobody, except its deliberate role ping and `ping_users`.

    `ping_users` are the members a private group introduction is for (their notification, as a
    DM would give); a role ping is one a moderator configured. Names in the text stay inert.
    """
    role = ping_role_id(message)
    users = [discord.Object(int(user)) for user in ping_users]
    if role is None and not users:
        return NO_PINGS
    return discord.AllowedMentions(
        everyone=False,
        roles=[discord.Object(role)] if role is not None else False,
        users=users or False,
        replied_user=False,
    )


def channel_message(
    *,
    guild_id: int | str,
    author: UserRef,
    channel_id: int | str,
    parent_id: int | str | None,
    text: str,
    message_id: int | str,
    reply_to_user_id: int | str | None = None,
    mentioned_user_ids: Iterable[int | str] = (),
    change: MessageChange = "posted",
    reply_to_key: str | None = None,
    avatar_url: str | None = None,
    attachment_urls: Iterable[str] = (),
) -> ChannelMessage:
    """A member's message in a guild channel or thread (`parent_id` set: a thread), or its
    edit or deletion (`change`).

    Mentions keep their order, without duplicates and without the author.
    """
    mentioned = tuple(
        dict.fromkeys(str(user) for user in mentioned_user_ids if str(user) != author.user_id)
    )
    return ChannelMessage(
        community_ref(guild_id),
        author,
        ConversationRef(PLATFORM, "thread" if parent_id else "channel", str(channel_id)),
        text,
        str(message_id),
        parent_channel_id=str(parent_id) if parent_id else None,
        reply_to_user_id=str(reply_to_user_id) if reply_to_user_id else None,
        mentioned_user_ids=mentioned,
        change=change,
        reply_to_key=reply_to_key,
        avatar_url=avatar_url,
        attachment_urls=tuple(attachment_urls),
    )


def view_for(prompt: Prompt | None) -> discord.ui.View | None:
    """The components of a prompt: buttons, a (multi-)select, or a button opening a modal.

    The view is only a carrier of components: it is stopped before sending, so discord.py does
    not keep it in memory; answers are routed by custom_id (see the runner).
    """
    if prompt is None:
        return None
    view = discord.ui.View(timeout=None)
    if prompt.kind in ("text", "timezone"):
        view.add_item(
            discord.ui.Button(
                label=tr("Answer"),
                style=discord.ButtonStyle.primary,
                custom_id=modal_button_id(prompt),
            )
        )
    elif prompt.kind == "yesno" and not prompt.choices:
        for value, label in (("Yes", tr("Yes")), ("No", tr("No"))):
            view.add_item(_button(prompt.custom_id, value, label, 1))
    elif prompt.kind == "multi" or len(prompt.choices) > MAX_BUTTONS:
        choices = prompt.choices[:MAX_SELECT_OPTIONS]
        view.add_item(
            discord.ui.Select(
                custom_id=prompt.custom_id,
                placeholder=tr("Choose…"),
                min_values=1,
                max_values=max(1, min(prompt.max_values, len(choices))),
                options=[select_option(c, n) for n, c in enumerate(choices, start=1)],
            )
        )
    else:
        for index, choice in enumerate(prompt.choices, start=1):
            view.add_item(_button(prompt.custom_id, choice.value, choice.label, index))
    view.stop()
    return view


def select_option(choice: Choice, index: int) -> discord.SelectOption:
    """A select option within Discord's 100-character fields, losing nothing a member reads.

    A longer label is cut at a word with "…" and goes on in the description; a longer value is
    sent as its 1-based position (the core accepts an option's number, as with buttons).
    """
    label, description = choice.label, None
    if len(label) > MAX_OPTION_TEXT:
        head = label[: MAX_OPTION_TEXT - 1].rsplit(" ", 1)[0] or label[: MAX_OPTION_TEXT - 1]
        rest = label[len(head) :].strip()
        label = head + "…"
        description = rest if len(rest) <= MAX_OPTION_TEXT else rest[: MAX_OPTION_TEXT - 1] + "…"
    value = choice.value if len(choice.value) <= MAX_OPTION_TEXT else str(index)
    return discord.SelectOption(label=label, value=value, description=description)


def _button(prompt_id: str, value: str, label: str, index: int) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=label if len(label) <= MAX_BUTTON_LABEL else label[: MAX_BUTTON_LABEL - 1] + "…",
        style=discord.ButtonStyle.secondary,
        custom_id=button_id(prompt_id, value, index),
    )


def answer_modal(prompt_id: str, title: str, max_length: int | None) -> discord.ui.Modal:
    """The free-text form a text/timezone prompt's button opens (custom_id = the prompt's).

    The input sits in a Label (component type 18), the layout Discord documents now that text
    inputs in action rows are deprecated. `max_length` is the question's own limit, so a member
    never types more than is kept (Discord's own cap is 4,000).
    """
    modal = discord.ui.Modal(title=title[:45], custom_id=prompt_id, timeout=None)
    modal.add_item(
        discord.ui.Label(
            text=tr("Your answer"),
            component=discord.ui.TextInput(
                custom_id=MODAL_INPUT,
                style=discord.TextStyle.paragraph,
                max_length=min(max_length or 4000, 4000),
            ),
        )
    )
    modal.stop()
    return modal
