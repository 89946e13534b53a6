#!/usr/bin/env bash
# Installs what the project needs from a clean clone: uv (if missing), the locked virtualenv
# (.venv, dev group included) and the compiled translations. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v uv >/dev/null 2>&1; then
    UV=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
    UV=(python3 -m uv)
else
    echo "install: uv not found; installing it with pip"
    # A Debian system Python refuses plain `pip install` (PEP 668): then install for the user.
    python3 -m pip install --quiet uv 2>/dev/null \
        || python3 -m pip install --quiet --user --break-system-packages uv
    UV=(python3 -m uv)
fi

# --frozen: install exactly what uv.lock pins; never re-resolve on a build machine.
"${UV[@]}" sync --frozen --quiet

# The .mo files are committed; compile anyway when we can, so a fresh .po edit is picked up.
if [ -d locale ]; then
    if command -v msgfmt >/dev/null 2>&1; then
        .venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
    else
        echo "install: msgfmt (gettext) not found; using the committed .mo files"
    fi
fi
