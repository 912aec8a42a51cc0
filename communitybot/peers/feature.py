"""The peers feature: `peers` finds members who share your interests (from the peer index).

Its data is the members' tags and profiles, which the tags and privacy features export.
"""

from __future__ import annotations

from communitybot.feature import Feature, handlers_in
from communitybot.peers import commands as peers
from communitybot.peers.catalogue import PEER_COMMANDS

FEATURE = Feature(
    "peers",
    catalogue=PEER_COMMANDS,
    commands=handlers_in(peers),
)
