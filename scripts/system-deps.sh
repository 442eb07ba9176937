#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages named on the command line that are missing (the Makefile says
# which target needs which, and why). As root: apt-get update + install of the missing ones only.
# Otherwise: one line naming the apt-get command to run, exit status 1. Without dpkg (not Debian or
# Ubuntu) nothing can be checked: one line saying what to install, and the caller carries on.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 PACKAGE..." >&2; exit 2; }
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: no dpkg here; make sure these (Debian names) are installed: $*" >&2
  exit 0
fi
need=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing system packages; run: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
