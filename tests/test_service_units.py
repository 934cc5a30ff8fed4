"""The search service over a small SQLite store with the word-hashing embedder (no model): paging,
date sort, disjunctive facets, keyword mode and export, in the unit tier (scripts/test.sh --fast).

Four generated protocols of two bodies over three years; each has three items on hemtjänst and
one on something else, so every search below knows exactly which items must come back.
"""

from __future__ import annotations

import pytest

BODIES = {"Kommunstyrelsen": "ks", "Socialnämnden": "sn"}
MEETINGS = [("Kommunstyrelsen", "2023-03-01"), ("Kommunstyrelsen", "2024-05-02"),
            ("Socialnämnden", "2024-09-10"), ("Socialnämnden", "2022-11-20")]
ITEMS_ON_THE_SUBJECT = 3  # per meeting


def protocol(body: str, date: str, first: int) -> str:
    lines = [body, "PROTOKOLL", f"Sammanträdesdatum {date}", ""]
    for k in range(ITEMS_ON_THE_SUBJECT):
        text = f"Hemtjänsten i område {k + 1} utökas med nattpatrull."
        lines += [f"§ {first + k} Hemtjänst i område {k + 1}", "", text, "", "Beslut",
                  f"{body} beslutar att godkänna förslaget.", ""]
    lines += [f"§ {first + ITEMS_ON_THE_SUBJECT} Gatubelysning", "", "Ny gatubelysning längs vägen.", ""]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def service(tmp_path_factory, analyzer):
    from indexer.pipeline import Indexer
    from indexer.store.sqlite import SQLiteStore
    from models.embeddings import HashingEmbedder
    from motesok.config import Settings
    from search_api.service import RankingConfig, SearchService

    docs = tmp_path_factory.mktemp("service-docs")
    for k, (body, date) in enumerate(MEETINGS):
        (docs / f"{BODIES[body]}_{date}_protokoll.txt").write_text(protocol(body, date, 10 * k + 1), encoding="utf-8")
    embedder = HashingEmbedder()
    store = SQLiteStore(tmp_path_factory.mktemp("service-store"), embedding_model="hashing", dim=embedder.dim)
    summary = Indexer(store=store, analyzer=analyzer, embedder=embedder, topics=None).run(sorted(docs.glob("*.txt")))
    assert summary.failed == 0, summary.messages
    yield SearchService(store, analyzer, embedder, RankingConfig.from_settings(Settings()))
    store.close()


def search(service, q: str = "hemtjänst", **params):
    from search_api.schemas import SearchParams

    return service.search(SearchParams(q=q, group="none", **params))


def facet(response, name: str) -> dict:
    return {f.value: f.count for f in response.facets[name]}


def test_keyword_search_finds_exactly_the_items_on_the_subject(service):
    result = search(service, mode="keyword", limit=50)
    assert result.total == len(result.hits) == ITEMS_ON_THE_SUBJECT * len(MEETINGS)
    assert all("Hemtjänst" in h.title and h.match == "words" for h in result.hits)
    assert search(service, "gatubelysning", mode="keyword").total == len(MEETINGS)


def test_a_word_no_item_holds_finds_nothing_by_keyword(service):
    result = search(service, "xyzzy", mode="keyword")
    assert result.total == 0 and result.hits == []


def test_pages_follow_each_other_without_gaps_or_repeats(service):
    everything = [h.id for h in search(service, limit=50).hits]
    pages = [search(service, offset=offset, limit=5) for offset in range(0, len(everything), 5)]
    assert [h.id for page in pages for h in page.hits] == everything
    assert {page.total for page in pages} == {len(everything)}
    assert search(service, offset=len(everything), limit=5).hits == []


def test_date_sort_puts_the_newest_meeting_first(service):
    dates = [h.date for h in search(service, sort="date", limit=50).hits]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == max(date for _, date in MEETINGS)


def test_facets_are_disjunctive_within_a_field_and_narrow_the_others(service):
    unfiltered = search(service, limit=50)
    assert facet(unfiltered, "body") == {"Kommunstyrelsen": 6, "Socialnämnden": 6}
    assert facet(unfiltered, "year") == {2024: 6, 2023: 3, 2022: 3}
    filtered = search(service, body=["Socialnämnden"], limit=50)
    assert filtered.total == 6 and {h.body for h in filtered.hits} == {"Socialnämnden"}
    # the body facet still offers the other body (ticking it widens), the year facet counts what is shown
    assert facet(filtered, "body") == {"Kommunstyrelsen": 6, "Socialnämnden": 6}
    assert facet(filtered, "year") == {2024: 3, 2022: 3}


def test_export_holds_the_ranked_items_in_their_order(service):
    from search_api.schemas import SearchParams

    params = SearchParams(q="hemtjänst", group="none", limit=50)
    exported = list(service.export_items(params, 100))
    assert [row["id"] for row in exported] == [h.id for h in service.search(params).hits]
    assert all(row["body"] in BODIES and row["date"] for row in exported)
