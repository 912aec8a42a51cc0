"""Account linking: `link` (a one-time code, or using one) and `unlink`."""

from __future__ import annotations

from communitybot.command_types import Command, Option
from communitybot.i18n import N_

IDENTITY_COMMANDS: tuple[Command, ...] = (
    Command(
        ("link",),
        N_("Link this account with your account in another community or on another platform"),
        (
            Option(
                "code",
                N_("The code `link` gave your other account (leave empty to get a code)"),
                required=False,
                max_length=40,
                rest=True,
            ),
        ),
        examples=("link", "link ABCD-EFGH"),
    ),
    Command(
        ("unlink",),
        N_("Take this account out of your linked accounts (moderators: someone else's)"),
        (Option("member", N_("Moderators: whose link to revoke"), type="user", required=False),),
        examples=("unlink", "unlink ann"),
    ),
)
