#!/usr/bin/env bash
# Everything `make test` checks, against the real services wherever they are.
#
#   CI=true  PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/merchant_kyc),
#            Redis (127.0.0.1:6379), moto_server and Chromium are mandatory: a missing one
#            stops the run here with a non-zero exit.
#   else     PostgreSQL and Redis are used when they answer; what is missing is named, the rest
#            runs on SQLite with in-process tasks, and pytest -rfEs lists every skipped test.
#
# Steps: ruff (lint and format), mypy, makemigrations --check, check --deploy on production settings, the unit tests
# in parallel (pytest-xdist), then the integration and browser tests in one serial run, then
# every bench at its --smoke size (bench/smoke.py; not when pytest arguments narrow the run).
# Every step runs even if an earlier one failed; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
if [ ! -x "$PY" ]; then
    echo "test: $PY is missing; run 'make install' (or 'make test', which does it) first" >&2
    exit 2
fi

case "$(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]')" in
    1 | true | yes) IN_CI=1 ;;
    *) IN_CI=0 ;;
esac

DEFAULT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/merchant_kyc"
REDIS_CHECK_URL="redis://127.0.0.1:6379/15"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
RESULTS=var/test-results
mkdir -p "$RESULTS" "${VAR_DIR:-var}/staticfiles"  # WhiteNoise warns on every request without it
rm -f "$RESULTS"/*.xml

# Tests configure their own broker and storage; a developer's shell must not leak into them
# (unit tests run tasks in-process and store files in a temporary folder).
unset CELERY_BROKER_URL S3_BUCKET S3_ENDPOINT_URL S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY S3_PREFIX
unset DJANGO_SETTINGS_MODULE

say() { printf '%s\n' "$*"; }
hr() { say "== $* =="; }

# ------------------------------------------------------------------------------ services
hr "Services (CI=$([ $IN_CI = 1 ] && echo true || echo false))"
declare -A HAVE=()
MISSING=()

check() {  # check KEY LABEL ARGS... : runs scripts/check_services.py, records the outcome
    local key=$1 label=$2
    shift 2
    local out
    if out=$("$PY" scripts/check_services.py "$@" 2>&1); then
        HAVE[$key]=1
        say "  $label: yes ($out)"
    else
        HAVE[$key]=0
        MISSING+=("$label: $out")
        say "  $label: MISSING ($out)"
    fi
}

if [ $IN_CI = 1 ]; then
    export DATABASE_URL="${DATABASE_URL:-$DEFAULT_DATABASE_URL}"
fi
if [ -n "${DATABASE_URL:-}" ]; then
    case "$DATABASE_URL" in
        postgres://* | postgresql://*) check postgres PostgreSQL postgres "$DATABASE_URL" ;;
        *)
            HAVE[postgres]=0
            MISSING+=("PostgreSQL: DATABASE_URL is not a postgres:// URL ($DATABASE_URL)")
            say "  PostgreSQL: not used (DATABASE_URL=$DATABASE_URL)"
            ;;
    esac
    if [ $IN_CI = 0 ] && [ "${HAVE[postgres]}" = 0 ] \
        && [[ "$DATABASE_URL" == postgres* ]]; then
        say "FAILED: DATABASE_URL is set to a PostgreSQL that does not answer." >&2
        say "        Unset it to run on PostgreSQL at the default address or on SQLite." >&2
        exit 2
    fi
else
    # Not in CI and nothing configured: PostgreSQL at the usual address if it answers.
    if "$PY" scripts/check_services.py postgres "$DEFAULT_DATABASE_URL" >/dev/null 2>&1; then
        export DATABASE_URL="$DEFAULT_DATABASE_URL"
        check postgres PostgreSQL postgres "$DATABASE_URL"
    else
        HAVE[postgres]=0
        MISSING+=("PostgreSQL: nothing answers at $DEFAULT_DATABASE_URL")
        say "  PostgreSQL: MISSING (nothing answers at $DEFAULT_DATABASE_URL): using SQLite"
    fi
fi
check redis Redis redis "$REDIS_CHECK_URL"
check moto moto_server moto
check chromium Chromium chromium "$CHROMIUM"

if [ ${#MISSING[@]} -gt 0 ]; then
    if [ $IN_CI = 1 ]; then
        say "" >&2
        say "FAILED: CI=true requires every real service, and these are missing:" >&2
        for item in "${MISSING[@]}"; do say "  - $item" >&2; done
        exit 3
    fi
    say "  Not in CI: tests needing the missing services are skipped (pytest lists each one and why)."
fi
say "  Database for the tests: ${DATABASE_URL:-SQLite (in memory)}"

# ------------------------------------------------------------------------------ steps
STEP_NAMES=()
PYTEST_EMPTY=0
EXTRA_ARGS=$([ $# -gt 0 ] && echo 1 || echo 0)
STEP_RESULTS=()
STEP_TIMES=()
FAILED=0

run_step() {  # run_step NAME CMD... : runs a step, records ok/FAILED and its duration
    local name=$1
    shift
    hr "$name"
    local start=$SECONDS rc
    "$@"
    rc=$?
    local result=ok
    if [ $rc -eq 5 ] && [[ "$name" == pytest* ]]; then
        PYTEST_EMPTY=$((PYTEST_EMPTY + 1))
        if [ $EXTRA_ARGS = 1 ]; then
            result="ok (none selected)"  # e.g. `scripts/test.sh tests/kyc`: judged below
        else
            say "FAILED: pytest collected no tests (exit 5)" >&2
            result="FAILED (no tests)"
        fi
    elif [ $rc -ne 0 ]; then
        result="FAILED (exit $rc)"
    fi
    [[ "$result" == ok* ]] || FAILED=1
    STEP_NAMES+=("$name")
    STEP_RESULTS+=("$result")
    STEP_TIMES+=("$((SECONDS - start))")
}

deploy_check() {
    # A throwaway key of 50 characters: production settings refuse to load without one.
    local key
    key=$("$PY" -c 'import secrets; print(secrets.token_urlsafe(64)[:50])')
    SECRET_KEY="$key" ALLOWED_HOSTS="kyc.example.com" \
        "$PY" manage.py check --deploy --settings=config.settings.production --fail-level WARNING
}

TOTAL_START=$SECONDS
run_step "ruff check" .venv/bin/ruff check .
run_step "ruff format --check" .venv/bin/ruff format --check .
run_step "mypy" .venv/bin/mypy .
run_step "makemigrations --check" \
    env DJANGO_SETTINGS_MODULE=config.settings.test "$PY" manage.py makemigrations --check --dry-run
run_step "check --deploy (production settings)" deploy_check
# Unit tests in parallel: pytest-django gives each xdist worker its own test database
# (test_<name>_gw0, _gw1), so they never collide with each other or with the serial run
# below (test_<name>).
run_step "pytest unit (-n ${PYTEST_WORKERS:-2})" \
    "$PY" -m pytest -n "${PYTEST_WORKERS:-2}" -m "not integration and not e2e" -rfEs \
    --junitxml="$RESULTS/unit.xml" "$@"
# A real Celery worker, moto_server and a browser: one at a time, never in parallel.
run_step "pytest integration + e2e (serial)" \
    "$PY" -m pytest -p no:xdist -m "integration or e2e" -rfEs \
    --junitxml="$RESULTS/integration.xml" "$@"

# Every bench at its smoke size (seconds each), so a bench that breaks fails the build; the
# figures come from full runs (docs/performance.md). Each bench uses a database of its own on
# DATABASE_URL's server and only 127.0.0.1; the SDN list is read from ../shared/data.
if [ $EXTRA_ARGS = 0 ]; then
    run_step "bench smoke (every bench, --smoke)" "$PY" bench/smoke.py
else
    say "== bench smoke: not run (pytest arguments given; run bench/smoke.py for it) =="
fi

if [ "$PYTEST_EMPTY" -ge 2 ]; then
    say "FAILED: no pytest run executed a single test (exit 5 twice)" >&2
    FAILED=1
fi

# ------------------------------------------------------------------------------ summary
hr "Summary"
for i in "${!STEP_NAMES[@]}"; do
    printf '  %-40s %-22s %4ss\n' "${STEP_NAMES[$i]}" "${STEP_RESULTS[$i]}" "${STEP_TIMES[$i]}"
done
say "  services: PostgreSQL=${HAVE[postgres]} Redis=${HAVE[redis]} moto=${HAVE[moto]}" \
    "Chromium=${HAVE[chromium]} (1 = used, 0 = missing: its tests were skipped)"
say "  total time: $((SECONDS - TOTAL_START))s"
if [ $FAILED -ne 0 ]; then
    say "test run FAILED (see the steps above)" >&2
fi
"$PY" scripts/junit_summary.py "$RESULTS/unit.xml" "$RESULTS/integration.xml"
exit $FAILED
