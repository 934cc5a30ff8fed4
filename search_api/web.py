"""The web page: a Swedish, server-rendered search page over the same search service as the API.

Everything works as plain GET forms and links; ``static/app.js`` only re-submits the form when a
filter is ticked and restores focus afterwards. Pages:

- ``/``                 start page (empty query) or the result page (``?q=…`` and the API's parameters)
- ``/punkt/{item_id}``  permalink of one agenda item, with its neighbours in the same meeting, its
  case's other steps and its references linked
- ``/arende/{case_id}`` a case (ärende): its steps in date order and its latest decision

The parameter names are the API's (``q``, ``mode``, ``body``, ``year``, …), so the export link is
the current search's query string sent to ``/api/export``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from indexer.store.base import FACET_FIELDS
from motesok import __version__
from search_api.schemas import MAX_QUERY_CHARS, SearchParams

log = logging.getLogger("motesok.web")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

PAGE_SIZE = 10
FACETS_SHOWN = 8  # values shown before "Visa fler" per facet

MODES = (("hybrid", "Hybrid"), ("keyword", "Nyckelord"), ("semantic", "Semantisk"))
SORTS = (("relevance", "Relevans"), ("date", "Datum (nyast först)"))
FACET_LABELS = {"organisation": "Organisation", "body": "Organ", "year": "År", "topic": "Ämne",
                "doc_type": "Dokumenttyp"}
FIELD_LABELS = {"q": "Sökfrågan", "mode": "Sökläget", "sort": "Sorteringen", "offset": "Sidan",
                "date_from": "Från-datumet", "date_to": "Till-datumet", "year": "Året",
                **{f: FACET_LABELS[f] for f in FACET_FIELDS if f != "year"}}

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Pages only load what they serve themselves; inline <style>/<script> and style attributes are off.
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "same-origin"}


# -- the state of one search page, as read from the query string -------------------------------


@dataclass(frozen=True)
class PageState:
    """What the visitor asked for, as raw strings (kept even when invalid, to refill the form)."""

    q: str = ""
    mode: str = "hybrid"
    sort: str = "relevance"
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: str = ""
    date_to: str = ""
    offset: str = "0"

    @classmethod
    def from_request(cls, request: Request) -> "PageState":
        qp = request.query_params
        filters = {}
        for facet in FACET_FIELDS:
            values = tuple(dict.fromkeys(v.strip() for v in qp.getlist(facet) if v.strip()))
            if values:
                filters[facet] = values
        return cls(
            q=qp.get("q", ""),
            mode=qp.get("mode") or "hybrid",
            sort=qp.get("sort") or "relevance",
            filters=filters,
            date_from=qp.get("date_from", "").strip(),
            date_to=qp.get("date_to", "").strip(),
            offset=qp.get("offset", "0").strip() or "0",
        )

    @property
    def page_offset(self) -> int:
        try:
            return max(0, int(self.offset))
        except ValueError:
            return 0

    def selected(self, facet: str) -> tuple[str, ...]:
        return self.filters.get(facet, ())

    def has_filters(self) -> bool:
        return bool(self.filters or self.date_from or self.date_to)

    def pairs(self, *, offset: int | None = None) -> list[tuple[str, str]]:
        """The query string of this state (``offset`` only when not on the first page)."""
        out: list[tuple[str, str]] = [("q", self.q)]
        if self.mode != "hybrid":
            out.append(("mode", self.mode))
        for facet in FACET_FIELDS:
            out.extend((facet, v) for v in self.selected(facet))
        if self.date_from:
            out.append(("date_from", self.date_from))
        if self.date_to:
            out.append(("date_to", self.date_to))
        if self.sort != "relevance":
            out.append(("sort", self.sort))
        if offset:
            out.append(("offset", str(offset)))
        return out

    def url(self, **changes: Any) -> str:
        """A link to this search with some things changed; paging starts over unless ``offset``."""
        offset = changes.pop("offset", 0)
        state = replace(self, **changes) if changes else self
        return "/?" + urlencode(state.pairs(offset=offset))

    def without_value(self, facet: str, value: str) -> "PageState":
        filters = dict(self.filters)
        rest = tuple(v for v in filters.get(facet, ()) if v != value)
        if rest:
            filters[facet] = rest
        else:
            filters.pop(facet, None)
        return replace(self, filters=filters)

    def only_value(self, facet: str, value: str) -> "PageState":
        return replace(self, filters={**self.filters, facet: (value,)})

    def feed_url(self) -> str:
        """The Atom feed of this search (search_api/feeds.py): same filters, newest indexed first."""
        return "/feed?" + urlencode([p for p in self.pairs() if p[0] not in ("offset", "sort")])

    def export_url(self, fmt: str) -> str:
        pairs = [p for p in self.pairs() if p[0] != "offset"]
        return "/api/export?" + urlencode([*pairs, ("format", fmt)])


def _clean_query(q: str) -> str:
    """Control characters (a NUL pasted from a PDF, say) become spaces; they never mean anything."""
    return CONTROL_CHARS.sub(" ", q)


def _friendly(exc: ValidationError) -> list[str]:
    """Swedish messages for the visitor, one per invalid field."""
    messages: list[str] = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
        name = loc[0] if loc else ""
        label = FIELD_LABELS.get(name, "Ett värde")
        kind = error.get("type", "")
        if name == "q" and kind == "string_too_long":
            msg = f"Sökfrågan är för lång: högst {MAX_QUERY_CHARS} tecken."
        elif name == "q":
            msg = "Skriv något att söka efter."
        elif name in ("date_from", "date_to"):
            msg = f"{label} är inte ett giltigt datum. Skriv det som ÅÅÅÅ-MM-DD, till exempel 2024-03-31."
        elif name == "year":
            msg = "Året måste vara ett årtal, till exempel 2024."
        elif name in ("mode", "sort"):
            msg = f"{label} finns inte. Välj ett av alternativen i formuläret."
        elif name == "offset":
            msg = "Sidan finns inte. Börja om från första sidan."
        else:
            msg = f"{label} är ogiltigt."
        if msg not in messages:
            messages.append(msg)
    return messages or ["Sökningen kunde inte tolkas."]


def _params(state: PageState) -> SearchParams:
    raw: dict[str, Any] = {"q": _clean_query(state.q), "mode": state.mode, "sort": state.sort,
                           "offset": state.offset, "limit": PAGE_SIZE}
    raw.update({facet: list(values) for facet, values in state.filters.items()})
    if state.date_from:
        raw["date_from"] = state.date_from
    if state.date_to:
        raw["date_to"] = state.date_to
    return SearchParams.model_validate(raw)


# -- what the templates get -----------------------------------------------------------------------


@dataclass
class FacetEntry:
    value: str
    count: int
    checked: bool
    input_id: str


@dataclass
class FacetBlock:
    name: str
    label: str
    shown: list[FacetEntry]
    more: list[FacetEntry]


@dataclass
class Bar:
    year: str
    count: int
    height: int  # percent of the tallest bar, in steps of 5 (a CSS class: no inline styles)
    selected: bool
    url: str


@dataclass
class RemoveLink:
    label: str
    url: str


def _input_id(facet: str, value: str) -> str:
    """An id that stays the same across pages (the script puts focus back on it after a reload)."""
    return f"f-{facet}-{hashlib.sha1(value.encode('utf-8')).hexdigest()[:10]}"


def _facet_blocks(state: PageState, facets: dict[str, list]) -> list[FacetBlock]:
    blocks = []
    for facet in FACET_FIELDS:
        selected = state.selected(facet)
        counts = {str(fv.value): fv.count for fv in facets.get(facet, [])}
        # A ticked value the search did not find (count 0) stays listed so it can be unticked.
        counts.update({value: 0 for value in selected if value not in counts})
        entries = [FacetEntry(value, count, value in selected, _input_id(facet, value))
                   for value, count in counts.items()]
        if not entries:
            continue
        shown = entries[:FACETS_SHOWN] + [e for e in entries[FACETS_SHOWN:] if e.checked]
        more = [e for e in entries[FACETS_SHOWN:] if not e.checked]
        blocks.append(FacetBlock(facet, FACET_LABELS[facet], shown, more))
    return blocks


def _histogram(state: PageState, year_facet: list) -> list[Bar]:
    counts = sorted(((str(fv.value), fv.count) for fv in year_facet), key=lambda kv: kv[0])
    if not counts:
        return []
    top = max(c for _, c in counts) or 1
    selected = state.selected("year")
    return [Bar(year, count, max(5, round(count * 20 / top) * 5) if count else 0, year in selected,
                state.only_value("year", year).url())
            for year, count in counts]


def _remove_links(state: PageState) -> list[RemoveLink]:
    links = []
    for facet in FACET_FIELDS:
        for value in state.selected(facet):
            links.append(RemoveLink(f"{FACET_LABELS[facet]}: {value}", state.without_value(facet, value).url()))
    if state.date_from:
        links.append(RemoveLink(f"Från {state.date_from}", state.url(date_from="")))
    if state.date_to:
        links.append(RemoveLink(f"Till {state.date_to}", state.url(date_to="")))
    return links


def _start_stats(service) -> dict[str, Any] | None:
    try:
        s = service.store.stats()
    except Exception:  # the start page still works (the search box) when the store is down
        log.exception("stats failed")
        return None
    bodies = sorted(s.by_body.items(), key=lambda kv: (s.newest_date_by_body.get(kv[0]) or ""), reverse=True)
    years = sorted(s.by_year.items())
    top = max((c for _, c in years), default=1) or 1
    return {
        "documents": s.documents,
        "item_count": s.items,
        "organisations": sorted(s.by_organisation.items(), key=lambda kv: (-kv[1], kv[0])),
        "bodies": [{"name": b, "count": n, "newest": s.newest_date_by_body.get(b)} for b, n in bodies],
        "years": [{"year": y, "count": c, "height": max(5, round(c * 20 / top) * 5) if c else 0} for y, c in years],
    }


def _getter(item: Any):
    """A field reader for an item given as a dict (an API answer) or an object (a hit)."""
    return item.get if isinstance(item, dict) else lambda name: getattr(item, name, None)


def _item_place(item: Any) -> str:
    """``§ 12`` (``§ 3 a`` as printed) for a protocol item, ``punkt 3`` for a numbered one, else nothing."""
    get = _getter(item)
    if get("paragraph") is not None:
        return f"§ {get('paragraph_label') or get('paragraph')}"
    if get("number") is not None:
        return f"punkt {get('number')}"
    return ""


def _item_pages(item: Any) -> str:
    """``s. 7`` or ``s. 7–8``: the pages of the original an item spans (PDF), else nothing."""
    get = _getter(item)
    start, end = get("page_start"), get("page_end")
    if not start:
        return ""
    return f"s. {start}" if not end or end == start else f"s. {start}\u2013{end}"


def _text_parts(text: str, references: list[dict]) -> list[dict[str, Any]]:
    """The item text cut at its resolved references, so the template links them (and escapes
    every part): ``[{"text", "url", "title"}]``, url None for plain text."""
    parts: list[dict[str, Any]] = []
    at = 0
    for ref in sorted((r for r in references if r.get("url")), key=lambda r: r["start"]):
        start, end = ref["start"], ref["end"]
        if start < at or end > len(text):  # overlapping or out of range: left as text
            continue
        parts.append({"text": text[at:start], "url": None, "title": None})
        parts.append({"text": text[start:end], "url": ref["url"], "title": ref.get("title") or ""})
        at = end
    parts.append({"text": text[at:], "url": None, "title": None})
    return [p for p in parts if p["text"]]


def _format_number(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")  # Swedish thousands separator: a (non-breaking) space


def _format_date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        return value


# -- routes -------------------------------------------------------------------------------------------


def register_pages(app: FastAPI) -> None:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(version=__version__, modes=MODES, sorts=SORTS, max_query=MAX_QUERY_CHARS,
                       facet_labels=FACET_LABELS)
    env.filters.update(place=_item_place, pages=_item_pages, number=_format_number, date=_format_date)

    def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def unrouted(request: Request, exc: StarletteHTTPException):
        """Errors raised by routing itself (no such path, wrong method): the API's JSON shape under
        ``/api``, a Swedish page elsewhere. The API's own ``HTTPException``s keep their handler."""
        path = request.url.path
        # "/api" itself counts as API (a client's URL normalisation turns "/api/items/.." into it)
        wants_page = path != "/api" and not path.startswith(("/api/", "/static/", "/docs", "/openapi", "/redoc"))
        if exc.status_code == 404 and wants_page and request.method in ("GET", "HEAD"):
            return render("not_found.html", status=404, state=PageState(), item_id=None)
        message = {404: "hittades inte", 405: "metoden är inte tillåten"}.get(exc.status_code, str(exc.detail))
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request) -> HTMLResponse:
        service = request.app.state.service
        state = PageState.from_request(request)
        context: dict[str, Any] = {"state": state, "errors": [], "result": None, "stats": None,
                                   "stats_failed": False, "facet_blocks": [], "histogram": [],
                                   "remove_links": _remove_links(state), "paging": None}
        if not _clean_query(state.q).strip():
            # The start page. A blank query with filters or spaces gets a hint; a bare visit none.
            context["stats"] = _start_stats(service)
            context["stats_failed"] = context["stats"] is None
            if state.q or state.has_filters():
                context["errors"] = ["Skriv något att söka efter."]
            return render("search.html", **context)

        try:
            params = _params(state)
        except ValidationError as exc:
            context["errors"] = _friendly(exc)
            return render("search.html", status=400, **context)
        if params.date_from and params.date_to and params.date_from > params.date_to:
            context["errors"] = ["Från-datumet ligger efter till-datumet. Byt plats på dem eller ta bort ett av dem."]
            return render("search.html", status=400, **context)

        try:
            result = service.search(params)
        except Exception:
            log.exception("search failed", extra={"path": "/"})
            context["errors"] = ["Något gick fel när sökningen kördes. Försök igen, eller formulera om sökfrågan."]
            return render("search.html", status=500, **context)

        offset = params.offset
        groups = result.total_groups if result.total_groups is not None else result.total
        context.update(
            result=result,
            facet_blocks=_facet_blocks(state, result.facets),
            histogram=_histogram(state, result.facets.get("year", [])),
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
        return render("search.html", **context)

    def _unsubscribe_target(request: Request, token: str):
        """The alert a signed unsubscribe token names, or None (forged, altered, or already removed)."""
        from search_api.alerts import AlertStore, token_alert_id, verify

        alert_id = token_alert_id(token)
        path = request.app.state.alerts_path
        if alert_id is None or not path.exists():  # no saved searches at all: no token can be good
            return None, None
        store = AlertStore(path)
        alert = store.get(alert_id)
        if alert is None or not verify(token, alert, request.app.state.alert_key()):
            store.close()
            return None, None
        return store, alert

    # A GET only asks: mail scanners and link previews open links, and must not unsubscribe anyone.
    # The POST (the form's button, or a mail program's one-click unsubscribe, RFC 8058) removes.
    @app.get("/avregistrera/{token}", response_class=HTMLResponse, include_in_schema=False)
    def unsubscribe_page(token: str, request: Request) -> HTMLResponse:
        store, alert = _unsubscribe_target(request, token)
        if alert is None:
            return render("unsubscribe.html", status=403, outcome="forbidden")
        store.close()
        return render("unsubscribe.html", outcome="confirm", description=alert.description, email=alert.email,
                      action=f"/avregistrera/{token}")

    @app.post("/avregistrera/{token}", response_class=HTMLResponse, include_in_schema=False)
    def unsubscribe(token: str, request: Request) -> HTMLResponse:
        """The one write over HTTP: removes the one alert a valid signed token names."""
        store, alert = _unsubscribe_target(request, token)
        if alert is None:
            return render("unsubscribe.html", status=403, outcome="forbidden")
        try:
            store.remove(alert.id)
        finally:
            store.close()
        log.info("alert removed by its unsubscribe link", extra={"alert_id": alert.id})
        return render("unsubscribe.html", outcome="removed", description=alert.description)

    @app.get("/punkt/{item_id}", response_class=HTMLResponse, include_in_schema=False)
    def item_page(item_id: str, request: Request) -> HTMLResponse:
        service = request.app.state.service
        found = service.item_with_context(item_id) if not CONTROL_CHARS.search(item_id) else None
        if found is None:
            return render("not_found.html", status=404, state=PageState(), item_id=item_id)
        item = found["item"]
        references = found.get("references") or []
        return render("item.html", state=PageState(), item=item, document=found["document"] or {},
                      previous=found["previous"], next=found["next"], cases=found.get("case") or [],
                      text_parts=_text_parts(item["text"], references),
                      linked_references=[r for r in references if r.get("url")])

    @app.get("/arende/{case_id}", response_class=HTMLResponse, include_in_schema=False)
    def case_page(case_id: str, request: Request) -> HTMLResponse:
        service = request.app.state.service
        found = service.case(case_id) if not CONTROL_CHARS.search(case_id) else None
        if found is None:
            return render("not_found.html", status=404, state=PageState(), item_id=None, case_id=case_id)
        return render("case.html", state=PageState(), case=found)
