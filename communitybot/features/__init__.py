"""Feature handlers: plain async functions that take a Context and return actions."""
