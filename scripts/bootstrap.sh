#!/usr/bin/env bash
# Shared set-up behind `make demo` and `make test`: system packages, .venv, the project.
# Idempotent: each step checks before it acts. As root (CI, a fresh container) it installs missing
# Debian/Ubuntu packages itself; as an ordinary user it prints the one apt-get line to run.
set -euo pipefail
VENV="${1:-.venv}"

say() { printf 'setup: %s\n' "$*" >&2; }

# -- Python >= 3.11 with venv support
PY=""
for cand in python3.13 python3.12 python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        PY="$(command -v "$cand")"; break
    fi
done
if [ -z "$PY" ]; then
    say "wall needs Python 3.11 or newer (found: $(python3 --version 2>&1 || echo none))."
    say "On Debian 12 / Ubuntu 24.04: sudo apt-get install -y python3 python3-venv"
    exit 1
fi
PYVER="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"

# -- system packages: Mesa's EGL and OpenGL drivers (llvmpipe without a GPU), X11 client libraries
need=()
# shellcheck source=scripts/apt_lib.sh
. "$(dirname "$0")/apt_lib.sh"
have_pkg() { [ -z "$(missing_packages "$1")" ]; }
if command -v dpkg-query >/dev/null 2>&1; then
    # Mesa EGL/GL (headless and windows), and the X11 libraries pyglet loads for desktop windows
    for pkg in libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libx11-6 libxrandr2 libxinerama1 libxxf86vm1 libxi6 libxcursor1; do
        have_pkg "$pkg" || need+=("$pkg")
    done
    if [ ! -x "$VENV/bin/python" ] && ! "$PY" -c 'import ensurepip' >/dev/null 2>&1; then
        if have_pkg "python${PYVER}-venv" || have_pkg python3-venv; then :; else need+=("python${PYVER}-venv"); fi
    fi
else
    # not Debian/Ubuntu: check the libraries themselves
    for lib in libEGL.so.1 libGL.so.1; do
        ldconfig -p 2>/dev/null | grep -q "$lib" || need+=("$lib")
    done
fi
if [ "${#need[@]}" -gt 0 ]; then
    if can_install; then
        say "installing system packages: ${need[*]}"
        apt_install "${need[@]}"
    else
        say "missing system packages: ${need[*]}"
        say "install them with:  sudo apt-get install -y ${need[*]}"
        exit 1
    fi
fi

# -- the virtual environment and the project (editable: assets, shaders and layouts stay in place)
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV with $PY ($PYVER)"
    "$PY" -m venv "$VENV"
fi
say "installing wall and its test tools into $VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
say "ready"
