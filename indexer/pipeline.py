"""The index run: discover → (skip unchanged) → parse/segment → analyze → embed → topics → store.

Each document is written in its own store transaction, so a run that is killed leaves every
document either as it was or fully replaced, and the next run picks up what is left: unchanged
checksums are skipped without parsing or embedding. A store that writes batches
(``write_documents``: OpenSearch, one bulk for a batch's items, one for their document records, one
stale-item delete) gets the parsed documents a batch at a time; a document's record, and so its new
checksum, is written only once all its items are in, so a killed run leaves at most the unfinished
batch to be written again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from indexer.embed import embed_items
from indexer.enrich import analyze_items
from indexer.ingest import MAX_BYTES, IngestError, discover, parse_file, too_large
from indexer.parse.ocr import OcrOptions
from indexer.records import IndexedItem, Item, ParsedDocument, item_id
from indexer.store.base import Rebuildable, Store, StoreError
from models.defaults import PASSAGE_TOKENS
from models.protocols import Analyzer, PassageEmbedder

log = logging.getLogger("motesok.index")


class TopicAssigner(Protocol):
    """What the indexer classifies items with (``models.topics.TopicClassifier``)."""

    def assign(self, item: Item, passage_vectors: np.ndarray) -> list[str]:
        """The item's topics, from its text and its passages' vectors."""
        ...


@dataclass
class IndexSummary:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    duplicates: int = 0
    removed: int = 0
    items: int = 0
    passages: int = 0
    # personnummer/samordningsnummer masked at reading (indexer/personnummer.py), and in how many documents
    personnummer: int = 0
    personnummer_documents: int = 0
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)  # one line per failed or skipped file
    written: set[str] = field(default_factory=set, repr=False)  # sources stored or unchanged in this run

    @property
    def ok(self) -> bool:
        return self.failed == 0


#: documents per write to a store that writes batches (OpenSearch: one bulk for their items)
BATCH_DOCUMENTS = 32


@dataclass
class Indexer:
    store: Store
    analyzer: Analyzer
    embedder: PassageEmbedder
    topics: TopicAssigner | None = None
    passage_tokens: int = PASSAGE_TOKENS
    max_file_bytes: int = MAX_BYTES  # larger files are refused before they are read
    ocr: OcrOptions | None = None  # PDFs without a text layer (None: indexer.parse.ocr's defaults)
    # a store that writes batches gets this many documents (or passages) at a time: per document,
    # a first load of OpenSearch made a bulk, a document bulk, a times read and a delete-by-query.
    # A batch is written after batch_seconds of parsing and embedding too, so a killed run loses
    # little work (OCR takes seconds a page) and searches see a long run's progress.
    batch_documents: int = BATCH_DOCUMENTS
    batch_passages: int = 4000
    batch_seconds: float = 10.0

    def build_items(self, parsed: ParsedDocument) -> list[IndexedItem]:
        """Analyze, embed and classify the items of one parsed document."""
        doc_id = parsed.document.id
        analyzed = analyze_items(parsed.items, self.analyzer, parsed.document.organisation)
        vectors = embed_items(parsed.items, self.embedder, self.passage_tokens)
        indexed = []
        for position, (a, vecs) in enumerate(zip(analyzed, vectors)):
            topics = self.topics.assign(a.item, vecs) if self.topics is not None else []
            indexed.append(IndexedItem(
                id=item_id(doc_id, position), document_id=doc_id, position=position, item=a.item,
                title_terms=a.title_terms, text_terms=a.text_terms, topics=topics, vectors=vecs,
                case_keys=a.case_keys,
            ))
        return indexed

    def run(
        self, paths: list[Path], *, prune: bool = False, force: bool = False, rebuild: bool = False,
        progress: Callable[[Path], None] | None = None,
    ) -> IndexSummary:
        """Index the files under ``paths``.

        ``rebuild``: build the index anew from ``paths``: every file is parsed and embedded again and
        afterwards the index holds exactly the documents of this run. A store that can build a new
        index beside the live one (OpenSearch: a versioned index, then one alias swap) does so, and
        a run that fails or is killed leaves the previous index untouched; otherwise (SQLite) each
        document is replaced in its own transaction and the documents not seen are removed at the end.
        """
        started = time.perf_counter()
        if rebuild and isinstance(self.store, Rebuildable):
            before = self.store.document_checksums()
            with self.store.full_reindex():
                summary = self._run(paths, force=True, progress=progress)
            summary.removed = len(set(before) - summary.written)
        elif rebuild:
            summary = self._run(paths, force=True, progress=progress)
            for source, (doc_id, _) in self.store.document_checksums().items():
                if source not in summary.written:
                    self.store.delete_document(doc_id)
                    summary.removed += 1
                    log.info("removed", extra={"source": source, "outcome": "removed"})
        else:
            summary = self._run(paths, force=force, prune=prune, progress=progress)
        summary.seconds = time.perf_counter() - started
        return summary

    def _run(self, paths: list[Path], *, force: bool, prune: bool = False,
             progress: Callable[[Path], None] | None = None) -> IndexSummary:
        summary = IndexSummary()
        known = self.store.document_checksums()
        by_checksum = {checksum: source for source, (_, checksum) in known.items()}
        files = discover(paths)
        batched = callable(getattr(self.store, "write_documents", None))
        batch: list[_Parsed] = []
        for path in files:
            if progress:
                progress(path)
            parsed = self._index_file(path, known, by_checksum, summary, force)
            if parsed is None:
                continue
            batch.append(parsed)
            if (not batched or len(batch) >= self.batch_documents
                    or sum(p.passages for p in batch) >= self.batch_passages
                    or time.perf_counter() - batch[0].t0 >= self.batch_seconds):
                self._write(batch, summary)
                batch = []
        self._write(batch, summary)
        if prune:
            for source, (doc_id, _) in known.items():
                if not Path(source).exists():
                    self.store.delete_document(doc_id)
                    summary.removed += 1
                    log.info("removed", extra={"source": source, "outcome": "removed"})
        return summary

    def _index_file(self, path: Path, known, by_checksum, summary: IndexSummary, force: bool) -> _Parsed | None:
        """The file parsed and its items built, ready to be written (None: unchanged, a duplicate or failed)."""
        t0 = time.perf_counter()
        source = str(path.resolve()) if path.exists() else str(path)
        checksum = ""
        try:
            if path.is_file():
                size = path.stat().st_size
                if size > self.max_file_bytes:  # refused before a byte is read: memory stays bounded
                    self._fail(summary, f"{path}: {too_large(size, self.max_file_bytes)}", t0, source)
                    return None
                with path.open("rb") as handle:
                    checksum = hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError as exc:
            log.debug("unreadable %s: %s", path, exc)
        previous = known.get(source)
        if previous and previous[1] == checksum and not force:
            summary.unchanged += 1
            summary.written.add(source)
            log.info("unchanged", extra={"source": source, "outcome": "unchanged", "duration_ms": _ms(t0)})
            return None
        twin = by_checksum.get(checksum)
        if checksum and twin and twin != source and Path(twin).exists():
            summary.duplicates += 1
            summary.messages.append(f"{path}: same content as {twin}; not indexed twice")
            log.info("duplicate", extra={"source": source, "outcome": "duplicate", "same_as": twin,
                                         "duration_ms": _ms(t0)})
            return None
        try:
            parsed = parse_file(path, self.max_file_bytes, self.ocr)
            parsed.document.source = source
            indexed = self.build_items(parsed)
        except IngestError as exc:
            self._fail(summary, str(exc), t0, source)
            return None
        except Exception as exc:  # one bad file must not stop the run
            self._fail(summary, f"{path}: unexpected error: {type(exc).__name__}: {exc}", t0, source)
            return None
        # a twin later in the same batch is a duplicate of this one (should this one fail to be
        # stored, the twin is indexed at the next run)
        by_checksum[parsed.document.checksum] = source
        return _Parsed(path, source, parsed, indexed, previous is not None, t0, time.perf_counter() - t0)

    def _write(self, batch: list[_Parsed], summary: IndexSummary) -> None:
        """Store parsed documents: in one ``write_documents`` call where the store has it, else one
        ``write_document`` (one transaction) each. A refused document keeps its old version and
        checksum, so the next run retries it."""
        if not batch:
            return
        write_documents = getattr(self.store, "write_documents", None)
        if not callable(write_documents):
            for one in batch:
                try:
                    self.store.write_document(one.parsed.document, one.items)
                except StoreError as exc:  # the old version stays, retried next run
                    self._fail(summary, f"{one.path}: not stored: {exc}", one.t0, one.source)
                    continue
                self._stored(one, summary, one.t0)  # written at once: its own time, the write included
            return
        try:
            failures = write_documents([(one.parsed.document, one.items) for one in batch])
        except StoreError as exc:  # the whole batch (e.g. the cluster went away): each keeps its old version
            for one in batch:
                self._fail(summary, f"{one.path}: not stored: {exc}", one.own_t0(), one.source)
            return
        refused: dict[str, list[str]] = {}
        for failure in failures:
            refused.setdefault(failure.document_id, []).append(str(failure))
        for one in batch:
            reasons = refused.get(one.parsed.document.id)
            if reasons:
                more = f" (and {len(reasons) - 5} more)" if len(reasons) > 5 else ""
                self._fail(summary, f"{one.path}: not stored: the store refused {len(reasons)} action(s): "
                                    f"{'; '.join(reasons[:5])}{more}", one.own_t0(), one.source)
            else:
                self._stored(one, summary, one.own_t0())

    @staticmethod
    def _stored(one: _Parsed, summary: IndexSummary, t0: float) -> None:
        source, parsed, indexed, previous = one.source, one.parsed, one.items, one.previous
        summary.written.add(source)
        if previous:
            summary.changed += 1
        else:
            summary.new += 1
        summary.items += len(indexed)
        summary.passages += sum(len(i.vectors) for i in indexed)
        masked = parsed.document.personnummer_masked
        summary.personnummer += masked
        summary.personnummer_documents += masked > 0
        log.info("indexed", extra={"source": source, "outcome": "changed" if previous else "new",
                                   "items": len(indexed), "personnummer": masked, "duration_ms": _ms(t0)})

    @staticmethod
    def _fail(summary: IndexSummary, message: str, t0: float, source: str | None = None) -> None:
        summary.failed += 1
        summary.messages.append(message)
        log.warning("failed", extra={"source": source, "outcome": "failed", "reason": message,
                                     "duration_ms": _ms(t0)})


@dataclass
class _Parsed:
    """A file parsed, its items built, waiting in a batch to be written."""

    path: Path
    source: str
    parsed: ParsedDocument
    items: list[IndexedItem]
    previous: bool  # the store held an earlier version
    t0: float  # when its file was started
    seconds: float  # reading, parsing and embedding it took (the batch's later files not counted)

    def own_t0(self) -> float:
        """A start time whose elapsed time, now, is this file's own work (for its log line)."""
        return time.perf_counter() - self.seconds

    @property
    def passages(self) -> int:
        return sum(len(i.vectors) if i.vectors is not None else 0 for i in self.items)


def _ms(t0: float) -> int:
    return round((time.perf_counter() - t0) * 1000)
