"""Requests the OpenSearch store sends per search and per index run (issue 20), counted on osmem-server.

    python bench/opensearch_round_trips.py [--files 10] [--batch 32]

Indexes the sample protocols (and Kungsbacka's, up to ``--files``) with the word-hashing embedder
through a client that records every call it forwards, then runs searches through ``SearchService``
and prints the calls each made. osmem-server has no kNN: a search carrying a kNN query is answered
here with no hits (the one thing not sent on), so hybrid searches count their round trips but
their vector leg finds nothing. Searches ask ``group=none`` where cases exist (grouping by case
reads the hits' case keys: one more search). Copy it into another checkout and run it there to compare.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

SEARCHES = [
    ("hybrid", "ambulanshelikopter", {}),
    ("hybrid", "vad beslutades om budget", {}),
    ("hybrid", "budget", {"body": ["Regionstyrelsen"]}),
    ("hybrid", "budget", {"body": ["Regionstyrelsen"], "year": [2021]}),
    ("hybrid", "budget", {"sort": "date"}),
    ("keyword", "tandvård för barn", {}),
    ("semantic", "kollektivtrafik", {}),
]


def _has_knn(body: Any) -> bool:
    return isinstance(body, dict) and "knn" in str(body.get("query", ""))[:20]


class Recording:
    """Forwards every call and records its name; kNN searches are answered with no hits (osmem has none)."""

    def __init__(self, target: Any, calls: list[str], prefix: str = ""):
        self._target, self.calls, self._prefix = target, calls, prefix

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name == "indices":
            return Recording(value, self.calls, "indices.")
        if name.startswith("_") or name == "transport" or not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(self._prefix + name)
            empty = {"hits": {"hits": [], "total": {"value": 0, "relation": "eq"}}, "status": 200}
            if name == "search" and _has_knn(kwargs.get("body")):
                return empty
            if name == "msearch":
                lines = kwargs["body"]
                bodies = lines[1::2]
                sent = [(i, b) for i, b in enumerate(bodies) if not _has_knn(b)]
                answers: list[Any] = [empty] * len(bodies)
                if sent:
                    kept = [line for i, b in sent for line in (lines[2 * i], b)]
                    for (i, _), response in zip(sent, value(*args, **{**kwargs, "body": kept})["responses"]):
                        answers[i] = response
                return {"responses": answers}
            return value(*args, **kwargs)

        return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32, help="documents per batch (where the index run batches)")
    args = parser.parse_args()

    import opensearchpy
    from osmem_server import OsmemServer

    from indexer.pipeline import Indexer
    from indexer.store.opensearch import OpenSearchStore
    from models.analysis import get_analyzer
    from models.embeddings import HashingEmbedder
    from motesok.config import Settings
    from search_api.schemas import SearchParams
    from search_api.service import RankingConfig, SearchService

    corpus = ROOT / "corpus"
    files = (sorted(corpus.glob("*.txt")) + sorted((corpus / "extra").glob("kungsbacka*.txt")))[: args.files]
    server = OsmemServer.start(seed=[], freeze=True)
    clone = server.clone()
    try:
        calls: list[str] = []
        embedder = HashingEmbedder()
        client = Recording(opensearchpy.OpenSearch(hosts=[clone.url]), calls)
        store = OpenSearchStore(client, alias="motesok-bench", url=clone.url, embedding_model=embedder.name,
                                dim=embedder.dim, delete_grace_s=0)
        analyzer = get_analyzer()
        indexer = Indexer(store=store, analyzer=analyzer, embedder=embedder)
        if hasattr(indexer, "batch_documents"):
            indexer.batch_documents = args.batch
        calls.clear()
        summary = indexer.run(files)
        print(f"index run: {summary.new} files, {summary.items} items, {summary.passages} passages: "
              f"{len(calls)} requests {dict(Counter(calls))}")
        service = SearchService(store, analyzer, embedder, RankingConfig.from_settings(Settings()))
        service.search(SearchParams(q="budget"))  # the refresh after the writes
        for mode, q, extra in SEARCHES:
            calls.clear()
            grouping = {"group": "none"} if "group" in SearchParams.model_fields else {}  # as before cases
            response = service.search(SearchParams(q=q, mode=mode, **grouping, **extra))
            print(f"{mode:8} {q!r} {extra or ''}: {len(calls)} requests {dict(Counter(calls))}, total {response.total}")
        store.close()
    finally:
        clone.close()
        server.close()


if __name__ == "__main__":
    main()
