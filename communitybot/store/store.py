"""The store facade: one database, one repository per kind of record.

`Store.reader` is the same facade on the database's read connection (None without one): what
read-only commands use, beside the write path (`communitybot.bot`).
"""

from __future__ import annotations

from pathlib import Path

from communitybot.personal_data import AdapterPersonalData
from communitybot.store.asks import AskRepository
from communitybot.store.changes import ChangeFeed
from communitybot.store.chat_legs import ChatLegRepository
from communitybot.store.chat_runs import ChatRunRepository
from communitybot.store.chats import ChatRepository
from communitybot.store.communities import CommunityRepository
from communitybot.store.confirmations import ConfirmationRepository
from communitybot.store.db import Database
from communitybot.store.engines import open_database
from communitybot.store.introductions import IntroductionRepository
from communitybot.store.jobs import JobRepository
from communitybot.store.members import MemberRepository
from communitybot.store.mentoring import MentoringRepository
from communitybot.store.mentoring_checkins import CheckinRepository
from communitybot.store.networks import NetworkRepository
from communitybot.store.onboarding import OnboardingRepository
from communitybot.store.open_prompts import OpenPromptRepository
from communitybot.store.outbox import OutboxRepository
from communitybot.store.people import PeopleRepository
from communitybot.store.rounds import RoundRepository
from communitybot.store.stats import StatsRepository
from communitybot.store.tags import TagRepository
from communitybot.wakeup import Wakeup


class Store:
    def __init__(self, db: Database, *, cached: bool = True, wakeup: Wakeup | None = None) -> None:
        """`cached=False` for the read connection's facade: its repositories never see the writes
        that drop a cached row, so they keep none (`communitybot.store.cache`). `wakeup`: the
        alarm new jobs ring (`communitybot.wakeup`; the Bot and its scheduler share it)."""
        self.db = db
        self.wakeup = wakeup or Wakeup()
        self.communities = CommunityRepository(db, cached=cached)
        self.members = MemberRepository(db)
        self.tags = TagRepository(db)
        self.onboarding = OnboardingRepository(db, cached=cached)
        self.confirmations = ConfirmationRepository(db)
        self.adapter_data = AdapterPersonalData()
        """What the adapters declared they store about people (`communitybot.personal_data`)."""
        self.stats = StatsRepository(db)
        self.jobs = JobRepository(db, self.wakeup)
        self.mentoring = MentoringRepository(db)
        self.mentoring_checkins = CheckinRepository(db)
        self.chats = ChatRepository(db)
        self.asks = AskRepository(db)
        self.chat_runs = ChatRunRepository(db)
        self.chat_legs = ChatLegRepository(db)
        self.rounds = RoundRepository(db)
        self.outbox = OutboxRepository(db)
        self.open_prompts = OpenPromptRepository(db)
        self.networks = NetworkRepository(db)
        self.people = PeopleRepository(db)
        self.introductions = IntroductionRepository(db)
        """Linked accounts and link codes (`communitybot.identity`)."""
        self.changes = ChangeFeed(db.notifications)
        """Units' changes told to the other processes, theirs dropped here (`store.changes`)."""
        self.changes.register("communities", self.communities.cache)
        self.changes.register("questions", self.onboarding.cache)
        self.reader: Store | None = (
            Store(db.reader, cached=False) if db.reader is not None else None
        )
        """Repositories on the read connection: they read what is committed, never write."""

    @classmethod
    async def open(
        cls, target: str | Path, *, wakeup: Wakeup | None = None, pool_size: int | None = None
    ) -> Store:
        """The store on a SQLite file (a path) or a PostgreSQL URL, migrated. `pool_size`:
        PostgreSQL's most connections at once (`COMMUNITYBOT_DATABASE_POOL_SIZE`)."""
        return cls(await open_database(target, pool_size=pool_size), wakeup=wakeup)

    async def close(self) -> None:
        await self.db.close()
