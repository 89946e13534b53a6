#!/usr/bin/env bash
# The system packages a virtualenv cannot bring: Chromium for the browser tests, gettext for
# compiling translations, Pango (WeasyPrint's text layout), the Liberation and Noto CJK fonts
# so Latin and Chinese render in PDF reports, and libharfbuzz-subset0 so WeasyPrint embeds
# only the glyphs used (fast, small PDFs). Installed with apt-get when one is missing and we are root; otherwise
# we say what is missing (and scripts/test.sh decides whether that is fatal: under CI=true
# it is).
set -euo pipefail

PACKAGES=(chromium gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation fonts-noto-cjk libharfbuzz-subset0)
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y "${missing[@]}" >/dev/null 2>&1 || {
        apt-get update >/dev/null
        apt-get install -y "${missing[@]}"
    }
else
    echo "system-deps: missing ${missing[*]} and this is not a root Debian shell;" \
         "install them with: sudo apt-get install -y ${missing[*]}"
fi
