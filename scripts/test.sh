#!/usr/bin/env bash
# Install everything the tests need, run the checks (ruff, mypy, the import contracts) and the
# whole suite. This is what CI's .ci/run calls.
#
#   scripts/test.sh [pytest args]          everything, as CI
#   scripts/test.sh --fast [pytest args]   the unit tier only: no real model, browser, other
#                                          processes or whole corpora (tiers: tests/conftest.py),
#                                          no checks, no install once .venv exists — under a minute
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--fast" ]; then
  shift
  [ -x .venv/bin/pytest ] || scripts/install.sh test
  exec .venv/bin/python -m pytest -q -m "not model and not browser and not system and not corpus" "$@"
fi
scripts/install.sh test
# The browser test drives Debian's chromium (playwright never downloads a browser here).
# (install.sh above installed the OCR packages, which test_ocr needs.)
if ! command -v chromium >/dev/null; then
  scripts/debian-packages.sh chromium
fi
. .venv/bin/activate
# Checks first (settings in pyproject.toml): lint, types, layers.
ruff check .
mypy
lint-imports --no-cache
exec python -m pytest "$@"
