#!/usr/bin/env bash
# Serves the demo (after `make seed`) with the periodic jobs running: Celery beat starts in the
# background and runserver in the foreground; Ctrl-C stops both.
#
# In the embedded default there is no broker (CELERY_BROKER_URL unset), so tasks run
# in-process: beat executes each due job itself (SLA breaches, auto-assignment, the expiry
# watch, periodic reviews, RFI expiry, re-screening, webhook retries, the QC draw) and the web
# process runs the tasks its requests enqueue. With CELERY_BROKER_URL set, start workers too
# (`make worker`); beat then only enqueues.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
VAR_DIR="${VAR_DIR:-var}"
mkdir -p "$VAR_DIR"

.venv/bin/celery -A config beat --loglevel "${BEAT_LOG_LEVEL:-INFO}" \
    --schedule "$VAR_DIR/celerybeat-schedule" --pidfile "" &
BEAT_PID=$!
stop_beat() { kill "$BEAT_PID" 2>/dev/null || true; wait "$BEAT_PID" 2>/dev/null || true; }
trap stop_beat EXIT INT TERM
echo "run: Celery beat started (pid $BEAT_PID, schedule in $VAR_DIR/celerybeat-schedule)"

.venv/bin/python manage.py runserver "$HOST:$PORT"
