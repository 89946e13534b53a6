#!/usr/bin/env bash
# The system packages the tests use that a virtualenv cannot bring: Chromium for the browser
# tests and gettext for compiling translations. Installed with apt-get when Chromium is
# missing and we are root; otherwise we say what is missing (and scripts/test.sh decides
# whether that is fatal: under CI=true it is).
set -euo pipefail

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: $CHROMIUM is missing; installing chromium and gettext with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y chromium gettext
else
    echo "system-deps: $CHROMIUM is missing and this is not a root Debian shell;" \
         "install it with: sudo apt-get install -y chromium gettext"
fi
