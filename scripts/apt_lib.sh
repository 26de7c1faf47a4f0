# Shared by bootstrap.sh and test_deps.sh (sourced): which Debian packages are missing, and
# installing them as root. Callers decide what a missing package means when not root.

# missing_packages PKG... : prints the ones not installed, one per line
missing_packages() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
    done
}

# can_install: true when we may install system packages ourselves (root with apt-get)
can_install() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

# apt_install PKG... : quiet, no recommends (root only)
apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
