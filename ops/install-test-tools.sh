#!/usr/bin/env bash
# The tools the test suite drives for real: redis-server, Debian's chromium, node and npm.
# Installs the missing ones with apt-get when running as root; otherwise fails
# saying what to install. Never downloads a browser of its own.
set -euo pipefail

declare -A package=([redis-server]=redis-server [chromium]=chromium [node]=nodejs [npm]=npm)
declare -A path=([redis-server]=redis-server [chromium]=/usr/bin/chromium [node]=node [npm]=npm)

missing=()
for tool in redis-server chromium node npm; do
    command -v "${path[$tool]}" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0

packages=()
for tool in "${missing[@]}"; do packages+=("${package[$tool]}"); done
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing for the tests: ${missing[*]}." >&2
    echo "Install them, e.g.: sudo apt-get install ${packages[*]}" >&2
    exit 1
fi
echo "Installing ${packages[*]} with apt-get..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
for tool in "${missing[@]}"; do
    command -v "${path[$tool]}" >/dev/null 2>&1 || { echo "could not install $tool" >&2; exit 1; }
done
