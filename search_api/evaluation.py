"""Relevance evaluation over a query file in the format of ``shared/eval/dev_queries.jsonl``.

A hit is relevant when its item text contains one of the query's anchor phrases, compared
case-insensitively with runs of white space folded to one space.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from search_api.schemas import SearchParams

_FILTER_FIELDS = ("organisation", "body", "year", "topic", "doc_type")


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass
class QueryResult:
    id: str
    kind: str
    query: str
    rank: int | None  # 1-based rank of the first relevant hit within the first 10, else None


@dataclass
class EvalReport:
    mode: str
    results: list[QueryResult] = field(default_factory=list)

    @staticmethod
    def _metrics(results: list[QueryResult]) -> dict[str, float]:
        n = len(results) or 1
        return {
            "success@1": sum(r.rank == 1 for r in results) / n,
            "success@5": sum(r.rank is not None and r.rank <= 5 for r in results) / n,
            "mrr@10": sum(1 / r.rank for r in results if r.rank) / n,
        }

    def overall(self) -> dict[str, float]:
        return self._metrics(self.results)

    def by_kind(self) -> dict[str, dict[str, float]]:
        groups: dict[str, list[QueryResult]] = defaultdict(list)
        for r in self.results:
            groups[r.kind].append(r)
        return {kind: {**self._metrics(rs), "n": len(rs)} for kind, rs in sorted(groups.items())}

    def to_dict(self) -> dict:
        return {"mode": self.mode, "overall": self.overall(), "by_kind": self.by_kind(),
                "queries": [r.__dict__ for r in self.results]}


def load_queries(path: Path) -> list[dict]:
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                queries.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    return queries


def evaluate(service, queries: list[dict], mode: str = "hybrid") -> EvalReport:
    report = EvalReport(mode=mode)
    for q in queries:
        filters = {k: v if isinstance(v, list) else [v] for k, v in (q.get("filters") or {}).items()
                   if k in _FILTER_FIELDS}
        params = SearchParams(q=q["query"], mode=mode, limit=10, **filters)
        response = service.search(params)
        anchors = [_fold(a) for a in q["relevant"]]
        rank = next((i for i, hit in enumerate(response.hits, start=1)
                     if any(a in _fold(hit.title + "\n" + hit.text) for a in anchors)), None)
        report.results.append(QueryResult(q.get("id", ""), q.get("kind", ""), q["query"], rank))
    return report
