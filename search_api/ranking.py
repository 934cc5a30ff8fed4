"""How the search legs are drawn and fused: the ranking's settings and their defaults.

A module of its own, with no imports, so the shell's settings read their defaults from here
(each written once) without loading the search service.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

Fusion = Literal["evidence", "relative", "rrf"]


@dataclass(frozen=True)
class RankingConfig:
    """How the legs are drawn and fused (tuned on the dev queries; the settings' defaults)."""

    fusion: Fusion = "evidence"
    rrf_k: int = 10
    keyword_weight: float = 2.0
    vector_weight: float = 1.0
    keyword_candidates: int = 1000
    vector_candidates: int = 100
    vector_min_z: float = 3.0
    keyword_min_share: float = 0.75
    decision_boost: float = 0.5
    query_cache_size: int = 1024

    @classmethod
    def from_settings(cls, settings: Any) -> RankingConfig:
        """The fields of the same names on a settings object (``motesok.config.Settings``)."""
        return cls(**{f.name: getattr(settings, f.name) for f in fields(cls)})


#: the defaults, as the shell's settings declare them
DEFAULT_RANKING = RankingConfig()
