"""Query latency and throughput of the HTTP API, and the API process's memory.

    python bench/api_latency.py DATA_DIR [--queries 300] [--load-clients 8] [--load-seconds 60]

Starts ``motesok serve`` on a free loopback port over ``DATA_DIR`` (its own process, as in
production), warms it up (first request loads the vector matrix), then:

- single client: every query of ``bench/queries.py`` once per mode (hybrid, keyword,
  semantic), one request at a time over a kept-alive connection; p50/p95/p99 per mode;
- load (optional): N clients, each its own connection, sending random queries of the set
  (random mode) for S seconds; queries/s, errors, p50/p95 under load;
- memory: resident set (RSS) of the server after the runs, and its peak (VmHWM).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.queries import BenchQuery, query_set  # noqa: E402

MODES = ("hybrid", "keyword", "semantic")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(data_dir: Path, log_path: Path | None = None, extra_env: dict | None = None):
    """``motesok serve`` over ``data_dir``; yields (base URL, pid)."""
    port = free_port()
    env = {**os.environ, "MOTESOK_DATA_DIR": str(data_dir), "MOTESOK_PORT": str(port), **(extra_env or {})}
    log = open(log_path or os.devnull, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "motesok.cli", "serve"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}; see {log_path}")
            try:
                if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer within 180 s")
            time.sleep(0.5)
        yield url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def memory_mb(pid: int) -> dict[str, float]:
    """Resident and peak resident memory of a process, in MB (from /proc)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return {"rss_mb": round(values["VmRSS"]), "peak_mb": round(values["VmHWM"])}


def percentiles(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {"n": 0}
    a = np.asarray(ms)
    return {"n": len(ms), "p50": round(float(np.percentile(a, 50)), 1), "p95": round(float(np.percentile(a, 95)), 1),
            "p99": round(float(np.percentile(a, 99)), 1), "mean": round(float(a.mean()), 1)}


def search_params(query: BenchQuery, mode: str) -> dict:
    return {"q": query.q, "mode": mode, "limit": 10, **query.params}


def single_client(url: str, queries: list[BenchQuery], modes=MODES) -> dict:
    """One request at a time; per mode: latency percentiles over all queries, split by filtered/unfiltered."""
    out: dict = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        for q in queries[:5]:  # warm-up: matrix load, caches of the analyzer
            client.get("/api/search", params=search_params(q, "hybrid"))
        for mode in modes:
            plain, filtered, errors = [], [], 0
            for q in queries:
                t = time.perf_counter()
                response = client.get("/api/search", params=search_params(q, mode))
                ms = (time.perf_counter() - t) * 1000
                if response.status_code != 200:
                    errors += 1
                (filtered if q.params else plain).append(ms)
            out[mode] = {"all": percentiles(plain + filtered), "unfiltered": percentiles(plain),
                         "filtered": percentiles(filtered), "errors": errors}
    return out


def load(url: str, queries: list[BenchQuery], clients: int, seconds: float, seed: int = 5) -> dict:
    """``clients`` threads, each with its own connection, for ``seconds``; random queries and modes."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    stop = time.monotonic() + seconds

    def worker(k: int) -> None:
        rng = random.Random(seed + k)
        with httpx.Client(base_url=url, timeout=60) as client:
            while time.monotonic() < stop:
                q, mode = rng.choice(queries), rng.choice(MODES)
                t = time.perf_counter()
                try:
                    response = client.get("/api/search", params=search_params(q, mode))
                    if response.status_code != 200:
                        errors[k].append(f"HTTP {response.status_code}")
                except httpx.HTTPError as exc:
                    errors[k].append(type(exc).__name__)
                latencies[k].append((time.perf_counter() - t) * 1000)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = [x for xs in latencies for x in xs]
    errs = [e for es in errors for e in es]
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": len(flat), "errors": len(errs),
            "error_kinds": sorted(set(errs))[:5], "qps": round(len(flat) / elapsed, 1), **percentiles(flat)}


def measure(data_dir: Path, n_queries: int = 300, load_clients: int = 0, load_seconds: float = 60,
            log_path: Path | None = None, extra_env: dict | None = None) -> dict:
    queries = query_set(data_dir, n_queries)
    with running_server(data_dir, log_path, extra_env) as (url, pid):
        result = {"queries": len(queries), "filtered": sum(1 for q in queries if q.params)}
        result["memory_idle"] = memory_mb(pid)
        result["single"] = single_client(url, queries)
        if load_clients:
            result["load"] = load(url, queries, load_clients, load_seconds)
        result["memory"] = memory_mb(pid)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--load-clients", type=int, default=0)
    ap.add_argument("--load-seconds", type=float, default=60)
    args = ap.parse_args()
    print(json.dumps(measure(args.data_dir, args.queries, args.load_clients, args.load_seconds), indent=1))


if __name__ == "__main__":
    main()
