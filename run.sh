#!/usr/bin/env bash
# Set up and start rekisteri on this machine in one go: a virtual environment, the package,
# an embedded SQLite database under ./var (or $REKISTERI_DATA_DIR), demo data, the production
# web server on http://127.0.0.1:8000 and the task worker. Safe to run again: every step is
# idempotent.
set -euo pipefail
cd "$(dirname "$0")"

die() { echo "run.sh: $*" >&2; exit 1; }

# shellcheck source=scripts/find-python.sh
. scripts/find-python.sh

if [ ! -x .venv/bin/python ]; then
    python=$(find_python) || die "Python 3.11 or newer is needed (tried python3.11, python3.12, python3.13, python3)."
    echo "Creating the virtual environment in .venv with $python..."
    # --upgrade-deps: the pip and setuptools that come with Python have known vulnerabilities.
    "$python" -m venv --upgrade-deps .venv || die "could not create .venv (on Debian: apt-get install python3-venv)."
fi

# Reinstall only when pyproject.toml changed since the last install (./test.sh's install, which
# adds the test tools, serves as well).
stamp=.venv/.rekisteri-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
installed() { [ -f "$1" ] && [ "$(cat "$1")" = "$wanted" ]; }
if ! { installed "$stamp" || installed .venv/.rekisteri-installed-dev; } || [ ! -x .venv/bin/rekisteri ]; then
    echo "Installing rekisteri and its dependencies..."
    # Build-backend chatter goes to a log; it is shown only when the install fails.
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip setuptools -e . >.venv/pip-install.log 2>&1; then
        cat .venv/pip-install.log >&2
        die "pip install failed (log above, also in .venv/pip-install.log)."
    fi
    echo "$wanted" > "$stamp"
fi

export REKISTERI_DATA_DIR="${REKISTERI_DATA_DIR:-$PWD/var}"
port="${REKISTERI_PORT:-8000}"
case "$port" in
    ''|*[!0-9]*) die "REKISTERI_PORT must be a port number, not '$port'." ;;
esac
# Links in mails (the portal's verification and download links) point at this server.
export REKISTERI_PUBLIC_URL="${REKISTERI_PUBLIC_URL:-http://127.0.0.1:$port}"
echo "Data directory: $REKISTERI_DATA_DIR"

echo "Migrating the database..."
# Both databases: `rekisteri migrate` migrates the key store's, then the register's.
.venv/bin/rekisteri migrate --no-input --verbosity 0
.venv/bin/rekisteri demo

echo
echo "rekisteri is starting on http://127.0.0.1:$port - log in with a demo login above."
if [ -z "${EMAIL_HOST:-}" ]; then
    echo "No mail server (EMAIL_HOST) is set: mail goes to the local mailbox in $REKISTERI_DATA_DIR/mailbox,"
    echo "shown under \"Lähetetyt viestit\" (Sent mail) at http://127.0.0.1:$port/mail/ to the privacy officer (tietosuoja)."
fi
echo
# The web server and, beside it, the worker that delivers the mail (retrying while a mail
# server is down) and runs the background tasks (the privacy officer's daily digest of due
# and overdue requests). Ctrl-C, a TERM or the server ending stops both.
.venv/bin/rekisteri worker --interval 2 &
worker=$!
.venv/bin/rekisteri serve --host 127.0.0.1 --port "$port" &
server=$!
trap 'kill "$server" "$worker" 2>/dev/null; wait' INT TERM EXIT
wait "$server"
