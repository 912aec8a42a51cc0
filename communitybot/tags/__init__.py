"""Interest tags: a member's tags, moderators' tag list, channels and roles linked to tags."""
