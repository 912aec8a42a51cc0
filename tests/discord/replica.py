"""`python -m tests.discord.replica PORT`: the real `communitybot run --adapter discord`, pointed
at the loopback Discord double listening on 127.0.0.1:PORT (test-only entry point).

Why: `DiscordDouble.patched()` points discord.py at the double only inside one process, and the
replica tests need several bot processes (tests/discord/test_discord_replicas.py,
benchmarks/failover.py). Everything else comes from the environment, as for the real command
(COMMUNITYBOT_DATABASE_URL, COMMUNITYBOT_DISCORD__TOKEN, …).
"""

from __future__ import annotations

import sys

from communitybot.__main__ import main as communitybot_main
from tests.discord.gateway_double import DiscordDouble


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m tests.discord.replica PORT", file=sys.stderr)
        return 2
    double = DiscordDouble(port=int(argv[0]))  # not started here: only its URLs are used
    with double.patched():
        return communitybot_main(["run", "--adapter", "discord"])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
