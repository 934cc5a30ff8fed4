"""Document and item metadata read from the text, plus sidecar and manifest overrides.

Everything is derived from the document's own text: organisation, body (nämnd, styrelse,
utskott, fullmäktige …), meeting date, document type and title per document; case numbers and
decisions per item. What the text only implies (a body named in the content rather than the
header, a year read off the dates a report mentions) is recorded in ``DocumentMeta.inferred``;
what the text does not support is left empty — a date is never invented.

A ``NAME.meta.json`` (or ``NAME.EXT.meta.json``) beside a document, or a ``manifest.json`` in its
folder (``{"files": {"NAME.EXT": {...}}}``), overrides or supplies metadata.

The rules live in one module each: ``header`` (a document's first lines), ``dates``, ``organisations``
(pattern finder), ``bodies``, ``titles`` (document type and title), ``case_numbers``, ``overrides``
(sidecars and manifests); this module composes them into a document's metadata.
"""

from __future__ import annotations

import re

from indexer.decisions import extract_decisions, typed_decisions
from indexer.evidence import Choice, PathHints, fits_body, front_matter, path_hints
from indexer.evidence import find_organisation as find_issuer
from indexer.gazetteer import gazetteer
from indexer.metadata.bodies import (
    BODY_RE,
    _choose_body,
    find_bodies,
    find_body,
    normalise_body,
)
from indexer.metadata.case_numbers import extract_case_numbers
from indexer.metadata.dates import _first_date, find_date, infer_year
from indexer.metadata.doc_types import DOC_TYPES, TYPE_WORDS
from indexer.metadata.header import header_lines
from indexer.metadata.organisations import find_organisations
from indexer.metadata.overrides import (
    OVERRIDABLE,
    MetadataError,
    apply_overrides,
    load_overrides,
    sidecar_paths,
)
from indexer.metadata.titles import find_doc_type, find_title, usable_title
from indexer.records import DocumentMeta, Item


def build_meta(text: str, *, source: str, fmt: str, checksum: str, family: str, kind: str | None,
               items: list[Item], title_hint: str | None = None, first_page: str | None = None,
               file_date: str | None = None, described_by: list[str] | None = None) -> DocumentMeta:
    """The document's metadata and the evidence for it. ``first_page`` is a PDF's first page as
    printed (its letterhead, which the text layer drops as a running header); ``file_date`` the
    file's own date (a PDF's creation date), used last and never for a meeting record;
    ``described_by`` the file's own description (a PDF's Title and Author, an HTML page's title)."""
    meta = DocumentMeta(source=source, checksum=checksum, format=fmt)
    inferred: list[str] = []
    hints = path_hints(source) if source else PathHints()
    issuer = find_issuer(text, source, letterhead=first_page, described_by=described_by)
    body = _choose_body(text, family, kind, hints, issuer.value, first_page)
    # again, with the body: the organisation must fit the body's kind. A located choice that fits
    # already is what the second pass would choose (the best score overall is the best that fits).
    if body.value and (issuer.inferred or not issuer.value
                       or not fits_body(gazetteer().by_official(issuer.value), body.value)):
        issuer = find_issuer(text, source, body.value, letterhead=first_page, described_by=described_by)
    meta.organisation = issuer.value
    if issuer.inferred:
        inferred.append("organisation")
    meta.body = body.value
    if body.inferred:
        inferred.append("body")
    title = find_title(text, family, kind, title_hint)
    if title:  # a heading that is the file's name ("… IM 2024.pdf") keeps the name without its suffix
        title = re.sub(r"\.(?:pdf|docx?|odt|rtf|txt|html?)$", "", title, flags=re.I).strip() or None
    meta.doc_type = find_doc_type(family, kind, title, items, text)
    date = _choose_date(text, family, hints, first_page, file_date, meta.doc_type)
    meta.date = date.value
    meta.evidence = {k: c.evidence for k, c in (("organisation", issuer), ("body", body), ("date", date))
                     if c.value and c.evidence}
    if meta.date:
        meta.year = int(meta.date[:4])
    else:
        m = re.search(r"\b((?:19|20)\d{2})\b", title or "")
        meta.year = (int(m.group(1)) if m else None) or infer_year(text)
        if meta.year is not None:
            inferred.append("year")
    if not title:
        title = _compose_title(meta, items)
        if title:
            inferred.append("title")
    meta.title = title
    meta.inferred = inferred
    return meta


_MEETING_TYPES = {"protokoll", "beslut", "kallelse", "möte", "anteckningar"}


def _choose_date(text: str, family: str, hints: PathHints, first_page: str | None, file_date: str | None,
                 doc_type: str | None) -> Choice:
    """The header's date, then the first page's running header, then the file or folder name, then
    the file's own date — the last never for a meeting record, whose date is the meeting's."""
    found = find_date(text, family)
    if found:
        return Choice(found, "document header")
    if first_page and (found := find_date(first_page, family)):
        return Choice(found, "first page header")
    if (fm := front_matter(text).get("date")) and (found := _first_date(fm)):
        return Choice(found, "front matter")
    if hints.date.value:
        return hints.date
    if file_date and doc_type not in _MEETING_TYPES:
        return Choice(file_date, "PDF metadata (creation date)")
    return Choice()


def _compose_title(meta: DocumentMeta, items: list[Item]) -> str | None:
    word = TYPE_WORDS.get(meta.doc_type or "övrigt", "Dokument")
    if meta.doc_type == "beslut":
        para = next((i for i in items if i.paragraph is not None), None)
        if para:
            return f"{word} § {para.paragraph} {para.title}".strip()
    parts = [word]
    if meta.body:
        parts.append(meta.body)
    if meta.date:
        parts.append(meta.date)
    elif meta.year:
        parts.append(str(meta.year))
    if len(parts) == 1:
        return items[0].title if items else None
    return " ".join(parts)


def enrich_items(items: list[Item]) -> list[Item]:
    """Fill in case numbers and decisions the segmenter did not already know."""
    for item in items:
        item.case_numbers = extract_case_numbers(item.text, item.case_numbers)
        if not item.decisions:
            found = typed_decisions(item.text)
            item.decisions, item.decision_kind = found.texts, found.kind
    return items


__all__ = ["BODY_RE", "DOC_TYPES", "OVERRIDABLE", "MetadataError", "apply_overrides", "build_meta", "enrich_items",
           "extract_case_numbers", "extract_decisions", "find_bodies", "find_body", "find_date", "find_doc_type",
           "find_organisations", "find_title", "header_lines", "load_overrides", "normalise_body", "sidecar_paths",
           "usable_title"]
