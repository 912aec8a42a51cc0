"""Mentor matching: `/mentor`, `/mentoring`, check-ins, scoring and the optimal solver."""
