"""Peer rounds: small groups that meet on a cadence, and the solver that forms them."""
