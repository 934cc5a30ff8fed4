"""Typed records that flow through the indexing pipeline.

``ParsedDocument`` is what parsing and segmentation produce (and what ``motesok parse --json``
prints); ``IndexedItem`` is an item after enrichment and embedding, ready for a store.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class DocumentMeta:
    """Metadata of one source document."""

    source: str
    checksum: str
    format: str
    organisation: str | None = None
    body: str | None = None
    date: str | None = None  # ISO yyyy-mm-dd of the meeting (or the document)
    year: int | None = None
    doc_type: str | None = None  # protokoll, kallelse, möte, plan, rapport, handling, ...
    title: str | None = None
    inferred: list[str] = field(default_factory=list)  # names of fields inferred, not read from the text
    # which evidence chose organisation, body and date ({"organisation": "header line 2", ...});
    # shown by ``motesok parse``, not stored in the index
    evidence: dict[str, str] = field(default_factory=dict)
    # personnummer/samordningsnummer masked when the document was read (indexer/personnummer.py);
    # stored with the document: its original file is never served when this is above 0
    personnummer_masked: int = 0
    # the publisher's address of the document (sidecar/manifest ``url``): shown as its source
    url: str | None = None
    # read by OCR (no text layer), with Tesseract's mean word confidence (0–100)
    ocr: bool = False
    ocr_confidence: float | None = None
    # when the store first held this source and when its content last changed (UTC ISO 8601, set
    # by the store on write and kept across re-index and --rebuild; None before it was stored)
    first_indexed: str | None = None
    last_changed: str | None = None

    @property
    def contained_personnummer(self) -> bool:
        """Whether the source file carries a personal identity number (its original must not be served)."""
        return self.personnummer_masked > 0

    @property
    def id(self) -> str:
        """Deterministic id from the source path: re-indexing the same file replaces its items."""
        return hashlib.sha1(self.source.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **asdict(self)}


@dataclass
class Item:
    """One agenda item (or one section of a non-meeting document)."""

    number: int | None
    paragraph: int | None
    title: str
    text: str
    title_derived: bool = False
    number_inferred: bool = False
    section: str | None = None
    decisions: list[str] = field(default_factory=list)
    decision_kind: str | None = None  # "beslut" (decided) or "förslag" (proposed); None without decisions
    case_numbers: list[str] = field(default_factory=list)
    # the § as printed ("12", "3 a"): ``paragraph`` is its number, the label keeps a letter suffix
    paragraph_label: str | None = None
    page_start: int | None = None  # 1-based page of the source on which the item starts (PDF, paged text)
    page_end: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ParsedDocument:
    document: DocumentMeta
    items: list[Item]

    def to_dict(self) -> dict[str, Any]:
        return {"document": self.document.to_dict(), "items": [i.to_dict() for i in self.items]}


@dataclass
class IndexedItem:
    """An item with everything a store needs: analyzed terms, topics and passage vectors."""

    id: str
    document_id: str
    position: int  # order within the document
    item: Item
    title_terms: str  # analyzed terms, space separated, for the keyword index
    text_terms: str
    topics: list[str]
    vectors: Any  # numpy array (n_passages, dim), L2-normalised
    # the item's own case numbers normalised per organisation (indexer.cases.case_key): the
    # store's lookup from a case to its items; cases themselves are read-time views over these
    case_keys: list[str] = field(default_factory=list)


def item_id(document_id: str, position: int) -> str:
    return f"{document_id}-{position:04d}"
