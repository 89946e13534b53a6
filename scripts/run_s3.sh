#!/usr/bin/env bash
# The demo with its documents and PDF reports in an S3-compatible server instead of local
# files: starts moto_server (from the dev dependencies) on 127.0.0.1:${S3_PORT:-9000} unless
# one already answers there, creates the bucket, then seeds and serves like `make run`, on its
# own SQLite database (var/demo-s3/) so it never mixes with the local-files demo.
# List what landed in the bucket with:
#   .venv/bin/python scripts/s3_ls.py            (or any S3 client pointed at the endpoint)
set -euo pipefail
cd "$(dirname "$0")/.."

S3_PORT="${S3_PORT:-9000}"
export S3_ENDPOINT_URL="http://127.0.0.1:${S3_PORT}"
export S3_BUCKET="${S3_BUCKET:-merchant-kyc-demo}"
export S3_ACCESS_KEY_ID="${S3_ACCESS_KEY_ID:-demo}" S3_SECRET_ACCESS_KEY="${S3_SECRET_ACCESS_KEY:-demo}"
export VAR_DIR="${VAR_DIR:-var/demo-s3}"
mkdir -p "$VAR_DIR"

if ! curl -s -o /dev/null "$S3_ENDPOINT_URL"; then
    echo "run-s3: starting moto_server on $S3_ENDPOINT_URL (log: $VAR_DIR/moto.log)"
    nohup .venv/bin/moto_server -H 127.0.0.1 -p "$S3_PORT" >"$VAR_DIR/moto.log" 2>&1 &
    for _ in $(seq 50); do curl -s -o /dev/null "$S3_ENDPOINT_URL" && break; sleep 0.2; done
fi
.venv/bin/python scripts/s3_ls.py --create >/dev/null
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py seed_demo
echo "run-s3: documents and reports go to s3://$S3_BUCKET at $S3_ENDPOINT_URL"
exec scripts/run_demo.sh
