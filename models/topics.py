"""Topics: each item gets zero to three labels from an editable taxonomy (``topics.yaml``).

Score per topic = cosine(item, topic description) + a bonus for keyword cues. The description
is embedded as a *query* and the item's passages as passages (e5's asymmetric use), and the
item vector is the mean of its passage vectors. Cues catch what a short item says in one word
("Läkemedel") that the embedding of a long description may not weigh enough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import yaml


class Item(Protocol):
    """What topics read of an agenda item (``indexer.records.Item`` has it; models sit below the
    indexer, so they name the shape, not the class)."""

    title: str
    text: str


@dataclass(frozen=True)
class Topic:
    label: str
    description: str
    cues: tuple[str, ...]


class TopicFileError(ValueError):
    """The taxonomy file is missing or malformed."""


def load_topics(path: Path) -> list[Topic]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TopicFileError(f"{path}: cannot read the topic taxonomy: {exc}") from exc
    entries = (data or {}).get("topics") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise TopicFileError(f"{path}: expected a 'topics:' list")
    topics = []
    for n, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not entry.get("label") or not entry.get("description"):
            raise TopicFileError(f"{path}: topic {n} needs a label and a description")
        topics.append(Topic(str(entry["label"]), str(entry["description"]),
                            tuple(str(c).lower() for c in entry.get("cues") or ())))
    return topics


@dataclass
class TopicClassifier:
    topics: list[Topic]
    vectors: np.ndarray  # (n_topics, dim), one per description
    max_topics: int = 3
    min_score: float = 0.82  # calibrated on tests/data/topics_labelled.jsonl
    margin: float = 0.03  # keep topics within this of the best one
    cue_bonus: float = 0.04  # per distinct cue, up to max_cues
    max_cues: int = 2

    @classmethod
    def from_file(cls, path: Path, embedder, **params) -> TopicClassifier:
        topics = load_topics(path)
        vectors = np.stack([embedder.embed_query(f"{t.label}: {t.description}") for t in topics])
        return cls(topics, vectors, **params)

    def __post_init__(self) -> None:
        self._cue_patterns = [
            re.compile("|".join(r"(?<!\w)" + re.escape(c) for c in t.cues), re.IGNORECASE) if t.cues else None
            for t in self.topics
        ]

    def scores(self, item: Item, passage_vectors: np.ndarray) -> np.ndarray:
        text = f"{item.title}\n{item.text}"
        if len(passage_vectors):
            mean = passage_vectors.mean(axis=0)
            mean = mean / (np.linalg.norm(mean) or 1.0)
            similarity = self.vectors @ mean
        else:
            similarity = np.zeros(len(self.topics), dtype=np.float32)
        bonus = np.array([
            min(len({m.group(0).lower() for m in p.finditer(text)}), self.max_cues) * self.cue_bonus if p else 0.0
            for p in self._cue_patterns
        ])
        return similarity + bonus

    def assign(self, item: Item, passage_vectors: np.ndarray) -> list[str]:
        scores = self.scores(item, passage_vectors)
        order = np.argsort(-scores)
        best = scores[order[0]]
        chosen = [self.topics[i].label for i in order[: self.max_topics]
                  if scores[i] >= self.min_score and scores[i] >= best - self.margin]
        return chosen
