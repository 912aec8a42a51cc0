"""Onboarding questions, each member's progress and answers, pending confirmations."""

from __future__ import annotations

from communitybot.store.db import Database


class OnboardingRepository:
    def __init__(self, db: Database) -> None:
        self._db = db
