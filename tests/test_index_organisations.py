"""``motesok index`` over real documents from several organisations gives each its organisation,
body and date, and a search filtered on any of those organisations returns that organisation's items.

Uses the word-hashing embedder (MOTESOK_EMBEDDING_MODEL=hashing): no model is loaded.
"""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from indexer.ingest import parse_file
from motesok.cli import app
from tests.labelled_corpus import CORPUS_DEV, load_labels

# one document of each organisation, in each format the corpus has (PDF, text, Markdown, HTML)
FILES = ["hogsby_ks_2007-01-08_protokoll.pdf", "lomma_ks_2026-01-21_protokoll.txt",
         "jonkoping_bun_2024-12-16_protokoll.md", "regiondalarna_samhallsanalys_2026-07-01_rapport.html",
         "simrishamn_kfn_2026-03-10_plan.pdf", "falkenberg_bun_2025-02-11_tjansteskrivelse.md",
         "linkoping_kf_2026-04-28_plan.pdf"]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    root = tmp_path_factory.mktemp("orgs")
    docs = root / "docs"
    docs.mkdir()
    for name in FILES:
        shutil.copy(CORPUS_DEV / name, docs / name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTESOK_DATA_DIR", str(root / "data"))
        mp.setenv("MOTESOK_EMBEDDING_MODEL", "hashing")
        from motesok.config import get_settings

        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(app, ["index", str(docs)])
            assert result.exit_code == 0, result.output
            stats = CliRunner().invoke(app, ["stats"])
            searches = {}
            labels = {lb["file"]: lb for lb in load_labels()}
            for name in FILES:
                label = labels[name]
                query = label["body"].split()[0].rstrip("-")
                out = CliRunner().invoke(app, ["search", query, "--organisation", label["organisation"],
                                               "--mode", "keyword", "--json", "--limit", "50"])
                assert out.exit_code == 0, out.output
                searches[name] = json.loads(out.output)
        finally:
            get_settings.cache_clear()
    return docs, stats.output, searches


def test_every_document_gets_its_organisation_body_and_date(indexed):
    docs, _, _ = indexed
    labels = {lb["file"]: lb for lb in load_labels()}
    for name in FILES:
        meta = parse_file(docs / name).document
        want = labels[name]
        assert (meta.organisation, meta.body, meta.date) == (want["organisation"], want["body"], want["date"]), name
        assert {"organisation", "body", "date"} <= set(meta.evidence), name


def test_stats_count_every_organisation(indexed):
    _, stats, _ = indexed
    labels = {lb["file"]: lb for lb in load_labels()}
    for name in FILES:
        assert labels[name]["organisation"] in stats


def test_an_organisation_filter_returns_that_organisations_items(indexed):
    _, _, searches = indexed
    labels = {lb["file"]: lb for lb in load_labels()}
    for name, response in searches.items():
        organisation = labels[name]["organisation"]
        assert response["total"] > 0, f"nothing found for {organisation}"
        assert {hit["organisation"] for hit in response["hits"]} == {organisation}
