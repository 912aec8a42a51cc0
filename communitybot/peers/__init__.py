"""Peer search: an in-memory inverted index of tag → members, kept in step with the store."""
