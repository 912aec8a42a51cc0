# communitybot in a container: slim Python, an unprivileged user, the database on a volume.
# /data (database with the saved Matrix token, exported files) is the bot user's alone: 0700.
#   docker build -t communitybot .
#   docker run -it -v communitybot-data:/data communitybot            # the console adapter
#   docker run -d --env-file .env -v communitybot-data:/data communitybot
# The same image runs on PostgreSQL (asyncpg is installed with the package): set
# COMMUNITYBOT_DATABASE_URL=postgresql://… and run `communitybot run --adapter discord|matrix`,
# `communitybot worker` or `communitybot db migrate|copy|check`; deploy/compose.yaml wires them.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 communitybot \
 && useradd --system --uid 10001 --gid communitybot --home-dir /app --shell /usr/sbin/nologin communitybot \
 && mkdir -p /data \
 && chown communitybot:communitybot /data \
 && chmod 0700 /data

WORKDIR /app

COPY pyproject.toml README.md ./
COPY communitybot ./communitybot
COPY adapters ./adapters
RUN pip install . && rm -rf build *.egg-info

ENV COMMUNITYBOT_DATABASE_PATH=/data/communitybot.db
ENV COMMUNITYBOT_CONSOLE_FILES_DIR=/data/files
# The Matrix encryption keys (the bot's device identity) belong with the database, on the volume.
ENV COMMUNITYBOT_MATRIX__CRYPTO_STORE=/data/matrix-crypto
VOLUME /data

# With the dashboard on (COMMUNITYBOT_DASHBOARD__LISTEN=0.0.0.0:8080, docs/dashboard.md) Docker
# asks its /healthz every 30 s; with it off the check always passes. Publish the port with -p.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "communitybot.dashboard.healthcheck"]

USER communitybot
CMD ["communitybot", "run"]
