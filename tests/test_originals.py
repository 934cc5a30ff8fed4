"""Page numbers, the original document and the no-server-path rule (issue 21, items 2 and 3).

A generated folder (a three-page PDF protocol, a text protocol with a generated personnummer and a
sidecar ``url``, an HTML page) is indexed with the word-hashing embedder (no model); the API and
pages are read over HTTP. The last test walks every route over the sample corpus with the real
model and looks for the server's folders in every answer.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from motesok.cli import app
from tests.conftest import all_routes
from tests.parse_helpers import make_pdf
from tests.test_personnummer import forms, generated

URL = "https://example.org/kommunstyrelsen/2024-05-14/protokoll.pdf"

PAGES = [
    ["Kommunstyrelsen", "Protokoll 2024-05-14", "", "§ 41 Val av justerare", "Beslut",
     "att utse Anna Andersson att justera protokollet."],
    ["§ 42 a Detaljplan för Strandängen", "Förslag till detaljplan för bostäder vid Strandängen.",
     "Planen omfattar cirka 120 lägenheter och en förskola."],
    ["Beslut", "att anta detaljplanen för Strandängen.", "", "§ 43 Anmälningar",
     "Inga anmälningar redovisades."],
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("originals")
    docs, data = root / "docs", root / "data"
    docs.mkdir()
    pdf = docs / "ks_2024-05-14_protokoll.pdf"
    pdf.write_bytes(make_pdf(PAGES))
    number = forms(generated(random.Random(21)))["ÅÅMMDD-XXXX"]  # generated, never a real one
    private = docs / "sn_2024-05-20_protokoll.txt"
    private.write_text("Socialnämnden\nProtokoll 2024-05-20\n\n§ 7 Ansökan om färdtjänst\n\n"
                       f"Ansökan från {number} om färdtjänst.\n\nBeslut\n\natt bevilja färdtjänst.\n",
                       encoding="utf-8")
    (docs / "sn_2024-05-20_protokoll.txt.meta.json").write_text(json.dumps({"url": URL}), encoding="utf-8")
    page = docs / "bn_2024-06-01_protokoll.html"
    page.write_text("<html><head><title>Byggnadsnämnden</title><script>alert(1)</script></head><body>"
                    "<h1>Byggnadsnämnden protokoll 2024-06-01</h1><h2>§ 5 Bygglov för garage</h2>"
                    "<p>Ansökan om bygglov för garage.</p><h3>Beslut</h3><p>att bevilja bygglov.</p></body></html>",
                    encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTESOK_DATA_DIR", str(data))
        mp.setenv("MOTESOK_EMBEDDING_MODEL", "hashing")
        from fastapi.testclient import TestClient

        from motesok.config import get_settings
        from motesok.runtime import build_app

        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["index", str(docs)])
            assert result.exit_code == 0, result.output
            application = build_app(get_settings())
            with TestClient(application) as client:
                yield {"client": client, "root": root, "pdf": pdf, "private": private, "page": page,
                       "number": number, "app": application}
        finally:
            get_settings.cache_clear()


def _items(client, q: str) -> list[dict]:
    response = client.get("/api/search", params={"q": q, "mode": "keyword", "limit": 50})
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def _document(client, hit: dict) -> dict:
    return client.get(f"/api/documents/{hit['document_id']}").json()


def _pdf_items(site) -> dict[str, dict]:
    hit = _items(site["client"], "detaljplan Strandängen")[0]
    return {i["paragraph_label"]: i for i in _document(site["client"], hit)["items"]}


def test_items_know_their_pages_and_printed_paragraph(site):
    items = _pdf_items(site)
    assert {label: (i["page_start"], i["page_end"]) for label, i in items.items()} == {
        "41": (1, 1), "42 a": (2, 3), "43": (3, 3)}
    hit = _items(site["client"], "detaljplan Strandängen")[0]
    assert (hit["paragraph_label"], hit["page_start"], hit["page_end"]) == ("42 a", 2, 3)
    assert hit["original"] == f"/documents/{hit['document_id']}/original#page=2"


def test_hits_and_item_pages_show_pages_and_link_the_original_at_its_page(site):
    client = site["client"]
    hit = _items(client, "detaljplan Strandängen")[0]
    results = client.get("/", params={"q": "detaljplan Strandängen", "mode": "keyword"}).text
    assert "s. 2–3" in results and f'href="/documents/{hit["document_id"]}/original#page=2"' in results
    page = client.get(f"/punkt/{hit['id']}").text
    assert "§ 42 a" in page and "s. 2–3" in page
    link = re.search(r'<a href="([^"]+)" class="open-original">Öppna originalet \(s\. 2\)</a>', page)
    assert link and link.group(1) == f"/documents/{hit['document_id']}/original#page=2"
    assert "ks_2024-05-14_protokoll.pdf" in page  # Källa: the file name


def test_the_original_is_the_indexed_file_inline(site):
    client = site["client"]
    hit = _items(client, "detaljplan Strandängen")[0]
    response = client.get(f"/documents/{hit['document_id']}/original")
    assert response.status_code == 200
    assert response.content == site["pdf"].read_bytes()  # byte-identical
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('inline; filename="ks_2024-05-14_protokoll.pdf"')


def test_an_indexed_web_page_is_served_sandboxed(site):
    client = site["client"]
    hit = _items(client, "bygglov garage")[0]
    response = client.get(f"/documents/{hit['document_id']}/original")
    assert response.status_code == 200 and response.content == site["page"].read_bytes()
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == "sandbox"  # its script cannot run on this site


def test_a_document_with_a_personnummer_is_not_served_and_its_url_is_the_source(site):
    client = site["client"]
    hit = _items(client, "färdtjänst")[0]
    assert hit["original"] is None
    document = _document(client, hit)["document"]
    assert document["personnummer_masked"] == 1 and document["url"] == URL and document["original"] is None
    response = client.get(f"/documents/{hit['document_id']}/original")
    assert response.status_code == 403
    assert "personnummer" in response.json()["error"] and response.json()["url"] == URL
    assert site["number"] not in response.text
    browser = client.get(f"/documents/{hit['document_id']}/original", headers={"accept": "text/html"})
    assert browser.status_code == 403 and "personnummer" in browser.text and f'href="{URL}"' in browser.text
    page = client.get(f"/punkt/{hit['id']}").text
    assert "Öppna originalet" not in page and "innehåller personnummer" in page
    assert f'<a href="{URL}" rel="noopener" class="source-url">' in page  # Källa: the publisher's address


def test_unknown_ids_and_paths_in_the_request_are_not_found(site):
    client = site["client"]
    for document_id in ("0" * 16, "..", quote("../../etc/passwd", safe=""), quote(str(site["pdf"]), safe="")):
        response = client.get(f"/documents/{document_id}/original")
        assert response.status_code == 404, document_id
        assert b"%PDF" not in response.content


def test_a_file_changed_since_indexing_is_not_served_as_the_indexed_one(site, tmp_path):
    client = site["client"]
    hit = _items(client, "bygglov garage")[0]
    page = site["page"]
    before = page.read_bytes()
    try:
        page.write_bytes(before.replace(b"garage", b"carport"))
        response = client.get(f"/documents/{hit['document_id']}/original")
        assert response.status_code == 409 and "ändrats" in response.json()["error"]
        page.unlink()
        assert client.get(f"/documents/{hit['document_id']}/original").status_code == 404
    finally:
        page.write_bytes(before)
    assert hashlib.sha256(client.get(f"/documents/{hit['document_id']}/original").content).digest() == \
        hashlib.sha256(before).digest()


def _every_answer(client, queries: list[str]) -> list[tuple[str, str]]:
    """The text of every route's answer: API (search, items, documents, originals, export, feed,
    stats, health, openapi) and pages (start, results, items, unsubscribe, not found); fails when
    the app has a GET route this walk does not visit (a new route must be added here)."""
    answers: list[tuple[str, str]] = []
    visited: set[str] = set()

    def get(path: str, route: str | None = None, **params) -> str:
        response = client.get(path, params=params)
        assert response.status_code < 500, (path, response.status_code)
        answers.append((f"{path} {params}", response.text))
        visited.add(route or path)
        return response.text

    for path in ("/", "/api/stats", "/api/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
                 "/finns-inte"):
        get(path)
    get("/punkt/finns-inte", "/punkt/{item_id}")
    get("/avregistrera/ogiltig-nyckel", "/avregistrera/{token}")
    get("/api/cases/finns-inte", "/api/cases/{case_id}")
    get("/arende/finns-inte", "/arende/{case_id}")
    for q in queries:
        for mode in ("keyword", "hybrid", "semantic"):
            hits = json.loads(get("/api/search", q=q, mode=mode, limit=100))["hits"]
            get("/", q=q, mode=mode)
            for hit in hits:
                get(f"/api/items/{hit['id']}", "/api/items/{item_id}")
                get(f"/punkt/{hit['id']}", "/punkt/{item_id}")
                get(f"/api/documents/{hit['document_id']}", "/api/documents/{document_id}")
                if hit["original"] is None:  # a refusal's message, in both shapes
                    get(f"/documents/{hit['document_id']}/original", "/documents/{document_id}/original")
                if hit["case"]:  # the case's steps name their documents too
                    get(f"/api/cases/{hit['case']['id']}", "/api/cases/{case_id}")
                    get(hit["case"]["url"], "/arende/{case_id}")
        get("/api/cases", q=q)
        get("/api/export", q=q, format="csv")
        get("/api/export", q=q, format="jsonl")
        get("/feed", q=q)
    visited.add("/documents/{document_id}/original")  # served files are the documents themselves
    routes = {r.path for r in all_routes(client.app.routes) if "GET" in (getattr(r, "methods", None) or ())}
    assert "/api/items/{item_id}" in routes and "/punkt/{item_id}" in routes  # the routers' routes are seen
    assert not routes - visited, f"routes not walked: {routes - visited}"
    return answers


def _folders(*paths) -> set[str]:
    """Each folder and its parents down to two levels (``/tmp/pytest-of-x``): no part of the path."""
    out = set()
    for path in paths:
        path = path.resolve()
        for folder in [path, *path.parents]:
            if len(folder.parts) > 2:
                out.add(str(folder))
    return out


def test_no_answer_shows_a_server_path_generated_files(site):
    root = site["root"]
    answers = _every_answer(site["client"], ["detaljplan", "färdtjänst", "bygglov"])
    assert len(answers) > 30
    for where, text in answers:
        for folder in _folders(root / "docs", root / "data"):
            assert folder not in text and folder.replace("/", "\\/") not in text, (where, folder)


@pytest.mark.model
def test_no_answer_shows_a_server_path_sample_corpus(api_client, corpus_settings):
    from tests.conftest import CORPUS

    answers = _every_answer(api_client, ["ambulanshelikopter", "budget", "vad beslutade regionstyrelsen om budget"])
    assert len(answers) > 50
    folders = _folders(CORPUS, corpus_settings.data_dir)
    for where, text in answers:
        for folder in folders:
            assert folder not in text, (where, folder)
        assert "corpus/" not in text, where


@pytest.mark.browser
def test_in_a_browser_the_original_link_lands_on_the_items_page(site):
    """Chromium follows hit → item page → "Öppna originalet (s. 2)": the link keeps #page=2 and the
    file it opens has the item's heading on page 2 (what a PDF viewer shows for #page=2; headless
    Chromium has no PDF viewer to look at)."""
    import io

    from pypdf import PdfReader

    from tests.live_app import chromium, served

    with served(site["app"]) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/?q=detaljplan+Strand%C3%A4ngen&mode=keyword")
        assert page.locator(".hit .hit-pages").first.inner_text() == "s. 2–3"
        page.locator(".hit-title a").first.click()
        page.wait_for_url(re.compile(r"/punkt/"))
        link = page.get_by_role("link", name="Öppna originalet (s. 2)")
        href = link.evaluate("a => a.href")
        assert href.startswith(base + "/documents/") and href.endswith("/original#page=2")
        response = page.request.get(href)
        assert response.ok and response.headers["content-type"] == "application/pdf"
        original = response.body()
    assert original == site["pdf"].read_bytes()
    pages = PdfReader(io.BytesIO(original)).pages
    assert "§ 42 a Detaljplan för Strandängen" in pages[1].extract_text()
    assert "Strandängen" not in pages[0].extract_text()
