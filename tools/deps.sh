#!/bin/sh
# Installs the Debian 12 packages capmon needs to build and test, when missing.
set -eu
pkgs="meson ninja-build pkg-config gcc g++ libjansson-dev libsimdjson-dev libncurses-dev libwebsockets-dev
libssl-dev openssl python3 python3-websockets tmux curl valgrind clang libclang-rt-14-dev
clang-format python3-prometheus-client redis-server redis-tools libhiredis-dev
python3-redis prometheus prometheus-alertmanager jq
debhelper dpkg-dev fakeroot lintian libunistring-dev iso-codes tzdata"
missing=""
for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
