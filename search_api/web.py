"""The web page's view: what a search page shows, read from the query string and the service's
answers (the routes are ``search_api.routes.pages``). A Swedish, server-rendered search page over
the same search service as the API.

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

from fastapi import Request
from pydantic import ValidationError

from indexer.store.facets import FACET_FIELDS, FACET_LABELS
from search_api.schemas import MAX_QUERY_CHARS, FacetValue, Reference, SearchParams, Stats
from search_api.service import SearchService

log = logging.getLogger("motesok.web")

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

PAGE_SIZE = 10
FACETS_SHOWN = 8  # values shown before "Visa fler" per facet

MODES = (("hybrid", "Hybrid"), ("keyword", "Nyckelord"), ("semantic", "Semantisk"))
SORTS = (("relevance", "Relevans"), ("date", "Datum (nyast först)"))
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
    def from_request(cls, request: Request) -> PageState:
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

    def without_value(self, facet: str, value: str) -> PageState:
        filters = dict(self.filters)
        rest = tuple(v for v in filters.get(facet, ()) if v != value)
        if rest:
            filters[facet] = rest
        else:
            filters.pop(facet, None)
        return replace(self, filters=filters)

    def only_value(self, facet: str, value: str) -> PageState:
        return replace(self, filters={**self.filters, facet: (value,)})

    def feed_url(self) -> str:
        """The Atom feed of this search (search_api/feeds.py): same filters, newest indexed first."""
        return "/feed?" + urlencode([p for p in self.pairs() if p[0] not in ("offset", "sort")])

    def export_url(self, fmt: str) -> str:
        pairs = [p for p in self.pairs() if p[0] != "offset"]
        return "/api/export?" + urlencode([*pairs, ("format", fmt)])


def clean_query(q: str) -> str:
    """Control characters (a NUL pasted from a PDF, say) become spaces; they never mean anything."""
    return CONTROL_CHARS.sub(" ", q)


def friendly_errors(exc: ValidationError) -> list[str]:
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


def search_params(state: PageState) -> SearchParams:
    raw: dict[str, Any] = {"q": clean_query(state.q), "mode": state.mode, "sort": state.sort,
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


def facet_blocks(state: PageState, facets: dict[str, list[FacetValue]]) -> list[FacetBlock]:
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


def histogram(state: PageState, year_facet: list[FacetValue]) -> list[Bar]:
    counts = sorted(((str(fv.value), fv.count) for fv in year_facet), key=lambda kv: kv[0])
    if not counts:
        return []
    top = max(c for _, c in counts) or 1
    selected = state.selected("year")
    return [Bar(year, count, max(5, round(count * 20 / top) * 5) if count else 0, year in selected,
                state.only_value("year", year).url())
            for year, count in counts]


def remove_links(state: PageState) -> list[RemoveLink]:
    links = []
    for facet in FACET_FIELDS:
        for value in state.selected(facet):
            links.append(RemoveLink(f"{FACET_LABELS[facet]}: {value}", state.without_value(facet, value).url()))
    if state.date_from:
        links.append(RemoveLink(f"Från {state.date_from}", state.url(date_from="")))
    if state.date_to:
        links.append(RemoveLink(f"Till {state.date_to}", state.url(date_to="")))
    return links


def start_stats(service: SearchService) -> dict[str, Any] | None:
    """The start page's view of the archive (``SearchService.stats``); None when the store fails."""
    try:
        s: Stats = service.stats()
    except Exception:  # the start page still works (the search box) when the store is down
        log.exception("stats failed")
        return None
    bodies = sorted(s.body.items(), key=lambda kv: (s.newest_date_by_body.get(kv[0]) or ""), reverse=True)
    years = sorted(s.year.items())
    top = max((c for _, c in years), default=1) or 1
    return {
        "documents": s.documents,
        "item_count": s.items,
        "organisations": sorted(s.organisation.items(), key=lambda kv: (-kv[1], kv[0])),
        "bodies": [{"name": b, "count": n, "newest": s.newest_date_by_body.get(b)} for b, n in bodies],
        "years": [{"year": y, "count": c, "height": max(5, round(c * 20 / top) * 5) if c else 0} for y, c in years],
    }


def _getter(item: Any):
    """A field reader for an item given as a dict (an API answer) or an object (a hit)."""
    return item.get if isinstance(item, dict) else lambda name: getattr(item, name, None)


def item_place(item: Any) -> str:
    """``§ 12`` (``§ 3 a`` as printed) for a protocol item, ``punkt 3`` for a numbered one, else nothing."""
    get = _getter(item)
    if get("paragraph") is not None:
        return f"§ {get('paragraph_label') or get('paragraph')}"
    if get("number") is not None:
        return f"punkt {get('number')}"
    return ""


def item_pages(item: Any) -> str:
    """``s. 7`` or ``s. 7–8``: the pages of the original an item spans (PDF), else nothing."""
    get = _getter(item)
    start, end = get("page_start"), get("page_end")
    if not start:
        return ""
    return f"s. {start}" if not end or end == start else f"s. {start}\u2013{end}"


def text_parts(text: str, references: list[Reference]) -> list[dict[str, Any]]:
    """The item text cut at its resolved references, so the template links them (and escapes
    every part): ``[{"text", "url", "title"}]``, url None for plain text."""
    parts: list[dict[str, Any]] = []
    at = 0
    for ref in sorted((r for r in references if r.url), key=lambda r: r.start):
        start, end = ref.start, ref.end
        if start < at or end > len(text):  # overlapping or out of range: left as text
            continue
        parts.append({"text": text[at:start], "url": None, "title": None})
        parts.append({"text": text[start:end], "url": ref.url, "title": ref.title or ""})
        at = end
    parts.append({"text": text[at:], "url": None, "title": None})
    return [p for p in parts if p["text"]]


def format_number(n: int) -> str:
    return f"{n:,}".replace(",", "\u00a0")  # Swedish thousands separator: a (non-breaking) space


def format_date(value: str | None) -> str:
    if not value:
        return ""
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        return value
