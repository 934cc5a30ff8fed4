"""Swedish keyword analysis, the same at index time and at query time.

A text goes through these steps:

1. **Tokens**: spaCy's Swedish tokenizer (``spacy.blank("sv")``, no model download). A token
   is cut further into *words* at every character that is not a letter, digit, combining mark
   or ``-`` (``RS/2402/2017`` → ``rs``, ``2402``, ``2017``; ``2024–2026`` → ``2024``,
   ``2026``); an abbreviation's colon ending goes (``HSN:s`` → ``hsn``, ``1:a`` → ``1``);
   hyphens at a word's ends go (``Hälso-`` → ``hälso``).
2. **Terms**: lowercased and NFC-normalised, holding only Unicode letters, digits and ``-``,
   so SQLite FTS5's ``unicode61`` tokenizer with ``tokenchars '-'`` keeps each term whole.
3. **Stop words**: spaCy's Swedish list, trimmed of words that matter in meeting records
   (``beslut``, ``god`` as in *god och nära vård*, ``vänster``/``höger``, ``sex``, ``nummer``...)
   plus a few it lacks or the records use (``är``, ``ej``, ``samt``, ``denna``, ``bl``...), and
   lowercase single letters (``t.o.m.``); capital ones stay (party letters ``(S)``, ``bilaga A``).
4. **Lemmas**: the Swedish lookup table of ``spacy-lookups-data`` (what spaCy's lemmatizer
   uses in lookup mode), read straight from the package; words it lacks get the Hunspell
   stem (``models.compounds``), and compounds get *prefix + lemma(last part)*.
5. **Compound parts**: ``models.compounds`` splits by the Hunspell dictionary's compound flags;
   a compound keeps its own form and adds its parts (non-final parts as their dictionary stem,
   the last part as written and as its lemma), and the parts of long parts one level down.
6. **Hyphenated words** (``PET-CT``, ``covid-19``, ``2023-12-07``) keep the whole term and add
   each piece analysed like a word; number pieces of a word that has letters are left out
   (``covid-19`` adds ``covid``, not ``19``).

At query time each non-stop word becomes one group of alternatives (surface, lemma, parts,
synonyms); synonyms from ``synonyms.txt`` (Solr format) are applied only there.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from models.compounds import HunspellCompounds, get_compounds
from models.query import KeywordQuery

if TYPE_CHECKING:  # spaCy loads in seconds: imported where the analyzer is built
    from spacy.tokenizer import Tokenizer

DEFAULT_SYNONYMS = Path(__file__).with_name("synonyms.txt")

# spaCy's Swedish stop words keep these out: they carry meaning in meeting records.
KEEP_FROM_SPACY_STOP = frozenset(
    """
    beslut beslutat beslutit nummer vänster vänstra höger god goda gott sex bra
    viktig viktiga viktigt tidig tidiga hög högre stor stora lätt
    """.split()
)
EXTRA_STOP = frozenset(
    """
    är ej samt denna dessa detta sådan sådana såsom hos både varje kring utifrån per bör ju
    icke ifall huruvida bl dvs osv resp ev etc mfl mm pga tex vilken vilket vilka vars
    """.split()
)

MAX_WORD = 64          # longer "words" (hashes, URLs without dots) are kept but not analysed
MIN_SUBSPLIT = 6       # parts at least this long are split once more (sjukvård → sjuk, vård)

_CHUNK = re.compile(r"\S+")
_COLON_ENDING = re.compile(r"^(.*\w):([^\W\d_]{1,3})$")


@dataclass(frozen=True)
class Token:
    term: str   # the index term: lowercase letters, digits and '-'
    start: int  # character span in the ORIGINAL text of the word it came from
    end: int
    kind: str   # "word", "lemma" or "part"


# A word inside a spaCy token: (start, end relative to the token, is_stop, ((term, kind), ...)).
_Piece = tuple[int, int, bool, tuple[tuple[str, str], ...]]


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "-" or unicodedata.category(ch)[0] == "M"


def _normalize(s: str) -> str:
    s = unicodedata.normalize("NFC", s.lower())
    if all(c.isalnum() or c == "-" for c in s):
        return s
    return "".join(c for c in s if c.isalnum() or c == "-")


def default_stop_words() -> frozenset[str]:
    from spacy.lang.sv.stop_words import STOP_WORDS

    return frozenset((set(STOP_WORDS) - KEEP_FROM_SPACY_STOP) | EXTRA_STOP)


def _lookups_file() -> Path:
    import spacy_lookups_data

    return Path(str(spacy_lookups_data.get_file("sv_lemma_lookup.json.gz")))


@lru_cache(maxsize=1)
def load_lemma_table() -> dict[str, str]:
    """spacy-lookups-data's Swedish ``lemma_lookup`` table (what spaCy's lemmatizer loads in
    lookup mode), read straight from the package: no download, no pipeline. Kept as loaded
    (~660k entries, some keys capitalised); use :func:`lookup_lemma`."""
    with gzip.open(_lookups_file(), "rt", encoding="utf-8") as fh:
        return json.load(fh)


def lookup_lemma(table: dict[str, str], word: str) -> str | None:
    """The lowercased lemma of a lowercased word, trying its capitalised form (proper nouns)."""
    lemma = table.get(word)
    if lemma is None and word[:1].isalpha():
        lemma = table.get(word[:1].upper() + word[1:])
    return lemma.lower() if lemma is not None else None


def parse_synonyms(text: str) -> list[tuple[list[str], list[str]]]:
    """Solr synonyms: ``a, b, c`` (all equivalent) or ``a, b => c`` (a and b expand to c).
    Returns (match phrases, expansion phrases) pairs; ``#`` starts a comment."""
    rules = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if "=>" in line:
            left, right = line.split("=>", 1)
            lhs = [p.strip() for p in left.split(",") if p.strip()]
            rhs = [p.strip() for p in right.split(",") if p.strip()]
            if lhs and rhs:
                rules.append((lhs, rhs))
        else:
            phrases = [p.strip() for p in line.split(",") if p.strip()]
            if len(phrases) > 1:
                rules.append((phrases, phrases))
    return rules


class SwedishAnalyzer:
    """Tokenizes, lowercases, drops stop words, lemmatizes and splits compounds (see module doc)."""

    def __init__(self, synonyms_path: Path | None = None):
        import spacy

        # a Tokenizer (spaCy types the attribute as a plain callable, which has no ``rules``)
        self._tokenizer = cast("Tokenizer", spacy.blank("sv").tokenizer)
        self._special_cases = frozenset(self._tokenizer.rules)
        self._lemmas = load_lemma_table()
        self._lookup = lru_cache(maxsize=262_144)(lambda w: lookup_lemma(self._lemmas, w))
        self._compounds: HunspellCompounds = get_compounds()
        self.stop_words = default_stop_words()
        self.synonyms_path = Path(synonyms_path) if synonyms_path else DEFAULT_SYNONYMS
        self._lock = threading.Lock()  # spaCy's tokenizer caches are not documented thread-safe
        self._token = lru_cache(maxsize=262_144)(self._analyze_token)
        self._word = lru_cache(maxsize=262_144)(self._analyze_word)
        self._chunk = lru_cache(maxsize=262_144)(self._analyze_chunk)
        self._chunk_terms = lru_cache(maxsize=262_144)(
            lambda chunk: frozenset(t for *_, terms in self._chunk(chunk) for t, _ in terms)
        )
        self._synonym_rules = self._load_synonyms()
        # first-word match key → (pattern, expansions) to try there
        self._synonym_index: dict[str, list] = {}
        for patterns, expansions in self._synonym_rules:
            for pattern in patterns:
                if pattern:
                    for term in pattern[0]:
                        self._synonym_index.setdefault(term, []).append((pattern, expansions))

    # -- public API ---------------------------------------------------------------------------

    def analyze(self, text: str) -> list[Token]:
        """Index-time tokens: stop words dropped; per word its surface form, its lemma if
        different, its compound parts; duplicates at the same span removed."""
        out: list[Token] = []
        for start, end, stop, terms in self._pieces(text):
            if stop:
                continue
            for term, kind in terms:
                out.append(Token(term, start, end, kind))
        return out

    def index_terms(self, text: str) -> str:
        """What goes into the keyword index: the terms of ``analyze(text)``, space separated."""
        return " ".join(term for _, _, stop, terms in self._pieces(text) if not stop for term, _ in terms)

    def query(self, text: str) -> KeywordQuery:
        """One group of alternative terms per non-stop query word (all words if every one
        is a stop word): surface, lemma, parts, then synonym expansions. Each word *matches*
        an item by its surface or lemma (which the index holds for every compound containing
        the word too: ``helikopter`` is a part of ``ambulanshelikoptern``), by all its own
        compound parts together (``hem`` and ``tjänst``, never one alone), or by a synonym
        (all of a synonym phrase's words). Every word must match (``minimum_match``); the
        search layer may lower that for long queries."""
        pieces = [p for p in self._pieces(text) if not p[2]] or self._pieces(text)
        groups: list[dict[str, None]] = [dict.fromkeys(t for t, _ in p[3]) for p in pieces]
        matches: list[dict[tuple[str, ...], None]] = [dict.fromkeys(self._word_alternatives(p[3])) for p in pieces]
        keys = [self._match_keys(p[3]) for p in pieces]
        for i, first in enumerate(keys):
            seen: set[int] = set()
            for term in first:
                for pattern, expansions in self._synonym_index.get(term, ()):
                    n = len(pattern)
                    if id(pattern) in seen or i + n > len(keys):
                        continue
                    seen.add(id(pattern))
                    if all(keys[i + k] & pattern[k] for k in range(1, n)):
                        for k in range(n):
                            for terms, heads in expansions:
                                groups[i + k].update(dict.fromkeys(terms))
                                if heads:
                                    matches[i + k].setdefault(heads, None)
        kept = [i for i, g in enumerate(groups) if g]
        return KeywordQuery(tuple(tuple(groups[i]) for i in kept), tuple(tuple(matches[i]) for i in kept),
                            minimum_match=len(kept))

    def _word_alternatives(self, terms: tuple[tuple[str, str], ...]) -> list[tuple[str, ...]]:
        """What makes an item match one query word: its surface or lemma alone, or all the
        parts of a compound (or of a hyphenated word) together."""
        out: list[tuple[str, ...]] = [(t,) for t, kind in terms if kind in ("word", "lemma")]
        word = terms[0][0]
        if "-" in word:
            pieces = word.split("-")
            has_letters = any(not p.isdigit() for p in pieces)
            kept = [p for p in pieces if len(p) >= 2 and p not in self.stop_words and not (has_letters and p.isdigit())]
            if len(kept) >= 2:
                out.append(tuple(dict.fromkeys(kept)))
            return out
        if not word.isalpha() or len(word) > MAX_WORD:
            return out
        parts = self._compounds.split(word)
        if not parts:
            return out
        # each part as the index holds it (a non-final part's stem or its lemma; the last part as
        # written or its lemma): one conjunction per combination of the parts' forms
        variants = [[t for t in self._inner_part(p.root) if len(t) >= 3 and t.isalpha()] for p in parts[:-1]]
        last = parts[-1].surface
        variants.append([t for t in dict.fromkeys((last, self._part_lemma(last))) if len(t) >= 3 and t.isalpha()])
        variants = [v for v in variants if v]
        if len(variants) < 2:
            return out
        for combo in itertools.product(*variants):
            out.append(tuple(dict.fromkeys(combo)))
        return out

    def highlight_spans(self, text: str, query: KeywordQuery) -> list[tuple[int, int]]:
        """Merged, sorted character spans of the words of ``text`` whose terms meet the
        query's terms (``helikopter`` marks all of ``ambulanshelikoptern``)."""
        wanted = set(query.terms())
        if not wanted:
            return []
        # Most words do not match: test each whitespace chunk's term set first, cached per chunk.
        spans = []
        chunk_terms = self._chunk_terms
        for m in _CHUNK.finditer(text):
            word = m.group()
            if wanted.isdisjoint(chunk_terms(word)):
                continue
            offset = m.start()
            for start, end, _, terms in self._chunk(word):
                if any(t in wanted for t, _ in terms):
                    spans.append((offset + start, offset + end))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                if end > merged[-1][1]:
                    merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
        return merged

    # -- pipeline -----------------------------------------------------------------------------

    def _pieces(self, text: str) -> list[_Piece]:
        """All words of ``text`` with absolute spans, stop words flagged, not dropped.

        spaCy's tokenizer splits at whitespace first and treats every whitespace-free chunk
        on its own, so the pieces of a chunk are cached per chunk (``_chunk``): a long item
        costs a regex scan and a dict lookup per word instead of spaCy's per-call work.
        """
        if not text:
            return []
        out: list[_Piece] = []
        chunk = self._chunk
        for m in _CHUNK.finditer(text):
            offset = m.start()
            for rs, re_, stop, terms in chunk(m.group()):
                out.append((offset + rs, offset + re_, stop, terms))
        return out

    def _analyze_chunk(self, chunk: str) -> tuple[_Piece, ...]:
        if chunk.isalpha() and chunk not in self._special_cases:
            # A chunk of letters only is one token to spaCy unless a special case (hörru →
            # hörr + u) splits it: its affix and infix rules all need a non-letter. Skipping
            # the call (and the new lexeme spaCy would store) makes cold analysis ~1.4× faster
            # (bench/bench_analysis.py), which is what highlighting unseen words pays.
            tokens = [(0, chunk)]
        else:
            with self._lock:
                tokens = [(t.idx, t.text) for t in self._tokenizer(chunk) if not t.is_space]
        return tuple(
            (idx + rs, idx + re_, stop, terms) for idx, tok in tokens for rs, re_, stop, terms in self._token(tok)
        )

    def _analyze_token(self, tok: str) -> tuple[_Piece, ...]:
        m = _COLON_ENDING.match(tok)
        if m:
            tok = m.group(1)
        out: list[_Piece] = []
        n = len(tok)
        i = 0
        while i < n:
            if not _is_word_char(tok[i]):
                i += 1
                continue
            j = i
            while j < n and _is_word_char(tok[j]):
                j += 1
            s, e = i, j
            while s < e and tok[s] == "-":
                s += 1
            while e > s and tok[e - 1] == "-":
                e -= 1
            if s < e:
                raw = tok[s:e]
                term = "-".join(p for p in _normalize(raw).split("-") if p)
                if term:
                    out.append(self._word_piece(s, e, term, raw.isupper()))
            i = j
        return tuple(out)

    def _word_piece(self, s: int, e: int, term: str, upper: bool) -> _Piece:
        # Lowercase single letters are debris of abbreviations (t.o.m., bl.a.); capitals are
        # kept: party letters (S), (M), (V), appendix letters (bilaga A).
        acronym = upper and len(term) > 1
        if "-" not in term:
            stop = term in self.stop_words or (len(term) == 1 and term.isalpha() and not upper)
            return (s, e, stop, self._word(term, acronym))
        pieces = term.split("-")
        terms: dict[str, str] = {term: "word"}
        has_letters = any(not p.isdigit() for p in pieces)
        last = pieces[-1]
        last_lemma = self._lemma(last) if not acronym and last.isalpha() else None
        whole_lemma = self._lookup(term)
        if whole_lemma is None and last_lemma and last_lemma != last:
            whole_lemma = term[: len(term) - len(last)] + last_lemma
        if whole_lemma and whole_lemma != term and _valid_term(whole_lemma):
            terms.setdefault(whole_lemma, "lemma")
        for p in pieces:
            if has_letters and p.isdigit():
                continue
            if len(p) < 2 or p in self.stop_words:
                continue
            for t, _ in self._word(p, acronym):
                terms.setdefault(t, "part")
        return (s, e, False, tuple(terms.items()))

    def _lemma(self, word: str) -> str | None:
        lemma = self._lookup(word)
        if lemma is None and word.isalpha() and len(word) > 3:
            lemma = self._compounds.stem(word)
        if lemma is None or len(lemma) < 2 or not _valid_term(lemma):
            return None
        return lemma

    def _analyze_word(self, word: str, acronym: bool = False) -> tuple[tuple[str, str], ...]:
        """(term, kind) pairs of one hyphen-free lowercased word."""
        terms: dict[str, str] = {word: "word"}
        if acronym or not word.isalpha() or len(word) > MAX_WORD:
            return tuple(terms.items())
        c = self._compounds
        parts = c.split(word)
        lemma = self._lookup(word)
        if lemma is not None and (len(lemma) < 2 or not _valid_term(lemma)):
            lemma = None
        part_terms: list[str] = []
        if parts:
            last = parts[-1]
            last_lemma = self._part_lemma(last.surface)
            if lemma is None:
                lemma = word[: len(word) - len(last.surface)] + last_lemma
            for p in parts[:-1]:
                part_terms.extend(self._inner_part(p.root))
                part_terms.extend(self._subparts(p.root))
            part_terms.append(last.surface)
            part_terms.append(last_lemma)
            part_terms.extend(self._subparts(last_lemma))
        elif lemma is None and len(word) > 3:
            lemma = c.stem(word)
        if lemma and lemma != word and _valid_term(lemma):
            terms.setdefault(lemma, "lemma")
        for t in part_terms:
            if len(t) >= 3 and t.isalpha():
                terms.setdefault(t, "part")
        return tuple(terms.items())

    def _part_lemma(self, form: str) -> str:
        """The lemma of a compound's last part. The lookup table's lemma is taken when the
        affix rules can inflect it into ``form`` (områden → område, åtgärder → åtgärd), not
        when it is another word's lemma (företag ↛ företa); else the Hunspell stem."""
        stems = self._compounds.stems(form)
        looked = self._lookup(form)
        if looked and (not stems or looked in stems or self._compounds.inflects_to(looked, form)):
            return looked
        for s in stems:
            if s != form:
                return s
        return form

    def _inner_part(self, root: str) -> list[str]:
        """Terms of a non-final part: its stem, and for joining-only stems the lookup
        lemma (arbets → arbete, hälso → hälsa, användar → användare)."""
        out = [root]
        flags = self._compounds.roots.get(root)
        if flags is None or self._compounds.flags["only"] in flags:
            looked = self._lookup(root)
            if looked and len(looked) >= 3:
                out.append(looked)
        return out

    def _subparts(self, part: str) -> list[str]:
        """Parts of a long compound part, one level down: sjukvård → sjuk, vård."""
        if len(part) < MIN_SUBSPLIT:
            return []
        sub = self._compounds.split(part)
        if not sub:
            return []
        out: list[str] = []
        for p in sub[:-1]:
            out.extend(self._inner_part(p.root))
        out.append(sub[-1].surface)
        out.append(self._part_lemma(sub[-1].surface))
        return out

    # -- synonyms -----------------------------------------------------------------------------

    @staticmethod
    def _match_keys(terms: tuple[tuple[str, str], ...]) -> frozenset[str]:
        return frozenset(t for t, kind in terms if kind in ("word", "lemma"))

    def _phrase(self, phrase: str) -> tuple[list[frozenset[str]], list[str], tuple[str, ...]]:
        """A synonym phrase as match keys per word and as the terms it expands to (each
        non-stop word's surface and lemma, and the pieces of hyphenated words — no compound parts)."""
        pieces = [p for p in self._pieces(phrase) if not p[2]] or self._pieces(phrase)
        keys = [self._match_keys(p[3]) for p in pieces]
        terms: list[str] = []
        heads: list[str] = []  # per word its lemma (else surface): all must occur for the phrase to match
        for _, _, _, pterms in pieces:
            word = pterms[0][0]
            heads.append(next((t for t, kind in pterms if kind == "lemma"), word))
            for t, kind in pterms:
                if kind != "part" or "-" in word:
                    terms.append(t)
        return keys, terms, tuple(dict.fromkeys(heads))

    def _load_synonyms(self) -> list[tuple[list[list[frozenset[str]]], list[tuple[list[str], tuple[str, ...]]]]]:
        """Per rule: the match keys of each left-hand phrase; per right-hand phrase, its terms and heads."""
        if not self.synonyms_path.exists():
            return []
        rules = []
        for lhs, rhs in parse_synonyms(self.synonyms_path.read_text(encoding="utf-8")):
            patterns = [self._phrase(p)[0] for p in lhs]
            expansions = [self._phrase(p)[1:] for p in rhs]
            rules.append((patterns, expansions))
        return rules

    def synonym_sets(self) -> list[tuple[list[str], list[str]]]:
        """The synonym file's rules as written (for exporting to OpenSearch)."""
        if not self.synonyms_path.exists():
            return []
        return parse_synonyms(self.synonyms_path.read_text(encoding="utf-8"))


def _valid_term(term: str) -> bool:
    return bool(term) and all(c.isalnum() or c == "-" for c in term) and not term.startswith("-") \
        and not term.endswith("-")


_instance: SwedishAnalyzer | None = None
_instance_lock = threading.Lock()


def get_analyzer() -> SwedishAnalyzer:
    """The process-wide analyzer (built on first use: ~2 s, dictionaries and lemma table)."""
    global _instance
    if _instance is None:
        with _instance_lock:
            if _instance is None:
                _instance = SwedishAnalyzer()
    return _instance
