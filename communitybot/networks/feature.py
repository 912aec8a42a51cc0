"""The networks feature: affiliate communities, invite codes and stewards (`network ...`).

Its `/mydata` section lists the networks a membership stewards; `/forgetme` needs no forgetter
of its own: deleting the member deletes their steward roles (`ON DELETE CASCADE`), even the
last one — the network then runs without stewards until a moderator of an affiliate takes the
role (`network stewards add`).
"""

from __future__ import annotations

from communitybot.feature import Feature, handlers_in
from communitybot.networks import commands as networks
from communitybot.networks.catalogue import NETWORK_COMMANDS

FEATURE = Feature(
    "networks",
    catalogue=NETWORK_COMMANDS,
    commands=handlers_in(networks),
    on_leave=networks.on_leave,
    export=networks.export,
)
