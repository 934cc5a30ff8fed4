"""Relevance evaluation over query files in the formats of ``shared/eval/``.

- Ranked queries (``dev_queries.jsonl``, ``hard_queries.jsonl``): success@1, success@5 and
  MRR@10 of the first relevant hit.
- Full judgments (``full_judgments.jsonl``: ``relevant`` lists every relevant item, one anchor
  each): the whole reported result *set* is judged: result-set recall (anchors found among all
  reported items), precision (share of reported items that are relevant) and the median total.

A hit is relevant when its title or text contains one of the query's anchor phrases, compared
case-insensitively with runs of white space folded to one space and HTML tags such as ``<br>``
replaced by a space first.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from indexer.store.facets import FACET_FIELDS
from search_api.schemas import SearchParams

#: the most items a full-judgment search may report that are all read back and judged
MAX_JUDGED = 5000
_TAG = re.compile(r"<[^>]{0,40}>")


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", _TAG.sub(" ", text)).strip().casefold()


@dataclass
class QueryResult:
    id: str
    kind: str
    query: str
    rank: int | None  # 1-based rank of the first relevant hit within the first 10, else None


@dataclass
class SetResult:
    """One fully judged query: how many items were reported and how many of them are relevant."""

    id: str
    kind: str
    query: str
    total: int
    relevant_reported: int  # reported items holding any anchor
    anchors: int
    anchors_found: int  # anchors occurring in some reported item
    missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.anchors_found / self.anchors if self.anchors else 1.0

    @property
    def precision(self) -> float:
        return self.relevant_reported / self.total if self.total else 0.0


class _Report:
    """Per-query results of one mode, scored overall and per kind of query."""

    mode: str
    results: list

    def _metrics(self, results: list) -> dict[str, float]:
        raise NotImplementedError

    def overall(self) -> dict[str, float]:
        return self._metrics(self.results)

    def by_kind(self) -> dict[str, dict[str, float]]:
        groups: dict[str, list] = defaultdict(list)
        for r in self.results:
            groups[r.kind].append(r)
        return {kind: {**self._metrics(rs), "n": len(rs)} for kind, rs in sorted(groups.items())}


@dataclass
class EvalReport(_Report):
    mode: str
    results: list[QueryResult] = field(default_factory=list)

    def _metrics(self, results: list[QueryResult]) -> dict[str, float]:
        n = len(results) or 1
        return {
            "success@1": sum(r.rank == 1 for r in results) / n,
            "success@5": sum(r.rank is not None and r.rank <= 5 for r in results) / n,
            "mrr@10": sum(1 / r.rank for r in results if r.rank) / n,
        }

    def to_dict(self) -> dict:
        return {"mode": self.mode, "overall": self.overall(), "by_kind": self.by_kind(),
                "queries": [r.__dict__ for r in self.results]}

    def lines(self) -> list[str]:
        """The report as ``motesok eval`` prints it: overall, per kind, then every query not ranked first."""
        o = self.overall()
        out = [f"{self.mode:<9} success@1 {o['success@1']:.3f}  success@5 {o['success@5']:.3f}  "
               f"MRR@10 {o['mrr@10']:.3f}"]
        out += [f"  {kind:<11} n={m['n']:<3} s@1 {m['success@1']:.2f}  s@5 {m['success@5']:.2f}  MRR {m['mrr@10']:.2f}"
                for kind, m in self.by_kind().items()]
        out += [f"    {r.id} {r.query!r}: rank {r.rank or '>10'}" for r in self.results if r.rank != 1]
        return out


@dataclass
class SetReport(_Report):
    mode: str
    results: list[SetResult] = field(default_factory=list)

    def _metrics(self, results: list[SetResult]) -> dict[str, float]:
        n = len(results) or 1
        return {
            "recall": sum(r.recall for r in results) / n,
            "precision": sum(r.precision for r in results) / n,
            "median_total": float(statistics.median(r.total for r in results)) if results else 0.0,
        }

    def to_dict(self) -> dict:
        return {"mode": self.mode, "overall": self.overall(), "by_kind": self.by_kind(),
                "queries": [{**r.__dict__, "recall": r.recall, "precision": r.precision} for r in self.results]}

    def lines(self) -> list[str]:
        """The report as ``motesok eval`` prints it: overall, per kind, then every query that missed a
        relevant item or reported mostly irrelevant ones."""
        o = self.overall()
        out = [f"{self.mode:<9} recall {o['recall']:.3f}  precision {o['precision']:.3f}  "
               f"median total {o['median_total']:g}"]
        out += [f"  {kind:<11} n={m['n']:<3} recall {m['recall']:.2f}  precision {m['precision']:.2f}  "
                f"median total {m['median_total']:g}" for kind, m in self.by_kind().items()]
        out += [f"    {r.id} {r.query!r}: total {r.total}, relevant {r.relevant_reported}, "
                f"anchors {r.anchors_found}/{r.anchors}" for r in self.results if r.recall < 1 or r.precision < 0.5]
        return out


def load_queries(path: Path) -> list[dict]:
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                queries.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(queries[-1], dict) or "query" not in queries[-1] or "relevant" not in queries[-1]:
                raise ValueError(f"{path}:{number}: needs 'query' and 'relevant'")
    return queries


def is_full_judgments(queries: list[dict]) -> bool:
    """A file of full judgments names the similar items that are not relevant on every line."""
    return bool(queries) and all("not_relevant_but_similar" in q for q in queries)


def _params(q: dict, mode: str, limit: int) -> SearchParams:
    filters = {k: v if isinstance(v, list) else [v] for k, v in (q.get("filters") or {}).items()
               if k in FACET_FIELDS}
    return SearchParams(q=q["query"], mode=mode, limit=limit, **filters)


def evaluate(service, queries: list[dict], mode: str = "hybrid") -> EvalReport:
    report = EvalReport(mode=mode)
    for q in queries:
        response = service.search(_params(q, mode, 10))
        anchors = [_fold(a) for a in q["relevant"]]
        rank = next((i for i, hit in enumerate(response.hits, start=1)
                     if any(a in _fold(hit.title + "\n" + hit.text) for a in anchors)), None)
        report.results.append(QueryResult(q.get("id", ""), q.get("kind", ""), q["query"], rank))
    return report


def evaluate_sets(service, queries: list[dict], mode: str = "hybrid") -> SetReport:
    """Judge every item each search reports (what the total, facets and export count)."""
    report = SetReport(mode=mode)
    for q in queries:
        params = _params(q, mode, 10)
        anchors = [_fold(a) for a in q["relevant"]]
        found: set[int] = set()
        total = relevant = 0
        for item in service.export_items(params, MAX_JUDGED):
            total += 1
            text = _fold(item["title"] + "\n" + item["text"])
            hits = {i for i, a in enumerate(anchors) if a in text}
            relevant += bool(hits)
            found |= hits
        report.results.append(SetResult(
            q.get("id", ""), q.get("kind", ""), q["query"], total, relevant, len(anchors), len(found),
            [q["relevant"][i] for i in range(len(anchors)) if i not in found]))
    return report
