"""Cases (ärenden) in a real browser: Debian's chromium driven by Playwright against the app over
the sample corpus (corpus/ with corpus/extra, indexed with the hashing embedder: cases do not
depend on the model). From a search result's "N fler steg i samma ärende" to the case page and on
to a step; writes docs/screenshot-case.png (the case page) when MOTESOK_SCREENSHOT=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.live_app import TIMEOUT_MS, chromium, served

pytestmark = [pytest.mark.browser]

PROJECT = Path(__file__).resolve().parent.parent
SCREENSHOT = PROJECT / "docs" / "screenshot-case.png"


@pytest.fixture(scope="module")
def case_server(tmp_path_factory):
    """The app as `motesok serve` runs it, in a background thread, over a freshly indexed store."""
    from indexer.pipeline import Indexer
    from indexer.store.sqlite import SQLiteStore
    from models.analysis import get_analyzer
    from models.embeddings import HashingEmbedder
    from motesok.config import Settings
    from motesok.runtime import build_app
    from search_api.service import RankingConfig, SearchService

    data = tmp_path_factory.mktemp("case-web")
    settings = Settings(data_dir=data, embedding_model="hashing")
    embedder, analyzer = HashingEmbedder(), get_analyzer()
    store = SQLiteStore(data, embedding_model=embedder.name, dim=embedder.dim)
    summary = Indexer(store=store, analyzer=analyzer, embedder=embedder).run([PROJECT / "corpus"])
    assert summary.failed == 0, summary.messages
    app = build_app(settings, SearchService(store, analyzer, embedder, RankingConfig.from_settings(settings)))
    with served(app) as url:
        yield url
    store.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def test_case_page_from_a_search_result(browser, case_server):
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{case_server}/")
    page.fill("input[name=q]", "indexuppräkning hemtjänstersättning")
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.hits")
    more = page.locator(".hit-case a", has_text="fler steg i samma ärende").first
    assert more.is_visible()
    more.click()
    page.wait_for_selector("ol.timeline")
    assert page.locator("h1").inner_text() == "Ärende VO 2025/72"
    kinds = page.locator(".timeline .step-kind").all_inner_texts()
    assert kinds == ["Kallelse (förslag)", "Nämnd"]
    labels = page.locator(".timeline .decision-label").all_inner_texts()
    assert labels == ["Förslag till beslut:", "Beslut:"]
    assert "Senaste beslut" in page.locator(".case-status").inner_text()
    if os.environ.get("MOTESOK_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    # on to the decision, whose page names the case and its other step
    page.locator(".timeline .step-title a").nth(1).click()
    page.wait_for_selector("section.item-case")
    case_box = page.locator("section.item-case")
    assert "VO 2025/72" in case_box.inner_text() and "(den här punkten)" in case_box.inner_text()
    assert case_box.locator("a.step-title").count() == 1
    context.close()
    assert not errors, f"errors in the browser console: {errors}"
