"""Cases (ärenden): the pure assembly (search_api.cases), an older store's migration, and the
service, API and CLI over the sample corpus indexed with the hashing embedder (the CLI's
``MOTESOK_EMBEDDING_MODEL=hashing``: cases do not depend on the model)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.store.base import StoredItem
from search_api import cases as views

PROJECT = Path(__file__).resolve().parent.parent
KEY = "kungsbacka-kommun:vo-2025-72"


def stored(item_id: str, *, doc: str = "d1", date: str | None = "2025-03-20", doc_type: str = "protokoll",
           body: str = "Vård- och omsorgsnämnden", paragraph: int | None = 44, title: str = "Indexuppräkning",
           decisions=(), kind: str | None = None, numbers=("VO-2025-00072",), position: int = 0) -> StoredItem:
    return StoredItem(id=item_id, document_id=doc, position=position, number=None, paragraph=paragraph,
                      title=title, title_derived=False, section=None, text="", decisions=list(decisions),
                      case_numbers=list(numbers), topics=[], organisation="Kungsbacka kommun", body=body,
                      date=date, year=int(date[:4]) if date else None, doc_type=doc_type, source=f"/data/{doc}.txt",
                      decision_kind=kind, case_keys=[KEY])


# -- pure assembly ------------------------------------------------------------------------------------

def test_steps_in_date_order_and_the_way_a_matter_travels_on_one_date():
    items = [
        stored("kf", doc="kf", date="2025-04-10", body="Kommunfullmäktige", decisions=["att anta"], kind="beslut"),
        stored("vo", doc="vo", decisions=["att godkänna"], kind="beslut"),
        stored("kallelse", doc="kal", doc_type="kallelse", paragraph=None, decisions=["att godkänna"], kind="förslag"),
        stored("ts1", doc="ts", doc_type="tjänsteskrivelse", paragraph=None, title="Tjänsteskrivelse"),
        stored("ts2", doc="ts", doc_type="tjänsteskrivelse", paragraph=None, title="Bakgrund", position=1),
        stored("au", doc="au", body="Vård- och omsorgsnämndens arbetsutskott"),
        stored("undated", doc="x", date=None, doc_type="handling", paragraph=None, title="Bilaga"),
    ]
    steps = views.case_steps(items, {"ts": "Tjänsteskrivelse om indexuppräkning"})
    assert [s.kind for s in steps] == ["tjänsteskrivelse", "kallelse", "utskott", "nämnd", "fullmäktige", "handling"]
    assert [s.item_id for s in steps] == ["ts1", "kallelse", "au", "vo", "kf", "undated"]
    # another document than a meeting record is one step, with its document's title and no §
    ts = steps[0]
    assert ts.document_level and ts.title == "Tjänsteskrivelse om indexuppräkning" and ts.paragraph_label is None
    assert steps[3].paragraph_label == "44" and steps[3].url == "/punkt/vo" and steps[3].source == "vo.txt"


def test_status_is_the_latest_decision_and_a_proposal_is_none():
    proposal = [stored("kallelse", doc_type="kallelse", decisions=["att godkänna"], kind="förslag")]
    assert views.case_status(views.case_steps(proposal)).label == views.NO_DECISION
    decided = proposal + [stored("vo", doc="vo", decisions=["att godkänna"], kind="beslut"),
                          stored("kf", doc="kf", date="2025-04-10", body="Kommunfullmäktige",
                                 decisions=["att anta"], kind="beslut")]
    status = views.case_status(views.case_steps(decided))
    assert status.decided and status.decisions == ["att anta"] and status.body == "Kommunfullmäktige"
    assert status.date == "2025-04-10" and status.url == "/punkt/kf"


def test_case_labels_as_written_and_in_one_form():
    items = [stored("a", numbers=("VO-2025-00072", "KS 2020/1")), stored("b", doc="b", numbers=("Dnr VO 2025/72",))]
    case = views.build_case(KEY, items)
    assert case.label == "VO 2025/72" and case.labels == ["VO-2025-00072", "Dnr VO 2025/72"]
    assert case.subject == "Indexuppräkning" and case.url == f"/arende/{KEY}"
    assert views.build_case(KEY, []) is None
    assert views.key_label("goteborgs-stad:slk-2023-27") == "SLK 2023/27"


def test_group_by_case_keeps_rank_order_and_joins_later_steps():
    keys = {"a": ["k1"], "b": [], "c": ["k2"], "d": ["k1"], "e": ["k2", "k1"], "f": []}
    assert views.group_by_case(list("abcdef"), keys) == [["a", "d"], ["b"], ["c", "e"], ["f"]]


# -- an older store -------------------------------------------------------------------------------------

def test_older_store_gets_the_case_column_and_table_and_reports_missing_keys(tmp_path):
    from indexer.store.sqlite import DB_NAME, SQLiteStore
    from tests.store_conformance import make_document, unit

    store = SQLiteStore(tmp_path)
    doc, items = make_document("old.txt", items=[("budget", "budget", [], [unit(1, 0, 0, 0)])])
    items[0].case_keys = ["region-test:rs-2021-1"]
    store.write_document(doc, items)
    store.close()
    with sqlite3.connect(tmp_path / DB_NAME) as conn:  # the store as it was before cases
        conn.execute("DROP TABLE item_case")
        conn.execute("ALTER TABLE items DROP COLUMN case_keys")
    reopened = SQLiteStore(tmp_path)
    assert reopened.items_without_case_keys() == 1
    assert reopened.get_items([items[0].id])[0].case_keys == []
    assert reopened.case_item_ids("region-test:rs-2021-1") == []
    reopened.write_document(doc, items)  # indexed again: the case is back, nothing is missing
    assert reopened.case_item_ids("region-test:rs-2021-1") == [items[0].id]
    assert reopened.items_without_case_keys() == 0
    reopened.close()


# -- service, API and CLI over the corpus -----------------------------------------------------------------

class World:
    def __init__(self, data: Path):
        self.env = {"MOTESOK_DATA_DIR": str(data), "MOTESOK_EMBEDDING_MODEL": "hashing"}

    @contextmanager
    def settings(self):
        from motesok.config import get_settings

        with pytest.MonkeyPatch.context() as mp:
            for key, value in self.env.items():
                mp.setenv(key, value)
            get_settings.cache_clear()
            try:
                yield get_settings()
            finally:
                get_settings.cache_clear()

    def cli(self, *args: str):
        from motesok.cli import app

        with self.settings():
            return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("cases-cli"))
    result = world.cli("index", str(PROJECT / "corpus"))
    assert result.exit_code == 0, result.output
    return world


@pytest.fixture(scope="module")
def client(world):
    from fastapi.testclient import TestClient

    from motesok.runtime import build_app

    with world.settings() as settings, TestClient(build_app(settings)) as client:
        yield client


def test_api_case_record(client):
    found = client.get(f"/api/cases/{KEY}")
    assert found.status_code == 200
    case = found.json()
    assert case["label"] == "VO 2025/72" and case["organisation"] == "Kungsbacka kommun"
    kinds = [(s["kind"], s["decision_kind"]) for s in case["steps"]]
    assert kinds == [("kallelse", "förslag"), ("nämnd", "beslut")]
    assert case["status"]["decided"] and case["status"]["paragraph_label"] == "44"
    assert case["subject"].startswith("Indexuppräkning av hemtjänstersättning")
    missing = client.get("/api/cases/kungsbacka-kommun:vo-1999-1")
    assert missing.status_code == 404 and "error" in missing.json()


def test_api_case_search_by_number_and_by_words(client):
    by_number = client.get("/api/cases", params={"q": "VO-2025-00072"}).json()
    assert [c["id"] for c in by_number["cases"]] == [KEY] and by_number["count_unit"] == "cases"
    assert client.get("/api/cases", params={"q": "VO 2025/72", "organisation": "Göteborgs Stad"}).json()["cases"] == []
    by_words = client.get("/api/cases", params={"q": "hemtjänstersättning"}).json()
    assert KEY in [c["id"] for c in by_words["cases"]]
    assert client.get("/api/cases", params={"q": " "}).status_code == 422


def test_search_groups_the_steps_of_one_case(client):
    grouped = client.get("/api/search", params={"q": "indexuppräkning hemtjänstersättning"}).json()
    flat = client.get("/api/search", params={"q": "indexuppräkning hemtjänstersättning", "group": "none"}).json()
    assert grouped["total"] == flat["total"] and grouped["count_unit"] == "items"
    flat_ids = [h["id"] for h in flat["hits"]]
    in_case = [h for h in flat["hits"] if h["case"] and h["case"]["id"] == KEY]
    assert len(in_case) == 2  # the kallelse's point and the protocol's §
    heads = [h for h in grouped["hits"] if h["case"] and h["case"]["id"] == KEY]
    assert len(heads) == 1 and heads[0]["id"] == in_case[0]["id"]  # the better-ranked step is the hit
    assert heads[0]["case"]["more_steps"] == 1 and heads[0]["case"]["steps"][0]["id"] == in_case[1]["id"]
    assert grouped["total_groups"] == flat["total"] - 1 == len(grouped["hits"])
    assert [h["id"] for h in grouped["hits"]] == [i for i in flat_ids if i != in_case[1]["id"]]
    assert grouped["facets"] == flat["facets"]


def test_item_page_data_names_its_case(client):
    case = client.get(f"/api/cases/{KEY}").json()
    kallelse, decision = case["steps"]
    item = client.get(f"/api/items/{kallelse['item_id']}").json()
    assert [c["id"] for c in item["case"]] == [KEY]
    assert [s["current"] for s in item["case"][0]["steps"]] == [True, False]
    assert isinstance(item["references"], list)


def test_cli_case_timeline_and_exit_code(world):
    result = world.cli("case", "VO 2025/72")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Ärende VO 2025/72 · Kungsbacka kommun" in out and "Status: Beslut" in out
    assert out.index("Kallelse (förslag)") < out.index("Nämnd: ")
    as_json = json.loads(world.cli("case", "VO-2025-00072", "--organisation", "Kungsbacka kommun", "--json").stdout)
    assert [c["id"] for c in as_json] == [KEY]
    missing = world.cli("case", "KS 1999/4711")
    assert missing.exit_code == 1 and "inget ärende" in missing.stderr


# -- pages ---------------------------------------------------------------------------------------------

def test_case_page_timeline(client):
    page = client.get(f"/arende/{KEY}")
    assert page.status_code == 200 and "Content-Security-Policy" in page.headers
    html = page.text
    assert "Ärende VO 2025/72" in html and "Senaste beslut" in html
    assert html.index("Kallelse (förslag)") < html.index("Nämnd</span>")
    assert "Förslag till beslut:" in html and "Beslut:" in html
    missing = client.get("/arende/%3Cb%3Eokänt")
    assert missing.status_code == 404 and "Ärendet finns inte" in missing.text
    assert "&lt;b&gt;okänt" in missing.text and "<b>okänt" not in missing.text


def test_item_page_shows_the_case_and_search_page_the_grouped_steps(client):
    case = client.get(f"/api/cases/{KEY}").json()
    kallelse, decision = case["steps"]
    item = client.get(f"/punkt/{kallelse['item_id']}").text
    assert f'href="/arende/{KEY}"' in item and "Ärendet" in item and f'href="{decision["url"]}"' in item
    assert "(den här punkten)" in item
    search = client.get("/", params={"q": "indexuppräkning hemtjänstersättning"}).text
    assert "1 fler steg i samma ärende" in search and f'href="/arende/{KEY}"' in search


def test_item_page_links_resolved_references(client):
    """A protocol extract filed in a bundle of handlingar: the citing text links to it."""
    from tests.case_labels import load_cases

    _, references = load_cases()
    ref = next(r for r in references if r.target and r.target.title and r.source.startswith("corpus/"))
    found = client.get("/api/search", params={"q": ref.text, "mode": "keyword", "group": "none", "limit": 50}).json()
    citing = [h for h in found["hits"] if h["title"].startswith(ref.item.title or "")]
    assert citing, ref
    answer = client.get(f"/api/items/{citing[0]['id']}").json()
    linked = [r for r in answer["references"] if r["url"]]
    assert linked and linked[0]["title"].startswith(ref.target.title)
    page = client.get(f"/punkt/{citing[0]['id']}").text
    assert 'class="ref-link"' in page and linked[0]["url"] in page and "Hänvisningar i texten" in page


def test_a_protocol_links_the_handling_it_names(client):
    """``Handling 2023 nr 204`` in fullmäktige's protocol links to the handling that prints that
    number at its head; the handling's own number is no reference."""
    found = client.get("/api/search", params={"q": "fornlämningsvården", "mode": "keyword", "group": "none",
                                              "limit": 100}).json()["hits"]
    protocol = [h for h in found if h["doc_type"] == "protokoll" and h["paragraph"] == 34]
    assert protocol, [(h["doc_type"], h["paragraph"]) for h in found]
    refs = client.get(f"/api/items/{protocol[0]['id']}").json()["references"]
    handling = [r for r in refs if " ".join(r["text"].split()) == "Handling 2023 nr 204"]
    assert handling and handling[0]["url"] == f"/punkt/{handling[0]['target']}"
    target = client.get(f"/api/items/{handling[0]['target']}").json()
    assert target["item"]["source"] == "goteborg_kf_handling_2023-204_fornlamningsvard.txt"
    own = client.get(f"/api/items/{handling[0]['target']}").json()["references"]
    assert not [r for r in own if " ".join(r["text"].split()) == "Handling 2023 nr 204"]


# -- the same over OpenSearch (osmem-server: no kNN, so keyword searches only) ------------------------------

def test_cases_and_references_on_opensearch(osmem_clone, analyzer):
    """The service reads cases and references from the OpenSearch store as from SQLite."""
    opensearchpy = pytest.importorskip("opensearchpy", reason="opensearch-py is not installed")

    from indexer.pipeline import Indexer
    from indexer.store.opensearch import OpenSearchStore
    from models.embeddings import HashingEmbedder
    from search_api.schemas import SearchParams
    from search_api.service import SearchService

    embedder = HashingEmbedder()
    store = OpenSearchStore(opensearchpy.OpenSearch(hosts=[osmem_clone.url]), alias="motesok-cases",
                            url=osmem_clone.url, embedding_model=embedder.name, dim=embedder.dim, delete_grace_s=0)
    extra = PROJECT / "corpus" / "extra"
    files = [extra / "kungsbacka_vo_2025-03-20_kallelse.txt", extra / "kungsbacka_vo_2025-03-20_protokoll.txt",
             extra / "goteborg_kf_2024-02-01_protokoll.txt", extra / "goteborg_kf_handling_2023-204_fornlamningsvard.txt"]
    summary = Indexer(store=store, analyzer=analyzer, embedder=embedder).run(files)
    assert summary.failed == 0, summary.messages
    service = SearchService(store, analyzer, embedder)
    case = service.case(KEY)
    assert case is not None and [(s.kind, s.decision_kind) for s in case.steps] == [("kallelse", "förslag"),
                                                                                     ("nämnd", "beslut")]
    assert service.cases_for_number("VO 2025/72") == [KEY] and case.status.paragraph_label == "44"
    grouped = service.search(SearchParams(q="indexuppräkning hemtjänstersättning", mode="keyword"))
    heads = [h for h in grouped.hits if h.case and h.case.id == KEY]
    assert len(heads) == 1 and heads[0].case.more_steps == 1 and grouped.total_groups == grouped.total - 1
    protocol = next(i for i in store.get_document(next(d for s, (d, _) in store.document_checksums().items()
                                                       if s.endswith("goteborg_kf_2024-02-01_protokoll.txt")))[1]
                    if i.paragraph == 34)
    linked = [r for r in service.references(protocol) if r["target"]]
    assert [" ".join(r["text"].split()) for r in linked] == ["Handling 2023 nr 204"]
    store.close()
