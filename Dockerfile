# Mulan Patrol (木兰巡防): docker build -t mulan-patrol .
#   docker run -d --name mulan-patrol --restart on-failure --env-file deploy/env.example \
#     -v mulan-data:/var/lib/mulan-patrol mulan-patrol
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PATROL_DB_PATH=/var/lib/mulan-patrol/patrol.db \
    MPLCONFIGDIR=/tmp/matplotlib

RUN useradd --system --create-home --home-dir /var/lib/mulan-patrol --shell /usr/sbin/nologin mulan
WORKDIR /opt/mulan-patrol
COPY requirements.lock ./
# the tested versions, each checked by hash
RUN pip install --require-hashes -r requirements.lock
COPY pyproject.toml README.md bot.py ./
COPY cli cli
COPY handlers handlers
COPY models models
COPY scheduler scheduler
COPY locales locales
RUN pip install --no-deps . && python -c "import bot"

USER mulan
VOLUME /var/lib/mulan-patrol
# webhook mode listens here (set PATROL_LISTEN=0.0.0.0:8080 and publish the port)
EXPOSE 8080
STOPSIGNAL SIGTERM
CMD ["python", "bot.py", "run"]
