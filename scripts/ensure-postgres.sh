#!/usr/bin/env bash
# Make sure the PostgreSQL 15 server binaries the test suite uses are installed.
# Installs Debian's postgresql-15 when they are missing; never starts a server
# (tests/support/postgres.py starts a throwaway one). Quiet when already installed.
set -euo pipefail

PG_BIN="${PMBOT_PG_BIN:-/usr/lib/postgresql/15/bin}"

have_binaries() {
    [[ -x "$PG_BIN/initdb" && -x "$PG_BIN/pg_ctl" ]]
}

if have_binaries; then
    exit 0
fi

echo "ensure-postgres: $PG_BIN/initdb or pg_ctl missing; installing postgresql-15" >&2

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-postgres: apt-get not found; install PostgreSQL 15 server binaries into $PG_BIN (or set PMBOT_PG_BIN)" >&2
    exit 1
fi

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "ensure-postgres: not root and sudo is unavailable; cannot install postgresql-15" >&2
        exit 1
    fi
}

# The package's maintainer scripts would start the default cluster they create; the tests
# never use it. When no policy-rc.d exists, add a temporary one that forbids starting services.
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e "$POLICY" ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY" >/dev/null
    as_root chmod +x "$POLICY"
    trap 'as_root rm -f "$POLICY"' EXIT
fi

as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null

if ! have_binaries; then
    echo "ensure-postgres: postgresql-15 installed but $PG_BIN/initdb or pg_ctl still missing" >&2
    exit 1
fi
echo "ensure-postgres: installed PostgreSQL 15 server binaries in $PG_BIN" >&2
