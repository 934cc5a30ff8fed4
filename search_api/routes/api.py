"""The JSON API (``/api/…``), the Atom feed (``/feed``) and the originals
(``/documents/{id}/original``). Routes are thin: they validate input and call the search service."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from indexer.store.base import Filters
from search_api.feeds import FeedParams, atom_feed, describe, newest_matches
from search_api.originals import Refused, load_original
from search_api.routes.deps import ConfigDep, ServiceDep
from search_api.schemas import (
    MAX_LIMIT,
    MAX_QUERY_CHARS,
    CaseRecord,
    CaseSearchResponse,
    DocumentView,
    Health,
    ItemContext,
    SearchParams,
    SearchResponse,
    Stats,
)

EXPORT_MAX_ITEMS = 10_000
EXPORT_COLUMNS = ("id", "title", "organisation", "body", "date", "doc_type", "paragraph", "number",
                  "topics", "decisions", "decision_kind", "case_numbers", "text", "source", "document_id",
                  "url", "page_start", "page_end", "original")

router = APIRouter()
ParamsDep = Annotated[SearchParams, Query()]


@router.get("/api/search", response_model=SearchResponse, tags=["sök"])
def search(params: ParamsDep, service: ServiceDep) -> Response:
    """Search agenda items; returns hits, total and disjunctive facet counts."""
    # The service builds a validated SearchResponse: pydantic's encoder writes it once,
    # where FastAPI would validate it again and encode it in Python (~1 ms of a search).
    return Response(service.search(params).model_dump_json(), media_type="application/json")


@router.get("/api/items/{item_id}", response_model=ItemContext, tags=["sök"])
def get_item(item_id: str, service: ServiceDep) -> ItemContext:
    """One agenda item with its document's metadata and its neighbours in the same meeting."""
    found = service.item_with_context(item_id)
    if found is None:
        raise HTTPException(404, f"ingen punkt med id {item_id!r}")
    return found


@router.get("/api/cases/{case_id}", response_model=CaseRecord, tags=["ärenden"])
def get_case(case_id: str, service: ServiceDep) -> CaseRecord:
    """A case (ärende): every indexed step carrying its case number, in date order, with each
    step's decision or proposal and the latest decision as its status."""
    found = service.case(case_id)
    if found is None:
        raise HTTPException(404, f"inget ärende med id {case_id!r}")
    return found


@router.get("/api/cases", response_model=CaseSearchResponse, tags=["ärenden"])
def search_cases(
    service: ServiceDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS,
                            description="A case number (KS 2023/204) or words")],
    organisation: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> CaseSearchResponse:
    """Cases for a case number (in every organisation, or the one given) or, for other words,
    the cases of the best-matching items in their rank order."""
    if not q.strip():
        raise HTTPException(422, "ogiltig förfrågan: q: the query is empty")
    filters = Filters(organisation=(organisation,)) if organisation else Filters()
    return service.search_cases(q, filters, limit)


@router.get("/api/documents/{document_id}", response_model=DocumentView, tags=["sök"])
def get_document(document_id: str, service: ServiceDep) -> DocumentView:
    """A document with all its items in order."""
    found = service.document(document_id)
    if found is None:
        raise HTTPException(404, f"inget dokument med id {document_id!r}")
    return found


@router.get("/documents/{document_id}/original", tags=["sök"])
def original(document_id: str, request: Request, service: ServiceDep) -> Response:
    """The indexed file itself (inline), by document id only; refused for a document that
    contained a personnummer (403), a file gone (404) or changed since it was indexed (409)."""
    found = service.stored_document(document_id)
    if found is None:
        raise HTTPException(404, f"inget dokument med id {document_id!r}")
    try:
        served = load_original(found)
    except Refused as refused:
        return _refusal(refused, request)
    return Response(served.data, media_type=served.media_type, headers=served.headers())


@router.get("/api/export", tags=["export"])
def export(
    params: ParamsDep,
    service: ServiceDep,
    format: Annotated[str, Query(pattern="^(csv|jsonl)$", description="csv or jsonl")] = "csv",
) -> StreamingResponse:
    """All matching items (up to 10 000), streamed as CSV (UTF-8 with BOM, for Excel) or JSON Lines."""
    items = service.export_items(params, EXPORT_MAX_ITEMS)
    if format == "jsonl":
        body = (json.dumps(row, ensure_ascii=False) + "\n" for row in items)
        return StreamingResponse(body, media_type="application/x-ndjson",
                                 headers={"Content-Disposition": 'attachment; filename="motesok.jsonl"'})
    return StreamingResponse(_csv_rows(items), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="motesok.csv"'})


@router.get("/feed", tags=["bevaka"], response_class=Response,
            responses={200: {"content": {"application/atom+xml": {}}}})
def feed(params: Annotated[FeedParams, Query()], request: Request, service: ServiceDep,
         config: ConfigDep) -> Response:
    """Atom 1.0 feed of a search (the parameters of /api/search; ``q`` may be left out when a
    filter is given, e.g. ``/feed?body=Kommunstyrelsen``): its matches, newest first by the time
    they were first indexed, then by meeting date; ``limit`` entries (default 10)."""
    base = (config.public_base_url or str(request.base_url)).rstrip("/")
    query = request.url.query
    entries = newest_matches(service, params)
    xml = atom_feed(entries, title=describe(params), feed_url=f"{base}/feed?{query}",
                    page_url=f"{base}/?{query}" if params.q else f"{base}/", base_url=base, limit=params.limit)
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


@router.get("/api/health", response_model=Health, tags=["drift"],
            responses={503: {"model": Health, "description": "The store does not answer or no model is loaded."}})
def health(service: ServiceDep) -> JSONResponse:
    """Whether the store answers and the model is loaded."""
    found = service.health()
    # the fields that do not apply (the counts of a store that failed, its error otherwise) are left out
    return JSONResponse(found.model_dump(exclude_unset=True), status_code=200 if found.ok else 503)


@router.get("/api/stats", response_model=Stats, tags=["drift"])
def stats(service: ServiceDep) -> Stats:
    """Counts per organisation, body and year, and the newest meeting date per body."""
    return service.stats()


def _refusal(refused: Refused, request: Request) -> Response:
    """A refused original: a short Swedish page for a browser (the item page links there), JSON
    for other clients; both link the publisher's copy when the document has a url."""
    if "text/html" in request.headers.get("accept", ""):
        link = (f'<p><a href="{escape(refused.url)}" rel="noopener">Dokumentet hos utgivaren</a></p>'
                if refused.url else "")
        page = (f'<!doctype html><html lang="sv"><meta charset="utf-8"><title>Originalet visas inte – Mötessök'
                f'</title><main><h1>Originalet visas inte</h1><p>{escape(refused.message)}</p>{link}'
                f'<p><a href="/">Till sökningen</a></p></main></html>')
        return HTMLResponse(page, status_code=refused.status)
    return JSONResponse({"error": refused.message, "url": refused.url}, status_code=refused.status)


def _csv_rows(items: Iterator[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"  # BOM: Excel opens å, ä, ö correctly only with it
    writer.writerow(EXPORT_COLUMNS)
    for row in items:
        writer.writerow(["; ".join(v) if isinstance(v := row.get(c), list) else ("" if v is None else v)
                         for c in EXPORT_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
