"""Index throughput against the model's own encode throughput, and re-index of unchanged files.

    python bench/index_throughput.py [CORPUS_DIR] [--data-dir DIR]

1. ``motesok index CORPUS_DIR`` into an empty store, timed from process start to exit (so it
   includes start-up, parsing, analysis, topics and SQLite writes): items/s and passages/s.
2. In a separate process, the same passages (the indexer's own passage splitting of the same
   parsed items) encoded by ``SentenceTransformer.encode`` alone, with the same model, prefix,
   batch size and thread count: passages/s. The ratio of (1) to (2) is what everything
   besides the model costs.
3. ``motesok index CORPUS_DIR`` again with nothing changed, timed the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_SUMMARY = re.compile(r"Punkter: (\d+) \((\d+) passager\)")

RAW_ENCODE = r"""
import json, sys, time
from pathlib import Path
from indexer.embed import item_passages
from indexer.ingest import discover, parse_file
from motesok.config import get_settings
from motesok.runtime import load_embedder
settings = get_settings()
embedder = load_embedder(settings)
passages = []
for path in discover([Path(sys.argv[1])]):
    try:
        parsed = parse_file(path)
    except Exception:
        continue
    passages += [p for ps in item_passages(parsed.items, embedder, settings.passage_tokens) for p in ps]
texts = [settings.passage_prefix + p for p in passages]
model = embedder.model
model.encode(texts[:8], batch_size=settings.embedding_batch_size, show_progress_bar=False)  # warm-up
t = time.perf_counter()
model.encode(texts, batch_size=settings.embedding_batch_size, normalize_embeddings=True, show_progress_bar=False)
seconds = time.perf_counter() - t
print(json.dumps({"passages": len(texts), "seconds": seconds, "threads": embedder.threads}))
"""


def run_index(corpus: Path, data_dir: Path) -> dict:
    env = {**os.environ, "MOTESOK_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "motesok.cli", "index", str(corpus)], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    match = _SUMMARY.search(proc.stdout)
    if proc.returncode not in (0, 1) or not match:
        raise RuntimeError(f"motesok index failed ({proc.returncode}): {proc.stdout}\n{proc.stderr[-2000:]}")
    return {"seconds": round(seconds, 2), "exit": proc.returncode, "items": int(match.group(1)),
            "passages": int(match.group(2)), "summary": proc.stdout.strip().splitlines()[-1]}


def raw_encode(corpus: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", RAW_ENCODE, str(corpus)], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(corpus: Path, data_dir: Path) -> dict:
    first = run_index(corpus, data_dir)
    raw = raw_encode(corpus)
    again = run_index(corpus, data_dir)
    index_pps = first["passages"] / first["seconds"]
    raw_pps = raw["passages"] / raw["seconds"]
    return {
        "first": {**first, "items_per_s": round(first["items"] / first["seconds"], 2),
                  "passages_per_s": round(index_pps, 2)},
        "raw_encode": {**raw, "seconds": round(raw["seconds"], 2), "passages_per_s": round(raw_pps, 2)},
        "ratio": round(index_pps / raw_pps, 3),
        "reindex": {**again, "speedup": round(first["seconds"] / again["seconds"], 1)},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, nargs="?", default=ROOT / "corpus")
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="motesok-bench-"))
    print(json.dumps(measure(args.corpus, data_dir), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
