"""What answers show of a stored item or document: the file's name, never a server path.

The store keeps the absolute path (``source``) for re-index bookkeeping and for serving the
original; every API answer, export and page gets ``source`` as the file's name, the publisher's
``url`` when a sidecar or manifest gave one, and ``original``: the address of the indexed file
(``/documents/{id}/original``, at the item's page for a PDF), or None when it is not served.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from indexer.records import DocumentMeta
from indexer.store.base import StoredItem


def source_name(source: str) -> str:
    """The file name of a stored source path (either separator: the indexer may run elsewhere)."""
    return source.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def original_url(document_id: str, personnummer_masked: int = 0, page: int | None = None) -> str | None:
    """The original's address, with ``#page=N`` (PDF viewers open that page); None when the file
    contained a personnummer, since then it is never served (the page says why)."""
    if personnummer_masked > 0:
        return None
    return f"/documents/{document_id}/original" + (f"#page={page}" if page else "")


def public_item(item: StoredItem) -> dict[str, Any]:
    out = asdict(item)
    out["source"] = source_name(item.source)
    out["original"] = original_url(item.document_id, item.personnummer_masked, item.page_start)
    return out


def public_document(meta: DocumentMeta) -> dict[str, Any]:
    out = meta.to_dict()
    out["source"] = source_name(meta.source)
    out["original"] = original_url(meta.id, meta.personnummer_masked)
    out.pop("evidence", None)  # read-time reasoning, empty from a store
    return out
