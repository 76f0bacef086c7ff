#!/usr/bin/env bash
# Install what the tests need (if missing), then run the whole test suite.
#
#   scripts/test.sh [extra cargo test arguments]
#
# The tests run real programs: nmh (in /usr/bin/mh), openssl (test
# certificates for the login front end), systemd-socket-activate (socket
# activation of asimap-login), strace (crash and race tests inject faults),
# useradd/chpasswd (test users) and prlimit/setpriv (util-linux). Missing Debian packages are installed with
# apt-get, as root or through sudo. A tool that is still missing afterwards
# stops the run here, loudly, instead of letting tests skip.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PACKAGES=(nmh openssl systemd strace passwd util-linux)

missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing missing packages: ${missing[*]}" >&2
    if [ "$(id -u)" = 0 ]; then
        SUDO=()
    elif command -v sudo >/dev/null; then
        SUDO=(sudo)
    else
        echo "test.sh: not root and no sudo: install ${missing[*]} by hand" >&2
        exit 1
    fi
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Fail loudly if a tool the tests run is still not there.
for tool in /usr/bin/mh/inc /usr/bin/mh/scan /usr/bin/mh/mark \
            /usr/bin/mh/folder /usr/bin/mh/sortm /usr/bin/mh/refile \
            /usr/bin/mh/rmm /usr/bin/openssl /usr/bin/systemd-socket-activate \
            /usr/bin/strace /usr/sbin/useradd /usr/sbin/chpasswd /usr/bin/prlimit \
            /usr/bin/setpriv; do
    if [ ! -x "$tool" ]; then
        echo "test.sh: $tool is missing; the tests cannot run without it" >&2
        exit 1
    fi
done
command -v cargo >/dev/null || { echo "test.sh: cargo is not on PATH" >&2; exit 1; }

cd "$ROOT"
exec cargo test --all-targets "$@"
