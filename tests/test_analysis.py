"""The Swedish keyword analysis (models.analysis, models.compounds, models.opensearch_resources).

Uses the session-scoped ``analyzer`` fixture from conftest (``models.analysis.get_analyzer()``).
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from indexer.store.base import KeywordQuery
from models.analysis import SwedishAnalyzer, Token, get_analyzer, parse_synonyms

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def terms(analyzer, text: str) -> set[str]:
    return {t.term for t in analyzer.analyze(text)}


def matches(analyzer, query: str, text: str) -> bool:
    return bool(set(analyzer.query(query).terms()) & terms(analyzer, text))


def test_cached_instance(analyzer):
    assert isinstance(analyzer, SwedishAnalyzer)
    assert get_analyzer() is get_analyzer()


# -- compounds and lemmas --------------------------------------------------------------------


def test_compound_part_matches(analyzer):
    assert matches(analyzer, "helikopter", "ambulanshelikoptern")
    t = terms(analyzer, "ambulanshelikoptern")
    assert {"ambulanshelikoptern", "ambulanshelikopter", "ambulans", "helikopter"} <= t


def test_shared_lemma(analyzer):
    a = {t.term for t in analyzer.analyze("beslutades") if t.kind == "lemma"}
    b = {t.term for t in analyzer.analyze("beslutade") if t.kind == "lemma"}
    assert a & b == {"besluta"}
    assert matches(analyzer, "beslutade", "Nämnden beslutades")


def test_compound_lemma_and_parts(analyzer):
    toks = analyzer.analyze("regionstyrelsens")
    assert ("regionstyrelse", "lemma") in {(t.term, t.kind) for t in toks}
    assert {"region", "styrelse"} <= {t.term for t in toks if t.kind == "part"}


def test_linking_s(analyzer):
    assert matches(analyzer, "tillnyktring", "tillnyktringsenhetens")
    assert {"tillnyktring", "enhet", "tillnyktringsenhet"} <= terms(analyzer, "tillnyktringsenhetens")


def test_last_part_lemmatised(analyzer):
    for word in ("stödstrumpor", "kompressionsstrumpor"):
        parts = {t.term for t in analyzer.analyze(word) if t.kind == "part"}
        assert parts & {"strumpa", "strumpor"}, (word, parts)
    assert "stödstrumpa" in terms(analyzer, "stödstrumpor")


def test_parts_one_level_down(analyzer):
    t = terms(analyzer, "sjukvårdsnämnden")
    assert {"sjukvårdsnämnd", "sjukvård", "nämnd", "vård"} <= t
    assert matches(analyzer, "vård", "Hälso- och sjukvårdsnämnden")


def test_no_false_split_of_simple_words(analyzer):
    for word in ("utbildning", "verksamhet", "protokollet", "sammanträdet", "ordföranden"):
        toks = analyzer.analyze(word)
        assert not [t for t in toks if t.kind == "part" and len(t.term) < 5 and t.term not in ("ord",)], toks


def test_splitter_directly():
    from models.compounds import get_compounds

    c = get_compounds()
    assert [p.root for p in c.split("ambulanshelikoptern")] == ["ambulans", "helikopter"]
    assert [p.root for p in c.split("detaljplanering")] == ["detalj", "planering"]
    assert [p.surface for p in c.split("sjukhusläkare")] == ["sjukhus", "läkare"]
    assert c.split("kommun") == ()
    assert c.split("verksamhet") == ()
    assert all(len(p.surface) >= 3 for w in ("landstingsstyrelsen", "läkemedelskostnader") for p in c.split(w))


def test_splits_are_valid_hunspell_compounds():
    """Cross-check with spylls (pure-Python Hunspell) that words we split are ones Hunspell accepts."""
    spylls = pytest.importorskip("spylls.hunspell")
    from models.compounds import get_compounds, hunspell_dir

    d = spylls.Dictionary.from_files(str(hunspell_dir() / "sv_SE"))
    c = get_compounds()
    for w in ("ambulanshelikoptern", "regionstyrelsens", "tillnyktringsenhetens", "stödstrumpor",
              "kompressionsstrumpor", "läkemedelskostnader", "krisledningsnämndens"):
        assert c.split(w), w
        assert d.lookup(w), w


# -- tokens, spans, terms ----------------------------------------------------------------------


def test_spans_point_at_original_words(analyzer):
    text = "  \n Överförmyndarnämndens ärende: Ambulanshelikoptern, PET-CT och Hälso- och sjukvårdsnämnden i Östersund."
    toks = analyzer.analyze(text)
    assert toks
    for t in toks:
        word = text[t.start:t.end]
        assert word and not word[0].isspace() and not word[-1].isspace()
        assert re.fullmatch(r"[\w-]+", word), word
        if t.kind == "word":
            assert word.lower() == t.term
    spans = {(t.term, text[t.start:t.end]) for t in toks}
    assert ("helikopter", "Ambulanshelikoptern") in spans
    assert ("överförmyndarnämndens", "Överförmyndarnämndens") in spans
    assert ("hälso", "Hälso") in spans
    assert ("pet", "PET-CT") in spans


def test_terms_only_letters_digits_hyphen(analyzer):
    text = (
        "§ 90 Dnr 23HSN1782, RS/2402/2017 — HSN:s beslut 1:a kvartalet t.o.m. 2023-12-07: -119,3 Mkr (15,23 %) "
        "e-post info@rjh.se, www.lvn.se; ”citat” «x» 08:30–12.00 covid‑19 naïve e\u0301 İstanbul ½ ²"
    )
    paragraphs = [text]
    for f in sorted(CORPUS.glob("*.txt"))[:2]:
        paragraphs.append(f.read_text(encoding="utf-8"))
    for p in paragraphs:
        for t in analyzer.analyze(p):
            assert t.term and all(c.isalnum() or c == "-" for c in t.term), t
            assert not t.term.startswith("-") and not t.term.endswith("-"), t
            assert t.term == t.term.lower()
            assert t.kind in ("word", "lemma", "part")


def test_terms_survive_fts5_unicode61(analyzer):
    """Each term is one token for SQLite FTS5's unicode61 tokenizer with tokenchars '-'."""
    text = (CORPUS / "003_2881339b2791bead.txt").read_text(encoding="utf-8")[:20000]
    text += " PET-CT covid-19 2024–2026 23HSN1782 RS/2402/2017 Hälso- och sjukvårdsnämnden"
    ours = set(analyzer.index_terms(text).split())
    con = sqlite3.connect(":memory:")
    try:
        con.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = \"unicode61 remove_diacritics 0 tokenchars '-'\")")
    except sqlite3.OperationalError:
        pytest.skip("SQLite without FTS5")
    con.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    con.execute("INSERT INTO t(x) VALUES (?)", (" ".join(sorted(ours)),))
    theirs = {row[0] for row in con.execute("SELECT term FROM v")}
    assert theirs == ours


def test_index_terms_is_join_of_analyze(analyzer):
    text = "Regionstyrelsen beslutade om ambulanshelikoptern och PET-CT."
    assert analyzer.index_terms(text) == " ".join(t.term for t in analyzer.analyze(text))
    assert analyzer.index_terms("") == ""
    assert analyzer.analyze("   ") == []


def test_no_duplicates_at_same_span(analyzer):
    toks = analyzer.analyze("Stödet stöd stödja stödstrumpor hälso- och sjukvård sjukvården")
    keys = [(t.term, t.start, t.end) for t in toks]
    assert len(keys) == len(set(keys))
    assert all(isinstance(t, Token) for t in toks)


def test_stop_words_dropped(analyzer):
    t = terms(analyzer, "Det är inte så att vi har en plan för detta och nämnden.")
    assert not t & {"det", "är", "inte", "så", "att", "vi", "har", "en", "för", "detta", "och"}
    assert {"plan", "nämnden", "nämnd"} <= t
    # stop words that matter in meeting records are kept
    assert {"beslut", "god"} <= terms(analyzer, "beslut om god och nära vård")


def test_hyphenated_words(analyzer):
    t = terms(analyzer, "PET-CT")
    assert {"pet-ct", "pet", "ct"} <= t
    t = terms(analyzer, "covid-19")
    assert {"covid-19", "covid"} <= t and "19" not in t
    t = terms(analyzer, "Hälso- och sjukvårdsnämnden")
    assert {"hälso", "hälsa", "sjukvårdsnämnden"} <= t and "hälso-" not in t
    assert matches(analyzer, "pet-ct", "Ny PET-CT i Sundsvall")
    assert matches(analyzer, "covid", "covid-19")


def test_numbers_and_case_numbers(analyzer):
    t = terms(analyzer, "§ 90 Dnr 23HSN1782 RS/2402/2017 HSN:s verksamhetsplan 2024–2026 1:a 2023-12-07")
    assert {"90", "dnr", "23hsn1782", "rs", "2402", "2017", "hsn", "2024", "2026", "1", "2023-12-07", "2023"} <= t
    assert "s" not in t and "§" not in t
    assert matches(analyzer, "23HSN1782", "Dnr 23HSN1782")
    assert matches(analyzer, "2023", "Sammanträde 2023-12-07")


# -- queries, synonyms, highlighting -----------------------------------------------------------


def test_query_groups(analyzer):
    q = analyzer.query("Regionstyrelsens beslut om ambulanshelikoptern")
    assert isinstance(q, KeywordQuery)
    assert len(q.groups) == 3  # "om" is a stop word
    first = q.groups[0]
    assert first[:2] == ("regionstyrelsens", "regionstyrelse")
    assert {"region", "styrelse"} <= set(first)
    assert "helikopter" in q.groups[2]


def test_all_stop_words_query_kept(analyzer):
    q = analyzer.query("och det")
    assert q.groups and q.groups[0][0] == "och"
    assert analyzer.query("").groups == ()


def test_synonyms_query_time_only(analyzer):
    q = analyzer.query("HSN")
    assert len(q.groups) == 1
    assert {"hsn", "hälso", "sjukvårdsnämnden", "sjukvårdsnämnd"} <= set(q.groups[0])
    assert matches(analyzer, "HSN", "Beslut i hälso- och sjukvårdsnämndens sammanträde")
    # not at index time
    assert terms(analyzer, "HSN") == {"hsn"}
    assert "hsn" not in terms(analyzer, "hälso- och sjukvårdsnämnden")
    # entries match on lemmas too, and expansion goes both ways
    assert "rs" in analyzer.query("regionstyrelsens").terms()
    assert "regionstyrelsen" in analyzer.query("RS").terms()
    assert {"inhyrd", "personal", "bemanningsföretag"} <= set(analyzer.query("hyrpersonal").terms())
    assert {"corona", "coronapandemin"} <= set(analyzer.query("covid-19").terms())


def test_one_way_synonyms(analyzer):
    assert "lss" in analyzer.query("lagen om stöd och service").terms()
    assert analyzer.query("lss").terms() == ["lss"]


def test_custom_synonyms_file(tmp_path):
    f = tmp_path / "syn.txt"
    f.write_text("# test\nfoo, bar baz\nqux => quux\n", encoding="utf-8")
    a = SwedishAnalyzer(synonyms_path=f)
    assert {"foo", "bar", "baz"} <= set(a.query("foo").terms())
    assert "foo" in a.query("bar baz").terms()
    assert "quux" in a.query("qux").terms()
    assert "qux" not in a.query("quux").terms()


def test_synonym_file_shape():
    rules = parse_synonyms((Path(__file__).resolve().parent.parent / "models" / "synonyms.txt").read_text("utf-8"))
    assert 20 <= len(rules) <= 60
    flat = {p for lhs, rhs in rules for p in lhs + rhs}
    assert {"hsn", "hälso- och sjukvårdsnämnden", "rs", "regionstyrelsen", "kf", "kommunfullmäktige"} <= flat


def test_highlight_covers_compound(analyzer):
    text = "Status för ambulanshelikoptern. Helikoptern landade; helikopter-plattan."
    spans = analyzer.highlight_spans(text, analyzer.query("helikopter"))
    words = [text[s:e] for s, e in spans]
    assert words == ["ambulanshelikoptern", "Helikoptern", "helikopter-plattan"]
    assert spans == sorted(spans)
    assert analyzer.highlight_spans(text, KeywordQuery(())) == []


def test_highlight_merges_and_synonyms(analyzer):
    text = "  Hälso- och sjukvårdsnämnden (HSN) beslutade."
    spans = analyzer.highlight_spans(text, analyzer.query("HSN"))
    assert [text[s:e] for s, e in spans] == ["Hälso", "sjukvårdsnämnden", "HSN"]
    q = KeywordQuery((("hsn",), ("hsn", "hsn")))
    assert analyzer.highlight_spans("HSN", q) == [(0, 3)]


# -- OpenSearch export -------------------------------------------------------------------------


def test_opensearch_export(analyzer, tmp_path):
    from models.opensearch_resources import export_opensearch_resources, opensearch_analysis_settings

    paths = export_opensearch_resources(tmp_path / "os")
    assert set(paths) >= {"word_list", "stopwords", "synonyms", "stemmer_override"}
    for p in paths.values():
        assert p.exists() and p.stat().st_size > 0, p
    words = set(paths["word_list"].read_text("utf-8").split())
    assert {"ambulans", "helikoptern", "strumpor", "tillnyktrings", "tillnyktring", "enhet"} <= words
    stops = set(paths["stopwords"].read_text("utf-8").split())
    assert {"och", "att"} <= stops and "beslut" not in stops
    lemmas = paths["stemmer_override"].read_text("utf-8")
    assert "\nbeslutades => besluta\n" in lemmas and "\ntillnyktrings => tillnyktring\n" in lemmas
    assert "hsn, hälso- och sjukvårdsnämnden" in paths["synonyms"].read_text("utf-8")

    settings = opensearch_analysis_settings("/usr/share/opensearch/config/motesok")
    flat = repr(settings)
    for p in paths.values():
        assert f"/usr/share/opensearch/config/motesok/{p.name}" in flat
    assert {"motesok_sv", "motesok_sv_search"} <= set(settings["analyzer"])
    used = {f for a in settings["analyzer"].values() for f in a["filter"]}
    assert {f for f in used if f.startswith("motesok_")} <= set(settings["filter"])
    assert settings["filter"]["motesok_decompound"]["word_list_path"].endswith(paths["word_list"].name)


def test_letter_only_chunks_skip_spacy_without_changing_the_analysis(analyzer):
    """Chunks of letters only are not sent through spaCy's tokenizer (a cost unseen words pay
    at every highlight); every word of the corpus must come out exactly as spaCy's path gives
    it, special cases (hörru → hörr + u) included."""

    class Everything:
        def __contains__(self, _):
            return True

    through_spacy = SwedishAnalyzer()
    through_spacy._special_cases = Everything()  # every chunk goes through spaCy, as before
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(CORPUS.rglob("*")) if p.suffix in (".txt", ".md")]
    texts.append("hörru Köru fattaru vård-och omsorg Ärende ÅÄÖ naïve œuvre ǅungla")
    letter_chunks = 0
    for text in texts:
        assert analyzer._pieces(text) == through_spacy._pieces(text)
        letter_chunks += sum(1 for chunk in text.split() if chunk.isalpha())
    assert letter_chunks > 50_000
    # a letters-only special case still reaches spaCy, which splits it
    assert [(s, e) for s, e, *_ in analyzer._pieces("hörru")] == [(0, 4), (4, 5)]
