"""The OpenSearch store's request bodies, tested as data (no server): mappings and analysis, keyword and
kNN queries, filters, facet aggregations, alias swap and bulk actions and failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from indexer.store.base import PARTS_NEAR, Filters, KeywordQuery
from indexer.store.opensearch_requests import (
    FALLBACK_TEXT_ANALYZER,
    KIND_ITEM,
    KIND_PASSAGE,
    MAX_QUERY_TERMS,
    TERMS_ANALYZER,
    BulkFailure,
    alias_swap_actions,
    best_passage_per_item,
    client_options,
    collect_failures,
    document_action,
    document_checksums_body,
    document_doc_id,
    document_items_body,
    facet_value_counts_body,
    facet_value_counts_from_response,
    facet_values_body,
    facet_values_from_fields,
    filter_clauses,
    filtered_ids_body,
    finish_settings,
    hit_item_id,
    index_body,
    index_template_body,
    initial_k,
    item_actions,
    item_doc_id,
    keyword_query_body,
    knn_query_body,
    knn_score_to_similarity,
    match_clause,
    merge_analysis,
    passage_doc_id,
    redact_url,
    stale_query,
    stats_body,
    stats_from_response,
    stored_item_from_source,
    template_name,
    text_analyzers,
    versioned_index_name,
)
from tests.store_conformance import make_document, unit

#: What the Swedish analysis settings look like (the shape models/opensearch_resources.py produces).
SAMPLE_SWEDISH = {
    "analysis": {
        "filter": {
            "sv_stop": {"type": "stop", "stopwords_path": "analysis/stopwords.txt"},
            "sv_parts": {"type": "dictionary_decompounder", "word_list_path": "analysis/word_parts.txt"},
            "sv_synonyms": {"type": "synonym_graph", "synonyms_path": "analysis/synonyms.txt"},
            "sv_stems": {"type": "stemmer_override", "rules_path": "analysis/stemmer_overrides.txt"},
        },
        "analyzer": {
            "swedish_index": {"type": "custom", "tokenizer": "standard",
                              "filter": ["lowercase", "sv_stop", "sv_stems", "sv_parts"]},
            "swedish_search": {"type": "custom", "tokenizer": "standard",
                               "filter": ["lowercase", "sv_synonyms", "sv_stop", "sv_stems"]},
        },
    }
}


def walk(value):
    """Every key and value of a nested request body."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk(inner)
    else:
        yield value


def kq(*groups):
    return KeywordQuery(tuple(tuple(g) if isinstance(g, tuple) else (g,) for g in groups))


# -- settings and mappings ---------------------------------------------------------------------

def test_mapping_has_a_knn_vector_sized_from_the_model():
    body = index_body(384, "multilingual-e5-small")
    vector = body["mappings"]["properties"]["vector"]
    assert vector["type"] == "knn_vector" and vector["dimension"] == 384
    assert vector["method"]["name"] == "hnsw"
    assert vector["method"]["engine"] == "faiss"
    assert vector["method"]["space_type"] == "innerproduct"
    assert body["settings"]["index"]["knn"] is True
    assert body["mappings"]["_meta"] == {"motesok_schema": "1", "embedding_model": "multilingual-e5-small", "dim": 384}


def test_source_excludes_the_vector_and_mapping_is_strict():
    body = index_body(4, "m")
    assert body["mappings"]["_source"] == {"excludes": ["vector", "weighted_terms"]}
    assert body["mappings"]["dynamic"] == "strict"


def test_facet_fields_are_exact_and_terms_fields_use_the_terms_analyzer():
    props = index_body(4, "m")["mappings"]["properties"]
    for field in ("organisation", "body", "topics", "doc_type", "date", "document_id", "item_id", "kind",
                  "source", "checksum"):
        assert props[field]["type"] == "keyword", field
    assert props["year"]["type"] == "integer"
    assert props["date"]["fields"]["as_date"]["type"] == "date"
    for field in ("title_terms", "text_terms"):
        assert props[field] == {"type": "text", "analyzer": TERMS_ANALYZER, "norms": True}
    analysis = index_body(4, "m")["settings"]["analysis"]
    assert analysis["analyzer"][TERMS_ANALYZER] == {"type": "custom", "tokenizer": "motesok_whitespace",
                                                    "filter": ["lowercase"]}
    assert analysis["tokenizer"]["motesok_whitespace"] == {"type": "whitespace", "max_token_length": 255}


def test_fallback_analysis_is_standard_lowercase():
    body = index_body(4, "m", None)
    analyzers = body["settings"]["analysis"]["analyzer"]
    assert analyzers[FALLBACK_TEXT_ANALYZER] == {"type": "custom", "tokenizer": "motesok_standard",
                                                 "filter": ["lowercase"]}
    assert body["settings"]["analysis"]["tokenizer"]["motesok_standard"] == {"type": "standard",
                                                                             "max_token_length": 255}
    assert "_path" not in json.dumps(body)  # plain analysis reads no files on the cluster
    props = body["mappings"]["properties"]
    assert props["title"] == {"type": "text", "analyzer": FALLBACK_TEXT_ANALYZER}
    assert props["text"]["analyzer"] == FALLBACK_TEXT_ANALYZER


def test_swedish_analysis_references_the_exported_files():
    body = index_body(4, "m", SAMPLE_SWEDISH)
    analysis = body["settings"]["analysis"]
    filters = analysis["filter"]
    assert filters["sv_parts"]["type"] == "dictionary_decompounder"
    assert filters["sv_parts"]["word_list_path"].startswith("analysis/")
    assert filters["sv_synonyms"]["type"] == "synonym_graph" and filters["sv_synonyms"]["synonyms_path"]
    assert filters["sv_stop"]["stopwords_path"]
    assert TERMS_ANALYZER in analysis["analyzer"] and "swedish_index" in analysis["analyzer"]
    # raw text: decompounding at index time, synonyms at search time
    title = body["mappings"]["properties"]["title"]
    assert title == {"type": "text", "analyzer": "swedish_index", "search_analyzer": "swedish_search"}
    assert "sv_synonyms" not in analysis["analyzer"]["swedish_index"]["filter"]
    # the caller's dict is not changed
    assert TERMS_ANALYZER not in SAMPLE_SWEDISH["analysis"]["analyzer"]


def test_the_projects_own_swedish_analysis_settings():
    resources = pytest.importorskip("models.opensearch_resources",
                                    reason="models/opensearch_resources.py is not in this tree yet")
    settings = resources.opensearch_analysis_settings("analysis")
    body = index_body(384, "m", settings)
    analysis = body["settings"]["analysis"]
    text = json.dumps(analysis)
    assert "dictionary_decompounder" in text and "synonym" in text and "stop" in text
    paths = [v for k, v in _items(analysis) if k.endswith("_path")]
    assert paths and all(p.startswith("analysis") for p in paths)
    index_analyzer, search_analyzer = text_analyzers(analysis)
    assert body["mappings"]["properties"]["text"]["analyzer"] == index_analyzer
    assert index_analyzer in analysis["analyzer"] and search_analyzer in analysis["analyzer"]


def _items(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _items(inner)


def test_merge_analysis_accepts_wrapped_and_bare_dicts():
    bare = SAMPLE_SWEDISH["analysis"]
    for given in (bare, {"analysis": bare}, {"index": {"analysis": bare}}):
        merged = merge_analysis(given)
        assert set(merged["analyzer"]) == {"swedish_index", "swedish_search", TERMS_ANALYZER}
    assert text_analyzers({"analyzer": {"sv": {}}}) == ("sv", "sv")


def test_aliases_and_refresh_interval_are_optional():
    assert "aliases" not in index_body(4, "m")
    assert index_body(4, "m", aliases=["motesok"])["aliases"] == {"motesok": {}}
    assert "refresh_interval" not in index_body(4, "m")["settings"]["index"]
    assert index_body(4, "m", refresh_interval="-1")["settings"]["index"]["refresh_interval"] == "-1"


def test_versioned_index_name_and_redacted_url():
    when = datetime(2024, 5, 29, 12, 30, 1, 123456, tzinfo=UTC)
    assert versioned_index_name("motesok", when) == "motesok-v20240529123001123456"
    assert redact_url("https://admin:s3cret@localhost:9200/") == "https://admin:***@localhost:9200/"
    assert redact_url("http://localhost:9200") == "http://localhost:9200"


# -- filters and queries ----------------------------------------------------------------------------

def test_filters_or_within_a_field_and_across_fields():
    clauses = filter_clauses(Filters(body=("A", "B"), organisation=("X",), year=(2020, 2021), topic=("t",),
                                     doc_type=("protokoll",), date_from="2021-01-01", date_to="2021-12-31"))
    assert {"terms": {"body": ["A", "B"]}} in clauses  # OR within: one terms clause
    assert {"terms": {"organisation": ["X"]}} in clauses  # AND across: one clause per field
    assert {"terms": {"year": [2020, 2021]}} in clauses
    assert {"terms": {"topics": ["t"]}} in clauses
    assert {"terms": {"doc_type": ["protokoll"]}} in clauses
    assert {"range": {"date": {"gte": "2021-01-01", "lte": "2021-12-31"}}} in clauses
    assert len(clauses) == 6
    assert filter_clauses(Filters()) == []
    assert filter_clauses(Filters(date_to="2020-01-01")) == [{"range": {"date": {"lte": "2020-01-01"}}}]


def test_keyword_query_uses_filter_clauses_and_weights_title_over_text():
    body = keyword_query_body(kq(("ambulanshelikopter", "helikopter"), "budget"), Filters(body=("A",)), 50)
    boolean = body["query"]["bool"]
    assert boolean["minimum_should_match"] == 1  # any term scores
    query = kq(("ambulanshelikopter", "helikopter"), "budget")
    assert boolean["filter"] == [{"term": {"kind": KIND_ITEM}}, match_clause(query), {"terms": {"body": ["A"]}}]
    # what makes a hit: at least minimum_match words, each by one alternative whose terms all occur
    words = match_clause(KeywordQuery((("hemtjänst", "hem", "tjänst"),), ((("hemtjänst",), ("hem", "tjänst")),), 1))
    assert words["bool"]["minimum_should_match"] == 1
    options = words["bool"]["should"][0]["bool"]["should"]
    assert len(options) == 2  # hemtjänst, or hem and tjänst near each other: never one part alone
    near = options[1]["bool"]["should"]
    assert {"match_phrase": {"text_terms": {"query": "hem tjänst", "slop": PARTS_NEAR + 2}}} in near
    assert "must" not in boolean  # filters do not score
    should = boolean["should"]
    assert should == [{"match_phrase": {"weighted_terms": t}} for t in ("ambulanshelikopter", "helikopter", "budget")]
    # an index built before weighted_terms: title and text scored separately, 4:1
    old = keyword_query_body(query, Filters(), 50, weighted=False)["query"]["bool"]["should"]
    assert {"match_phrase": {"title_terms": {"query": "helikopter", "boost": 4.0}}} in old
    assert {"match_phrase": {"text_terms": {"query": "helikopter", "boost": 1.0}}} in old
    assert len(old) == 6
    assert body["size"] == 50 and body["sort"][0] == {"_score": "desc"}


def test_keyword_terms_are_plain_values_never_query_syntax():
    hostile = ['"', "*", "budget*", "NEAR(a b)", "AND", "^budget", "a:b", "(", "\\", 'x" OR "budget', "title_terms:x"]
    body = keyword_query_body(kq(*hostile), Filters(), 10)
    keys = set(k for k in walk(body) if isinstance(k, str))
    assert "query_string" not in keys and "simple_query_string" not in keys
    values = [clause["match_phrase"][field] for clause in body["query"]["bool"]["should"]
              for field in clause["match_phrase"]]
    assert sorted(set(values)) == sorted(hostile)  # passed through verbatim, as values


def test_keyword_query_without_terms_is_none_and_long_queries_are_capped():
    assert keyword_query_body(KeywordQuery(()), Filters(), 10) is None
    many = keyword_query_body(kq(*[f"t{i}" for i in range(MAX_QUERY_TERMS + 50)]), Filters(), 10)
    assert len(many["query"]["bool"]["should"]) == MAX_QUERY_TERMS


def test_knn_query_has_k_and_the_filter():
    body = knn_query_body(unit(1, 0, 0, 0), Filters(year=(2021,), date_from="2021-01-01"), 40)
    knn = body["query"]["knn"]["vector"]
    assert knn["k"] == 40 and body["size"] == 40
    assert knn["vector"] == [1.0, 0.0, 0.0, 0.0] and all(isinstance(x, float) for x in knn["vector"])
    assert knn["filter"] == {"bool": {"filter": [{"term": {"kind": KIND_PASSAGE}},
                                                  {"terms": {"year": [2021]}},
                                                  {"range": {"date": {"gte": "2021-01-01"}}}]}}
    assert body["_source"] is False and body["docvalue_fields"] == ["item_id"]  # ids from doc values
    json.dumps(body)  # serialisable: no numpy scalars


def test_knn_query_without_filters_searches_the_whole_graph():
    knn = knn_query_body(np.array([0.5, 0.5, 0.5, 0.5], dtype=np.float32), Filters(), 10)["query"]["knn"]["vector"]
    assert "filter" not in knn  # only passages carry a vector, so no kind filter is needed


def test_knn_scores_convert_back_to_inner_products():
    for ip in (1.0, 0.5, 0.0, -0.3, -1.0):
        score = 1 + ip if ip >= 0 else 1 / (1 - ip)  # OpenSearch's faiss innerproduct score
        assert knn_score_to_similarity(score) == pytest.approx(ip)


def test_best_passage_per_item_keeps_each_items_first_hit():
    hits = [{"fields": {"item_id": [i]}, "_score": s} for i, s in
            [("a", 2.0), ("b", 1.9), ("a", 1.8), ("c", 1.5), ("b", 1.2), ("d", 1.1)]]
    found = best_passage_per_item(hits, 3)
    assert [(f.item_id, round(f.score, 6)) for f in found] == [("a", 1.0), ("b", 0.9), ("c", 0.5)]
    assert initial_k(10) == 40 and initial_k(1) == 21 and initial_k(100_000) == 10_000


def test_filtered_ids_newest_first_then_document_order():
    body = filtered_ids_body(Filters(topic=("x",)), 100)
    assert body["sort"] == [{"date": {"order": "desc", "missing": "_last"}}, {"document_id": "asc"},
                            {"position": "asc"}]
    assert body["query"]["bool"]["filter"] == [{"term": {"kind": KIND_ITEM}}, {"terms": {"topics": ["x"]}}]


# -- facets and statistics ---------------------------------------------------------------------------

def test_stats_body_and_response():
    body = stats_body()
    assert body["size"] == 0
    assert body["aggs"]["items"]["filter"] == {"term": {"kind": KIND_ITEM}}
    newest = body["aggs"]["documents"]["aggs"]["body"]["aggs"]["newest"]["terms"]
    assert newest["order"] == {"_key": "desc"} and newest["size"] == 1
    stats = stats_from_response({"aggregations": {
        "items": {"doc_count": 6,
                  "organisation": {"buckets": [{"key": "Region Test", "doc_count": 5}]},
                  "body": {"buckets": [{"key": "RS", "doc_count": 3}]},
                  "year": {"buckets": [{"key": 2021, "doc_count": 3}, {"key": 2020, "doc_count": 2}]}},
        "documents": {"doc_count": 3, "body": {"buckets": [
            {"key": "RS", "doc_count": 1, "newest": {"buckets": [{"key": "2021-01-26", "doc_count": 1}]}},
            {"key": "KS", "doc_count": 1, "newest": {"buckets": []}}]}}}})
    assert (stats.documents, stats.items) == (3, 6)
    assert stats.by_year == {2021: 3, 2020: 2} and stats.newest_date_by_body == {"RS": "2021-01-26"}


# -- writing: alias swap, bulk actions, failures --------------------------------------------------

def test_alias_swap_is_one_aliases_call_with_remove_and_add():
    body = alias_swap_actions("motesok", "motesok-v2", ["motesok-v1"])
    assert body == {"actions": [{"remove": {"index": "motesok-v1", "alias": "motesok"}},
                                {"add": {"index": "motesok-v2", "alias": "motesok"}}]}
    assert alias_swap_actions("motesok", "motesok-v1", []) == {
        "actions": [{"add": {"index": "motesok-v1", "alias": "motesok"}}]}
    # the new index is never removed, even if listed
    assert len(alias_swap_actions("motesok", "v2", ["v1", "v2", "v0"])["actions"]) == 3


def test_bulk_actions_have_deterministic_ids_and_no_document_record():
    doc, items = make_document("rs.txt", items=[
        ("a", "a text", ["t"], [unit(1, 0, 0, 0), unit(0, 1, 0, 0)]),
        ("b", "b text", [], [unit(0, 0, 1, 0)]),
    ])
    actions = item_actions("motesok-v1", doc, items, "gen1")
    assert [a["_id"] for a in actions] == [
        item_doc_id(items[0].id), passage_doc_id(items[0].id, 0), passage_doc_id(items[0].id, 1),
        item_doc_id(items[1].id), passage_doc_id(items[1].id, 0)]
    assert all(a["_op_type"] == "index" and a["_index"] == "motesok-v1" for a in actions)
    assert all(a["_source"]["generation"] == "gen1" and a["_source"]["document_id"] == doc.id for a in actions)
    item = actions[0]["_source"]
    assert item["kind"] == KIND_ITEM and item["title_terms"] == "a" and item["text_terms"] == "a text"
    assert item["organisation"] == "Region Test" and item["topics"] == ["t"] and "vector" not in item
    passage = actions[2]["_source"]
    assert passage["kind"] == KIND_PASSAGE and passage["passage"] == 1 and passage["vector"] == [0.0, 1.0, 0.0, 0.0]
    assert passage["topics"] == ["t"] and passage["year"] == 2021  # filterable without a join
    json.dumps([a["_source"] for a in actions])
    record = document_action("motesok-v1", doc, "gen1")
    assert record["_id"] == document_doc_id(doc.id) and record["_source"]["checksum"] == "c1"
    assert record["_source"]["source"] == doc.source


def test_stale_query_keeps_only_the_new_generation():
    assert stale_query(["d1", "d2"], "gen2") == {"query": {"bool": {
        "filter": [{"terms": {"document_id": ["d1", "d2"]}}],
        "must_not": [{"term": {"generation": "gen2"}}]}}}


def test_bulk_failures_are_collected_per_action():
    results = [
        (True, {"index": {"_id": "item:a-0000", "status": 201}}),
        (False, {"index": {"_id": "passage:a-0000:1", "status": 400, "error": {
            "type": "mapper_parsing_exception", "reason": "failed to parse field [vector]",
            "caused_by": {"type": "illegal_argument_exception", "reason": "Vector dimension mismatch"}}}}),
        (True, {"index": {"_id": "item:b-0000", "status": 200}}),
        (False, {"index": {"_id": "item:b-0001", "status": 429, "error": "es_rejected_execution_exception"}}),
    ]
    failures = collect_failures(results, {"passage:a-0000:1": "a", "item:b-0001": "b"})
    assert failures == [
        BulkFailure("passage:a-0000:1", "a", 400, "mapper_parsing_exception: failed to parse field [vector] "
                                                  "(caused by illegal_argument_exception: Vector dimension mismatch)"),
        BulkFailure("item:b-0001", "b", 429, "es_rejected_execution_exception"),
    ]
    assert "passage:a-0000:1 (document a): 400" in str(failures[0])
    assert collect_failures([(True, {"index": {}})]) == []


# -- reading back -----------------------------------------------------------------------------

def test_read_back_from_source():
    doc, items = make_document("rs.txt", items=[("a", "a text", ["t1", "t2"], [unit(1, 0, 0, 0)])])
    src = item_actions("i", doc, items, "g")[0]["_source"]
    stored = stored_item_from_source(src)
    assert stored.id == items[0].id and stored.source == doc.source and stored.paragraph == 90
    assert stored.topics == ["t1", "t2"] and stored.decisions == ["att besluta 0"] and stored.year == 2021

def test_facet_values_are_read_from_doc_values():
    """Defect 5 (facet_values, e.g. the dates of a date-sorted search): one ids query answered from doc
    values; each field as doc values hold it (a list), empty strings left out."""
    body = facet_values_body(["a", "b"])
    assert body["_source"] is False and body["size"] == 2 and body["query"] == {"ids": {"values": ["item:a", "item:b"]}}
    assert set(body["docvalue_fields"]) == {"item_id", "organisation", "body", "year", "topics", "doc_type", "date",
                                            "case_keys"}
    fields = {"item_id": ["x"], "organisation": ["Region Test"], "body": [""], "year": [2021],
              "topics": ["folkhälsa", "pandemi"], "date": ["2021-01-26"], "case_keys": ["k:1"]}
    assert facet_values_from_fields(fields) == {
        "organisation": ["Region Test"], "body": [], "year": [2021], "topic": ["folkhälsa", "pandemi"],
        "doc_type": [], "date": ["2021-01-26"], "case_keys": ["k:1"]}


# -- issue 20: token length, ef_search, template, rebuild settings, analysis choice ---------------

def test_every_tokenizer_bounds_token_length():
    """Lucene refuses a whole document holding a term over 32,766 UTF-8 bytes (defect 9): every
    analyzer either uses a tokenizer with max_token_length or truncates right after tokenizing."""
    resources = pytest.importorskip("models.opensearch_resources")
    for analysis in (index_body(4, "m")["settings"]["analysis"],
                     index_body(4, "m", resources.opensearch_analysis_settings("analysis"))["settings"]["analysis"]):
        tokenizers, filters = analysis.get("tokenizer", {}), analysis.get("filter", {})
        for name, analyzer in analysis["analyzer"].items():
            tokenizer = tokenizers.get(analyzer["tokenizer"], {})
            bounded = tokenizer.get("max_token_length")
            if bounded is None:
                first = filters.get(analyzer.get("filter", [None])[0], {})
                assert first.get("type") == "truncate", name
                bounded = first["length"]
            assert 4 * bounded < 32766, name  # four UTF-8 bytes per character at most


def test_ef_search_is_where_faiss_reads_it():
    """``index.knn.algo_param.ef_search`` is read by nmslib only (defect 6): faiss takes ef_search from
    the method parameters of the mapping or from the query's method_parameters."""
    body = index_body(384, "m", ef_search=120)
    assert body["mappings"]["properties"]["vector"]["method"]["parameters"]["ef_search"] == 120
    assert not any(key.startswith("knn.algo_param") for key in body["settings"]["index"])
    assert knn_query_body(unit(1, 0, 0, 0), Filters(), 40)["query"]["knn"]["vector"]["method_parameters"] == {
        "ef_search": 100}
    # never below k: HNSW returns at most ef_search neighbours
    assert knn_query_body(unit(1, 0, 0, 0), Filters(), 400)["query"]["knn"]["vector"]["method_parameters"] == {
        "ef_search": 400}


def test_rebuild_loads_without_replicas_and_refresh_then_restores_them():
    loading = index_body(4, "m", loading=True)["settings"]["index"]
    assert loading["number_of_replicas"] == 0 and loading["auto_expand_replicas"] is False
    assert loading["refresh_interval"] == "-1"
    serving = index_body(4, "m")["settings"]["index"]
    assert serving["auto_expand_replicas"] == "0-1" and "number_of_replicas" not in serving
    assert finish_settings() == {"refresh_interval": None, "auto_expand_replicas": "0-1"}


def test_index_template_carries_the_strict_mapping_without_the_alias():
    """Defect 7: an index a racing bulk auto-creates gets the strict mapping and never the alias."""
    body = index_body(384, "m", aliases=["motesok"])
    template = index_template_body("motesok", body)
    assert template["index_patterns"] == ["motesok-v*"]
    assert template["template"]["mappings"] == body["mappings"]
    assert template["template"]["mappings"]["dynamic"] == "strict"
    assert template["template"]["settings"] == body["settings"]
    assert "aliases" not in template["template"]
    assert template_name("motesok") == "motesok-versioned"
    template["template"]["mappings"]["dynamic"] = True
    assert body["mappings"]["dynamic"] == "strict"  # a copy


def test_client_options_pass_the_ca_file_and_no_hostname_flag():
    options = client_options("https://search.example:9200", user="u", password=None, ca_certs="/etc/ca.pem")
    assert options["hosts"] == ["https://search.example:9200"] and options["http_auth"] == ("u", "")
    assert options["ca_certs"] == "/etc/ca.pem" and "ssl_assert_hostname" not in options
    assert "http_auth" not in client_options("http://localhost:9200")


def test_candidates_and_facets_never_read_source():
    """Defect 5: candidate and facet reads take ids and facet fields from doc values, never _source."""
    for body in (keyword_query_body(kq("budget"), Filters(), 10), filtered_ids_body(Filters(), 10),
                 knn_query_body(unit(1, 0, 0, 0), Filters(), 10), facet_values_body(["a"])):
        assert body["_source"] is False and "item_id" in body["docvalue_fields"]
    assert hit_item_id({"fields": {"item_id": ["x"]}}) == "x"


def test_facet_value_counts_are_one_ids_query_with_terms_aggregations():
    body = facet_value_counts_body(["a", "b"])
    assert body["size"] == 0 and body["query"] == {"ids": {"values": ["item:a", "item:b"]}}
    assert body["aggs"]["topic"] == {"terms": {"field": "topics", "size": 10_000}}
    assert set(body["aggs"]) == {"organisation", "body", "year", "topic", "doc_type"}
    response = {"aggregations": {"year": {"buckets": [{"key": 2021, "doc_count": 2}]},
                                 "topic": {"buckets": [{"key": "skola", "doc_count": 1}]}}}
    counts = facet_value_counts_from_response(response)
    assert counts["year"] == {2021: 2} and counts["topic"] == {"skola": 1} and counts["body"] == {}


def test_keyword_scoring_field_and_similarity():
    """Defect 2: one weighted field under a scripted similarity following FTS5's formula (its
    agreement with SQLite is measured in tests/test_opensearch_ranking.py)."""
    body = index_body(4, "m")
    assert body["mappings"]["properties"]["weighted_terms"] == {"type": "text", "analyzer": TERMS_ANALYZER,
                                                                "norms": True, "similarity": "motesok_fts5"}
    similarity = body["settings"]["index"]["similarity"]["motesok_fts5"]
    assert similarity["type"] == "scripted"
    source = similarity["script"]["source"]
    for part in ("Math.log((N - n + 0.5) / (n + 0.5))", "idf = 1e-6", "field.sumTotalTermFreq / N",
                 "f * 2.2 / (f + 1.2 * (0.25 + 0.75 * doc.length / avg))"):
        assert part in source
    doc, items = make_document("d", items=[("budget ram", "text om budget", [], [unit(1, 0, 0, 0)])])
    source_doc = item_actions("i", doc, items, "g")[0]["_source"]
    assert source_doc["weighted_terms"] == [source_doc["title_terms"]] * 4 + [source_doc["text_terms"]]


def test_document_reads_are_sorted_kind_filtered_searches():
    checksums = document_checksums_body()
    assert checksums["query"]["bool"]["filter"] == [{"term": {"kind": "document"}}]
    assert checksums["_source"] == ["source", "document_id", "checksum"] and checksums["sort"] == [{"document_id": "asc"}]
    items = document_items_body("d1")
    assert items["query"]["bool"]["filter"] == [{"term": {"kind": KIND_ITEM}}, {"term": {"document_id": "d1"}}]
    assert items["sort"] == [{"position": "asc"}]
