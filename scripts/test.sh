#!/usr/bin/env bash
# Install everything the tests need and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh test
# The browser test drives Debian's chromium (playwright never downloads a browser here).
# (install.sh above installed the OCR packages, which test_ocr needs.)
if ! command -v chromium >/dev/null; then
  scripts/debian-packages.sh chromium
fi
. .venv/bin/activate
exec python -m pytest "$@"
