"""The dashboard feature: the `dashboard` command (the web server itself is started by
`communitybot.bootstrap`, beside the adapters)."""

from __future__ import annotations

from communitybot.dashboard import commands
from communitybot.dashboard.catalogue import DASHBOARD_COMMANDS
from communitybot.feature import Feature, handlers_in

FEATURE = Feature(
    "dashboard",
    catalogue=DASHBOARD_COMMANDS,
    commands=handlers_in(commands),
)
