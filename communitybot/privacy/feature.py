"""The privacy feature: discoverability (`privacy`), the data export (`mydata`) and forgetting
(`forgetme`, confirmed by a typed or pressed yes).

`/mydata` writes the frame of every membership (community, profile, a pending confirmation,
an open question) and lets every feature's `export` fill in its sections between. Its `forget`
deletes the memberships, which takes every row hanging off them along (`ON DELETE CASCADE`).
"""

from __future__ import annotations

from communitybot.context import Context
from communitybot.feature import Feature, handlers_in
from communitybot.i18n import tr
from communitybot.privacy import commands as privacy
from communitybot.privacy.catalogue import PRIVACY_COMMANDS
from communitybot.store.stats import MemberCounts


async def stats(ctx: Context, counts: MemberCounts) -> list[str]:
    return [
        tr(
            "• Discoverable: {discoverable} of {present}",
            discoverable=counts.discoverable,
            present=counts.present,
        )
    ]


FEATURE = Feature(
    "privacy",
    catalogue=PRIVACY_COMMANDS,
    commands=handlers_in(privacy),
    on_message=privacy.on_message,
    on_choice=privacy.on_choice,
    stats=stats,
    forget=privacy.forget_user,
)
