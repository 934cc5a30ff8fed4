"""Cases end to end: index corpus/ and every document the case labels name (the fast hashing
embedder: cases do not depend on the model), then score the service's cases and reference links
against the hand-labelled fixture (tests/data/cases/cases.json, tests/case_labels.py).

Targets (issue 18): step recall and precision >= 0.95, in-corpus references resolved >= 0.90.
Where a figure stays below its target the test asserts the figure reached as a floor (the misses
are named beside the floors below).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.case_labels import Case, Reference, load_cases, matches, score_cases, score_references, step_of

PROJECT = Path(__file__).resolve().parent.parent

# measured on this fixture (see the module docstring); raise them when the figures rise.
# Steps: recall 1.000 and precision 1.000 (73 labelled steps, 36 cases). References: the 4
# in-corpus ones resolved (1.000); none of the 21 references to meetings outside the corpora is
# linked (asserted too: score_references counts a link to a meeting not in the corpora as wrong).
STEP_RECALL_FLOOR = 0.95
STEP_PRECISION_FLOOR = 0.95
REFERENCE_FLOOR = 0.90


@pytest.fixture(scope="module")
def labelled():
    return load_cases()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, analyzer, labelled):
    from indexer.pipeline import Indexer
    from indexer.store.sqlite import SQLiteStore
    from models.embeddings import HashingEmbedder
    from motesok.config import Settings
    from search_api.service import RankingConfig, SearchService

    cases, references = labelled
    sources = {s.source for c in cases for s in (*c.steps, *c.not_steps)}
    sources |= {r.source for r in references} | {r.target.source for r in references if r.target}
    paths = sorted({PROJECT / "corpus"} | {PROJECT / s for s in sources})
    embedder = HashingEmbedder()
    store = SQLiteStore(tmp_path_factory.mktemp("cases-store"), embedding_model=embedder.name, dim=embedder.dim)
    summary = Indexer(store=store, analyzer=analyzer, embedder=embedder).run(paths)
    assert summary.failed == 0, summary.messages
    service = SearchService(store, analyzer, embedder, RankingConfig.from_settings(Settings()))
    yield store, service
    store.close()


def _sources(store) -> dict[str, str]:
    """document id -> the source path relative to the repository (what the labels write)."""
    return {doc_id: str(Path(source).resolve().relative_to(PROJECT))
            for source, (doc_id, _) in store.document_checksums().items()}


def predict_steps(store, service):
    sources = _sources(store)

    def predict(case: Case) -> list[dict]:
        steps: list[dict] = []
        for key in dict.fromkeys(k for raw in case.case_numbers for k in service.cases_for_number(raw, case.organisation)):
            record = service.case(key)
            for step in record.steps if record else []:
                steps.append({"source": sources[step.document_id], "paragraph": step.paragraph,
                              "paragraph_label": step.paragraph_label, "title": step.title,
                              "document_level": step.document_level})
        return steps

    return predict


def resolve_reference(store, service):
    sources = _sources(store)
    by_source: dict[str, list] = {}
    for doc_id, source in sources.items():
        by_source[source] = store.get_document(doc_id)[1]

    def resolve(ref: Reference) -> dict | None:
        citing = [i for i in by_source.get(ref.item.source, [])
                  if matches(ref.item, step_of({"source": ref.item.source, "paragraph": i.paragraph,
                                                "paragraph_label": i.paragraph_label, "title": i.title}))]
        wanted = " ".join(ref.text.split())
        for item in citing:
            for found in service.references(item):
                text = " ".join(found["text"].split())
                if found["target"] and (text in wanted or wanted in text):
                    target = store.get_items([found["target"]])[0]
                    return {"source": sources[target.document_id], "paragraph": target.paragraph,
                            "paragraph_label": target.paragraph_label, "title": target.title}
        return None

    return resolve


def test_case_steps_recall_and_precision(indexed, labelled):
    store, service = indexed
    cases, _ = labelled
    scores = score_cases(cases, predict_steps(store, service))
    report = [f"{f.case_id}: missed {[s.describe() for s in f.missed]}, extra "
              f"{[(e.get('source'), e.get('paragraph_label'), e.get('title', '')[:50]) for e in f.extra]}"
              for f in scores.failures]
    print(f"step recall {scores.recall:.3f}, precision {scores.precision:.3f} over {scores.labelled_steps} "
          f"labelled steps of {len(cases)} cases", *report, sep="\n")
    assert scores.recall >= STEP_RECALL_FLOOR, report
    assert scores.precision >= STEP_PRECISION_FLOOR, report


def test_references_resolved(indexed, labelled):
    store, service = indexed
    _, references = labelled
    share, failures = score_references(references, resolve_reference(store, service))
    report = [f"{ref.source}: {ref.text!r} -> {answer}" for ref, answer in failures]
    print(f"references resolved {share:.3f}", *report, sep="\n")
    assert share >= REFERENCE_FLOOR, report
    wrongly_linked = [f for f in failures if f[0].target is None]
    assert not wrongly_linked, report  # a meeting not in the corpora stays plain text
