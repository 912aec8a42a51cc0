"""The peers feature: `peers` finds members who share your interests (from the peer index).

Its data is the members' tags and profiles, which the tags and privacy features export.
"""

from __future__ import annotations

from communitybot.feature import Feature
from communitybot.peers.catalogue import PEER_COMMANDS
from communitybot.peers.commands import find_peers

FEATURE = Feature(
    "peers",
    catalogue=PEER_COMMANDS,
    commands={("peers",): find_peers},
)
