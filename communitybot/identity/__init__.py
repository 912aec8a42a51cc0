"""One person, many accounts: linking a member's accounts across communities and platforms."""
