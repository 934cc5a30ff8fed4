"""Atom feeds of searches (``/feed``): valid Atom, the search's own matches, the newest indexed on
top after an index run, filters respected, and the result page links to its feed.

Generated protocols, the word-hashing embedder (MOTESOK_EMBEDDING_MODEL=hashing): no model is loaded.
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from motesok.cli import app
from tests.follow_corpus import write

feedparser = pytest.importorskip("feedparser")


def _ids(parsed) -> list[str]:
    return [entry.link.rsplit("/punkt/", 1)[1] for entry in parsed.entries]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two index runs with feeds and searches read after each; returns what was answered."""
    root = tmp_path_factory.mktemp("feeds")
    docs = root / "docs"
    write(docs, "ks_2024-02-01_protokoll.txt", "Kommunstyrelsen", "2024-02-01", [(1, "hemtjänst"), (2, "gata")])
    write(docs, "sn_2024-03-12_protokoll.txt", "Socialnämnden", "2024-03-12", [(4, "hemtjänst"), (5, "pfas")])
    answers = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTESOK_DATA_DIR", str(root / "data"))
        mp.setenv("MOTESOK_EMBEDDING_MODEL", "hashing")
        from fastapi.testclient import TestClient

        from motesok.config import get_settings
        from motesok.runtime import build_app

        get_settings.cache_clear()
        try:
            first = CliRunner().invoke(app, ["index", str(docs)])
            assert first.exit_code == 0, first.output
            client = TestClient(build_app(get_settings()))
            answers["search"] = client.get("/api/search", params={"q": "hemtjänst", "limit": 50})
            answers["feed"] = client.get("/feed", params={"q": "hemtjänst", "limit": 50})
            answers["feed body"] = client.get("/feed", params={"q": "hemtjänst", "body": "Socialnämnden"})
            answers["search body"] = client.get("/api/search", params={"q": "hemtjänst", "body": "Socialnämnden"})
            answers["page"] = client.get("/", params={"q": "hemtjänst", "body": "Socialnämnden"})
            answers["no query"] = client.get("/feed")
            # an older meeting indexed later: first in the feed, though its meeting date is the oldest
            write(docs, "ks_2023-11-20_protokoll.txt", "Kommunstyrelsen", "2023-11-20", [(9, "hemtjänst")])
            second = CliRunner().invoke(app, ["index", str(docs)])
            assert second.exit_code == 0, second.output
            client = TestClient(build_app(get_settings()))
            answers["search after"] = client.get("/api/search", params={"q": "hemtjänst", "limit": 50})
            answers["feed after"] = client.get("/feed", params={"q": "hemtjänst", "limit": 50})
            answers["feed first"] = client.get("/feed", params={"q": "hemtjänst", "limit": 1})
            answers["body feed"] = client.get("/feed", params={"body": "Kommunstyrelsen"})
        finally:
            get_settings.cache_clear()
    return answers


def test_the_feed_is_valid_atom(runs):
    response = runs["feed"]
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert "hemtjänst" in parsed.feed.title
    entry = parsed.entries[0]
    assert entry.id == entry.link and entry.published and entry.updated and entry.author
    content = entry.content[0].value
    assert "Beslut" in content and "att godkänna uppföljningen av hemtjänsten" in content
    assert "§" in entry.title and f"/punkt/{_ids(parsed)[0]}" in content


def test_the_feed_holds_the_search_matches(runs):
    hits = [h["id"] for h in runs["search"].json()["hits"]]
    assert len(hits) == runs["search"].json()["total"] >= 2
    assert sorted(_ids(feedparser.parse(runs["feed"].content))) == sorted(hits)


def test_new_documents_come_first_after_an_index_run(runs):
    before = set(_ids(feedparser.parse(runs["feed"].content)))
    after = _ids(feedparser.parse(runs["feed after"].content))
    new = [i for i in after if i not in before]
    assert len(new) == 1 and after[0] == new[0]
    assert sorted(after) == sorted(h["id"] for h in runs["search after"].json()["hits"])
    assert _ids(feedparser.parse(runs["feed first"].content)) == new  # limit: the newest only
    published = [e.published for e in feedparser.parse(runs["feed after"].content).entries]
    assert published == sorted(published, reverse=True)


def test_filters_are_respected(runs):
    parsed = feedparser.parse(runs["feed body"].content)
    assert not parsed.bozo
    assert sorted(_ids(parsed)) == sorted(h["id"] for h in runs["search body"].json()["hits"])
    assert parsed.entries and all(e.author == "Socialnämnden" for e in parsed.entries)
    assert "Socialnämnden" in parsed.feed.title


def test_a_body_feed_needs_no_query_and_a_feed_needs_something(runs):
    parsed = feedparser.parse(runs["body feed"].content)
    assert not parsed.bozo and len(parsed.entries) == 3  # every Kommunstyrelsen item, newest indexed first
    assert all(e.author == "Kommunstyrelsen" for e in parsed.entries)
    assert "2023-11-20" in parsed.entries[0].title
    assert runs["no query"].status_code == 422 and "filter" in runs["no query"].json()["error"]


def test_the_result_page_links_to_its_feed(runs):
    html = runs["page"].text
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert "Bevaka" in html and "/feed?q=hemtj%C3%A4nst&amp;body=Socialn%C3%A4mnden" in html
