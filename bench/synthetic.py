"""A large embedded store for latency benchmarks, built from an index of real items.

    python bench/synthetic.py SOURCE_DATA_DIR TARGET_DATA_DIR --items 100000 [--seed 7]

Embedding 100,000 items on 2 CPU cores takes hours, so the big store reuses what an index run
of ``corpus/`` already computed. Every synthetic item is a copy of one real item (its title,
text, decisions, analyzed keyword terms, topics and passage vectors, so keyword and vector
work per query is that of real text), placed in a new meeting: synthetic documents of 10–30
items each, spread over 2016–2026, over the real bodies and organisations plus invented
committees (``Utskott 1``…) so that facets have archive-like cardinality. Items are written
through ``SQLiteStore.write_document``, the same path an index run takes.

What this does not reproduce: the vocabulary of 100,000 different items (it is that of the
corpus, so posting lists of common words are realistic in length but rare words are rarer
than in a real archive), and near-duplicate vectors (each real vector occurs ~N/450 times,
which costs an exact search nothing extra).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indexer.records import DocumentMeta, IndexedItem, Item, item_id  # noqa: E402
from indexer.store.sqlite import DB_NAME, SQLiteStore  # noqa: E402


@dataclass
class SourceItem:
    item: Item
    title_terms: str
    text_terms: str
    topics: list[str]
    vectors: np.ndarray
    organisation: str | None
    body: str | None
    doc_type: str | None


def read_source(data_dir: Path) -> tuple[list[SourceItem], str, int]:
    """Every item of an indexed store, with its terms and vectors; and the store's model."""
    conn = sqlite3.connect(f"file:{data_dir / DB_NAME}?mode=ro", uri=True)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    vectors: dict[int, list[np.ndarray]] = {}
    for rowid, blob in conn.execute("SELECT item_rowid, vector FROM passages ORDER BY item_rowid, idx"):
        vectors.setdefault(rowid, []).append(np.frombuffer(blob, dtype=np.float32))
    out = []
    rows = conn.execute(
        "SELECT i.rowid, i.number, i.paragraph, i.title, i.title_derived, i.section, i.text, i.decisions, "
        "i.case_numbers, i.topics, i.organisation, i.body, i.doc_type, f.title, f.text "
        "FROM items i JOIN items_fts f ON f.rowid = i.rowid"
    )
    for (rowid, number, paragraph, title, derived, section, text, decisions, cases, topics,
         organisation, body, doc_type, title_terms, text_terms) in rows:
        if rowid not in vectors:
            continue
        item = Item(number=number, paragraph=paragraph, title=title, text=text, title_derived=bool(derived),
                    section=section, decisions=json.loads(decisions), case_numbers=json.loads(cases))
        out.append(SourceItem(item, title_terms, text_terms, json.loads(topics), np.stack(vectors[rowid]),
                              organisation, body, doc_type))
    conn.close()
    return out, meta["embedding_model"], int(meta["dim"])


def build(source_dir: Path, target_dir: Path, n_items: int, seed: int = 7, progress: bool = True) -> dict:
    """Write ``n_items`` synthetic items into a new store in ``target_dir``; returns a summary."""
    started = time.perf_counter()
    sources, model, dim = read_source(source_dir)
    if not sources:
        raise SystemExit(f"{source_dir}: the store holds no items")
    if (target_dir / DB_NAME).exists():
        raise SystemExit(f"{target_dir / DB_NAME} exists; give an empty folder")
    rng = random.Random(seed)
    real_bodies = sorted({(s.organisation, s.body) for s in sources if s.body})
    organisations = sorted({s.organisation for s in sources if s.organisation}) or ["Region"]
    invented = [(organisations[i % len(organisations)], f"Utskott {i + 1}") for i in range(24)]
    bodies = real_bodies + invented
    doc_types = [s.doc_type or "protokoll" for s in sources]

    store = SQLiteStore(target_dir, embedding_model=model, dim=dim)
    written = passages = documents = 0
    while written < n_items:
        organisation, body = rng.choice(bodies)
        size = min(rng.randint(10, 30), n_items - written)
        date = f"{rng.randint(2016, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        meta = DocumentMeta(
            source=f"synthetic://{documents:06d}", checksum=f"synthetic-{seed}-{documents}", format="txt",
            organisation=organisation, body=body, date=date, year=int(date[:4]), doc_type=rng.choice(doc_types),
            title=f"{body} {date}",
        )
        items = []
        for position in range(size):
            src = rng.choice(sources)
            item = Item(**{**src.item.__dict__, "number": position + 1})
            items.append(IndexedItem(
                id=item_id(meta.id, position), document_id=meta.id, position=position, item=item,
                title_terms=src.title_terms, text_terms=src.text_terms, topics=src.topics, vectors=src.vectors,
            ))
            passages += len(src.vectors)
        store.write_document(meta, items)
        written += size
        documents += 1
        if progress and documents % 500 == 0:
            print(f"  {written:,} items", file=sys.stderr)
    store.close()
    return {"items": written, "documents": documents, "passages": passages, "source_items": len(sources),
            "bodies": len(bodies), "seconds": round(time.perf_counter() - started, 1),
            "bytes": (target_dir / DB_NAME).stat().st_size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", type=Path, help="data dir of an index run (e.g. of corpus/)")
    ap.add_argument("target", type=Path, help="new, empty data dir")
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print(json.dumps(build(args.source, args.target, args.items, args.seed)))


if __name__ == "__main__":
    main()
