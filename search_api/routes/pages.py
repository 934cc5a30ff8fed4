"""The web page's routes (Swedish, server-rendered; the view helpers are ``search_api.web``):

- ``/``                 start page (empty query) or the result page (``?q=…`` and the API's parameters)
- ``/punkt/{item_id}``  permalink of one agenda item, with its neighbours in the same meeting, its
  case's other steps and its references linked
- ``/arende/{case_id}`` a case (ärende): its steps in date order and its latest decision
- ``/avregistrera/{token}`` the unsubscribe link of a saved search's e-mails
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from search_api.alerts import Alert, AlertStore, token_alert_id, verify
from search_api.routes.deps import AppConfig, ConfigDep, ServiceDep, get_config
from search_api.schemas import MAX_QUERY_CHARS
from search_api.web import (
    CONTROL_CHARS,
    FACET_LABELS,
    MODES,
    PAGE_HEADERS,
    PAGE_SIZE,
    SORTS,
    TEMPLATES,
    PageState,
    clean_query,
    facet_blocks,
    format_date,
    format_number,
    friendly_errors,
    histogram,
    item_pages,
    item_place,
    remove_links,
    search_params,
    start_stats,
    text_parts,
)

log = logging.getLogger("motesok.web")

ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
ENV.globals.update(modes=MODES, sorts=SORTS, max_query=MAX_QUERY_CHARS, facet_labels=FACET_LABELS)
ENV.filters.update(place=item_place, pages=item_pages, number=format_number, date=format_date)

router = APIRouter(include_in_schema=False)


def render(config: AppConfig, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = ENV.get_template(name).render(version=config.version, **context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


async def unrouted(request: Request, exc: Exception) -> Response:
    """Errors raised by routing itself (no such path, wrong method): the API's JSON shape under
    ``/api``, a Swedish page elsewhere. The API's own ``HTTPException``s keep their handler."""
    assert isinstance(exc, StarletteHTTPException)  # registered for that class only
    path = request.url.path
    # "/api" itself counts as API (a client's URL normalisation turns "/api/items/.." into it)
    wants_page = path != "/api" and not path.startswith(("/api/", "/static/", "/docs", "/openapi", "/redoc"))
    if exc.status_code == 404 and wants_page and request.method in ("GET", "HEAD"):
        return render(get_config(request), "not_found.html", status=404, state=PageState(), item_id=None)
    message = {404: "hittades inte", 405: "metoden är inte tillåten"}.get(exc.status_code, str(exc.detail))
    return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request, service: ServiceDep, config: ConfigDep) -> HTMLResponse:
    state = PageState.from_request(request)
    context: dict[str, Any] = {"state": state, "errors": [], "result": None, "stats": None,
                               "stats_failed": False, "facet_blocks": [], "histogram": [],
                               "remove_links": remove_links(state), "paging": None}
    if not clean_query(state.q).strip():
        # The start page. A blank query with filters or spaces gets a hint; a bare visit none.
        context["stats"] = start_stats(service)
        context["stats_failed"] = context["stats"] is None
        if state.q or state.has_filters():
            context["errors"] = ["Skriv något att söka efter."]
        return render(config, "search.html", **context)

    try:
        params = search_params(state)
    except ValidationError as exc:
        context["errors"] = friendly_errors(exc)
        return render(config, "search.html", status=400, **context)
    if params.date_from and params.date_to and params.date_from > params.date_to:
        context["errors"] = ["Från-datumet ligger efter till-datumet. Byt plats på dem eller ta bort ett av dem."]
        return render(config, "search.html", status=400, **context)

    try:
        result = service.search(params)
    except Exception:
        log.exception("search failed", extra={"path": "/"})
        context["errors"] = ["Något gick fel när sökningen kördes. Försök igen, eller formulera om sökfrågan."]
        return render(config, "search.html", status=500, **context)

    offset = params.offset
    groups = result.total_groups if result.total_groups is not None else result.total
    context.update(
        result=result,
        facet_blocks=facet_blocks(state, result.facets),
        histogram=histogram(state, result.facets.get("year", [])),
        paging={
            "first": offset + 1 if result.hits else 0,
            "last": offset + len(result.hits),
            "page": offset // PAGE_SIZE + 1,
            "pages": max(1, -(-groups // PAGE_SIZE)),
            "groups": groups,  # paging runs over hits grouped by case
            "previous": state.url(offset=max(0, offset - PAGE_SIZE)) if offset > 0 else None,
            "next": state.url(offset=offset + PAGE_SIZE) if offset + PAGE_SIZE < groups else None,
            "first_page": state.url() if offset else None,
        },
        export_csv=state.export_url("csv"),
        export_jsonl=state.export_url("jsonl"),
        feed_url=state.feed_url(),
        semantic_url=state.url(mode="semantic") if state.mode != "semantic" else None,
    )
    return render(config, "search.html", **context)


def _unsubscribe_target(config: AppConfig, token: str) -> tuple[AlertStore, Alert] | None:
    """The alert a signed unsubscribe token names, with its open store, or None (forged,
    altered, or already removed)."""
    alert_id = token_alert_id(token)
    path = config.alerts_path
    if alert_id is None or not path.exists():  # no saved searches at all: no token can be good
        return None
    store = AlertStore(path)
    alert = store.get(alert_id)
    if alert is None or not verify(token, alert, config.alert_key()):
        store.close()
        return None
    return store, alert


# A GET only asks: mail scanners and link previews open links, and must not unsubscribe anyone.
# The POST (the form's button, or a mail program's one-click unsubscribe, RFC 8058) removes.
@router.get("/avregistrera/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str, config: ConfigDep) -> HTMLResponse:
    found = _unsubscribe_target(config, token)
    if found is None:
        return render(config, "unsubscribe.html", status=403, outcome="forbidden")
    store, alert = found
    store.close()
    return render(config, "unsubscribe.html", outcome="confirm", description=alert.description, email=alert.email,
                  action=f"/avregistrera/{token}")


@router.post("/avregistrera/{token}", response_class=HTMLResponse)
def unsubscribe(token: str, config: ConfigDep) -> HTMLResponse:
    """The one write over HTTP: removes the one alert a valid signed token names."""
    found = _unsubscribe_target(config, token)
    if found is None:
        return render(config, "unsubscribe.html", status=403, outcome="forbidden")
    store, alert = found
    try:
        store.remove(alert.id)
    finally:
        store.close()
    log.info("alert removed by its unsubscribe link", extra={"alert_id": alert.id})
    return render(config, "unsubscribe.html", outcome="removed", description=alert.description)


@router.get("/punkt/{item_id}", response_class=HTMLResponse)
def item_page(item_id: str, service: ServiceDep, config: ConfigDep) -> HTMLResponse:
    found = service.item_with_context(item_id) if not CONTROL_CHARS.search(item_id) else None
    if found is None:
        return render(config, "not_found.html", status=404, state=PageState(), item_id=item_id)
    item = found.item
    return render(config, "item.html", state=PageState(), item=item, document=found.document or {},
                  previous=found.previous, next=found.next, cases=found.case,
                  text_parts=text_parts(item.text, found.references),
                  linked_references=[r for r in found.references if r.url])


@router.get("/arende/{case_id}", response_class=HTMLResponse)
def case_page(case_id: str, service: ServiceDep, config: ConfigDep) -> HTMLResponse:
    found = service.case(case_id) if not CONTROL_CHARS.search(case_id) else None
    if found is None:
        return render(config, "not_found.html", status=404, state=PageState(), item_id=None, case_id=case_id)
    return render(config, "case.html", state=PageState(), case=found)
