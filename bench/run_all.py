"""Run every benchmark and write ``docs/benchmarks.md``.

    python bench/run_all.py [--work DIR] [--queries 300] [--load-seconds 60] [--sizes 10000,100000]

Steps (each also runnable alone, see the modules):
1. ``bench/index_throughput.py``: ``motesok index corpus/`` into an empty store against raw
   ``SentenceTransformer.encode`` of the same passages; then the unchanged re-index.
2. ``bench/synthetic.py``: stores of 10k and 100k items built from that index.
3. ``bench/api_latency.py``: ``motesok serve`` over each store; single-client latency per mode
   (query-embedding cache off, so every request embeds its query), memory, and at the largest
   size 8 clients for 60 s.
4. ``bench/baseline.py``: rank-bm25 + numpy brute force on the same items and queries, timed
   in-process against the search service's own ranking and full search.

Numbers depend on the machine and on what else runs on it: run it on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import api_latency, index_throughput, synthetic  # noqa: E402
from bench.queries import query_set  # noqa: E402

TARGETS = {
    "index_ratio": 0.85, "reindex_speedup": 50, "hybrid_p50": 30, "hybrid_p95": 80,
    "load_qps": 30, "rss_mb": 2500,
}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                  if line.startswith("MemTotal"))
    import numpy
    import torch

    return {
        "cpu": cpu, "cores": len(os.sched_getaffinity(0)), "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(), "python": platform.python_version(), "torch": torch.__version__,
        "numpy": numpy.__version__, "sqlite": sqlite3.sqlite_version,
        "load_before": os.getloadavg()[0],
    }


def forget_scores(service) -> None:
    """Empty the SQLite store's per-query score caches, so each timed call scores from scratch."""
    memory = getattr(service.store, "_memory", None)
    if memory is not None:
        memory._vector_cache.clear()
        memory._keyword_cache.clear()


def in_process(data_dir: Path, n_queries: int) -> dict:
    """Per query, in this process: the baseline's ranking, the service's ranking, the full search."""
    import numpy as np

    from bench.baseline import NaiveHybrid
    from motesok.config import Settings
    from motesok.runtime import build_search_service
    from search_api.schemas import SearchParams

    settings = Settings(data_dir=data_dir, query_cache_size=0)
    service = build_search_service(settings)
    baseline = NaiveHybrid(data_dir, settings.fusion, settings.rrf_k, settings.keyword_weight, settings.vector_weight,
                           settings.keyword_candidates, settings.vector_candidates)
    queries = query_set(data_dir, n_queries)

    def params(q):
        extra = {k: [v] if k in ("body", "year") else v for k, v in q.params.items()}
        return SearchParams(q=q.q, mode="hybrid", **extra)

    service.search(params(queries[0]))  # loads the matrix
    times: dict[str, list[float]] = {"embed": [], "baseline_rank": [], "service_rank": [], "service_search": []}
    for q in queries:
        t = time.perf_counter()
        vector = service.embedder.embed_query(q.q)
        times["embed"].append(time.perf_counter() - t)
        t = time.perf_counter()
        baseline.search(q.q, vector, q.params)
        times["baseline_rank"].append(time.perf_counter() - t + times["embed"][-1])
        forget_scores(service)
        t = time.perf_counter()
        service._prepare_and_rank(params(q))
        times["service_rank"].append(time.perf_counter() - t)
        forget_scores(service)  # else the full search would reuse the ranking's scores
        t = time.perf_counter()
        service.search(params(q))
        times["service_search"].append(time.perf_counter() - t)
    out = {k: {"p50": round(float(np.percentile(v, 50)) * 1000, 1), "p95": round(float(np.percentile(v, 95)) * 1000, 1)}
           for k, v in times.items()}
    out["baseline_build_s"] = round(baseline.build_seconds, 1)
    out["queries"] = len(queries)
    out["ratio_rank_p50"] = round(out["baseline_rank"]["p50"] / out["service_rank"]["p50"], 2)
    out["ratio_search_p50"] = round(out["baseline_rank"]["p50"] / out["service_search"]["p50"], 2)
    return out


def run(work: Path, n_queries: int, load_seconds: float, sizes: list[int], baseline_queries: int,
        corpus: Path = ROOT / "corpus") -> dict:
    results: dict = {"machine": machine(), "started": datetime.now(UTC).isoformat(timespec="seconds")}
    source = work / "corpus-index"
    print("1/4 index throughput", file=sys.stderr, flush=True)
    results["index"] = index_throughput.measure(corpus, source)
    results["sizes"] = {}
    for size in sizes:
        target = work / f"store-{size}"
        print(f"2/4 synthetic store of {size:,} items", file=sys.stderr, flush=True)
        built = synthetic.build(source, target, size, progress=False)
        print(f"3/4 API latency at {size:,} items", file=sys.stderr, flush=True)
        clients = 8 if size == max(sizes) else 0
        latency = api_latency.measure(target, n_queries, load_clients=clients, load_seconds=load_seconds,
                                      log_path=work / f"serve-{size}.log",
                                      extra_env={"MOTESOK_QUERY_CACHE_SIZE": "0"})
        print(f"4/4 baseline at {size:,} items", file=sys.stderr, flush=True)
        compared = in_process_subprocess(target, baseline_queries)
        results["sizes"][size] = {"store": built, "api": latency, "in_process": compared}
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    return results


def in_process_subprocess(data_dir: Path, n_queries: int) -> dict:
    """``in_process`` in its own process, so its memory does not inflate the next step's."""
    code = ("import json,sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
            "from bench.run_all import in_process; "
            "print(json.dumps(in_process(Path(sys.argv[2]), int(sys.argv[3]))))")
    proc = subprocess.run([sys.executable, "-c", code, str(ROOT), str(data_dir), str(n_queries)], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(r: dict, command: str) -> str:
    m, ix = r["machine"], r["index"]
    sizes = sorted(r["sizes"], key=int)
    big = r["sizes"][sizes[-1]]
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{command}` (started {r['started']}, finished {r['finished']}); the raw figures are in "
        "`docs/benchmarks.json`. Benchmarks measure and report; no test fails on them.",
        "",
        "## Machine",
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM; {m['os']}; Python {m['python']}, "
        f"torch {m['torch']} (CPU), numpy {m['numpy']}, SQLite {m['sqlite']}. "
        f"Load average before the run: {m['load_before']:.2f}.",
        "",
        "## Indexing",
        "",
        "| measure | figure | target |",
        "| --- | --- | --- |",
        f"| `motesok index corpus/` (empty store, process start to exit) | {ix['first']['seconds']} s: "
        f"{ix['first']['items']} items, {ix['first']['passages']} passages; {ix['first']['items_per_s']} items/s, "
        f"{ix['first']['passages_per_s']} passages/s | |",
        f"| raw `SentenceTransformer.encode` of the same {ix['raw_encode']['passages']} passages "
        f"({ix['raw_encode']['threads']} threads) | {ix['raw_encode']['seconds']} s: "
        f"{ix['raw_encode']['passages_per_s']} passages/s | |",
        f"| index throughput ÷ raw encode throughput | {ix['ratio']} | ≥ {TARGETS['index_ratio']}: "
        f"{_mark(ix['ratio'] >= TARGETS['index_ratio'])} |",
        f"| re-index of the unchanged corpus | {ix['reindex']['seconds']} s, {ix['reindex']['speedup']}× faster | "
        f"≥ {TARGETS['reindex_speedup']}×: {_mark(ix['reindex']['speedup'] >= TARGETS['reindex_speedup'])} |",
        "",
        "## The stores for query benchmarks",
        "",
        "Built by `bench/synthetic.py` from the index above: every item is a copy of one real item "
        "(title, text, analyzed terms, topics and passage vectors reused, nothing re-embedded) placed in "
        "a new synthetic meeting of 10–30 items, dated 2016–2026, under the real bodies plus 24 invented "
        "ones. Written through `SQLiteStore.write_document`, as an index run writes.",
        "",
        "| items | documents | passages | bodies | SQLite file | build time |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for size in sizes:
        s = r["sizes"][size]["store"]
        lines.append(f"| {s['items']:,} | {s['documents']:,} | {s['passages']:,} | {s['bodies']} | "
                     f"{s['bytes'] / 1e6:,.0f} MB | {s['seconds']} s |")
    n_queries = big["api"]["queries"]
    lines += [
        "",
        "## Query latency over HTTP, one client",
        "",
        f"{n_queries} queries (`bench/queries.py`: hand-written subjects and questions, the dev queries, "
        f"phrases cut from item titles; {big['api']['filtered']} with a body, year or date-range filter), each "
        "sent once per mode to `motesok serve` over a kept-alive connection, `limit=10`, facets and "
        "snippets included. The query-embedding cache is off, so every request embeds its query. "
        "Milliseconds.",
        "",
        "| items | mode | p50 | p95 | p99 | p50 unfiltered | p50 filtered | errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in sizes:
        for mode in api_latency.MODES:
            s = r["sizes"][size]["api"]["single"][mode]
            lines.append(f"| {int(size):,} | {mode} | {s['all']['p50']} | {s['all']['p95']} | {s['all']['p99']} | "
                         f"{s['unfiltered']['p50']} | {s['filtered']['p50']} | {s['errors']} |")
    h = big["api"]["single"]["hybrid"]["all"]
    lines += [
        "",
        f"Target at {int(sizes[-1]):,} items: hybrid p50 ≤ {TARGETS['hybrid_p50']} ms "
        f"({_mark(h['p50'] <= TARGETS['hybrid_p50'])}: {h['p50']}), p95 ≤ {TARGETS['hybrid_p95']} ms "
        f"({_mark(h['p95'] <= TARGETS['hybrid_p95'])}: {h['p95']}).",
    ]
    load = big["api"].get("load")
    if load:
        lines += [
            "",
            "## Under load",
            "",
            f"{load['clients']} clients, each with its own connection, sending random queries of the set in "
            f"random modes for {load['seconds']} s at {int(sizes[-1]):,} items.",
            "",
            "| requests | errors | queries/s | p50 | p95 | p99 | target |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            f"| {load['requests']:,} | {load['errors']} | {load['qps']} | {load['p50']} | {load['p95']} | "
            f"{load['p99']} | ≥ {TARGETS['load_qps']} q/s, no errors: "
            f"{_mark(load['qps'] >= TARGETS['load_qps'] and load['errors'] == 0)} |",
        ]
    lines += [
        "",
        "## Memory of the API process",
        "",
        "| items | RSS after start-up and warm-up | RSS after the runs | peak RSS | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for size in sizes:
        a = r["sizes"][size]["api"]
        ok = a["memory"]["peak_mb"] <= TARGETS["rss_mb"]
        lines.append(f"| {int(size):,} | {a['memory_idle']['rss_mb']:,} MB | {a['memory']['rss_mb']:,} MB | "
                     f"{a['memory']['peak_mb']:,} MB | ≤ {TARGETS['rss_mb']:,} MB: {_mark(ok)} |")
    lines += [
        "",
        "## Against a naive baseline",
        "",
        "`bench/baseline.py`: rank-bm25 (`BM25Okapi`) over Snowball-stemmed words plus numpy brute-force "
        "cosine over every passage, fused as the service fuses (same method, weights and candidate counts); ranking "
        "only (no facets, snippets or HTTP). Timed in one process, one query at a time, on the same items "
        "and queries, each side embedding its query with the same model. Milliseconds.",
        "",
        "| items | queries | query embedding p50 | baseline ranking p50 / p95 | Mötessök ranking p50 / p95 | "
        "Mötessök full search p50 / p95 | baseline ÷ Mötessök (ranking; full search) | baseline build |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size in sizes:
        c = r["sizes"][size]["in_process"]
        lines.append(
            f"| {int(size):,} | {c['queries']} | {c['embed']['p50']} | "
            f"{c['baseline_rank']['p50']} / {c['baseline_rank']['p95']} | "
            f"{c['service_rank']['p50']} / {c['service_rank']['p95']} | {c['service_search']['p50']} / "
            f"{c['service_search']['p95']} | {c['ratio_rank_p50']}×; {c['ratio_search_p50']}× | "
            f"{c['baseline_build_s']} s |")
    if len(sizes) > 1:
        small, large = r["sizes"][sizes[0]], big
        factor = int(sizes[-1]) / int(sizes[0])
        g = {mode: round(large["api"]["single"][mode]["all"]["p50"] / small["api"]["single"][mode]["all"]["p50"], 1)
             for mode in api_latency.MODES}
        mem = large["api"]["memory"]["rss_mb"] - small["api"]["memory"]["rss_mb"]
        passages = large["store"]["passages"] - small["store"]["passages"]
        lines += [
            "",
            "## How cost grows",
            "",
            f"From {int(sizes[0]):,} to {int(sizes[-1]):,} items ({factor:.0f}× the items): p50 latency grows "
            f"{g['hybrid']}× (hybrid), {g['keyword']}× (keyword), {g['semantic']}× (semantic); the API process "
            f"grows by {mem:,} MB for {passages:,} more passages ({mem * 1e6 / max(passages, 1) / 1024:.1f} KB a "
            "passage: its float32 vector is 1.5 KB and its int8 copy 0.4 KB; an item's postings, facet "
            "columns and id take the rest).",
            "",
            "- Fixed per query, whatever the size: embedding the query (the model's ONNX export on ONNX "
            "Runtime, ~10–13 ms on one core), analysis, fusion and facet counts over at most 1,100 "
            "candidates, highlighting and snippets for the ten hits shown (each hit's whole text is scanned: "
            "up to ~1 ms for a long item once its words are in the analyzer's cache, more the first time), "
            "HTTP and JSON (hits carry their full text).",
            "- Linear in the number of passages: the vector scan. simsimd's int8 kernels score every passage "
            "from a quarter-size copy of the matrix (~7–11 ms at 241k passages, bound by memory bandwidth; "
            "the float32 product took ~18–21 ms) plus ~2–2.5 ms for each item's best passage; the items within the "
            "quantization error's margin of the k-th best are rescored from float32 (1–4 ms), so results are "
            "those of the exact scan. The scores are kept for the re-runs that disjunctive facets need.",
            "- Linear in the postings of the query's terms: BM25 is summed from in-memory postings (term "
            "hashes sorted at load, weights computed at index time) with numpy; a common term such as `plan` "
            "or `besluta` touches tens of thousands of items at 100k, a rare one a few.",
            "- Linear in the number of items, in numpy: filters are boolean masks over in-memory facet "
            "columns, the best candidates are picked with argpartition.",
        ]
        lines += _limits(r, sizes)
    return "\n".join(lines) + "\n"


def _limits(r: dict, sizes: list[str]) -> list[str]:
    """The targets not met at the largest size, each with what limits it."""
    big = r["sizes"][sizes[-1]]
    h = big["api"]["single"]["hybrid"]["all"]
    load = big["api"].get("load")
    bullets = []
    unmet = [f"{p} ≤ {TARGETS['hybrid_' + p]} ms" for p in ("p50", "p95") if h[p] > TARGETS["hybrid_" + p]]
    if unmet:
        bullets.append(
            f"- **Hybrid {' and '.join(unmet)} at {int(sizes[-1]):,} items** (measured p50 {h['p50']}, "
            f"p95 {h['p95']}). The critical path is the query "
            "embedding (~10–13 ms: e5-small's float32 ONNX export on one core; the keyword leg runs beside it) "
            "followed by the vector scan (~11–14 ms with the rescoring: 92 MB of int8 vectors read per query "
            "is bound by memory bandwidth): about 25 ms before fusion, the facet re-runs, highlighting the "
            "ten hits and HTTP/JSON add the rest. The hybrid and semantic p50 at 10k items, where the scan "
            "is a tenth, shows the fixed part. Meeting 30 ms would take a faster query encoder than the "
            "float32 model (an int8-quantized one would no longer give the vectors the passages were "
            "embedded against), an approximate (HNSW) vector index in place of the exact scan, and lighter "
            "hits (snippets only, the full text fetched on demand).")
    if load and (load["qps"] < TARGETS["load_qps"] or load["errors"]):
        bullets.append(
            f"- **≥ {TARGETS['load_qps']} queries/s under {load['clients']} clients** (measured {load['qps']}). "
            "Two cores serve the queries and run the load clients. Each query costs CPU time for the "
            "embedding (~10–13 ms), the scan (~10–14 ms of CPU over both threads) and the Python parts (analysis, "
            "fusion, facets, snippets, JSON; these hold the GIL, so one process uses about one core for "
            "them). Throughput follows that cost; the same remedies as above would raise it.")
    ix = r["index"]
    if ix["ratio"] < TARGETS["index_ratio"]:
        bullets.append(f"- **Index throughput ≥ {TARGETS['index_ratio']} × raw encode** (measured {ix['ratio']}). "
                       "The index time runs from process start to exit, so it includes importing torch and "
                       "loading the model, spaCy's lemma table and the Hunspell dictionaries (~10–15 s of a "
                       "~130 s run; profiled), and each document's passages are embedded in their own call, "
                       "sorted by length within the document only, where the raw encode sorts all passages "
                       "at once; parsing, analysis, topics and SQLite writes take ~2–3 s. Across runs on this "
                       "machine the ratio has ranged 0.85–0.95; loading the analyzer beside the model and "
                       "embedding several documents per call would add a margin.")
    peak = big["api"]["memory"]["peak_mb"]
    if peak > TARGETS["rss_mb"]:
        bullets.append(f"- **RSS ≤ {TARGETS['rss_mb']:,} MB** (peak {peak:,} MB): the float32 matrix, its int8 "
                       "copy and the postings, held while a reload builds the next copy.")
    if not bullets:
        return []
    return ["", "## Targets not met, and what limits them", "", *bullets]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, help="scratch folder (default: a new temporary one)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--baseline-queries", type=int, default=100)
    ap.add_argument("--load-seconds", type=float, default=60)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    ap.add_argument("--from-json", type=Path, help="write the report again from a run's saved figures")
    args = ap.parse_args()
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        args.out.write_text(report(saved, saved.get("command", "python bench/run_all.py")), encoding="utf-8")
        print(args.out)
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="motesok-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = run(work, args.queries, args.load_seconds, sizes, args.baseline_queries, args.corpus)
    command = "python bench/run_all.py" + "".join(
        f" {flag} {value}" for flag, value, default in (
            ("--queries", args.queries, 300), ("--baseline-queries", args.baseline_queries, 100),
            ("--load-seconds", args.load_seconds, 60), ("--sizes", args.sizes, "10000,100000"))
        if value != default)
    results["command"] = command
    args.out.write_text(report(results, command), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(args.out)


if __name__ == "__main__":
    main()
