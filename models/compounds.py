"""Swedish compound splitting from the Hunspell dictionary of ``hunspell-sv``.

The dictionary's affix file says where a word may sit in a compound:

- ``COMPOUNDBEGIN X``: the stem may begin a compound (``region`` in *regionstyrelsen*),
- ``COMPOUNDMIDDLE U``: it may sit inside one,
- ``COMPOUNDEND Y``: it may end one, in any of its inflected forms (*…styrelsens*),
- ``ONLYINCOMPOUND Z``: the form exists only inside compounds (``hälso``),
- ``COMPOUNDPERMITFLAG W``: suffixes carrying it build the joining forms that begin or sit
  inside compounds: the linking ``-s`` (``tillnyktring`` → ``tillnyktrings-``), ``-e``
  (``ränte-``), ``-o`` (``vecko-``), ``-u`` (``varu-``), the dropped final vowel (``myr-``)...

We read the ``.dic``/``.aff`` files ourselves instead of through spylls: spylls needs ~4.5 s
to load this dictionary and its per-word lookup is too slow to try every split point of
every word, while this module loads in well under a second and keeps plain sets and dicts:
the begin and middle forms are few (stem plus its joining forms), the end forms are
recognised by stripping suffixes backwards (like Hunspell does) instead of expanding
millions of inflected forms.

A split is a list of parts, each at least ``MIN_PART`` letters, the first a begin form,
the inner ones middle forms, the last an end form; at most ``COMPOUNDWORDMAX`` parts.
Among the valid splits we take the fewest parts, then the one whose shortest part is
longest (*detalj+planering* over *detaljplane+ring*, *sjukhus+läkare* over
*sjuk+husläkare*), then the longest first part. Hunspell's ``SIMPLIFIEDTRIPLE``
(*fall* + *lucka* = *fallucka*) and ``CHECKCOMPOUNDDUP`` (no *bil* + *bil*) are honoured.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

MIN_PART = 3
MIN_WORD = 2 * MIN_PART

# Last parts that are really derivational endings or too generic to stand as a word part;
# splitting them off only produces false compounds (verksam+het, håll+bar, ...).
# Editable: a word ending in one of these is still split elsewhere if the dictionary allows.
BAD_LAST_PARTS = frozenset(
    """
    het heten hets heter heterna else elsen elser ande ende andet endet ning ningen ningar
    lig ligt liga ligen skap skapet skaps bar bart bara are aren arna arens ens ers
    ism ist ister era erar erad erat ade ades ing ings inga ingen ion ions ioner
    tion tioner itet iteten ivt iva ell ella ellt nde ndes ndet sam samt samma
    """.split()
)
# Begin parts that are prefixes, not words a searcher means (an+ställd, till+stånd ...).
BAD_FIRST_PARTS = frozenset("ande ena ens era ers ing ock ack övers".split())


def hunspell_dir() -> Path:
    """Where pip put hunspell-sv's files (``<prefix>/share/hunspell``)."""
    candidates = [Path(sys.prefix) / "share" / "hunspell", Path(sys.base_prefix) / "share" / "hunspell"]
    for d in candidates:
        if (d / "sv_SE.dic").exists():
            return d
    raise FileNotFoundError(
        "sv_SE.dic not found under " + ", ".join(map(str, candidates)) + " (pip install hunspell-sv)"
    )


@dataclass(frozen=True)
class Suffix:
    flag: str
    strip: str
    add: str
    contflags: str
    condition: re.Pattern[str]

    def applies(self, stem: str) -> bool:
        return stem.endswith(self.strip) and self.condition.search(stem) is not None


@dataclass(frozen=True)
class Part:
    surface: str  # the letters of the word this part covers (a joining form keeps its -s)
    root: str     # the dictionary stem: "tillnyktrings" → "tillnyktring"
    position: str  # "begin", "middle", "end"


def _cond(text: str) -> re.Pattern[str]:
    if text == ".":
        return re.compile("")
    return re.compile(text + "$")


class HunspellCompounds:
    """The compound vocabulary of a Hunspell dictionary and a splitter over it."""

    def __init__(self, dic_paths: list[Path], aff_path: Path):
        self.flags = {"begin": "X", "middle": "U", "end": "Y", "only": "Z", "permit": "W",
                      "forbidden": "%", "needaffix": "¤"}
        self.suffixes: dict[str, list[Suffix]] = {}
        self._parse_aff(aff_path)
        self.roots: dict[str, str] = {}  # lowercased stem → union of its flags
        for p in dic_paths:
            self._parse_dic(p)
        f = self.flags
        # Suffix rules by their added letters, for backwards stripping of end forms.
        self._by_add: dict[str, list[Suffix]] = {}
        for rules in self.suffixes.values():
            for r in rules:
                if f["permit"] in r.contflags or "-" in r.add or ":" in r.add:
                    continue  # joining forms never end a word
                self._by_add.setdefault(r.add, []).append(r)
        self._max_add = max((len(a) for a in self._by_add), default=0)
        self.begin: dict[str, str] = {}
        self.middle: dict[str, str] = {}
        self._build_joining_forms()

    # -- parsing ---------------------------------------------------------------------------

    def _parse_aff(self, path: Path) -> None:
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if not parts or parts[0].startswith("#"):
                continue
            key = parts[0]
            if key in ("COMPOUNDBEGIN", "COMPOUNDMIDDLE", "COMPOUNDEND", "ONLYINCOMPOUND",
                       "COMPOUNDPERMITFLAG", "FORBIDDENWORD", "NEEDAFFIX") and len(parts) > 1:
                name = {"COMPOUNDBEGIN": "begin", "COMPOUNDMIDDLE": "middle", "COMPOUNDEND": "end",
                        "ONLYINCOMPOUND": "only", "COMPOUNDPERMITFLAG": "permit",
                        "FORBIDDENWORD": "forbidden", "NEEDAFFIX": "needaffix"}[key]
                self.flags[name] = parts[1]
            elif key == "SFX" and len(parts) >= 5:
                flag, strip, add_field, cond = parts[1], parts[2], parts[3], parts[4]
                add, _, cont = add_field.partition("/")
                self.suffixes.setdefault(flag, []).append(
                    Suffix(flag, "" if strip == "0" else strip, "" if add == "0" else add, cont, _cond(cond))
                )

    def _parse_dic(self, path: Path) -> None:
        with path.open(encoding="utf-8") as fh:
            next(fh, None)  # the entry count
            for line in fh:
                line = line.rstrip("\n")
                if not line or " " in line or "\t" in line:
                    continue  # multi-word entries cannot be compound parts
                word, _, flags = line.partition("/")
                if not word or "-" in word or "." in word:
                    continue
                key = word.lower()
                prev = self.roots.get(key)
                self.roots[key] = flags if prev is None else "".join(sorted(set(prev + flags)))

    def _build_joining_forms(self) -> None:
        f = self.flags
        bad = f["forbidden"] + f["needaffix"]
        # flags whose suffixes build joining forms, and where the forms may go
        joining = {flag: [r for r in rules if f["permit"] in r.contflags] for flag, rules in self.suffixes.items()}
        joining = {k: v for k, v in joining.items() if v}
        for root, flags in self.roots.items():
            if any(b in flags for b in bad):
                continue
            if f["begin"] in flags:
                self.begin.setdefault(root, root)
            if f["middle"] in flags:
                self.middle.setdefault(root, root)
            for flag in flags:
                for r in joining.get(flag, ()):
                    if not r.applies(root):
                        continue
                    form = root[: len(root) - len(r.strip)] + r.add
                    if not form.isalpha():
                        continue
                    if f["begin"] in r.contflags:
                        self.begin.setdefault(form, root)
                    if f["middle"] in r.contflags:
                        self.middle.setdefault(form, root)

    # -- recognising forms -------------------------------------------------------------------

    def end_root(self, form: str) -> str | None:
        """The stem of ``form`` if it is a stem that may end a compound, or an inflection of one."""
        return _end_root(self, form)

    def _end_root_uncached(self, form: str) -> str | None:
        f = self.flags
        flags = self.roots.get(form)
        if flags is not None and f["end"] in flags and f["forbidden"] not in flags and f["needaffix"] not in flags:
            return form
        n = len(form)
        for k in range(1, min(n - 1, self._max_add) + 1):
            rules = self._by_add.get(form[n - k:])
            if not rules:
                continue
            base = form[: n - k]
            for r in rules:
                stem = base + r.strip
                flags = self.roots.get(stem)
                if (flags is not None and r.flag in flags and f["end"] in flags
                        and f["forbidden"] not in flags and r.condition.search(stem)):
                    return stem
        return None

    def stems(self, form: str) -> list[str]:
        """Every dictionary stem a standalone word form can come from (no compounding): the
        form itself if it is a stem, and the stems an inflectional suffix was added to."""
        f = self.flags
        out: list[str] = []
        flags = self.roots.get(form)
        if flags is not None and not any(x in flags for x in (f["forbidden"], f["needaffix"], f["only"])):
            out.append(form)
        n = len(form)
        for k in range(1, min(n - 1, self._max_add) + 1):
            for r in self._by_add.get(form[n - k:], ()):
                if f["only"] in r.contflags:
                    continue
                stem = form[: n - k] + r.strip
                flags = self.roots.get(stem)
                if (flags is not None and r.flag in flags and f["forbidden"] not in flags
                        and r.condition.search(stem) and stem not in out):
                    out.append(stem)
        return out

    def inflects_to(self, lemma: str, form: str) -> bool:
        """Whether some suffix rule of the affix file turns ``lemma`` into ``form``, whatever
        flags the dictionary gives the lemma (åtgärd → åtgärder yes, företa → företag no)."""
        if lemma == form:
            return True
        n = len(form)
        for k in range(0, min(n - 1, self._max_add) + 1):
            for r in self._by_add.get(form[n - k:], ()):
                if form[: n - k] + r.strip == lemma and r.condition.search(lemma):
                    return True
        return False

    def stem(self, form: str) -> str | None:
        """The dictionary stem of a standalone word form, preferring a stem other than the
        form itself (an inflection stripped); None if the dictionary does not know it."""
        found = self.stems(form)
        for s in found:
            if s != form:
                return s
        return found[0] if found else None

    def part_vocabulary(self) -> set[str]:
        """Every form the splitter accepts as a part (length >= MIN_PART): begin and middle
        forms (stems and joining forms) and every inflected form of stems that may end a
        compound. Used as OpenSearch's ``dictionary_decompounder`` word list."""
        f = self.flags
        words: set[str] = set()
        for form, root in list(self.begin.items()) + list(self.middle.items()):
            words.add(form)
            words.add(root)
        by_flag: dict[str, list[Suffix]] = {}
        for rules in self._by_add.values():
            for r in rules:
                by_flag.setdefault(r.flag, []).append(r)
        for root, flags in self.roots.items():
            if f["end"] not in flags or f["forbidden"] in flags:
                continue
            if f["needaffix"] not in flags:
                words.add(root)
            for flag in flags:
                for r in by_flag.get(flag, ()):
                    if r.applies(root):
                        words.add(root[: len(root) - len(r.strip)] + r.add)
        return {w for w in words if len(w) >= MIN_PART and w.isalpha()
                and w not in BAD_LAST_PARTS and w not in BAD_FIRST_PARTS}

    # -- splitting ---------------------------------------------------------------------------

    def split(self, word: str) -> tuple[Part, ...]:
        """The best split of a lowercased word into compound parts, or () if it is none."""
        return _split(self, word)

    def _split_uncached(self, word: str) -> tuple[Part, ...]:
        n = len(word)
        if n < MIN_WORD or not word.isalpha():
            return ()
        max_parts = 4
        best: tuple | None = None
        best_parts: tuple[Part, ...] = ()

        # tails[i] = list of (middle..., end) part lists for word[i:], fewest-parts first
        memo: dict[tuple[int, int], list[tuple[Part, ...]]] = {}

        def tails(i: int, depth: int) -> list[tuple[Part, ...]]:
            if (i, depth) in memo:
                return memo[(i, depth)]
            out: list[tuple[Part, ...]] = []
            rest = word[i:]
            if len(rest) >= MIN_PART and rest not in BAD_LAST_PARTS:
                root = self.end_root(rest)
                if root is not None:
                    out.append((Part(rest, root, "end"),))
            if depth > 1:
                for j in range(i + MIN_PART, n - MIN_PART + 1):
                    seg = word[i:j]
                    root = self.middle.get(seg)
                    if root is None:
                        continue
                    for nxt in _next_starts(word, j):
                        for t in tails(nxt, depth - 1):
                            if t[0].surface != seg:
                                out.append((Part(seg, root, "middle"),) + t)
            memo[(i, depth)] = out
            return out

        for i in range(MIN_PART, n - MIN_PART + 1):
            head = word[:i]
            root = self.begin.get(head)
            if root is None or head in BAD_FIRST_PARTS:
                continue
            for nxt in _next_starts(word, i):
                for t in tails(nxt, max_parts - 1):
                    if t[0].surface == head:
                        continue  # CHECKCOMPOUNDDUP
                    parts = (Part(head, root, "begin"),) + t
                    key = (len(parts), -min(len(p.surface) for p in parts), -len(head))
                    if best is None or key < best:
                        best, best_parts = key, parts
        return best_parts


def _next_starts(word: str, i: int) -> tuple[int, ...]:
    """Where the next part starts after a part ending at ``i``: at ``i``, and also at ``i-1``
    when a double letter was simplified from a triple (SIMPLIFIEDTRIPLE: fall+lucka)."""
    if i >= 2 and word[i - 1] == word[i - 2] and i < len(word) and word[i] != word[i - 1]:
        return (i, i - 1)
    return (i,)


def _end_root(model: HunspellCompounds, form: str) -> str | None:
    cache = model.__dict__.setdefault("_end_cache", {})
    try:
        return cache[form]
    except KeyError:
        pass
    root = model._end_root_uncached(form)
    if len(cache) > 500_000:
        cache.clear()
    cache[form] = root
    return root


def _split(model: HunspellCompounds, word: str) -> tuple[Part, ...]:
    cache = model.__dict__.setdefault("_split_cache", {})
    try:
        return cache[word]
    except KeyError:
        pass
    parts = model._split_uncached(word)
    if len(cache) > 200_000:
        cache.clear()
    cache[word] = parts
    return parts


@lru_cache(maxsize=1)
def get_compounds() -> HunspellCompounds:
    """The process-wide compound model over hunspell-sv's sv_SE dictionary (plus the
    hyphen-free entries of its sv_SE_expanded supplement)."""
    d = hunspell_dir()
    dics = [d / "sv_SE.dic"]
    if (d / "sv_SE_expanded.dic").exists():
        dics.append(d / "sv_SE_expanded.dic")
    return HunspellCompounds(dics, d / "sv_SE.aff")
