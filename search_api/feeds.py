"""Atom feeds of searches: what is new among a search's honest result set.

A feed holds the same matches as the search (``SearchService.ranked_hits``: the search's own
ranking, so its totals, filters and match floors are the search's own), ordered newest first by the time the
store first indexed each item's document, then by meeting date. ``newest_matches`` is shared
with the e-mail digests (``search_api/alerts.py``); ``atom_feed`` only writes XML.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from pydantic import Field, field_validator, model_validator

from indexer.store.facets import FACET_FIELDS
from search_api.schemas import MAX_LIMIT, MAX_QUERY_CHARS, SearchParams

#: most matches a feed or digest looks at (the search's first ``MAX_SCAN`` by relevance); a
#: search matching more is too broad to follow, and the newest of them still come first
MAX_SCAN = 1000

DECISION_LABELS = {"beslut": "Beslut", "förslag": "Förslag till beslut", None: "Beslut eller förslag"}
MATCH_LABELS = {"words": "orden i sökningen", "meaning": "innebörden (semantisk träff)",
                "both": "orden och innebörden", None: "filtren (alla nya punkter)"}


class FeedParams(SearchParams):
    """``/api/search``'s parameters; ``q`` may be left out when a filter is given (a feed of
    everything new from one body, say)."""

    q: str | None = Field(None, max_length=MAX_QUERY_CHARS,  # type: ignore[assignment]  # optional here only
                          description="Sökfråga; utan den: allt som filtren släpper igenom.")

    @field_validator("q")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:  # type: ignore[override]  # q is optional here
        return value if value is None or value.strip() else None

    @model_validator(mode="after")
    def _query_or_filter(self) -> FeedParams:
        if self.q is None and self.filters().is_empty():
            raise ValueError("ange en sökfråga (q) eller minst ett filter (t.ex. body)")
        return self

    def search_params(self, *, offset: int = 0, limit: int = MAX_LIMIT) -> SearchParams:
        return SearchParams(**{**self.model_dump(), "offset": offset, "limit": limit})


@dataclass(frozen=True)
class FeedEntry:
    """One matching item as a feed entry or a digest line."""

    id: str
    title: str
    organisation: str | None
    body: str | None
    date: str | None
    paragraph: int | None
    number: int | None
    doc_type: str | None
    decisions: tuple[str, ...]
    decision_kind: str | None
    match: str | None  # "words", "meaning", "both"; None without a query
    snippet: str  # HTML (escaped text with <mark>)
    first_indexed: str | None
    last_changed: str | None

    @property
    def path(self) -> str:
        return f"/punkt/{self.id}"

    @property
    def place(self) -> str:
        """"Regionstyrelsen · 2024-05-29 · § 12"."""
        label = (f"§ {self.paragraph}" if self.paragraph is not None
                 else (f"punkt {self.number}" if self.number else None))
        return " · ".join(p for p in (self.body or self.organisation, self.date, label) if p)

    @property
    def decision_label(self) -> str:
        return DECISION_LABELS.get(self.decision_kind, DECISION_LABELS[None])

    @property
    def why(self) -> str:
        return MATCH_LABELS.get(self.match, MATCH_LABELS[None])


def _newest_first(entries: list[FeedEntry]) -> list[FeedEntry]:
    return sorted(entries, key=lambda e: (e.first_indexed or "", e.date or "", e.id), reverse=True)


def newest_matches(service: Any, params: FeedParams, max_scan: int = MAX_SCAN) -> list[FeedEntry]:
    """Every match of the search (its first ``max_scan`` by relevance), newest first. Without a
    query: the items passing the filters (the store's newest meetings, ``max_scan`` of them)."""
    store = service.store
    if params.q is None:
        ids = store.filtered_ids(params.filters(), max_scan)
        entries = [_entry(item, None, _plain_snippet(item.text)) for item in store.get_items(ids)]
        return _newest_first(entries)
    found = service.ranked_hits(params.search_params(), max_scan)
    return _newest_first([_entry(item, hit.match, hit.snippet) for item, hit in found])


def _plain_snippet(text: str, chars: int = 300) -> str:
    cut = text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"
    return escape(cut)


def _entry(item: Any, match: str | None, snippet: str) -> FeedEntry:
    return FeedEntry(
        id=item.id, title=item.title, organisation=item.organisation, body=item.body, date=item.date,
        paragraph=item.paragraph, number=item.number, doc_type=item.doc_type, decisions=tuple(item.decisions),
        decision_kind=item.decision_kind, match=match, snippet=snippet, first_indexed=item.first_indexed,
        last_changed=item.last_changed,
    )


def describe(params: FeedParams) -> str:
    """The search in words, for a feed's or digest's title: "hemtjänst (Kommunstyrelsen, 2024)"."""
    parts = [", ".join(map(str, v)) for f in FACET_FIELDS
             if (v := getattr(params, f))]
    if params.date_from or params.date_to:
        parts.append(f"{params.date_from or ''}–{params.date_to or ''}")
    head = f"”{params.q}”" if params.q else "Alla nya punkter"
    return head + (f" ({'; '.join(parts)})" if parts else "")


def entry_html(entry: FeedEntry, base_url: str) -> str:
    """An entry's content: where, what was decided or proposed, the matching text, the link."""
    organisation = " · " + escape(entry.organisation) if entry.organisation and entry.body else ""
    lines = [f"<p>{escape(entry.place)}{organisation}</p>"]
    if entry.decisions:
        items = "".join(f"<li>{escape(d)}</li>" for d in entry.decisions)
        lines.append(f"<p><strong>{escape(entry.decision_label)}:</strong></p><ul>{items}</ul>")
    lines.append(f"<p>{entry.snippet}</p>")
    lines.append(f'<p><a href="{escape(base_url + entry.path)}">Läs punkten i Mötessök</a></p>')
    return "\n".join(lines)


def atom_feed(entries: list[FeedEntry], *, title: str, feed_url: str, page_url: str, base_url: str,
              limit: int) -> bytes:
    """Atom 1.0 XML of the first ``limit`` entries (already newest first); ids and links are absolute
    (``base_url`` has no trailing slash)."""
    from feedgen.feed import FeedGenerator

    shown = entries[:limit]
    feed = FeedGenerator()
    feed.id(feed_url)
    feed.title(f"Mötessök: {title}")
    feed.subtitle("Nya och ändrade punkter i protokoll, kallelser och handlingar som matchar sökningen.")
    feed.link(href=feed_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.language("sv")
    feed.generator("Mötessök")
    times = [e.last_changed for e in shown if e.last_changed]
    if times:
        feed.updated(max(times))  # else feedgen says now: an empty feed has no better time
    # feedgen writes entries in reverse order of adding (its default ``order="prepend"``)
    for entry in reversed(shown):
        item = feed.add_entry()
        url = base_url + entry.path
        item.id(url)
        item.title(f"{entry.title} – {entry.place}" if entry.place else entry.title)
        item.link(href=url, rel="alternate", type="text/html")
        if entry.first_indexed:
            item.published(entry.first_indexed)
        if entry.last_changed:
            item.updated(entry.last_changed)
        author = entry.body or entry.organisation
        if author:
            item.author(name=author)
        item.summary(entry.decisions[0] if entry.decisions else entry.title)
        item.content(entry_html(entry, base_url), type="html")
    return feed.atom_str(pretty=True)
