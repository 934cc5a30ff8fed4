"""Enrichment: analyzed keyword terms per item (topics are assigned after embedding)."""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.cases import item_case_keys
from indexer.records import Item


@dataclass
class AnalyzedItem:
    item: Item
    title_terms: str
    text_terms: str
    case_keys: list[str] = field(default_factory=list)  # indexer.cases.item_case_keys


def analyze_items(items: list[Item], analyzer, organisation: str | None = None) -> list[AnalyzedItem]:
    """Run the project's Swedish analyzer over each item's title and text.

    The section heading and case numbers are searchable with the body text: users search for
    "TILL FULLMÄKTIGE" items or a diarienummer as often as for words in the text.
    Each item's own case numbers become case keys of ``organisation`` (the same number in two
    organisations is two cases).
    """
    out = []
    for item in items:
        extra = " ".join(filter(None, [item.section or "", " ".join(item.case_numbers)]))
        text_terms = analyzer.index_terms(item.text + ("\n" + extra if extra else ""))
        out.append(AnalyzedItem(item, analyzer.index_terms(item.title), text_terms,
                                item_case_keys(item, organisation)))
    return out
