"""Property-based fuzz of the HTTP API and the web page (Hypothesis, through the ASGI TestClient).

Hypothesis generates requests to /api/search, /api/export, /api/items/{id}, /api/documents/{id},
/ and /punkt/{id}: arbitrary text (control characters, emoji, FTS5 and OpenSearch query syntax,
very long tokens), arbitrary filter values, numbers far out of range, repeated and unknown
parameters, and raw query strings of arbitrary percent-encoded bytes (invalid UTF-8, encoded lone
surrogates, NUL). The properties: never a 5xx; an /api 4xx is JSON with an ``error`` message; a
200 from /api/search is a well-formed response; pages answer HTML.

Hypothesis rather than schemathesis: the pages are not in the OpenAPI schema, raw byte-level query
strings are generated here directly, and no further test dependency is needed.

``MOTESOK_FUZZ_EXAMPLES`` sets the total number of generated cases (default 300, split over the
tests below; some cases make two requests). The long run:

    MOTESOK_FUZZ_EXAMPLES=2400 .venv/bin/python -m pytest tests/test_api_fuzz.py -q -p no:cacheprovider

The number of requests made and the statuses seen are printed at the end of the module.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import string
from collections import Counter
from urllib.parse import quote, quote_from_bytes, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.model

TOTAL = int(os.environ.get("MOTESOK_FUZZ_EXAMPLES", "300"))
TESTS = 7  # property tests in this module; the total is split evenly
FUZZ = settings(max_examples=max(1, TOTAL // TESTS), deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])

SEEN: Counter[str] = Counter()  # "requests", and one key per status code

# -- strategies ------------------------------------------------------------------------------------

SYNTAX = ['"', "'", "*", ":", "(", ")", "NEAR", "NEAR(", "AND", "OR", "NOT", "^", "\\", "\\\\", "-", "+",
          "~", "{", "}", "[", "]", "/", "?", "!", "&&", "||", "title:", "text:", "*:*", "_all", "%", "%00",
          "\x00", "\x1b[31m", "\u200b", "\ufeff", "\u202e", "🚑", "🚁", "👩‍⚖️", "å", "ä", "ö", "Å", "ß", "İ",
          "ambulanshelikopter", "budget", "Hälso- och sjukvårdsnämnden", "§", "§ 12", "<script>", "</mark>",
          "&amp;", "{{7*7}}", "${x}", "' OR 1=1 --", "; DROP TABLE items;", "\r\n", "\t", " "]

any_text = st.text(st.characters(codec="utf-8"), max_size=80)  # all code points but lone surrogates
syntax_soup = st.lists(st.sampled_from(SYNTAX) | any_text, min_size=1, max_size=12).map(" ".join)
long_token = st.builds(lambda c, n: c * n, st.sampled_from(["a", "å", "🚑", "\\", '"', "NEAR"]),
                       st.integers(100, 700))
query_text = st.one_of(any_text, syntax_soup, long_token, st.sampled_from(SYNTAX))
number = st.one_of(st.integers(-10**6, 10**6), st.integers(-10**30, 10**30), st.sampled_from(
    ["", "-0", "1e3", "0x10", "NaN", "inf", "10 000", "٣", "1.5", "9" * 50]), any_text)
date = st.one_of(st.dates().map(lambda d: d.isoformat()),
                 st.sampled_from(["2024-02-30", "2024-13-01", "0000-00-00", "igår", "", "2024/01/01",
                                  "99999-01-01", "2024-01-01T00:00:00"]), any_text)
FACETS = ("organisation", "body", "topic", "doc_type")
facet_value = st.one_of(any_text, st.sampled_from(["Hälso- och sjukvårdsnämnden", "Region Jämtland Härjedalen",
                                                    "ekonomi", "protokoll", ""]), syntax_soup)


valid_number = st.integers(0, 120).map(str)
valid_year = st.integers(1990, 2030).map(str)


@st.composite
def search_params(draw, for_export: bool = False) -> list[tuple[str, str]]:
    """Query-string pairs. Text (``q``, filter values) is always arbitrary; the typed fields (mode,
    year, dates, paging, sort) are in range in about two cases of three, so that most requests reach
    the store, and anything at all otherwise. Repeated and unknown keys included."""
    typed = draw(st.integers(0, 2)) > 0
    pick = (lambda valid, anything: valid) if typed else (lambda valid, anything: valid | anything)
    pairs: list[tuple[str, str]] = []
    if not typed or draw(st.integers(0, 9)):  # q is sometimes left out
        pairs.append(("q", draw(query_text)))
    # semantic and hybrid embed the query (tens of ms): keyword is drawn more often
    pairs.append(("mode", draw(pick(st.sampled_from(["keyword", "keyword", "hybrid", "semantic"]), any_text))))
    for facet in FACETS:
        pairs.extend((facet, v) for v in draw(st.lists(facet_value, max_size=3)))
    pairs.extend(("year", str(v)) for v in draw(st.lists(pick(valid_year, number), max_size=3)))
    for key in ("date_from", "date_to"):
        if draw(st.booleans()):
            pairs.append((key, draw(pick(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31))
                                         .map(dt.date.isoformat), date))))
    for key in ("offset", "limit"):
        if draw(st.booleans()):
            pairs.append((key, draw(pick(valid_number.filter(lambda v, key=key: key != "limit" or 1 <= int(v) <= 100),
                                         number.map(str)))))
    if draw(st.booleans()):
        pairs.append(("sort", draw(pick(st.sampled_from(["relevance", "date"]), any_text))))
    if for_export:
        pairs.append(("format", draw(pick(st.sampled_from(["csv", "jsonl"]), any_text))))
    if draw(st.integers(0, 4)) == 0:
        pairs.append((draw(any_text), draw(any_text)))  # an unknown parameter
    return draw(st.permutations(pairs))


raw_bytes = st.one_of(st.binary(max_size=60), st.sampled_from(
    [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xff\xfe", b"\xc0\xaf", b"\x00", b"\xe2\x82", b"%", b"%%", b"\xf4\x90\x80\x80"]))


# -- requests ----------------------------------------------------------------------------------------

def get(client, url: str):
    response = client.get(url)
    SEEN["requests"] += 1
    SEEN[str(response.status_code)] += 1
    assert response.status_code < 500, (url[:300], response.status_code, response.text[:500])
    return response


def check_api(response) -> None:
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json"), response.headers
        body = response.json()
        assert isinstance(body.get("error"), str) and body["error"], body


def check_page(response) -> None:
    assert response.status_code in (200, 400, 404), response.status_code
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in response.text


# -- properties --------------------------------------------------------------------------------------

@FUZZ
@given(pairs=search_params())
def test_search_never_fails(api_client, pairs):
    response = get(api_client, "/api/search?" + urlencode(pairs))
    check_api(response)
    if response.status_code == 200:
        body = response.json()
        assert body["total"] >= len(body["hits"]) and len(body["hits"]) <= 100
        assert all("<script" not in hit["snippet"] for hit in body["hits"])


@FUZZ
@given(pairs=search_params(for_export=True))
def test_export_never_fails(api_client, pairs):
    response = get(api_client, "/api/export?" + urlencode(pairs))
    check_api(response)
    if response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson"):
        for line in response.text.splitlines():
            json.loads(line)


identifier = st.one_of(any_text.filter(bool), st.text(string.hexdigits + "-", min_size=1, max_size=40),
                       st.sampled_from(["..", ".", "%2e%2e", "a/b", "0" * 16 + "-0000", " ", "\x00"]), long_token)


@FUZZ
@given(kind=st.sampled_from(["items", "documents", "cases"]), ident=identifier, encode=st.booleans())
def test_item_and_document_routes(api_client, kind, ident, encode):
    path = quote(ident, safe="") if encode else quote(ident, safe="/:@!$&'()*+,;=")
    response = get(api_client, f"/api/{kind}/{path}")
    check_api(response)
    assert response.status_code in (200, 404, 405, 422), response.status_code


@FUZZ
@given(pairs=search_params())
def test_search_page(api_client, pairs):
    check_page(get(api_client, "/?" + urlencode(pairs)))


@FUZZ
@given(ident=identifier, route=st.sampled_from(["/punkt/", "/arende/"]))
def test_permalink_page(api_client, ident, route):
    response = get(api_client, route + quote(ident, safe=""))
    assert response.status_code < 500
    if not response.headers["content-type"].startswith("application/json"):  # "/punkt/" alone: routing
        check_page(response)


@FUZZ
@given(route=st.sampled_from(["/api/search", "/api/export", "/api/cases", "/"]),
       parts=st.lists(st.tuples(st.sampled_from(["q", "mode", "body", "year", "date_from", "offset", "limit",
                                                   "sort", "format", "topic"]) | any_text, raw_bytes),
                      min_size=1, max_size=6))
def test_raw_query_strings(api_client, route, parts):
    """Arbitrary bytes, percent-encoded: invalid UTF-8, encoded surrogates, NUL, stray ``%``."""
    query = "&".join(quote(key, safe="") + "=" + quote_from_bytes(value, safe="%") for key, value in parts)
    response = get(api_client, f"{route}?{query}")
    if route.startswith("/api/"):
        check_api(response)
    else:
        check_page(response)


@FUZZ
@given(ident=raw_bytes.filter(bool), route=st.sampled_from(["/api/items/", "/api/documents/", "/api/cases/",
                                                            "/punkt/", "/arende/"]))
def test_raw_path_bytes(api_client, ident, route):
    response = get(api_client, route + quote_from_bytes(ident, safe=""))
    if route.startswith("/api/"):
        check_api(response)


# -- what the fuzz found -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/api", "/api/items/..", "/api/documents/..", "/api/items/."])
def test_api_root_is_api_not_a_page(api_client, url):
    """Found by the fuzz: a client normalises "/api/items/.." to "/api", which got the HTML 404 page."""
    response = get(api_client, url)
    assert response.status_code == 404
    check_api(response)


@pytest.mark.parametrize("url", ["/api/search?q=budget&year=" + "9" * 30, "/api/search?q=budget&year=-" + "9" * 30,
                                 "/api/export?q=budget&year=10000", "/api/search?q=budget&year=0"])
def test_year_out_of_range_is_422(api_client, url):
    """Found by the fuzz: a 30-digit year reached SQLite, which cannot hold it (OverflowError, 500)."""
    response = get(api_client, url)
    assert response.status_code == 422 and "year" in response.json()["error"]


def test_year_out_of_range_on_the_page(api_client):
    response = get(api_client, "/?q=budget&year=" + "9" * 30)
    assert response.status_code == 400 and "Året måste vara ett årtal" in response.text


def test_too_many_filter_values_are_refused(api_client):
    """A store is never asked for more values than SQLite's variables or a terms query can take."""
    pairs = [("q", "budget")] + [("body", f"organ {i}") for i in range(150)]
    response = get(api_client, "/api/search?" + urlencode(pairs))
    assert response.status_code == 422 and "body" in response.json()["error"]
    assert get(api_client, "/api/search?" + urlencode(pairs[:101])).status_code == 200


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request):
    yield
    statuses = {k: v for k, v in sorted(SEEN.items()) if k != "requests"}
    line = f"API fuzz: {SEEN['requests']} requests (MOTESOK_FUZZ_EXAMPLES={TOTAL}), statuses {statuses}"
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print("\n" + line)
    else:
        print(line)
