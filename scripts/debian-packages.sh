#!/usr/bin/env bash
# Install Debian packages that are not installed yet (dpkg -s first; one apt-get update per call).
# Usage: scripts/debian-packages.sh PACKAGE...
# Without apt-get, or when it fails, it says what is missing and exits 1: the caller decides
# whether that stops it (the OCR packages do not: scanned PDFs are then refused, saying why).
set -uo pipefail
missing=()
for package in "$@"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "debian-packages: no apt-get here; install ${missing[*]} yourself" >&2
  exit 1
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "debian-packages: installing ${missing[*]}" >&2
$SUDO apt-get update -qq \
  && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
  || { echo "debian-packages: could not install ${missing[*]}" >&2; exit 1; }
