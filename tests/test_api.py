"""The HTTP API and the web page, over HTTP, on the indexed sample corpus with the real model.

Every route is exercised: /api/search (shape, filters, disjunctive facets, paging, sorting, modes),
/api/items, /api/documents, /api/export (CSV and JSONL), /api/health, /api/stats, /docs and
/openapi.json, and the pages / and /punkt/{id}. Bad input must give a 4xx with a message, never a 5xx.
"""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlencode

import pytest

from indexer.store.base import FACET_FIELDS
from search_api.routes.api import EXPORT_COLUMNS
from search_api.schemas import Hit

pytestmark = pytest.mark.model

HSN = "Hälso- och sjukvårdsnämnden"
HIT_FIELDS = set(Hit.model_fields)


def search(client, **params):
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def facet(body: dict, name: str) -> dict:
    return {f["value"]: f["count"] for f in body["facets"][name]}


@pytest.fixture(scope="module")
def broad(api_client):
    """A keyword search with hits in several bodies and years: the reference for filter tests."""
    body = search(api_client, q="budget", mode="keyword", limit=100)
    assert len(facet(body, "body")) >= 2, body["facets"]["body"]
    return body


# -- /api/search ---------------------------------------------------------------------------------


def test_search_response_shape(api_client):
    body = search(api_client, q="ambulanshelikopter")
    assert set(body) == {"query", "mode", "total", "total_groups", "count_unit", "hits", "facets", "answer"}
    assert body["count_unit"] == "items" and len(body["hits"]) <= body["total_groups"] <= body["total"]
    assert body["answer"] is None  # not a decision question
    assert body["query"] == "ambulanshelikopter" and body["mode"] == "hybrid"
    assert body["total"] >= len(body["hits"]) > 0
    assert len(body["hits"]) <= 10  # the default limit
    for hit in body["hits"]:
        assert set(hit) == HIT_FIELDS
        assert isinstance(hit["topics"], list) and isinstance(hit["decisions"], list)
        assert isinstance(hit["score"], float)
        assert hit["document_id"] and hit["id"].startswith(hit["document_id"])
    scores = [h["score"] for h in body["hits"]]
    assert scores == sorted(scores, reverse=True)
    assert set(body["facets"]) == set(FACET_FIELDS)
    for values in body["facets"].values():
        for entry in values:
            assert set(entry) == {"value", "count"} and entry["count"] > 0


def test_search_json_is_the_documented_schema(api_client, search_service):
    """The route writes the service's response itself: it must still be what the OpenAPI
    schema promises, UTF-8 JSON equal to the service's answer."""
    from search_api.schemas import SearchParams, SearchResponse

    response = api_client.get("/api/search", params={"q": "vårdplatser i Östersund", "mode": "keyword"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert "Östersund".encode() in response.content
    parsed = SearchResponse.model_validate_json(response.content)
    assert parsed == search_service.search(SearchParams(q="vårdplatser i Östersund", mode="keyword"))
    schema = api_client.get("/openapi.json").json()["paths"]["/api/search"]["get"]["responses"]["200"]
    assert schema["content"]["application/json"]["schema"]["$ref"].endswith("/SearchResponse")


def test_ambulanshelikopter_finds_the_hsn_item_first(api_client):
    body = search(api_client, q="ambulanshelikopter")
    first = body["hits"][0]
    assert "Status ambulanshelikopter" in first["text"]
    assert first["body"] == HSN
    assert first["organisation"] == "Region Jämtland Härjedalen"
    assert "<mark>ambulanshelikopter</mark>" in first["snippet"].lower()


def test_snippet_is_escaped_html_with_marks_only(api_client):
    body = search(api_client, q="budget", limit=20)
    for hit in body["hits"]:
        tags = set(re.findall(r"</?([a-zA-Z]+)", hit["snippet"]))
        assert tags <= {"mark"}, hit["snippet"]


def test_filter_on_one_body(api_client, broad):
    counts = facet(broad, "body")
    name, count = next(iter(counts.items()))
    body = search(api_client, q="budget", mode="keyword", body=name, limit=100)
    assert body["total"] == count
    assert {h["body"] for h in body["hits"]} == {name}


def test_filters_or_within_a_field(api_client, broad):
    counts = facet(broad, "body")
    (a, ca), (b, cb) = list(counts.items())[:2]
    body = search(api_client, q="budget", mode="keyword", body=[a, b], limit=100)
    assert body["total"] == ca + cb
    assert {h["body"] for h in body["hits"]} == {a, b}


def test_filters_and_across_fields(api_client, broad):
    name = next(iter(facet(broad, "body")))
    years = facet(search(api_client, q="budget", mode="keyword", body=name), "year")
    year, count = next(iter(years.items()))
    body = search(api_client, q="budget", mode="keyword", body=name, year=year, limit=100)
    assert body["total"] == count
    assert all(h["body"] == name and h["year"] == year for h in body["hits"])
    # An organisation the body does not belong to: AND gives nothing.
    other_orgs = [o for o in facet(broad, "organisation") if o not in {h["organisation"] for h in body["hits"]}]
    if other_orgs:
        none = search(api_client, q="budget", mode="keyword", body=name, organisation=other_orgs[0])
        assert none["total"] == 0 and none["hits"] == []


def test_facets_are_disjunctive(api_client, broad):
    name = next(iter(facet(broad, "body")))
    body = search(api_client, q="budget", mode="keyword", body=name)
    # The body facet ignores the body filter: other bodies are still listed with their counts ...
    assert facet(body, "body") == facet(broad, "body")
    assert len(facet(body, "body")) >= 2
    # ... while the other facets are narrowed by it.
    assert sum(facet(body, "organisation").values()) == body["total"]
    assert sum(facet(body, "organisation").values()) < sum(facet(broad, "organisation").values())


def test_hybrid_filters_keep_facets_disjunctive(api_client):
    body = search(api_client, q="budget", body=HSN)
    assert {h["body"] for h in body["hits"]} == {HSN}
    assert len(facet(body, "body")) >= 2, "the body facet must still list the other bodies"


@pytest.mark.parametrize("mode, q", [("hybrid", "vård för äldre"), ("semantic", "läkemedel")])
def test_a_facet_count_is_the_total_its_filter_gives(api_client, mode, q):
    # The vector leg ranks every item; only hits that stand out from the query's similarities
    # over the whole archive count as matches, and that cut must not depend on the filters, or
    # ticking "Body (12)" would give another number.
    broad = search(api_client, q=q, mode=mode)
    assert broad["total"] > 0
    for name, count in list(facet(broad, "body").items())[:3]:
        narrowed = search(api_client, q=q, mode=mode, body=name, limit=100)
        assert narrowed["total"] == count, name
    year, count = next(iter(facet(broad, "year").items()))
    assert search(api_client, q=q, mode=mode, year=year)["total"] == count


def test_semantic_matches_stop_at_the_floor(api_client):
    body = search(api_client, q="läkemedel", mode="semantic", limit=100)
    assert 0 < body["total"] < 10, "the floor must cut the semantic tail"
    # nothing stands out for a word found nowhere: no semantic "matches" at all
    assert search(api_client, q="qxzvwkj", mode="semantic")["total"] == 0


def test_topic_doc_type_and_date_filters(api_client, broad):
    topic = next(iter(facet(broad, "topic")), None)
    if topic is not None:
        body = search(api_client, q="budget", mode="keyword", topic=topic, limit=100)
        assert body["total"] == facet(broad, "topic")[topic]
        assert all(topic in h["topics"] for h in body["hits"])
    doc_type, count = next(iter(facet(broad, "doc_type").items()))
    body = search(api_client, q="budget", mode="keyword", doc_type=doc_type, limit=100)
    assert body["total"] == count and {h["doc_type"] for h in body["hits"]} == {doc_type}

    dated = sorted(h["date"] for h in broad["hits"] if h["date"])
    low, high = dated[0], dated[-1]
    body = search(api_client, q="budget", mode="keyword", date_from=high, limit=100)
    assert body["hits"] and all(h["date"] and h["date"] >= high for h in body["hits"])
    body = search(api_client, q="budget", mode="keyword", date_to=low, limit=100)
    assert body["hits"] and all(h["date"] and h["date"] <= low for h in body["hits"])


def test_paging(api_client):
    whole = search(api_client, q="budget", limit=6)
    first = search(api_client, q="budget", limit=3)
    second = search(api_client, q="budget", limit=3, offset=3)
    assert whole["total"] == first["total"] == second["total"] >= 6
    assert [h["id"] for h in first["hits"] + second["hits"]] == [h["id"] for h in whole["hits"]]
    beyond = search(api_client, q="budget", offset=whole["total"])
    assert beyond["hits"] == [] and beyond["total"] == whole["total"]


def test_sort_by_date_is_newest_first(api_client):
    body = search(api_client, q="budget", sort="date", limit=100)
    dates = [h["date"] or "" for h in body["hits"]]
    assert dates == sorted(dates, reverse=True)
    assert len(set(dates)) > 1
    # The same hits as by relevance, reordered (keyword mode: few enough to see them all).
    by_date = search(api_client, q="budget", mode="keyword", sort="date", limit=100)
    relevance = search(api_client, q="budget", mode="keyword", limit=100)
    assert by_date["total"] == relevance["total"] <= 100
    assert {h["id"] for h in by_date["hits"]} == {h["id"] for h in relevance["hits"]}
    assert [h["date"] or "" for h in by_date["hits"]] == sorted((h["date"] or "" for h in relevance["hits"]), reverse=True)


def test_keyword_and_semantic_modes(api_client):
    keyword = search(api_client, q="ambulanshelikopter", mode="keyword")
    assert keyword["mode"] == "keyword"
    assert "Status ambulanshelikopter" in keyword["hits"][0]["text"]
    semantic = search(api_client, q="kollektivtrafik", mode="semantic")
    assert semantic["mode"] == "semantic" and semantic["hits"]
    assert all(h["match"] == "meaning" for h in semantic["hits"])
    # A word found nowhere: neither leg reports anything.
    assert search(api_client, q="qxzvwkj", mode="keyword")["total"] == 0


# -- items, documents -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_hit(api_client):
    return search(api_client, q="ambulanshelikopter")["hits"][0]


def test_item_with_neighbours(api_client, first_hit):
    response = api_client.get(f"/api/items/{first_hit['id']}")
    assert response.status_code == 200
    found = response.json()
    assert set(found) == {"item", "document", "previous", "next", "case", "references"}
    assert isinstance(found["case"], list) and isinstance(found["references"], list)
    item = found["item"]
    assert item["id"] == first_hit["id"] and item["text"] == first_hit["text"] and item["body"] == HSN
    assert found["document"]["id"] == item["document_id"]
    assert found["previous"] is not None or found["next"] is not None
    neighbour = found["next"] or found["previous"]
    assert set(neighbour) == {"id", "title", "paragraph", "number"}
    # Stepping to the neighbour and back returns to the item.
    there = api_client.get(f"/api/items/{neighbour['id']}").json()
    back = there["previous"] if found["next"] else there["next"]
    assert back["id"] == item["id"]


def test_document_has_its_items_in_order(api_client, first_hit):
    response = api_client.get(f"/api/documents/{first_hit['document_id']}")
    assert response.status_code == 200
    found = response.json()
    assert found["document"]["id"] == first_hit["document_id"]
    assert found["document"]["body"] == HSN
    positions = [i["position"] for i in found["items"]]
    assert positions == sorted(positions) and len(positions) > 1
    assert first_hit["id"] in [i["id"] for i in found["items"]]
    first = api_client.get(f"/api/items/{found['items'][0]['id']}").json()
    last = api_client.get(f"/api/items/{found['items'][-1]['id']}").json()
    assert first["previous"] is None and last["next"] is None


@pytest.mark.parametrize("path", ["/api/items/finns-inte", "/api/documents/finns-inte",
                                  "/api/items/0000000000000000-0000"])
def test_unknown_item_or_document_is_404_json(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert "finns-inte" in response.json()["error"] or "0000" in response.json()["error"]


def test_unknown_api_path_is_json_404(api_client):
    response = api_client.get("/api/finns-inte")
    assert response.status_code == 404 and "error" in response.json()
    response = api_client.post("/api/search?q=x")
    assert response.status_code == 405 and "error" in response.json()


# -- export ----------------------------------------------------------------------------------------------


def test_export_csv(api_client):
    query = {"q": "hälso- och sjukvård", "mode": "keyword"}
    total = search(api_client, **query)["total"]
    response = api_client.get("/api/export", params={**query, "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "motesok.csv" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith("\ufeff".encode("utf-8")), "Excel needs the UTF-8 BOM"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    data = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert len(data) == total
    assert HSN in {r["body"] for r in data}
    assert any("ä" in r["text"] and "å" in r["text"] and "ö" in r["text"] for r in data)
    # The round trip through the csv module keeps the Swedish text exactly as the API has it.
    item = api_client.get(f"/api/items/{data[0]['id']}").json()["item"]
    assert data[0]["text"] == item["text"] and data[0]["title"] == item["title"]
    assert data[0]["topics"] == "; ".join(item["topics"])


def test_export_csv_follows_filters_and_sort(api_client):
    response = api_client.get("/api/export", params={"q": "budget", "body": HSN, "sort": "date", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows and {r["body"] for r in rows} == {HSN}
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)


def test_export_jsonl(api_client):
    total = search(api_client, q="ambulanshelikopter", mode="keyword")["total"]
    response = api_client.get("/api/export", params={"q": "ambulanshelikopter", "mode": "keyword", "format": "jsonl"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.text.strip().splitlines()
    assert len(lines) == total > 0
    rows = [json.loads(line) for line in lines]
    assert set(EXPORT_COLUMNS) <= set(rows[0])
    assert "Status ambulanshelikopter" in rows[0]["text"] and rows[0]["body"] == HSN
    assert "\\u00e4" not in response.text  # written as UTF-8, not escaped


def test_export_rejects_unknown_format_and_bad_query(api_client):
    assert api_client.get("/api/export", params={"q": "budget", "format": "xml"}).status_code == 422
    response = api_client.get("/api/export", params={"q": " ", "format": "csv"})
    assert response.status_code == 422 and response.json()["error"]


# -- health, stats, docs -----------------------------------------------------------------------------


def test_health(api_client):
    response = api_client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["store"] is True and body["model_loaded"] is True
    assert body["documents"] > 0 and body["items"] > body["documents"]


def test_stats(api_client):
    body = api_client.get("/api/stats").json()
    assert body["documents"] >= 5 and body["items"] > body["documents"]
    assert body["organisation"]["Region Jämtland Härjedalen"] > 0
    assert HSN in body["body"]
    assert all(re.fullmatch(r"\d{4}", year) for year in body["year"])
    assert sum(body["organisation"].values()) <= body["items"]
    assert body["newest_date_by_body"]["Hälso- och sjukvårdsutskottet"] == "2023-12-07"
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in body["newest_date_by_body"].values())


def test_openapi_and_docs(api_client):
    spec = api_client.get("/openapi.json").json()
    assert spec["info"]["title"] == "Mötessök API"
    paths = set(spec["paths"])
    assert {"/api/search", "/api/items/{item_id}", "/api/documents/{document_id}", "/api/export",
            "/api/health", "/api/stats"} <= paths
    assert "/" not in paths and "/punkt/{item_id}" not in paths  # the pages are not API
    search_params = {p["name"] for p in spec["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "mode", "body", "year", "date_from", "sort", "offset", "limit"} <= search_params
    assert "service" not in search_params and "params" not in search_params
    docs = api_client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


# -- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {},
    {"q": ""},
    {"q": "   "},
    {"q": "\t\n"},
    {"q": "a" * 501},
    {"q": "budget", "limit": 101},
    {"q": "budget", "limit": 0},
    {"q": "budget", "offset": -1},
    {"q": "budget", "mode": "fuzzy"},
    {"q": "budget", "sort": "title"},
    {"q": "budget", "date_from": "2024-13-01"},
    {"q": "budget", "date_to": "igår"},
    {"q": "budget", "year": "tjugohundra"},
], ids=lambda p: urlencode(p)[:40] or "no-q")
def test_invalid_input_is_422_with_a_message(api_client, params):
    response = api_client.get("/api/search", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert body["details"] and all("message" in d for d in body["details"])


def test_query_of_exactly_500_chars_is_accepted(api_client):
    assert api_client.get("/api/search", params={"q": "budget " * 71 + "abc"}).status_code == 200


@pytest.mark.parametrize("params", [
    {"body": "Finns inte-nämnden"},
    {"organisation": "Ingen kommun"},
    {"year": 1850},
    {"topic": "Rymdfart"},
    {"doc_type": "dikt"},
    {"date_from": "2099-01-01"},
])
def test_unknown_filter_values_give_no_hits(api_client, params):
    body = search(api_client, q="budget", **params)
    assert body["total"] == 0 and body["hits"] == []


HOSTILE = ['"', '""', '"budget', 'budget"', '*', 'budg*', 'NEAR(', 'NEAR(budget, 2)', 'AND', 'OR NOT',
           'budget AND', '^', '^budget', '\\', 'budget\\', "'", "'; DROP TABLE items; --", '(', ')', '()',
           '{', '[', ':', 'title:budget', '-', '--', '+', '~', '&', '|', '%', '%00', '🚑 ambulans', '🚁',
           'ambulans\x00helikopter', '\x00', '\x01\x02', '\x1b[31m', 'a\u200bb', '\ufeff', '\u202e',
           'å' * 500, 'ö' * 250 + ' ' + 'ä' * 249, '<script>alert(1)</script>', '&amp;', '\r\n\r\n']


@pytest.mark.parametrize("q", HOSTILE, ids=lambda q: repr(q)[:30])
@pytest.mark.parametrize("mode", ["hybrid", "keyword"])
def test_hostile_queries_never_5xx(api_client, q, mode):
    response = api_client.get("/api/search", params={"q": q, "mode": mode})
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        body = response.json()
        assert body["total"] >= len(body["hits"])
        for hit in body["hits"]:
            assert "<script" not in hit["snippet"]
    else:
        assert response.json()["error"]


def test_hostile_query_in_the_semantic_mode_and_export(api_client):
    for q in ['NEAR(', '"', '\x00', '🚑']:
        assert api_client.get("/api/search", params={"q": q, "mode": "semantic"}).status_code < 500
        assert api_client.get("/api/export", params={"q": q, "format": "jsonl"}).status_code < 500


def test_raw_nul_in_the_query_string_is_not_5xx(api_client):
    for url in ["/api/search?q=%00", "/api/search?q=a%00b", "/api/search?q=%00&body=%00", "/?q=%00",
                "/?q=budget&body=%00", "/punkt/%00", "/api/items/%00"]:
        assert api_client.get(url).status_code < 500, url


# -- the web page over HTTP -------------------------------------------------------------------------------


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_start_page_shows_stats(api_client):
    html = page(api_client, "/")
    assert '<html lang="sv">' in html and 'name="viewport"' in html
    assert 'class="skip-link" href="#innehall"' in html and 'id="innehall"' in html
    assert '<label for="q"' in html and 'name="mode" value="keyword"' in html
    stats = api_client.get("/api/stats").json()
    assert f"<strong>{stats['documents']}</strong> dokument" in html
    assert "Senaste möte per organ" in html and "2023-12-07" in html and HSN in html


def test_result_page(api_client):
    html = page(api_client, "/?q=ambulanshelikopter")
    first = search(api_client, q="ambulanshelikopter")["hits"][0]
    assert f'href="/punkt/{first["id"]}"' in html
    assert "<mark>" in html
    for label in ("Organisation", "Organ", "År", "Ämne", "Dokumenttyp", "Sortera", "Från", "Till"):
        assert f">{label}<" in html, label
    assert 'type="checkbox"' in html and f'name="body" value="{HSN}"' in html
    assert "/api/export?q=ambulanshelikopter&amp;format=csv" in html
    assert 'class="histogram"' in html
    assert "Content-Security-Policy" in api_client.get("/?q=ambulanshelikopter").headers


def test_result_page_escapes_everything_but_the_snippet(api_client):
    html = page(api_client, "/?" + urlencode({"q": "<script>alert(1)</script>"}))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_result_page_paging_and_sorting(api_client):
    total = search(api_client, q="budget")["total"]
    assert total > 10
    html = page(api_client, "/?q=budget")
    assert 'rel="next" href="/?q=budget&amp;offset=10"' in html and "Föregående" in html
    html = page(api_client, "/?q=budget&offset=10&sort=date")
    assert 'rel="prev" href="/?q=budget&amp;sort=date"' in html
    assert '<option value="date" selected>' in html


def test_result_page_with_a_filter_shows_remove_links(api_client):
    html = page(api_client, "/?" + urlencode({"q": "budget", "body": HSN, "year": "1850"}))
    assert "Inga träffar. Prova att ta bort filter:" in html
    assert "Ta bort År: 1850" in html and f"Ta bort Organ: {HSN}" in html
    assert 'href="/?' + urlencode({"q": "budget", "body": HSN}).replace("&", "&amp;") + '"' in html


@pytest.mark.parametrize(("url", "message"), [
    ("/?q=" + "a" * 501, "för lång"),
    ("/?q=budget&date_from=2024-13-01", "inte ett giltigt datum"),
    ("/?q=budget&date_to=igår", "inte ett giltigt datum"),
    ("/?q=budget&year=abc", "årtal"),
    ("/?q=budget&mode=fuzzy", "Sökläget finns inte"),
    ("/?q=budget&offset=-3", "Sidan finns inte"),
    ("/?q=budget&date_from=2025-01-01&date_to=2024-01-01", "efter till-datumet"),
])
def test_invalid_input_on_the_page_is_a_friendly_message(api_client, url, message):
    html = page(api_client, url, status=400)
    assert 'role="alert"' in html and message in html


def test_blank_query_with_filters_asks_for_words(api_client):
    html = page(api_client, "/?q=++&body=x")
    assert "Skriv något att söka efter." in html


def test_hostile_queries_on_the_page(api_client):
    for q in ['"', 'NEAR(', '\\', '\x00', '🚑', '*', 'AND']:
        assert api_client.get("/", params={"q": q}).status_code in (200, 400)


def test_permalink_page(api_client, first_hit):
    html = page(api_client, f"/punkt/{first_hit['id']}")
    found = api_client.get(f"/api/items/{first_hit['id']}").json()
    assert "Status ambulanshelikopter" in html
    for label in ("Organisation", "Organ", "Datum", "Dokumenttyp", "§", "Diarienummer", "Ämnen", "Källa"):
        assert f"<dt>{label}</dt>" in html, label
    assert HSN in html and "Region Jämtland Härjedalen" in html
    for key, rel in (("previous", "prev"), ("next", "next")):
        if found[key]:
            assert f'rel="{rel}" href="/punkt/{found[key]["id"]}"' in html


def test_permalink_shows_decisions(api_client):
    hits = search(api_client, q="att godkänna", mode="keyword", limit=50)["hits"]
    with_decision = next(h for h in hits if h["decisions"])
    html = page(api_client, f"/punkt/{with_decision['id']}")
    assert 'id="beslut"' in html
    from html import escape

    assert escape(with_decision["decisions"][0]) in html


def test_unknown_permalink_and_page_are_swedish_404s(api_client):
    html = page(api_client, "/punkt/finns-inte", status=404)
    assert "Punkten finns inte" in html and '<html lang="sv">' in html
    html = page(api_client, "/sidan-finns-inte", status=404)
    assert "Sidan finns inte" in html


def test_static_files(api_client):
    css = api_client.get("/static/style.css")
    assert css.status_code == 200 and ":focus-visible" in css.text and "@media" in css.text
    js = api_client.get("/static/app.js")
    assert js.status_code == 200 and "requestSubmit" in js.text
