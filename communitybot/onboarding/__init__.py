"""Onboarding: the welcome questions, the member's profile, moderators' question editing."""
