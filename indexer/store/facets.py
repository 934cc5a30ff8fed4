"""The facets: one table that the stores, the service, the page, the feeds and the evaluation read.

Each facet is an item field that search results are counted by and filtered on (OR within a facet,
AND across facets). Adding a facet takes one ``Facet`` entry here (its API name is also the
``Filters`` field, so add that field with the same name) plus its store column: a column of the
SQLite ``items`` table (a multi-valued facet: a JSON list column and a side table, as ``topic`` has)
and a keyword field in the OpenSearch mapping (``index_field``). Everything else (filters, facet
counts and their order, labels on the page and in feed titles, evaluation filters) follows the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Facet:
    """One facet.

    ``name``: the API parameter, the ``Filters`` field and the key of facet counts.
    ``item_field``: the ``StoredItem`` attribute and SQLite ``items`` column holding its value(s).
    ``index_field``: the OpenSearch field. ``multi``: an item may carry several values (a list).
    ``value_type``: the type of one value. ``order``: how its counts are listed (``count``: most
    items first, then by value; ``value``: newest/highest value first). ``label``: the Swedish label.
    """

    name: str
    label: str
    item_field: str
    index_field: str
    multi: bool = False
    value_type: type = str
    order: Literal["count", "value"] = "count"

    def values_of(self, item: Any) -> list[Any]:
        """The facet's values on an item (an object with ``item_field``): a list, empty for none."""
        value = getattr(item, self.item_field)
        if self.multi:
            return list(value or ())
        return [] if value is None else [value]

    def ordered(self, counts: Mapping[Any, int]) -> list[tuple[Any, int]]:
        """``(value, count)`` pairs in this facet's display order."""
        if self.order == "value":
            return sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
        return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))


FACETS: tuple[Facet, ...] = (
    Facet("organisation", "Organisation", "organisation", "organisation"),
    Facet("body", "Organ", "body", "body"),
    Facet("year", "År", "year", "year", value_type=int, order="value"),
    Facet("topic", "Ämne", "topics", "topics", multi=True),
    Facet("doc_type", "Dokumenttyp", "doc_type", "doc_type"),
)

#: the facets' names, in display order
FACET_FIELDS: tuple[str, ...] = tuple(facet.name for facet in FACETS)
FACET_BY_NAME: dict[str, Facet] = {facet.name: facet for facet in FACETS}
#: the Swedish label of each facet (page, feed titles)
FACET_LABELS: dict[str, str] = {facet.name: facet.label for facet in FACETS}
#: the single-valued facets (a plain column in each store)
SINGLE_VALUED: tuple[Facet, ...] = tuple(facet for facet in FACETS if not facet.multi)


def facet_values(item: Any) -> dict[str, list[Any]]:
    """``{facet: [values]}`` of an item for every facet."""
    return {facet.name: facet.values_of(item) for facet in FACETS}

