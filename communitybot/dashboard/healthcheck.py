"""`python -m communitybot.dashboard.healthcheck`: the container's HEALTHCHECK.

Exit 0 when the dashboard is off (nothing to ask: the check must not mark a bot without a
dashboard unhealthy) or when its /healthz answers 200 within the timeout; exit 1 otherwise, with
one line saying why. It asks the address the dashboard listens on (0.0.0.0 and :: are asked on
the loopback), read from COMMUNITYBOT_DASHBOARD__LISTEN as the bot reads it: the environment,
else `.env` in the working directory.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

TIMEOUT = 4.0
WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


def url(listen: str) -> str:
    host, _, port = listen.strip().rpartition(":")
    host = host.strip("[]")
    host = WILDCARDS.get(host, host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/healthz"


def check(environ: dict[str, str]) -> tuple[int, str]:
    listen = environ.get("COMMUNITYBOT_DASHBOARD__LISTEN", "").strip()
    if not listen:
        return 0, "dashboard off: nothing to check"
    target = url(listen)
    try:
        with urllib.request.urlopen(target, timeout=TIMEOUT) as answer:
            if answer.status == 200:
                return 0, "ok"
            return 1, f"{target} answered {answer.status}"
    except (urllib.error.URLError, OSError) as error:
        return 1, f"{target} did not answer ({type(error).__name__})"


def main() -> None:
    from dotenv import dotenv_values

    settings = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    settings.update(os.environ)
    code, why = check(settings)
    print(why)
    sys.exit(code)


if __name__ == "__main__":
    main()
