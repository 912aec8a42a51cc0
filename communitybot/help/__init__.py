"""`/help`: what the bot can do, and each command explained with examples."""
