"""The HTTP API and web page. Routes are thin: they validate input and call the search service.

The model and the store are loaded once, in ``create_app``; requests only read.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response, StreamingResponse

from motesok import __version__
from motesok.config import Settings, get_settings, secret_key
from search_api.alerts import ALERTS_DB
from search_api.feeds import FeedParams, atom_feed, describe, newest_matches
from search_api.schemas import MAX_LIMIT, MAX_QUERY_CHARS, CaseRecord, CaseSearchResponse, SearchParams, SearchResponse
from search_api.service import SearchService

log = logging.getLogger("motesok.api")

EXPORT_MAX_ITEMS = 10_000
EXPORT_COLUMNS = ("id", "title", "organisation", "body", "date", "doc_type", "paragraph", "number",
                  "topics", "decisions", "decision_kind", "case_numbers", "text", "source", "document_id",
                  "url", "page_start", "page_end", "original")


def _errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        loc = list(e.get("loc", ()))
        if loc and loc[0] in ("query", "path", "body", "header", "cookie"):  # where, not which field
            loc = loc[1:]  # (only the first: "body" is also the name of a filter)
        loc = [str(p) for p in loc]
        out.append({"field": ".".join(loc) or None, "message": e.get("msg", "invalid")})
    return out


def get_service(request: Request) -> SearchService:
    return request.app.state.service


# Module level, not inside create_app: with ``from __future__ import annotations`` FastAPI resolves
# the route signatures' annotations in the module's globals, and a local alias is not found there
# (every route then asked for "service" and "params" as query parameters and answered 422).
ServiceDep = Annotated[SearchService, Depends(get_service)]
ParamsDep = Annotated[SearchParams, Query()]


def create_app(settings: Settings | None = None, service: SearchService | None = None) -> FastAPI:
    """Build the app. ``service`` may be given (tests); otherwise it is built from the settings."""
    settings = settings or get_settings()
    if service is None:
        from motesok.runtime import build_search_service

        service = build_search_service(settings)

    app = FastAPI(
        title="Mötessök API",
        version=__version__,
        description="Sök i protokoll, kallelser och handlingar från regioner och kommuner.",
    )
    app.state.service = service
    app.state.settings = settings
    # saved searches (search_api/alerts.py): the unsubscribe route's file and key, the key read
    # (or generated) only when a link is followed
    app.state.alerts_path = settings.data_dir / ALERTS_DB
    app.state.alert_key = lambda: secret_key(settings)

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET"])

    @app.middleware("http")
    async def log_requests(request: Request, call_next):
        started = time.perf_counter()
        request_id = uuid.uuid4().hex[:12]
        outcome, status = "ok", 500
        try:
            response = await call_next(request)
            status = response.status_code
            outcome = "ok" if status < 400 else "client_error" if status < 500 else "error"
            return response
        except Exception:
            outcome = "error"
            log.exception("unhandled error", extra={"request_id": request_id, "path": request.url.path})
            return JSONResponse({"error": "internt fel", "request_id": request_id}, status_code=500)
        finally:
            extra = {"request_id": request_id, "method": request.method, "path": request.url.path,
                     "status": status, "outcome": outcome,
                     "duration_ms": round((time.perf_counter() - started) * 1000, 1)}
            if settings.log_queries:
                extra["query"] = unquote_plus(str(request.url.query))  # readable: "q=ambulanshelikopter&year=2024"
            # One line per request; the query string only when MOTESOK_LOG_QUERIES is on.
            log.log(logging.ERROR if outcome == "error" else logging.INFO, "request", extra=extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        details = _errors(exc)
        message = "; ".join(f"{d['field']}: {d['message']}" if d["field"] else d["message"] for d in details)
        return JSONResponse({"error": f"ogiltig förfrågan: {message}", "details": details}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)

    @app.get("/api/search", response_model=SearchResponse, tags=["sök"])
    def search(params: ParamsDep, service: ServiceDep) -> Response:
        """Search agenda items; returns hits, total and disjunctive facet counts."""
        # The service builds a validated SearchResponse: pydantic's encoder writes it once,
        # where FastAPI would validate it again and encode it in Python (~1 ms of a search).
        return Response(service.search(params).model_dump_json(), media_type="application/json")

    @app.get("/api/items/{item_id}", tags=["sök"])
    def get_item(item_id: str, service: ServiceDep) -> dict[str, Any]:
        """One agenda item with its document's metadata and its neighbours in the same meeting."""
        found = service.item_with_context(item_id)
        if found is None:
            raise HTTPException(404, f"ingen punkt med id {item_id!r}")
        return found

    @app.get("/api/cases/{case_id}", response_model=CaseRecord, tags=["ärenden"])
    def get_case(case_id: str, service: ServiceDep) -> CaseRecord:
        """A case (ärende): every indexed step carrying its case number, in date order, with each
        step's decision or proposal and the latest decision as its status."""
        found = service.case(case_id)
        if found is None:
            raise HTTPException(404, f"inget ärende med id {case_id!r}")
        return found

    @app.get("/api/cases", response_model=CaseSearchResponse, tags=["ärenden"])
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
        from indexer.store.base import Filters

        filters = Filters(organisation=(organisation,)) if organisation else Filters()
        return service.search_cases(q, filters, limit)

    @app.get("/api/documents/{document_id}", tags=["sök"])
    def get_document(document_id: str, service: ServiceDep) -> dict[str, Any]:
        """A document with all its items in order."""
        found = service.document(document_id)
        if found is None:
            raise HTTPException(404, f"inget dokument med id {document_id!r}")
        return found

    @app.get("/documents/{document_id}/original", tags=["sök"])
    def original(document_id: str, request: Request, service: ServiceDep) -> Response:
        """The indexed file itself (inline), by document id only; refused for a document that
        contained a personnummer (403), a file gone (404) or changed since it was indexed (409)."""
        from search_api.originals import Refused, load_original

        found = service.store.get_document(document_id)
        if found is None:
            raise HTTPException(404, f"inget dokument med id {document_id!r}")
        try:
            served = load_original(found[0])
        except Refused as refused:
            return _refusal(refused, request)
        return Response(served.data, media_type=served.media_type, headers=served.headers())

    @app.get("/api/export", tags=["export"])
    def export(
        params: Annotated[SearchParams, Query()],
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

    @app.get("/feed", tags=["bevaka"], response_class=Response,
             responses={200: {"content": {"application/atom+xml": {}}}})
    def feed(params: Annotated[FeedParams, Query()], request: Request, service: ServiceDep) -> Response:
        """Atom 1.0 feed of a search (the parameters of /api/search; ``q`` may be left out when a
        filter is given, e.g. ``/feed?body=Kommunstyrelsen``): its matches, newest first by the time
        they were first indexed, then by meeting date; ``limit`` entries (default 10)."""
        base = (settings.public_base_url or str(request.base_url)).rstrip("/")
        query = request.url.query
        entries = newest_matches(service, params)
        xml = atom_feed(entries, title=describe(params), feed_url=f"{base}/feed?{query}",
                        page_url=f"{base}/?{query}" if params.q else f"{base}/", base_url=base, limit=params.limit)
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    @app.get("/api/health", tags=["drift"])
    def health(service: ServiceDep) -> JSONResponse:
        """Whether the store answers and the model is loaded."""
        try:
            stats = service.store.stats()
            store_ok, counts = True, {"documents": stats.documents, "items": stats.items}
        except Exception as exc:  # the point of a health check is to report, not to fail
            store_ok, counts = False, {"error": type(exc).__name__}
        model_ok = getattr(service.embedder, "dim", 0) > 0
        ok = store_ok and model_ok
        return JSONResponse({"status": "ok" if ok else "degraded", "store": store_ok, "model_loaded": model_ok,
                             "model": getattr(service.embedder, "name", None), **counts},
                            status_code=200 if ok else 503)

    @app.get("/api/stats", tags=["drift"])
    def stats(service: ServiceDep) -> dict[str, Any]:
        """Counts per organisation, body and year, and the newest meeting date per body."""
        s = service.store.stats()
        return {"documents": s.documents, "items": s.items, "organisation": s.by_organisation,
                "body": s.by_body, "year": {str(k): v for k, v in s.by_year.items()},
                "newest_date_by_body": s.newest_date_by_body}

    try:
        from search_api.web import register_pages
    except ImportError:  # the web page is optional for API-only deployments
        pass
    else:
        register_pages(app)

    return app


def _refusal(refused, request: Request) -> Response:
    """A refused original: a short Swedish page for a browser (the item page links there), JSON
    for other clients; both link the publisher's copy when the document has a url."""
    if "text/html" in request.headers.get("accept", ""):
        from html import escape

        from fastapi.responses import HTMLResponse

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
