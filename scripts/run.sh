#!/usr/bin/env bash
# The main job: install, index corpus/ into the embedded store, serve on 127.0.0.1:8000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
. .venv/bin/activate
motesok index corpus/ --prune
exec motesok serve --host "${MOTESOK_HOST:-127.0.0.1}" --port "${MOTESOK_PORT:-8000}"
