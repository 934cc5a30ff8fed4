"""Request and response shapes shared by the CLI (``--json``) and the HTTP API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from indexer.store.base import Filters

Mode = Literal["hybrid", "keyword", "semantic"]
Sort = Literal["relevance", "date"]
Group = Literal["case", "none"]
MAX_QUERY_CHARS = 500
MAX_LIMIT = 100
MAX_FILTER_VALUES = 100


class SearchParams(BaseModel):
    """One search: the query, how to rank it, filters and paging."""

    q: str = Field(..., min_length=1, max_length=MAX_QUERY_CHARS, description="Sökfråga / query text.")
    mode: Mode = "hybrid"
    # Bounded: a store gets at most MAX_FILTER_VALUES values per field, and years it can hold
    # (a 30-digit "year" overflowed SQLite's integers: a 500 found by the fuzz test).
    organisation: list[str] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    body: list[str] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    year: list[Annotated[int, Field(ge=1, le=9999)]] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    topic: list[str] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    doc_type: list[str] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    sort: Sort = "relevance"
    offset: int = Field(0, ge=0, le=10_000)
    limit: int = Field(10, ge=1, le=MAX_LIMIT)
    group: Group = Field("case", description="case: hits of one case (ärende) are one hit, its best-ranked "
                                             "step; none: every item is a hit.")

    @field_validator("q")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the query is empty")
        return value

    def filters(self) -> Filters:
        return Filters(
            organisation=tuple(self.organisation),
            body=tuple(self.body),
            year=tuple(self.year),
            topic=tuple(self.topic),
            doc_type=tuple(self.doc_type),
            date_from=self.date_from.isoformat() if self.date_from else None,
            date_to=self.date_to.isoformat() if self.date_to else None,
        )


class Hit(BaseModel):
    id: str
    document_id: str
    title: str
    text: str
    snippet: str = Field(description="HTML: escaped item text with <mark> around matched words.")
    organisation: str | None
    body: str | None
    date: str | None
    year: int | None
    doc_type: str | None
    paragraph: int | None
    number: int | None
    topics: list[str]
    decisions: list[str]
    decision_kind: Literal["beslut", "förslag"] | None = Field(
        None,
        description="What ``decisions`` are: decided (beslut) or only proposed (förslag); null without decisions.")
    score: float
    match: Literal["words", "meaning", "both"] = Field(
        "words", description="Why the item matched: its words, its meaning (the vector leg), or both.")
    paragraph_label: str | None = Field(None, description="The § as printed, with a letter suffix (\"3 a\").")
    page_start: int | None = Field(None, description="Page of the original (PDF) on which the item starts.")
    page_end: int | None = Field(None, description="Page on which it ends.")
    ocr: bool = Field(False, description="The text was read by OCR from a scanned document (may hold misreadings).")
    original: str | None = Field(
        None, description="The indexed file, at the item's page: /documents/{id}/original#page=N; null when "
                          "it is not served (the document contained a personnummer).")
    case: HitCase | None = Field(None, description="The case (ärende) the item is a step of, when it carries one.")


class StepRef(BaseModel):
    """A short reference to another step of a case (grouped hits, the item page)."""

    id: str
    url: str = Field(description="The item's page: /punkt/{id}.")
    title: str
    body: str | None
    date: str | None
    paragraph_label: str | None = None
    kind: str | None = Field(None, description="The step's kind (indexer.cases.STEP_KINDS).")
    kind_label: str | None = None


class HitCase(BaseModel):
    """The case (ärende) a hit belongs to, and the other matching steps grouped under it."""

    id: str
    label: str = Field(description="The case number, e.g. \"VO 2025/72\".")
    url: str = Field(description="The case's page: /arende/{id}.")
    more_steps: int = Field(0, description="How many other matching items of this case left the hit list.")
    steps: list[StepRef] = Field(default_factory=list, description="Those items, best-ranked first.")


class FacetValue(BaseModel):
    value: str | int
    count: int


class Answer(BaseModel):
    """For a decision question: the best-ranked item that records a decision on the subject, in
    the record's own words (nothing generated)."""

    id: str
    url: str = Field(description="The item's page: /punkt/{id}.")
    title: str
    decisions: list[str] = Field(description="The item's decision texts, as written (decision_kind is beslut).")
    organisation: str | None
    body: str | None
    date: str | None
    doc_type: str | None
    paragraph: int | None
    number: int | None


class SearchResponse(BaseModel):
    query: str
    mode: Mode
    total: int = Field(description="Matching items (facets, the year chart and the export count items too).")
    total_groups: int | None = Field(None, description="Hits after grouping by case: what paging runs over.")
    count_unit: Literal["items"] = Field("items", description="What total counts.")
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    answer: Answer | None = Field(None, description="Set when the query asks what was decided and a hit records it.")


class CaseStep(BaseModel):
    """One step of a case: an agenda item of a meeting record, or a whole other document."""

    kind: str = Field(description="tjänsteskrivelse, kallelse, utskott, nämnd, styrelse, fullmäktige, "
                                  "protokollsutdrag, yttrande, remiss, anmälan or handling.")
    kind_label: str = Field(description="The kind in Swedish, for display.")
    date: str | None
    organisation: str | None
    body: str | None
    doc_type: str | None
    paragraph: int | None = None
    paragraph_label: str | None = None
    title: str
    item_id: str
    document_id: str
    source: str = Field(description="The document's file name.")
    url: str = Field(description="The item's page: /punkt/{id}.")
    decisions: list[str] = Field(default_factory=list)
    decision_kind: Literal["beslut", "förslag"] | None = None
    page_start: int | None = None
    page_end: int | None = None
    document_level: bool = Field(False, description="The step is a whole document (not one agenda item).")


class CaseStatus(BaseModel):
    """The latest decision of a case, or none (``decided`` false: "Inget beslut i arkivet")."""

    decided: bool
    label: str = Field(description="\"Beslut\" or \"Inget beslut i arkivet\".")
    decisions: list[str] = Field(default_factory=list)
    body: str | None = None
    date: str | None = None
    paragraph_label: str | None = None
    item_id: str | None = None
    url: str | None = None


class CaseRecord(BaseModel):
    """A case (ärende): every indexed step that carries its number, in date order."""

    id: str
    label: str = Field(description="The case number in one form: \"VO 2025/72\".")
    labels: list[str] = Field(description="The case number as the documents write it.")
    organisation: str | None
    subject: str = Field(description="The earliest step's title.")
    status: CaseStatus
    first_date: str | None
    last_date: str | None
    steps: list[CaseStep]
    url: str = Field(description="The case's page: /arende/{id}.")


class CaseSummary(BaseModel):
    id: str
    label: str
    url: str
    organisation: str | None
    subject: str
    steps: int
    first_date: str | None
    last_date: str | None
    status: CaseStatus


class CaseSearchResponse(BaseModel):
    query: str
    total: int = Field(description="Cases found (at most ``limit``).")
    count_unit: Literal["cases"] = "cases"
    cases: list[CaseSummary]


# -- reading: items, documents, the archive's counts and health ------------------------------------


class PublicItem(BaseModel):
    """A stored item as answers show it (``search_api.public.public_item``): the store's fields,
    ``source`` as the file's name, and ``original``, the indexed file's address or null."""

    id: str
    document_id: str
    position: int
    number: int | None
    paragraph: int | None
    title: str
    title_derived: bool
    section: str | None
    text: str
    decisions: list[str]
    case_numbers: list[str]
    topics: list[str]
    organisation: str | None
    body: str | None
    date: str | None
    year: int | None
    doc_type: str | None
    source: str = Field(description="The document's file name.")
    decision_kind: str | None = Field(description="beslut or förslag; null without decisions.")
    first_indexed: str | None
    last_changed: str | None
    paragraph_label: str | None
    page_start: int | None
    page_end: int | None
    url: str | None = Field(description="The publisher's address of the document.")
    personnummer_masked: int
    ocr: bool
    case_keys: list[str]
    original: str | None


class PublicDocument(BaseModel):
    """A document's metadata as answers show it (``search_api.public.public_document``)."""

    id: str
    source: str = Field(description="The file name.")
    checksum: str
    format: str
    organisation: str | None
    body: str | None
    date: str | None
    year: int | None
    doc_type: str | None
    title: str | None
    inferred: list[str] = Field(description="Fields inferred, not read from the text.")
    personnummer_masked: int
    url: str | None
    ocr: bool
    ocr_confidence: float | int | None  # as stored: an int stays an int in the JSON
    first_indexed: str | None
    last_changed: str | None
    original: str | None


class ItemRef(BaseModel):
    """The previous or next item of the same document."""

    id: str
    title: str
    paragraph: int | None
    number: int | None


class Reference(BaseModel):
    """A reference in an item's text (``Kommunstyrelsen 2025-03-12 § 44``) and the indexed item it
    points to, if any (``target``, ``url``, ``title`` null otherwise)."""

    text: str
    start: int = Field(description="Character offset of the reference in the item's text.")
    end: int
    body: str | None
    date: str | None
    paragraph: str | None
    target: str | None = Field(description="The cited item's id.")
    url: str | None = Field(description="The cited item's page: /punkt/{id}.")
    title: str | None


class ItemContext(BaseModel):
    """One agenda item with its document's metadata, its neighbours, its cases and references."""

    item: PublicItem
    document: PublicDocument | None
    previous: ItemRef | None
    next: ItemRef | None
    case: list[dict[str, Any]] = Field(description="The cases the item is a step of (CaseRecord, each step "
                                                   "with ``current`` marking this item's).")
    references: list[Reference]


class DocumentView(BaseModel):
    """A document with all its items in order."""

    document: PublicDocument
    items: list[PublicItem]


class Stats(BaseModel):
    """What the archive holds: counts per organisation, body and year (in the store's order),
    and the newest meeting date per body. The CLI, the API and the start page render this."""

    documents: int
    items: int
    organisation: dict[str, int]
    body: dict[str, int]
    year: dict[str, int]
    newest_date_by_body: dict[str, str]


class Health(BaseModel):
    """Whether the store answers and the model is loaded; the counts when the store answered,
    the error's name when it did not (fields that do not apply are left out of the JSON)."""

    status: Literal["ok", "degraded"]
    store: bool
    model_loaded: bool
    model: str | None
    documents: int | None = None
    items: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"
