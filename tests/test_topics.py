"""Topics: every sample item gets 0–3 labels from the taxonomy; accuracy on a hand-labelled set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.topics import TopicFileError, load_topics
from tests.conftest import PROJECT

LABELLED = PROJECT / "tests" / "data" / "topics_labelled.jsonl"
TAXONOMY = PROJECT / "models" / "topics.yaml"


def test_taxonomy_size_and_shape():
    topics = load_topics(TAXONOMY)
    assert 15 <= len(topics) <= 25
    assert len({t.label for t in topics}) == len(topics)


def test_malformed_taxonomy_is_a_clear_error(tmp_path):
    bad = tmp_path / "topics.yaml"
    bad.write_text("topics: [{label: X}]", encoding="utf-8")
    with pytest.raises(TopicFileError, match="needs a label and a description"):
        load_topics(bad)


def test_topics_on_the_labelled_set(indexed_corpus):
    store, _ = indexed_corpus
    labels = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(labels) >= 40
    sources = {Path(s).name: doc_id for s, (doc_id, _) in store.document_checksums().items()}
    hits = any_hit = assigned_total = 0
    for entry in labels:
        items = store.get_document(sources[entry["file"]])[1]
        assigned = items[entry["position"]].topics
        assert len(assigned) <= 3
        assigned_total += len(assigned)
        any_hit += bool(set(assigned) & set(entry["topics"]))
        hits += bool(assigned) and assigned[0] in entry["topics"]
    top1, anyacc = hits / len(labels), any_hit / len(labels)
    print(f"\ntopics on {len(labels)} labelled items: top-1 accuracy {top1:.2f}, "
          f"any-label accuracy {anyacc:.2f}, {assigned_total / len(labels):.1f} topics per item")
    assert anyacc >= 0.7 and top1 >= 0.5


def test_every_sample_item_is_classified(indexed_corpus):
    store, _ = indexed_corpus
    for _, (doc_id, _) in store.document_checksums().items():
        for item in store.get_document(doc_id)[1]:
            assert len(item.topics) <= 3
    assert sum(bool(i.topics) for s in store.document_checksums().values() for i in store.get_document(s[0])[1]) > 0
