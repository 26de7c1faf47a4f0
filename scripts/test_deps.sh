#!/usr/bin/env bash
# System packages the tests need beyond `make setup`'s: a real X server with six monitors (Xorg's
# dummy driver) for the window tests, and Chromium for the web console's browser tests (Playwright
# drives Debian's build: it cannot download its own here). As root (CI, a fresh container) missing
# packages are installed; as an ordinary user we print the one line that enables those tests, which
# then skip. redis-server: the tests of a room over several machines start their own on a loopback port
# (the packaged service is never enabled by this script).
set -euo pipefail
say() { printf 'test setup: %s\n' "$*" >&2; }
PKGS=(xserver-xorg-core xserver-xorg-video-dummy x11-xserver-utils x11-utils xdotool chromium redis-server)
command -v dpkg-query >/dev/null 2>&1 || { say "not Debian/Ubuntu: the window tests need Xorg with the dummy driver, xrandr and xwininfo; the console tests /usr/bin/chromium"; exit 0; }
# shellcheck source=scripts/apt_lib.sh
. "$(dirname "$0")/apt_lib.sh"
mapfile -t need < <(missing_packages "${PKGS[@]}")
[ "${#need[@]}" -eq 0 ] && exit 0
if can_install; then
    say "installing ${need[*]} (the six-monitor X server of the window tests, Chromium for the console tests, redis-server for the hub and node tests)"
    apt_install "${need[@]}"
else
    say "the window, console (or hub and node) tests will be skipped: they need ${need[*]}"
    say "enable them with:  sudo apt-get install -y ${need[*]}   (and run the tests as root: Xorg's dummy driver)"
fi
