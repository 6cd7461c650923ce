#!/usr/bin/env bash
# Run the whole test suite: lint, the migration check, then pytest on SQLite and on
# PostgreSQL. Extra arguments go to pytest (./test.sh -k audit -x). Exits non-zero if
# anything fails. With CI=true a missing PostgreSQL is a failure, not a warning.
set -uo pipefail
cd "$(dirname "$0")"

die() { echo "test.sh: $*" >&2; exit 1; }

# shellcheck source=scripts/find-python.sh
. scripts/find-python.sh

if [ ! -x .venv/bin/python ]; then
    python=$(find_python) || die "Python 3.11 or newer is needed."
    echo "Creating the virtual environment in .venv with $python..."
    "$python" -m venv .venv || die "could not create .venv (on Debian: apt-get install python3-venv)."
fi
stamp=.venv/.rekisteri-installed-dev
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ] || [ ! -x .venv/bin/pytest ]; then
    echo "Installing rekisteri with its test tools..."
    # Build-backend chatter goes to a log; it is shown only when the install fails.
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' >.venv/pip-install.log 2>&1; then
        cat .venv/pip-install.log >&2
        die "pip install failed (log above, also in .venv/pip-install.log)."
    fi
    echo "$wanted" > "$stamp"
fi

# Tests get a data directory of their own, so they never touch ./var.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export REKISTERI_DATA_DIR="$scratch"
unset REKISTERI_ENV DEBUG

failed=()
results=()
step() {
    local name=$1
    shift
    echo
    echo "=== $name"
    if "$@"; then
        results+=("PASS     $name")
    else
        results+=("FAIL     $name")
        failed+=("$name")
    fi
}

step "ruff check" .venv/bin/ruff check .
step "migrations match the models" env -u DATABASE_URL .venv/bin/rekisteri makemigrations --check --dry-run
step "pytest on SQLite" env -u DATABASE_URL .venv/bin/pytest "$@"

pg_url="${REKISTERI_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/rekisteri_test_main}"
pg_reachable() {
    .venv/bin/python - "$pg_url" <<'PY'
import sys

import dj_database_url
import psycopg

config = dj_database_url.parse(sys.argv[1])
try:
    psycopg.connect(host=config["HOST"] or None, port=config["PORT"] or None, user=config["USER"] or None,
                    password=config["PASSWORD"] or None, dbname="postgres", connect_timeout=3).close()
except psycopg.Error as exc:
    print(f"PostgreSQL at {config['HOST']}:{config['PORT']} is not reachable: {exc}".strip(), file=sys.stderr)
    sys.exit(1)
PY
}
if pg_reachable; then
    step "pytest on PostgreSQL" env DATABASE_URL="$pg_url" .venv/bin/pytest "$@"
elif [ "${CI:-}" = "true" ]; then
    results+=("FAIL     pytest on PostgreSQL (no server: CI=true requires one)")
    failed+=("PostgreSQL")
else
    results+=("SKIPPED  pytest on PostgreSQL (no server)")
    echo
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
    echo "!!  WARNING: PostgreSQL was SKIPPED: nothing answers at $(echo "$pg_url" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#')" >&2
    echo "!!  Start PostgreSQL or set REKISTERI_TEST_DATABASE_URL; .ci/run starts one itself." >&2
    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
fi

echo
echo "=== Summary"
printf '%s\n' "${results[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "All passed."
