"""People and their linked accounts (issue #14, migration 0024; `communitybot.identity`).

A *person* is two or more platform accounts (Discord, Matrix, console ids) their owner linked;
an account belongs to at most one person (`person_accounts`' primary key). A person left with a
single account is dissolved: one account on its own is just an account.

Link codes are stored as their SHA-256 only (`code_hash`): the clear code is shown once, to the
member who asked, and never written anywhere. Wrong codes are counted per account
(`link_attempts`, the times only) for the hourly limit. Like every repository, calls run inside
the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from communitybot.events import UserRef
from communitybot.store.db import Database
from communitybot.store.timefmt import from_db, to_db


class LinkConflict(RuntimeError):
    """Two accounts could not be made one person: one belongs to another person already."""


@dataclass(frozen=True)
class LinkedAccount:
    person_id: int
    user: UserRef
    linked_at: datetime


@dataclass(frozen=True)
class LinkCode:
    """Who asked for a code, where, and until when it is valid."""

    user: UserRef
    community_id: int
    expires_at: datetime


@dataclass(frozen=True)
class LinkRequest:
    """A code typed from `other`, waiting for `user` (the code's owner) to confirm."""

    user: UserRef
    community_id: int
    other: UserRef
    other_community_id: int
    expires_at: datetime


def _at(text: Any) -> datetime:
    moment = from_db(str(text))
    assert moment is not None
    return moment


class PeopleRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    # People and accounts ----------------------------------------------------------------------
    async def person_of(self, user: UserRef) -> int | None:
        row = await self._db.fetch_one(
            "SELECT person_id FROM person_accounts WHERE platform = ? AND user_id = ?",
            (user.platform, user.user_id),
        )
        return None if row is None else int(row[0])

    async def accounts_of(self, user: UserRef) -> list[LinkedAccount]:
        """Every account of `user`'s person, `user` included, oldest link first; [] when the
        account is linked to nobody."""
        rows = await self._db.fetch_all(
            "SELECT mine.person_id, theirs.platform, theirs.user_id, theirs.linked_at"
            " FROM person_accounts mine JOIN person_accounts theirs"
            " ON theirs.person_id = mine.person_id"
            " WHERE mine.platform = ? AND mine.user_id = ?"
            " ORDER BY theirs.linked_at, theirs.platform, theirs.user_id",
            (user.platform, user.user_id),
        )
        return [LinkedAccount(int(r[0]), UserRef(str(r[1]), str(r[2])), _at(r[3])) for r in rows]

    async def link(self, first: UserRef, second: UserRef, now: datetime) -> int:
        """Make `first` and `second` one person (extending the person either belongs to);
        returns the person's id. The caller has checked they are not two different people."""
        person = await self.person_of(first) or await self.person_of(second)
        if person is None:
            row = await self._db.fetch_one(
                "INSERT INTO people (created_at) VALUES (?) RETURNING id", (to_db(now),)
            )
            assert row is not None
            person = int(row[0])
        for user in (first, second):
            await self._db.execute(
                "INSERT INTO person_accounts (platform, user_id, person_id, linked_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (platform, user_id) DO NOTHING",
                (user.platform, user.user_id, person, to_db(now)),
            )
            if await self.person_of(user) != person:
                # Linked with someone else meanwhile (another process, on PostgreSQL): the
                # caller's transaction is rolled back rather than report a link that is not.
                raise LinkConflict("an account was linked with another person meanwhile")
        return person

    async def unlink(self, user: UserRef) -> list[UserRef]:
        """Take `user` out of its person; returns the accounts still linked together ([] when
        the person was dissolved because one account was left, or `user` was not linked)."""
        person = await self.person_of(user)
        if person is None:
            return []
        await self._db.execute(
            "DELETE FROM person_accounts WHERE platform = ? AND user_id = ?",
            (user.platform, user.user_id),
        )
        rows = await self._db.fetch_all(
            "SELECT platform, user_id FROM person_accounts WHERE person_id = ?"
            " ORDER BY linked_at, platform, user_id",
            (person,),
        )
        if len(rows) <= 1:
            await self._db.execute("DELETE FROM people WHERE id = ?", (person,))
            return []
        return [UserRef(str(r[0]), str(r[1])) for r in rows]

    async def same_person_members(self, community_id: int) -> list[list[int]]:
        """Groups of two or more member ids of one community that are one person (a person
        with several linked accounts in the same community): never to be paired together."""
        rows = await self._db.fetch_all(
            "SELECT m.id, a.person_id FROM members m JOIN person_accounts a"
            " ON a.platform = m.platform AND a.user_id = m.user_id"
            " WHERE m.community_id = ? ORDER BY a.person_id, m.id",
            (community_id,),
        )
        by_person: dict[int, list[int]] = {}
        for row in rows:
            by_person.setdefault(int(row[1]), []).append(int(row[0]))
        return [ids for ids in by_person.values() if len(ids) > 1]

    # Codes ------------------------------------------------------------------------------------
    async def put_code(
        self, code_hash: str, user: UserRef, community_id: int, expires_at: datetime, now: datetime
    ) -> None:
        """Store a fresh code for `user` (its earlier codes, and every expired code, go; so do
        confirmations that expired a day ago and wrong tries older than a day)."""
        await self._db.execute(
            "DELETE FROM link_codes WHERE (platform = ? AND user_id = ?) OR expires_at <= ?",
            (user.platform, user.user_id, to_db(now)),
        )
        day_ago = to_db(now - timedelta(days=1))
        await self._db.execute("DELETE FROM link_requests WHERE expires_at <= ?", (day_ago,))
        await self._db.execute("DELETE FROM link_attempts WHERE tried_at <= ?", (day_ago,))
        await self._db.execute(
            "INSERT INTO link_codes (code_hash, platform, user_id, community_id, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (code_hash, user.platform, user.user_id, community_id, to_db(expires_at)),
        )

    async def take_code(self, code_hash: str, now: datetime) -> LinkCode | None:
        """Consume the code with this hash: deleted whatever happens next (single use); None
        when there is none or it has expired."""
        row = await self._db.fetch_one(
            "DELETE FROM link_codes WHERE code_hash = ?"
            " RETURNING platform, user_id, community_id, expires_at",
            (code_hash,),
        )
        if row is None:
            return None
        expires = _at(row["expires_at"])
        if now >= expires:
            return None
        return LinkCode(
            UserRef(str(row["platform"]), str(row["user_id"])), int(row["community_id"]), expires
        )

    # Wrong tries ------------------------------------------------------------------------------
    async def record_wrong_code(self, user: UserRef, now: datetime, since: datetime) -> None:
        """One wrong code typed by `user` (tries before `since` are no longer needed: gone)."""
        await self._db.execute(
            "DELETE FROM link_attempts WHERE platform = ? AND user_id = ? AND tried_at < ?",
            (user.platform, user.user_id, to_db(since)),
        )
        await self._db.execute(
            "INSERT INTO link_attempts (platform, user_id, tried_at) VALUES (?, ?, ?)",
            (user.platform, user.user_id, to_db(now)),
        )

    async def wrong_codes_since(self, user: UserRef, since: datetime) -> list[datetime]:
        """When `user` typed a wrong code since `since`, oldest first."""
        rows = await self._db.fetch_all(
            "SELECT tried_at FROM link_attempts WHERE platform = ? AND user_id = ?"
            " AND tried_at >= ? ORDER BY tried_at",
            (user.platform, user.user_id, to_db(since)),
        )
        return [_at(r[0]) for r in rows]

    # Confirmations ----------------------------------------------------------------------------
    async def put_request(self, request: LinkRequest) -> None:
        """Record (or replace) the confirmation `request.user` is asked for."""
        await self._db.execute(
            "INSERT INTO link_requests (platform, user_id, community_id, other_platform,"
            " other_user_id, other_name, other_community_id, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, user_id) DO UPDATE SET"
            " community_id = excluded.community_id, other_platform = excluded.other_platform,"
            " other_user_id = excluded.other_user_id, other_name = excluded.other_name,"
            " other_community_id = excluded.other_community_id,"
            " expires_at = excluded.expires_at",
            (
                request.user.platform,
                request.user.user_id,
                request.community_id,
                request.other.platform,
                request.other.user_id,
                request.other.display_name,
                request.other_community_id,
                to_db(request.expires_at),
            ),
        )

    async def get_request(self, user: UserRef) -> LinkRequest | None:
        """The confirmation `user` is asked for, expired or not."""
        row = await self._db.fetch_one(
            "SELECT * FROM link_requests WHERE platform = ? AND user_id = ?",
            (user.platform, user.user_id),
        )
        if row is None:
            return None
        return LinkRequest(
            UserRef(str(row["platform"]), str(row["user_id"])),
            int(row["community_id"]),
            UserRef(str(row["other_platform"]), str(row["other_user_id"]), str(row["other_name"])),
            int(row["other_community_id"]),
            _at(row["expires_at"]),
        )

    async def clear_request(self, user: UserRef) -> None:
        await self._db.execute(
            "DELETE FROM link_requests WHERE platform = ? AND user_id = ?",
            (user.platform, user.user_id),
        )

    # /mydata and /forgetme --------------------------------------------------------------------
    async def export_for_user(self, user: UserRef, now: datetime) -> dict[str, Any]:
        """What is stored about `user`'s linking, JSON-ready: the linked accounts, when an
        unused code runs out (never the code or its hash), a waiting confirmation, and how many
        wrong codes it typed in the last hour's records."""
        code = await self._db.fetch_one(
            "SELECT expires_at FROM link_codes WHERE platform = ? AND user_id = ?",
            (user.platform, user.user_id),
        )
        request = await self.get_request(user)
        asked_of = await self._db.fetch_all(
            "SELECT platform, user_id, expires_at FROM link_requests"
            " WHERE other_platform = ? AND other_user_id = ?",
            (user.platform, user.user_id),
        )
        tries = await self._db.fetch_all(
            "SELECT tried_at FROM link_attempts WHERE platform = ? AND user_id = ?"
            " ORDER BY tried_at",
            (user.platform, user.user_id),
        )
        return {
            "linked_accounts": [
                {
                    "platform": a.user.platform,
                    "user_id": a.user.user_id,
                    "linked_at": to_db(a.linked_at),
                }
                for a in await self.accounts_of(user)
            ],
            "link_code_expires_at": str(code[0]) if code else None,
            "link_confirmation_asked": (
                {
                    "from_platform": request.other.platform,
                    "from_user_id": request.other.user_id,
                    "expires_at": to_db(request.expires_at),
                }
                if request
                else None
            ),
            "link_confirmations_waited_for": [
                {"platform": str(r[0]), "user_id": str(r[1]), "expires_at": str(r[2])}
                for r in asked_of
            ],
            "wrong_link_codes_at": [str(r[0]) for r in tries],
        }

    async def forget_account(self, user: UserRef) -> None:
        """Everything linking stores about `user`: its place in a person (a person left with
        one account is dissolved), its code, confirmations by or of it, its wrong tries."""
        await self.unlink(user)
        params = (user.platform, user.user_id)
        await self._db.execute("DELETE FROM link_codes WHERE platform = ? AND user_id = ?", params)
        await self._db.execute(
            "DELETE FROM link_requests WHERE (platform = ? AND user_id = ?)"
            " OR (other_platform = ? AND other_user_id = ?)",
            params + params,
        )
        await self._db.execute(
            "DELETE FROM link_attempts WHERE platform = ? AND user_id = ?", params
        )
