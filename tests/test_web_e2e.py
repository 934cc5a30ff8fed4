"""The web page in a real browser: Debian's chromium driven by Playwright against the real app
(uvicorn on 127.0.0.1, a free port) over the indexed sample corpus with the real model.

Set MOTESOK_SCREENSHOT=1 to write docs/screenshot.png (the README's picture) from the result page
and docs/screenshot-answer.png from a decision question's page (the answer above the hits).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.live_app import TIMEOUT_MS, chromium, served

pytestmark = [pytest.mark.browser, pytest.mark.model]

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"
ANSWER_SCREENSHOT = SCREENSHOT.with_name("screenshot-answer.png")
#: The page's label for each decision_kind of the API.
DECISION_LABELS = {"beslut": "Beslut", "förslag": "Förslag till beslut", None: "Beslut eller förslag"}
HSN = "Hälso- och sjukvårdsnämnden"


@pytest.fixture(scope="module")
def live_server(corpus_settings, search_service):
    """The app as `motesok serve` runs it, over the indexed sample corpus."""
    from motesok.runtime import build_app

    with served(build_app(corpus_settings, search_service)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # Console errors (a CSP violation, say) fail the test; a 4xx page that a test asks for is fine.
    page.on("console", lambda msg: errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource") else None)
    yield page
    context.close()
    assert not errors, f"errors in the browser console: {errors}"


def total(page) -> int:
    return int(re.sub(r"\D", "", page.locator(".results-head .total").inner_text()))


def hit_bodies(page) -> list[str]:
    return [t.strip() for t in page.locator(".hit .hit-body").all_inner_texts()]


def test_search_filter_histogram_and_permalink(page, live_server):
    from playwright.sync_api import expect

    # Start page: stats, then a search typed into the box.
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", name="Sök i mötesprotokoll")).to_be_visible()
    expect(page.locator(".stats")).to_contain_text("Senaste möte per organ")
    page.get_by_label("Sökfråga").fill("ambulanshelikopter")
    page.get_by_role("button", name="Sök", exact=True).click()
    page.wait_for_url(re.compile(r"q=ambulanshelikopter"))

    # The HSN item that reports the status of the ambulance helicopter comes first.
    first = page.locator(".hit").first
    expect(first.locator(".hit-body")).to_have_text(HSN)
    expect(first.locator(".snippet mark").first).to_have_text(re.compile("ambulanshelikopter", re.I))
    first_title = first.locator(".hit-title a").inner_text()
    # An honest count: the word occurs in one item of the sample corpus, not in a hundred.
    assert 1 <= total(page) <= 3
    if os.environ.get("MOTESOK_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT))

    # A broader subject, found in several bodies, for the facets and the histogram.
    page.get_by_label("Sökfråga").fill("budget")
    page.get_by_role("button", name="Sök", exact=True).click()
    page.wait_for_url(re.compile(r"q=budget"))
    before = total(page)
    assert before > 1 and len(set(hit_bodies(page))) > 1, "the search should find items of several bodies"

    # Tick the body facet: the page re-submits itself (JS), the total and the other facets change,
    # the body facet still lists the other bodies (disjunctive), and focus is back on the checkbox.
    orgs_before = page.locator('[data-facet="organisation"] input').count()
    box = page.locator(f'[data-facet="body"] input[value="{HSN}"]')
    with page.expect_navigation():
        box.check()
    assert "body=" in page.url
    expect(page.locator(f'[data-facet="body"] input[value="{HSN}"]')).to_be_checked()
    after = total(page)
    assert after != before
    assert set(hit_bodies(page)) == {HSN}
    assert page.locator('[data-facet="body"] input').count() > 1
    assert page.locator('[data-facet="organisation"] input').count() < orgs_before
    assert page.evaluate("document.activeElement && document.activeElement.value") == HSN
    expect(page.locator(".active-filters")).to_contain_text(f"Organ: {HSN}")
    api = page.request.get(live_server + "/api/search?" + page.url.split("?", 1)[1]).json()
    assert api["total"] == after

    # The per-year histogram: clicking a bar filters on that year.
    bar = page.locator(".histogram a.bar-link").first
    year = re.search(r"\d{4}", bar.locator(".bar-year").inner_text()).group(0)
    bar.click()
    page.wait_for_url(re.compile(rf"year={year}"))
    expect(page.locator(f'[data-facet="year"] input[value="{year}"]')).to_be_checked()
    expect(page.locator(".active-filters")).to_contain_text(f"År: {year}")
    for date in page.locator(".hit .hit-date").all_inner_texts():
        assert date.startswith(year)
    assert set(hit_bodies(page)) == {HSN}  # the body filter stays
    expect(page.locator(".histogram a.bar-link.selected")).to_contain_text(year)

    # Back to the unfiltered result list; the first hit's permalink shows the full text and metadata.
    page.goto(live_server + "/?q=ambulanshelikopter")
    page.locator(".hit-title a").first.click()
    page.wait_for_url(re.compile(r"/punkt/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(first_title)
    expect(page.locator(".fulltext")).to_contain_text("Status ambulanshelikopter")
    expect(page.locator(".item-meta")).to_contain_text(HSN)
    expect(page.locator(".item-meta")).to_contain_text("Region Jämtland Härjedalen")
    neighbour = page.locator(".neighbours a").first
    neighbour_title = neighbour.locator(".n-title").inner_text()
    neighbour.click()
    page.wait_for_url(re.compile(r"/punkt/"))
    assert neighbour_title.endswith(page.get_by_role("heading", level=1).inner_text())


def test_permalink_shows_the_decision(page, live_server):
    from playwright.sync_api import expect

    page.goto(live_server + "/?q=att+godk%C3%A4nna&mode=keyword")
    hit = page.locator(".hit").filter(has=page.locator(".decision")).first
    decision = hit.locator(".decision p").first.inner_text()
    label = hit.locator(".decision-label").inner_text().removesuffix(":")
    assert label in ("Beslut", "Förslag till beslut") and decision.startswith(label + ": ")
    hit.locator(".hit-title a").click()
    page.wait_for_url(re.compile(r"/punkt/"))
    expect(page.locator("#beslut-rubrik")).to_have_text(label)  # the item page says the same
    full = page.locator("#beslut li").first.inner_text()
    assert full.startswith(decision.removeprefix(label + ": ").removesuffix("…").strip())  # the list may shorten it
    expect(page.locator(".fulltext")).not_to_be_empty()


def test_works_without_javascript(browser, live_server):
    """Progressive enhancement: a plain GET form with a real button does the same as the script."""
    context = browser.new_context(java_script_enabled=False, locale="sv-SE")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(live_server + "/?q=ambulanshelikopter")
        page.locator(f'[data-facet="body"] input[value="{HSN}"]').check()
        assert "body=" not in page.url  # nothing happens until the button is pressed
        page.get_by_role("button", name="Uppdatera träfflistan").click()
        page.wait_for_url(re.compile(r"body="))
        assert set(hit_bodies(page)) == {HSN}
        page.locator('a[rel="next"], a.chip').first.click()
        page.wait_for_load_state()
        assert page.locator(".results-head").count() == 1
    finally:
        context.close()


def test_keyboard_skip_link_and_no_hits_message(page, live_server):
    from playwright.sync_api import expect

    page.goto(live_server + "/?q=ambulanshelikopter&year=1850")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Hoppa till innehållet" in focused
    page.keyboard.press("Enter")
    assert page.url.endswith("#innehall")
    expect(page.locator(".message.empty")).to_contain_text("Inga träffar. Prova att ta bort filter:")
    page.get_by_role("link", name="Ta bort År: 1850").click()
    page.wait_for_load_state()
    assert total(page) > 0


def test_invalid_input_and_unknown_item_are_friendly(page, live_server):
    from playwright.sync_api import expect

    page.goto(live_server + "/?q=budget&date_from=2024-13-45")
    expect(page.get_by_role("alert")).to_contain_text("inte ett giltigt datum")
    response = page.goto(live_server + "/punkt/finns-inte")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Punkten finns inte")


def test_phone_width_has_no_horizontal_scroll(browser, live_server):
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="sv-SE", is_mobile=True)
    page = context.new_page()
    try:
        for path in ("/", "/?q=ambulanshelikopter"):
            page.goto(live_server + path)
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], f"{path} is wider than the phone: {width}"
        page.locator(".hit-title a").first.click()
        page.wait_for_url(re.compile(r"/punkt/"))
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"the permalink page is wider than the phone: {width}"
    finally:
        context.close()


def test_decisions_are_labelled_by_kind(page, live_server):
    """Each hit's label says what the API's decision_kind says: a proposal is never shown as Beslut."""
    from playwright.sync_api import expect

    query = "q=protokollet&mode=keyword"  # decided (justera protokollet) and proposed items
    page.goto(f"{live_server}/?{query}")
    api = page.request.get(f"{live_server}/api/search?{query}").json()
    kinds = {hit["id"]: hit["decision_kind"] for hit in api["hits"] if hit["decisions"]}
    assert set(kinds.values()) == {"beslut", "förslag"}
    for hit_id, kind in kinds.items():
        card = page.locator(".hit").filter(has=page.locator(f'.hit-title a[href="/punkt/{hit_id}"]'))
        expect(card.locator(".decision-label")).to_have_text(DECISION_LABELS[kind] + ":")
    proposal = next(hit_id for hit_id, kind in kinds.items() if kind == "förslag")
    page.goto(f"{live_server}/punkt/{proposal}")
    expect(page.locator("#beslut-rubrik")).to_have_text("Förslag till beslut")


def test_a_decision_question_shows_the_decision_above_the_hits(page, live_server):
    from playwright.sync_api import expect

    page.goto(live_server + "/")
    page.get_by_label("Sökfråga").fill("vad beslutades om internkontrollplan 2024?")
    page.get_by_role("button", name="Sök", exact=True).click()
    page.wait_for_url(re.compile(r"q=vad"))
    answer = page.locator(".answer")
    expect(answer).to_be_visible()
    api = page.request.get(live_server + "/api/search?" + page.url.split("?", 1)[1]).json()["answer"]
    assert api["paragraph"] == 95 and api["decisions"] == ["att överlämna ärendet till nämnden"]
    # the record's own words, with body, date, § and the link to the item
    expect(answer.locator(".answer-decisions li").first).to_have_text(api["decisions"][0])
    expect(answer).to_contain_text("§ 95")
    if api["body"]:
        expect(answer.locator("h3")).to_contain_text(api["body"])
    expect(answer.locator("time")).to_have_attribute("datetime", api["date"])
    assert answer.bounding_box()["y"] < page.locator(".hit").first.bounding_box()["y"]
    if os.environ.get("MOTESOK_SCREENSHOT") == "1":
        ANSWER_SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(ANSWER_SCREENSHOT))
    answer.locator(".answer-title a").click()
    page.wait_for_url(re.compile(r"/punkt/"))
    expect(page.locator("#beslut-rubrik")).to_have_text("Beslut")
    expect(page.locator("#beslut li").first).to_have_text(api["decisions"][0])

    # the same subject without a question: no answer box
    page.goto(live_server + "/?q=internkontrollplan")
    assert page.locator(".hit").count() > 0 and page.locator(".answer").count() == 0
