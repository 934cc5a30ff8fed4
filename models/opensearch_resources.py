"""OpenSearch analysis resources that mirror ``models.analysis.SwedishAnalyzer``.

``export_opensearch_resources(out_dir)`` writes the files OpenSearch's token filters read:

- ``compound_words.txt``: the ``dictionary_decompounder`` word list, every form our Hunspell
  splitter accepts as a compound part (stems, joining forms like ``tillnyktrings``, inflected
  final parts like ``strumpor``), one per line (~480k lines),
- ``stopwords.txt``: the analyzer's stop words plus single letters,
- ``synonyms.txt``: the query-time synonyms in Solr format, lowercased,
- ``lemmas.txt``: ``stemmer_override`` rules ``form => lemma``: spacy-lookups-data's Swedish
  lemma table plus joining forms → stem (``arbets => arbete``, ``tillnyktrings => tillnyktring``).

Used only with ``MOTESOK_OPENSEARCH_ANALYSIS=swedish`` (the default ``plain`` needs no files).
``opensearch_analysis_settings(dir)`` returns the ``settings.analysis`` dict with an index
analyzer ``motesok_sv`` and a search analyzer ``motesok_sv_search`` over those files (copy
them into the OpenSearch node's config directory; paths are relative to it or absolute).

What differs between the backends (be honest about it when comparing rankings):

1. **Compounds.** Lucene's ``dictionary_decompounder`` emits *every* listed word found
   anywhere inside a token; it knows nothing of Hunspell's begin/middle/end flags or of
   "fewest, longest parts". Measured on the sample corpus's words of 6+ letters it finds ~99%
   of our parts but adds ~3.7 spurious subwords per word (``ring`` in *planering*, ``and``,
   ``ande``...). ``only_longest_match`` halves the noise but loses ~20% of the parts, so it is
   off. Our one-level-down parts (``sjukvård`` → ``sjuk``, ``vård``) come out of the same
   substring search there.
2. **Lemmas.** ``stemmer_override`` holds only the lookup table. Our analyzer also lemmatises
   words the table lacks by Hunspell stem, builds compound lemmas as prefix + lemma of the last
   part (*regionstyrelsens* → *regionstyrelse* even where the table lacks it), and checks
   the last part's table lemma against the affix rules (*företag* is not *företa*).
3. **Hyphens and numbers.** ``word_delimiter_graph`` keeps ``pet-ct`` and adds ``pet``,
   ``ct`` like we do, but also adds number pieces of words with letters (``covid-19`` → ``19``),
   which we leave out. Single letters are all stop words there; we keep capital ones (party
   letters ``(S)``, ``bilaga A``): OpenSearch's stop filter runs after lowercasing.
4. **Synonyms.** OpenSearch matches synonym entries on lowercased surface tokens, we on
   surface *or lemma* (so *regionstyrelsens* finds ``rs`` here, not there); OpenSearch passes
   the expansion through the rest of the chain (lemmas and compound parts), we add only the
   expansion's words and lemmas.
5. **Normalisation.** We NFC-normalise; stock OpenSearch has no NFC filter without the
   ``analysis-icu`` plugin, so decomposed å/ä/ö (rare in extracted text) differ.
6. **Query semantics.** ``KeywordQuery`` groups (any term of a group matches; items matching
   more groups rank higher) correspond to a ``match`` query with ``operator: or`` on the search
   analyzer only loosely: the search analyzer puts a word's variants at one position, which
   the match query treats as a synonym group, close to but not the same as our groups.
7. **Compound parts at query time.** Off by default in ``motesok_sv_search``
   (``decompound_queries=False``): with the substring decompounder a compound query would
   also match its spurious subwords. Our analyzer adds a query compound's parts to its group.

For exact parity, index ``SwedishAnalyzer.index_terms`` into a field analysed with the
``whitespace`` analyzer and query it with ``KeywordQuery`` terms, as the SQLite store does;
this chain is for text analysed inside OpenSearch.
"""

from __future__ import annotations

from pathlib import Path

from models.analysis import SwedishAnalyzer, _valid_term, get_analyzer, load_lemma_table

FILES = {
    "word_list": "compound_words.txt",
    "stopwords": "stopwords.txt",
    "synonyms": "synonyms.txt",
    "stemmer_override": "lemmas.txt",
}

SINGLE_LETTERS = "abcdefghijklmnopqrstuvwxyzåäöéü"
#: Longest raw-text token in characters (at most 1,020 UTF-8 bytes, far under Lucene's 32,766-byte
#: term limit; the same as the standard and whitespace tokenizers' default ``max_token_length``).
MAX_TOKEN_CHARS = 255


def export_opensearch_resources(out_dir: Path, analyzer: SwedishAnalyzer | None = None) -> dict[str, Path]:
    """Write the OpenSearch analysis files into ``out_dir``; returns {kind: path}."""
    analyzer = analyzer or get_analyzer()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {kind: out_dir / name for kind, name in FILES.items()}
    compounds = analyzer._compounds

    words = sorted(compounds.part_vocabulary())
    _write_lines(paths["word_list"], words)

    stops = sorted(set(analyzer.stop_words) | set(SINGLE_LETTERS))
    _write_lines(paths["stopwords"], stops)

    syn_lines = ["# Mötessök query-time synonyms (exported from models/synonyms.txt)"]
    for lhs, rhs in analyzer.synonym_sets():
        lhs_l = [p.lower() for p in lhs]
        rhs_l = [p.lower() for p in rhs]
        syn_lines.append(", ".join(lhs_l) if lhs_l == rhs_l else f"{', '.join(lhs_l)} => {', '.join(rhs_l)}")
    _write_lines(paths["synonyms"], syn_lines)

    rules: dict[str, str] = {}
    table = load_lemma_table()
    for key, lemma in table.items():
        low, lem = key.lower(), lemma.lower()
        if low != key and low in table:
            continue  # the lowercase entry wins
        if low != lem and len(lem) >= 2 and _valid_term(low) and _valid_term(lem):
            rules.setdefault(low, lem)
    only = compounds.flags["only"]
    for form, root in list(compounds.begin.items()) + list(compounds.middle.items()):
        if form in rules or form == root:
            continue
        target = rules.get(root, root) if only in compounds.roots.get(root, "") else root
        if target != form and _valid_term(target):
            rules[form] = target
    _write_lines(paths["stemmer_override"], (f"{k} => {v}" for k, v in sorted(rules.items())))
    return paths


def opensearch_analysis_settings(resource_dir_in_container: str, decompound_queries: bool = False) -> dict:
    """The ``settings.analysis`` dict: analyzers ``motesok_sv`` (index) and
    ``motesok_sv_search`` (query, with synonyms) reading the exported files from
    ``resource_dir_in_container`` (as the OpenSearch node sees it)."""
    d = resource_dir_in_container.rstrip("/")

    def path(kind: str) -> str:
        return f"{d}/{FILES[kind]}" if d else FILES[kind]

    # The pattern tokenizer has no max_token_length; a term over 32,766 UTF-8 bytes would make Lucene
    # refuse the whole item (which SQLite stores), so tokens are cut to MAX_TOKEN_CHARS first.
    common_head = ["motesok_max_length", "lowercase"]
    after_words = ["motesok_hyphen_parts", "motesok_stop"]
    lemma_tail = ["keyword_repeat", "motesok_lemma", "remove_duplicates"]
    index_filters = common_head + after_words + ["motesok_decompound"] + lemma_tail + ["flatten_graph"]
    # synonym_graph must come before word_delimiter_graph: OpenSearch analyses the synonym
    # rules with the filters before it and word_delimiter_graph cannot do that.
    search_filters = (common_head + ["motesok_synonyms"] + after_words
                      + (["motesok_decompound"] if decompound_queries else []) + lemma_tail)
    return {
        "char_filter": {
            # HSN:s → HSN, 1:a → 1 (the colon endings of abbreviations and numbers)
            "motesok_colon_ending": {
                "type": "pattern_replace",
                "pattern": r"(?<=[\p{L}\p{N}]):\p{L}{1,3}(?![\p{L}\p{N}])",
                "replacement": "",
            }
        },
        "tokenizer": {
            # words are runs of letters, digits, combining marks and hyphens (like ours)
            "motesok_words": {"type": "pattern", "pattern": r"[^\p{L}\p{N}\p{M}-]+"}
        },
        "filter": {
            "motesok_max_length": {"type": "truncate", "length": MAX_TOKEN_CHARS},
            "motesok_hyphen_parts": {
                "type": "word_delimiter_graph",
                "preserve_original": True,
                "generate_word_parts": True,
                "generate_number_parts": True,
                "catenate_words": False,
                "catenate_numbers": False,
                "catenate_all": False,
                "split_on_case_change": False,
                "split_on_numerics": False,
                "stem_english_possessive": False,
            },
            "motesok_stop": {"type": "stop", "stopwords_path": path("stopwords"), "ignore_case": True},
            "motesok_decompound": {
                "type": "dictionary_decompounder",
                "word_list_path": path("word_list"),
                "min_word_size": 6,
                "min_subword_size": 3,
                "max_subword_size": 30,
                "only_longest_match": False,
            },
            "motesok_lemma": {"type": "stemmer_override", "rules_path": path("stemmer_override")},
            "motesok_synonyms": {"type": "synonym_graph", "synonyms_path": path("synonyms"), "lenient": True},
        },
        "analyzer": {
            "motesok_sv": {
                "type": "custom",
                "char_filter": ["motesok_colon_ending"],
                "tokenizer": "motesok_words",
                "filter": index_filters,
            },
            "motesok_sv_search": {
                "type": "custom",
                "char_filter": ["motesok_colon_ending"],
                "tokenizer": "motesok_words",
                "filter": search_filters,
            },
        },
    }


def _write_lines(path: Path, lines) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for line in lines:
            fh.write(line)
            fh.write("\n")
