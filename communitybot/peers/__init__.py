"""`/peers`: the in-memory peer index (kept in step with the store) and its command."""
