"""Load test of the HTTP API: many concurrent clients for a while, zero errors expected.

    python bench/load_sample.py [DATA_DIR] [--clients 50] [--seconds 60] [--url URL] [--json FILE]

Starts ``motesok serve`` on a free loopback port over an already indexed ``DATA_DIR`` (argument,
else ``MOTESOK_DATA_DIR``), or uses a running server given by ``--url``. Then ``--clients``
clients, each with its own keep-alive connection, send requests back to back for ``--seconds``:
varied Swedish queries in the hybrid, keyword and semantic modes, some with filters, sorting and
paging, the result page and permalink pages, items, documents, a few exports and stats.

Every answer is checked: a non-2xx status, a connection error or timeout, or a search whose total
or first hit differs from the same search made before the load (the answers must not change
under load) counts as an error. Reports requests, errors, throughput and p50/p95/p99 latency,
overall and per kind of request, and the server's peak memory; exits 1 if there was any error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent

QUERIES = [
    "ambulanshelikopter", "vad beslutades om ambulanshelikoptern", "budget", "budget 2024", "tandvård",
    "tandvård för äldre", "kollektivtrafik", "busstrafik och färdtjänst", "hälso- och sjukvårdsnämnden",
    "upphandling", "investeringar i fastigheter", "regionplan", "psykiatri", "vårdcentral", "läkemedel",
    "årsredovisning", "delårsrapport", "folkhälsa", "barn och unga", "klimat och miljö", "digitalisering",
    "arbetsmiljö för personalen", "revision", "motion", "interpellation", "medborgarförslag",
    "val av justerare", "patientsäkerhet", "vaccination", "räddningstjänst", "skolan", "ekonomiskt resultat",
    "kostnader för hyrpersonal", "väntetider", "förlossningsvård", "cancervård", "kultur", "bredband",
    "HSN", "RS", "beslut om anslag", "yttrande över remiss", "sjukhusets akutmottagning", "primärvård",
]
MODES = ["hybrid"] * 5 + ["keyword"] * 3 + ["semantic"] * 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "MOTESOK_DATA_DIR": str(data_dir), "MOTESOK_HOST": "127.0.0.1",
           "MOTESOK_PORT": str(port)}
    log = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "motesok.cli", "serve"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}; see {log_path}")
        try:
            if httpx.get(f"{url}/api/health", timeout=5).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"the server did not answer within 300 s; see {log_path}")


def peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class Sample:
    """What the warm-up learned: ids to visit, filter values, and the reference answers."""

    items: list[str]
    documents: list[str]
    bodies: list[str]
    years: list[int]
    doc_types: list[str]
    expected: dict[tuple[str, str], tuple[int, str | None]] = field(default_factory=dict)


def warm_up(url: str) -> Sample:
    with httpx.Client(base_url=url, timeout=60) as client:
        broad = client.get("/api/search", params={"q": "budget", "mode": "keyword", "limit": 100}).json()
        facets = broad["facets"]
        items = [h["id"] for h in broad["hits"]]
        documents = [h["document_id"] for h in broad["hits"]]
        sample = Sample(items, documents, [f["value"] for f in facets["body"]],
                        [int(f["value"]) for f in facets["year"]], [f["value"] for f in facets["doc_type"]])
        for q in QUERIES:
            for mode in ("hybrid", "keyword", "semantic"):
                body = client.get("/api/search", params={"q": q, "mode": mode, "limit": 100}).json()
                first = client.get("/api/search", params={"q": q, "mode": mode}).json()
                sample.expected[(q, mode)] = (first["total"], first["hits"][0]["id"] if first["hits"] else None)
                items.extend(h["id"] for h in body["hits"])
                documents.extend(h["document_id"] for h in body["hits"])
        sample.items, sample.documents = sorted(set(items)), sorted(set(documents))
    if not items:
        raise SystemExit("the index looks empty: nothing found for 'budget'")
    return sample


def next_request(rng: random.Random, s: Sample) -> tuple[str, str, dict, tuple | None]:
    """(kind, path, params, expected (total, first id) or None) of one request."""
    q, mode = rng.choice(QUERIES), rng.choice(MODES)
    roll = rng.random()
    if roll < 0.50:
        return f"search-{mode}", "/api/search", {"q": q, "mode": mode}, s.expected[(q, mode)]
    if roll < 0.62:
        params: dict = {"q": q, "mode": mode}
        params.update(rng.choice([
            {"body": rng.choice(s.bodies)}, {"year": rng.choice(s.years)},
            {"body": rng.sample(s.bodies, min(2, len(s.bodies)))}, {"doc_type": rng.choice(s.doc_types)},
            {"date_from": f"{min(s.years)}-07-01", "sort": "date"}, {"offset": 10, "limit": 10},
            {"year": rng.choice(s.years), "sort": "date", "limit": 50},
        ]))
        return "search-filtered", "/api/search", params, None
    if roll < 0.74:
        params = {"q": q} if rng.random() < 0.7 else {"q": q, "body": rng.choice(s.bodies), "sort": "date"}
        return "page", "/", params, None
    if roll < 0.84:
        return "item", f"/api/items/{rng.choice(s.items)}", {}, None
    if roll < 0.90:
        return "permalink", f"/punkt/{rng.choice(s.items)}", {}, None
    if roll < 0.95:
        return "document", f"/api/documents/{rng.choice(s.documents)}", {}, None
    if roll < 0.98:
        return "export", "/api/export", {"q": q, "mode": "keyword", "format": rng.choice(["csv", "jsonl"])}, None
    return "stats", rng.choice(["/api/stats", "/api/health", "/"]), {}, None


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.examples) < 20:
            self.examples.append(f"{kind}: {what}")


async def client_loop(url: str, sample: Sample, deadline: float, seed: int, results: Results, timeout: float) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=url, timeout=timeout,
                                 limits=httpx.Limits(max_connections=1, max_keepalive_connections=1)) as client:
        while time.monotonic() < deadline:
            kind, path, params, expected = next_request(rng, sample)
            started = time.perf_counter()
            try:
                response = await client.get(path, params=params)
                body = response.content
            except httpx.HTTPError as exc:
                results.error(kind, f"{path} {params}: {type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - started
            if not 200 <= response.status_code < 300:
                results.error(kind, f"{path} {params}: HTTP {response.status_code} {body[:200]!r}")
                continue
            if expected is not None:
                found = json.loads(body)
                answer = (found["total"], found["hits"][0]["id"] if found["hits"] else None)
                if answer != expected:
                    results.error(kind, f"{path} {params}: answer changed under load: {answer} != {expected}")
                    continue
            results.latencies[kind].append(elapsed)


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(p: float) -> float:
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    return {"p50_ms": at(50), "p95_ms": at(95), "p99_ms": at(99),
            "max_ms": (ordered[-1] * 1000) if ordered else float("nan")}


async def run_load(url: str, sample: Sample, clients: int, seconds: float, seed: int,
                   timeout: float) -> tuple[Results, float]:
    results = Results()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(client_loop(url, sample, deadline, seed + i, results, timeout) for i in range(clients)))
    return results, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, default=None,
                        help="indexed data folder (default: $MOTESOK_DATA_DIR)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--url", help="use this running server instead of starting one")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before a request counts as failed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="also write the report here")
    args = parser.parse_args(argv)

    proc = None
    if args.url:
        url = args.url.rstrip("/")
    else:
        env_dir = os.environ.get("MOTESOK_DATA_DIR")
        data_dir = args.data_dir or (Path(env_dir) if env_dir else None)
        if data_dir is None or not data_dir.is_dir():
            parser.error("give an indexed DATA_DIR (or set MOTESOK_DATA_DIR, or --url)")
        proc, url = start_server(data_dir, Path(os.environ.get("TMPDIR", "/tmp")) / "motesok-load-server.log")
    try:
        sample = warm_up(url)
        print(f"{url}: {len(sample.items)} items and {len(sample.documents)} documents to visit; "
              f"{args.clients} clients for {args.seconds:g} s ...", flush=True)
        results, elapsed = asyncio.run(run_load(url, sample, args.clients, args.seconds, args.seed, args.timeout))
        peak = peak_rss_mib(proc.pid) if proc else None
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    every = [x for values in results.latencies.values() for x in values]
    ok = len(every)
    errors = sum(results.errors.values())
    report = {
        "clients": args.clients, "seconds": round(elapsed, 1), "requests": ok + errors, "errors": errors,
        "throughput_rps": round((ok + errors) / elapsed, 1), **{k: round(v, 1) for k, v in percentiles(every).items()},
        "by_kind": {kind: {"requests": len(v) + results.errors.get(kind, 0), "errors": results.errors.get(kind, 0),
                           **{k: round(x, 1) for k, x in percentiles(v).items()}}
                    for kind, v in sorted(results.latencies.items())},
        "server_peak_rss_mib": round(peak) if peak else None,
        "error_examples": results.examples,
    }
    print(f"requests {report['requests']}  errors {errors}  {report['throughput_rps']} req/s  "
          f"p50 {report['p50_ms']:.0f} ms  p95 {report['p95_ms']:.0f} ms  p99 {report['p99_ms']:.0f} ms  "
          f"max {report['max_ms']:.0f} ms" + (f"  server peak RSS {report['server_peak_rss_mib']} MiB" if peak else ""))
    for kind, k in report["by_kind"].items():
        print(f"  {kind:<16} {k['requests']:>6}  errors {k['errors']:<3} p50 {k['p50_ms']:>7.0f}  "
              f"p95 {k['p95_ms']:>7.0f}  p99 {k['p99_ms']:>7.0f} ms")
    for example in results.examples:
        print(f"  error: {example}")
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
