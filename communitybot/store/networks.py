"""Networks of affiliate communities (migration 0023): the network, its affiliates, stewards,
invite codes (hashed) and the wrong codes tried. Callers run inside the event's transaction, so
a command's effects (e.g. a join: the invite used, the affiliate added) commit together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from communitybot.events import CommunityRef, UserRef
from communitybot.models import Member
from communitybot.store.db import Database
from communitybot.store.members import member_from_row
from communitybot.store.timefmt import from_db, to_db


@dataclass(frozen=True)
class Network:
    id: int
    name: str
    created_at: datetime


@dataclass(frozen=True)
class Invite:
    id: int
    network_id: int
    community_id: int
    """The affiliate whose steward made the code."""
    expires_at: datetime
    used_at: datetime | None


def _network(row: Any) -> Network:
    created = from_db(row["created_at"])
    assert created is not None
    return Network(int(row["id"]), row["name"], created)


def _invite(row: Any) -> Invite:
    expires = from_db(row["expires_at"])
    assert expires is not None
    return Invite(
        int(row["id"]),
        int(row["network_id"]),
        int(row["community_id"]),
        expires,
        from_db(row["used_at"]),
    )


@dataclass(frozen=True)
class AffiliateCounts:
    present: int
    discoverable: int
    """Findable in their own community (`/peers`)."""
    across: int
    """Findable from the other affiliates too (`/privacy discoverable network`)."""


class NetworkRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Networks and affiliates -------------------------------------------------------------
    async def create(self, name: str, community_id: int, steward_id: int, now: datetime) -> Network:
        """A network with this community as its first affiliate and this member its steward."""
        row = await self._db.fetch_one(
            "INSERT INTO networks (name, created_at) VALUES (?, ?) RETURNING id",
            (name, to_db(now)),
        )
        assert row is not None
        network_id = int(row["id"])
        await self.add_affiliate(network_id, community_id, now)
        await self.add_steward(network_id, steward_id, now)
        created = await self.get(network_id)
        assert created is not None
        return created

    async def get(self, network_id: int) -> Network | None:
        row = await self._db.fetch_one("SELECT * FROM networks WHERE id = ?", (network_id,))
        return _network(row) if row else None

    async def of_community(self, community_id: int) -> Network | None:
        """The network this community is an affiliate of, if any."""
        row = await self._db.fetch_one(
            "SELECT n.* FROM networks n JOIN network_affiliates a ON a.network_id = n.id "
            "WHERE a.community_id = ?",
            (community_id,),
        )
        return _network(row) if row else None

    async def add_affiliate(self, network_id: int, community_id: int, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO network_affiliates (community_id, network_id, joined_at) VALUES (?, ?, ?)",
            (community_id, network_id, to_db(now)),
        )

    async def affiliates(self, network_id: int) -> list[int]:
        """The affiliates' community ids, in the order they joined."""
        rows = await self._db.fetch_all(
            "SELECT community_id FROM network_affiliates WHERE network_id = ? "
            "ORDER BY joined_at, community_id",
            (network_id,),
        )
        return [int(row["community_id"]) for row in rows]

    async def affiliate_refs(self, network_id: int) -> list[tuple[int, CommunityRef]]:
        """The affiliates' community ids and platform refs, in the order they joined."""
        rows = await self._db.fetch_all(
            "SELECT c.id, c.platform, c.space_id, c.name FROM network_affiliates a "
            "JOIN communities c ON c.id = a.community_id WHERE a.network_id = ? "
            "ORDER BY a.joined_at, a.community_id",
            (network_id,),
        )
        return [
            (int(row["id"]), CommunityRef(row["platform"], row["space_id"], row["name"] or ""))
            for row in rows
        ]

    async def remove_affiliate(self, network_id: int, community_id: int) -> int:
        """The community leaves: its members' steward roles and its unused invites go with it.
        Returns how many stewards were removed."""
        removed = await self._db.execute(
            "DELETE FROM network_stewards WHERE network_id = ? AND member_id IN "
            "(SELECT id FROM members WHERE community_id = ?)",
            (network_id, community_id),
        )
        await self._db.execute(
            "DELETE FROM network_invites WHERE network_id = ? AND community_id = ? "
            "AND used_at IS NULL",
            (network_id, community_id),
        )
        await self._db.execute(
            "DELETE FROM network_affiliates WHERE network_id = ? AND community_id = ?",
            (network_id, community_id),
        )
        return removed

    async def delete(self, network_id: int) -> None:
        """The network with its stewards and invites (`ON DELETE CASCADE`)."""
        await self._db.execute("DELETE FROM network_stewards WHERE network_id = ?", (network_id,))
        await self._db.execute("DELETE FROM network_invites WHERE network_id = ?", (network_id,))
        await self._db.execute("DELETE FROM network_affiliates WHERE network_id = ?", (network_id,))
        await self._db.execute("DELETE FROM networks WHERE id = ?", (network_id,))

    # Stewards ----------------------------------------------------------------------------
    async def add_steward(self, network_id: int, member_id: int, now: datetime) -> bool:
        """False when the member already is one."""
        added = await self._db.fetch_one(
            "INSERT INTO network_stewards (network_id, member_id, added_at) VALUES (?, ?, ?) "
            "ON CONFLICT (network_id, member_id) DO NOTHING RETURNING member_id",
            (network_id, member_id, to_db(now)),
        )
        return added is not None

    async def remove_steward(self, network_id: int, member_id: int) -> bool:
        removed = await self._db.execute(
            "DELETE FROM network_stewards WHERE network_id = ? AND member_id = ?",
            (network_id, member_id),
        )
        return removed == 1

    async def stewards(self, network_id: int) -> list[Member]:
        rows = await self._db.fetch_all(
            "SELECT m.* FROM members m JOIN network_stewards s ON s.member_id = m.id "
            "WHERE s.network_id = ? ORDER BY s.added_at, m.id",
            (network_id,),
        )
        return [member_from_row(row) for row in rows]

    async def is_steward(self, network_id: int, user: UserRef) -> bool:
        """Whether this platform user is a steward through any of their memberships."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM network_stewards s JOIN members m ON m.id = s.member_id "
            "WHERE s.network_id = ? AND m.platform = ? AND m.user_id = ?",
            (network_id, user.platform, user.user_id),
        )
        return row is not None

    async def stewarded_by(self, member_id: int) -> list[Network]:
        """The networks this membership stewards (one indexed read)."""
        rows = await self._db.fetch_all(
            "SELECT n.* FROM networks n JOIN network_stewards s ON s.network_id = n.id "
            "WHERE s.member_id = ? ORDER BY n.id",
            (member_id,),
        )
        return [_network(row) for row in rows]

    async def export_for_member(self, member_id: int) -> list[dict[str, Any]]:
        rows = await self._db.fetch_all(
            "SELECT n.name, s.added_at FROM network_stewards s "
            "JOIN networks n ON n.id = s.network_id WHERE s.member_id = ? ORDER BY s.added_at",
            (member_id,),
        )
        return [{"network": row["name"], "since": row["added_at"]} for row in rows]

    # Invites -----------------------------------------------------------------------------
    async def add_invite(
        self, network_id: int, community_id: int, code_hash: str, now: datetime, expires: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO network_invites (network_id, code_hash, community_id, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?)",
            (network_id, code_hash, community_id, to_db(now), to_db(expires)),
        )

    async def invite_by_hash(self, code_hash: str) -> Invite | None:
        row = await self._db.fetch_one(
            "SELECT * FROM network_invites WHERE code_hash = ?", (code_hash,)
        )
        return _invite(row) if row else None

    async def use_invite(self, invite_id: int, community_id: int, now: datetime) -> bool:
        """Marks the invite used; False when another join used it first."""
        used = await self._db.execute(
            "UPDATE network_invites SET used_at = ?, used_by_community = ? "
            "WHERE id = ? AND used_at IS NULL",
            (to_db(now), community_id, invite_id),
        )
        return used == 1

    async def affiliate_counts(self, network_id: int) -> dict[int, AffiliateCounts]:
        """Per affiliate: members present, discoverable in their community, and findable
        across the network (`network stats`): one aggregate over the affiliates' members."""
        rows = await self._db.fetch_all(
            "SELECT a.community_id, count(m.id) AS present,"
            " coalesce(sum(CASE WHEN m.discoverable = 1 THEN 1 ELSE 0 END), 0) AS discoverable,"
            " coalesce(sum(CASE WHEN m.discoverable = 1 AND m.network_visible = 1"
            "  THEN 1 ELSE 0 END), 0) AS across"
            " FROM network_affiliates a"
            " LEFT JOIN members m ON m.community_id = a.community_id AND m.left_at IS NULL"
            " WHERE a.network_id = ? GROUP BY a.community_id",
            (network_id,),
        )
        return {
            int(r["community_id"]): AffiliateCounts(
                int(r["present"]), int(r["discoverable"]), int(r["across"])
            )
            for r in rows
        }

    async def people_across_affiliates(self, network_id: int) -> int:
        """People (linked accounts, `communitybot.identity`) present in more than one affiliate:
        the members who already cross the affiliates' lines."""
        row = await self._db.fetch_one(
            "SELECT count(*) AS n FROM (SELECT pa.person_id FROM person_accounts pa"
            " JOIN members m ON m.platform = pa.platform AND m.user_id = pa.user_id"
            " AND m.left_at IS NULL"
            " JOIN network_affiliates a ON a.community_id = m.community_id"
            " WHERE a.network_id = ? GROUP BY pa.person_id"
            " HAVING count(DISTINCT m.community_id) > 1) AS crossing",
            (network_id,),
        )
        return int(row["n"]) if row else 0

    async def open_invites(self, network_id: int, now: datetime) -> int:
        row = await self._db.fetch_one(
            "SELECT count(*) AS n FROM network_invites "
            "WHERE network_id = ? AND used_at IS NULL AND expires_at > ?",
            (network_id, to_db(now)),
        )
        return int(row["n"]) if row else 0

    # Wrong codes -------------------------------------------------------------------------
    async def recent_failures(self, community_id: int, since: datetime) -> list[datetime]:
        """The wrong codes this community tried since then, oldest first (older ones go)."""
        await self._db.execute(
            "DELETE FROM network_join_failures WHERE community_id = ? AND failed_at <= ?",
            (community_id, to_db(since)),
        )
        rows = await self._db.fetch_all(
            "SELECT failed_at FROM network_join_failures WHERE community_id = ? "
            "ORDER BY failed_at, id",
            (community_id,),
        )
        return [moment for row in rows if (moment := from_db(row["failed_at"])) is not None]

    async def add_failure(self, community_id: int, now: datetime) -> None:
        await self._db.execute(
            "INSERT INTO network_join_failures (community_id, failed_at) VALUES (?, ?)",
            (community_id, to_db(now)),
        )
