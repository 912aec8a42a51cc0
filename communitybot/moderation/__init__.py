"""Moderators' tools: channels, the set-up hint, rate limits."""
