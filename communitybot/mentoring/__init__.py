"""Mentor matching: scoring, the optimal solver, its exact yardstick and synthetic data."""
