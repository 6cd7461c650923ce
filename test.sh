#!/usr/bin/env bash
# Run the whole test suite: lint, the import contracts, the migration check, then pytest on
# SQLite and on PostgreSQL side by side. Extra arguments go to pytest (./test.sh -k audit -x).
# Exits non-zero if anything fails. With CI=true a missing PostgreSQL is a failure, not a
# warning. REKISTERI_THOROUGH=1 gives the property tests their full number of examples.
set -uo pipefail
cd "$(dirname "$0")"

die() { echo "test.sh: $*" >&2; exit 1; }

# shellcheck source=scripts/find-python.sh
. scripts/find-python.sh

if [ ! -x .venv/bin/python ]; then
    python=$(find_python) || die "Python 3.11 or newer is needed."
    echo "Creating the virtual environment in .venv with $python..."
    # --upgrade-deps: the pip and setuptools that come with Python have known vulnerabilities.
    "$python" -m venv --upgrade-deps .venv || die "could not create .venv (on Debian: apt-get install python3-venv)."
fi
stamp=.venv/.rekisteri-installed-dev
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ] || [ ! -x .venv/bin/pytest ]; then
    echo "Installing rekisteri with its test tools..."
    # Build-backend chatter goes to a log; it is shown only when the install fails.
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools -e '.[dev]' >.venv/pip-install.log 2>&1; then
        cat .venv/pip-install.log >&2
        die "pip install failed (log above, also in .venv/pip-install.log)."
    fi
    echo "$wanted" > "$stamp"
fi

# The outcome of every test goes to the results file the promise map's page reads (the
# register's default data directory, ./var, unless REKISTERI_TEST_RESULTS_FILE says otherwise).
# (its directory is made, mode 700, by the first run that writes it)
export REKISTERI_TEST_RESULTS_FILE="${REKISTERI_TEST_RESULTS_FILE:-$PWD/var/test-results.json}"
# Tests get a data directory of their own, so they never touch ./var (beyond that file).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export REKISTERI_DATA_DIR="$scratch"
unset REKISTERI_ENV DEBUG
# Compiled modules are kept (__pycache__, ignored by git) even where the environment says
# otherwise: collecting the suite with its assertion-rewritten test modules costs about 13 s
# of CPU per pass when compiled afresh and 5 s when the compiled files are there, and every
# CLI subprocess of the tests compiles rekisteri again without them.
unset PYTHONDONTWRITEBYTECODE

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
step "ruff format" .venv/bin/ruff format --check .
step "import contracts (layout)" .venv/bin/lint-imports
step "migrations match the models" env -u DATABASE_URL .venv/bin/rekisteri makemigrations --check --dry-run
# pip-audit where its service answers, else the committed advisory snapshot (it says which).
step "dependency audit" .venv/bin/python scripts/audit-dependencies
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

# The two passes run side by side, one per core, each with a data directory of its own; the
# PostgreSQL pass runs only the tests whose outcome can depend on the database (conftest.py).
# Their output is shown one after the other once both are done.
run_pass() {
    local name=$1 log=$2 data_dir=$3
    shift 3
    mkdir -p -m 700 "$data_dir"
    local started=$SECONDS
    # A pytest temporary directory of its own too: two runs at once must not share one.
    if env REKISTERI_DATA_DIR="$data_dir" PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-} --basetemp=$data_dir/pytest" \
        "$@" >"$log" 2>&1; then
        echo "PASS $((SECONDS - started))" >"$log.status"
    else
        echo "FAIL $((SECONDS - started))" >"$log.status"
    fi
}
show_pass() {
    local name=$1 log=$2
    echo
    echo "=== $name"
    cat "$log"
    read -r outcome seconds <"$log.status"
    if [ "$outcome" = PASS ]; then
        results+=("PASS     $name (${seconds} s)")
    else
        results+=("FAIL     $name (${seconds} s)")
        failed+=("$name")
    fi
}

echo
echo "=== pytest on SQLite and on PostgreSQL, side by side"
run_pass "pytest on SQLite" "$scratch/sqlite.log" "$scratch/sqlite" \
    env -u DATABASE_URL .venv/bin/pytest "$@" &
sqlite_pid=$!
pg_state=skipped
if pg_reachable; then
    pg_state=run
    run_pass "pytest on PostgreSQL" "$scratch/postgresql.log" "$scratch/postgresql" \
        env DATABASE_URL="$pg_url" .venv/bin/pytest "$@" &
    pg_pid=$!
fi
wait "$sqlite_pid"
show_pass "pytest on SQLite" "$scratch/sqlite.log"
if [ "$pg_state" = run ]; then
    wait "$pg_pid"
    show_pass "pytest on PostgreSQL" "$scratch/postgresql.log"
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
