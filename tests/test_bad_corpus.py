"""A messy archive: a generated folder of bad files beside good ones, indexed by `motesok index`.

Two runs of the real command (a subprocess, the real model, the SQLite store in tmp):

1. the good files only: exit status 0, everything indexed;
2. the same folder with 30+ bad files, duplicates, a 50 MB text file and one more good file
   added: exit status 1, one ``motesok: PATH: reason`` line per bad file, the new good file
   indexed, duplicates reported, and every document of the first run still there with the
   same items. The second run's peak memory (the child's own ``ru_maxrss``) stays bounded.

The module's tests all read the outcome of these two runs (one fixture), so the two index runs
are its whole cost. The parser-level cases of single files are in test_parse_errors.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from indexer.store.base import Filters
from indexer.store.sqlite import DB_NAME, SQLiteStore
from tests.conftest import CORPUS, PROJECT
from tests.parse_helpers import blank_pdf, encrypt_pdf, make_docx, make_pdf, other_zip

pytestmark = pytest.mark.model

BIG_BYTES = 50 * 1000 * 1000  # "50 MB"
# The big file may add at most this to the peak RSS of a run without it. An absolute bound is
# machine-dependent (CI peaked at 1.7 GB where this machine peaks at 1.1 GB, both from the model
# and thread pools); reading the 50 MB file would add at least 100 MB (bytes plus text).
BIG_FILE_MEMORY_MARGIN = 64 * 1024 * 1024

GOOD_COPIES = {  # small real documents: little to embed
    "ks-au-kallelse.txt": CORPUS / "extra" / "kungsbacka_ks-au_2025-03-04_kallelse.txt",
    "vo-kallelse.txt": CORPUS / "extra" / "kungsbacka_vo_2025-03-20_kallelse.txt",
}

PROTOCOL = ("Miljö- och hälsoskyddsnämnden\n\nProtokoll 2024-05-14\n\n§ 12 Vindkraftsparken vid Åsarna\n\n"
            "Nämnden diskuterade {word} och bullret från vindkraftsparken.\n\nBeslut\n\n"
            "att uppdra åt förvaltningen att utreda frågan; Märta Öberg och Åke Ärlig justerar.\n")

GOOD_PDF = make_pdf([["Kommunstyrelsen", "§ 4 Solcellspark vid Grönåsen",
                      "Beslut", "att anta förslaget om solcellsparken."]])


def _random(n: int, seed: int) -> bytes:
    import random

    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(n))


def _docx(text: str) -> bytes:
    return make_docx(lambda d: (d.add_heading("Kommunstyrelsen", 1), d.add_paragraph(text)))


def _zip(members: dict[str, str]) -> bytes:
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in members.items():
            z.writestr(name, body)
    return out.getvalue()


def write_good(folder: Path) -> dict[str, str]:
    """The first run's documents; returns file name → a word only that document has."""
    for name, source in GOOD_COPIES.items():
        shutil.copy(source, folder / name)
    (folder / "cp1252.txt").write_bytes(PROTOCOL.format(word="fjärrvärmeledningen").encode("cp1252"))
    (folder / "utf16.txt").write_bytes(PROTOCOL.format(word="spårvägsdepån").encode("utf-16"))
    (folder / "utf16le-utan-bom.txt").write_bytes(PROTOCOL.format(word="gångbroarna").encode("utf-16-le"))
    (folder / "utan-struktur.txt").write_text(
        "anteckningar från mötet\nvi pratade om skolskjutsarna\ninget beslut\n", encoding="utf-8")
    (folder / "sida.html").write_text(
        "<html><head><title>Protokoll</title><script>var skriptordet = 'hemligt';</script>"
        "<style>.x{color:red}</style></head><body><h1>Byggnadsnämnden<p>§ 3 Ny förskola i Älvängen"
        "<script>document.write('skriptordet')</script><p>Beslut: att bevilja bygglov för förskolebygget "
        "<b>fetstil <i>utan slut<div><table><tr><td>cell utan slut<tr><td>nästa rad </table></span></div>"
        "<noscript>skriptordet</noscript>", encoding="utf-8")
    (folder / "djup.html").write_text(
        "<html><body>" + "<div>" * 3000 + "<p>Texten om lekplatsrenoveringen ligger djupt.</p>"
        + "</div>" * 3000 + "<script>skriptordet()</script></body></html>", encoding="utf-8")
    (folder / "solceller.pdf").write_bytes(GOOD_PDF)
    (folder / "motion.docx").write_bytes(_docx("Motion om cykelparkeringarna vid stationen."))
    return {"ks-au-kallelse.txt": "lyngås", "vo-kallelse.txt": "qvalify", "cp1252.txt": "fjärrvärmeledningen",
            "utf16.txt": "spårvägsdepån", "utf16le-utan-bom.txt": "gångbroarna",
            "utan-struktur.txt": "skolskjutsarna", "sida.html": "förskolebygget",
            "djup.html": "lekplatsrenoveringen", "solceller.pdf": "solcellsparken",
            "motion.docx": "cykelparkeringarna"}


def write_big(path: Path) -> None:
    line = ("§ 1 Ett mycket långt protokoll om budget, skola och vård i Västra Götaland. " * 4 + "\n").encode()
    block = line * (1_000_000 // len(line) + 1)
    with path.open("wb") as out:
        written = 0
        while written < BIG_BYTES:
            chunk = block[: BIG_BYTES - written]
            out.write(chunk)
            written += len(chunk)


#: Bad files of the second run: name → (bytes, or a writer/link marker; words the reason must contain)
def bad_files() -> dict[str, tuple[object, str]]:
    good_docx = _docx("Text som inte kommer fram.")
    return {
        "tom.txt": (b"", "empty file"),
        "tom.pdf": (b"", "empty file"),
        "tom.docx": (b"", "empty file"),
        "tom.md": (b"", "empty file"),
        "blank.txt": (b"  \n\t\n   \r\n", "white space"),
        "blank-utf16.txt": ("   \n\n ".encode("utf-16"), "white space"),
        "nollbredd.md": ("\u200b\u200b\n\u00ad\n".encode("utf-8"), "white space"),
        "halv.pdf": (GOOD_PDF[: len(GOOD_PDF) // 2], "truncated"),
        "utan-slut.pdf": (b"%PDF-1.7\n" + _random(3000, 1), "truncated"),
        "trasig.pdf": (b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n", "corrupt"),
        "hemlig.pdf": (encrypt_pdf(GOOD_PDF), "encrypted"),
        "skannad.pdf": (blank_pdf(), "no text layer"),
        "text-som-pdf.pdf": ("Det här är text, inte PDF.\n".encode(), "not a PDF"),
        "skrap.txt": (_random(4096, 2), "binary"),
        "skrap.htm": (b"\x89PNG\r\n\x1a\n" + _random(2048, 3), "binary"),
        "nul.txt": (b"Protokoll\x00\x00\x00 med NUL " * 100, "binary"),
        "kontrolltecken.txt": (bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x01, 0x02]) * 200, "undecodable"),
        "ogiltig-utf8.md": (b"# Rubrik\n\n" + b"\xff\xfe\xfa text om budget \x80\x81 " * 50, "undecodable"),
        "trasig-bom.txt": (b"\xff\xfe" + b"a\x00\x00\xd8", "undecodable"),
        "annan-zip.docx": (other_zip(), "not a Word document"),
        "inte-zip.docx": ("Det här är ingen zip-fil.".encode(), "not a ZIP"),
        "halv.docx": (good_docx[: len(good_docx) // 2], "not a ZIP"),
        "fel-xml.docx": (_zip({"word/document.xml": "<inte xml"}), "corrupt or unsupported"),
        "tom-text.docx": (make_docx(lambda d: None), "no text"),
        "ingen-body.html": (b"<html><head><title>Bara titel</title></head></html>", "no text"),
        "bara-skript.html": (b"<html><body><script>var a = 'skriptordet';</script><style>p{}</style></body></html>",
                             "no text"),
        "stor.txt": (write_big, "file too large"),
        "borta.txt": ("link:finns-inte.txt", "broken symbolic link"),
        "slinga.txt": ("link:slinga.txt", "symbolic link loop"),
        "trasig-meta.txt": (PROTOCOL.format(word="metaordet").encode(), "invalid JSON"),
        "fel-datum.txt": (PROTOCOL.format(word="datumordet").encode(), "not a date"),
        "meta-lista.txt": (PROTOCOL.format(word="listordet").encode(), "expected a JSON object"),
        "mapp.pdf/inne-tom.txt": (b"", "empty file"),
        "undermapp/a.txt": (PROTOCOL.format(word="manifestordet").encode(), "invalid JSON in metadata file manifest.json"),
    }


SIDECARS = {
    "trasig-meta.txt.meta.json": '{"body": "Kommunstyrelsen",',
    "fel-datum.meta.json": json.dumps({"date": "2024-02-30"}),
    "meta-lista.txt.meta.json": json.dumps(["inte", "ett", "objekt"]),
    "undermapp/manifest.json": "{files: nope}",
}

#: Entries the folder walk passes over without a message (not documents).
IGNORED = {
    ".dold.txt": b"dold fil",
    "README.txt": b"Om mappen.",
    "bild.png": b"\x89PNG\r\n\x1a\n",
    "kalkyl.xlsx": b"PK\x03\x04",
    "stor.txt.meta.json.bak": b"{}",
}


def write_bad(folder: Path) -> list[str]:
    names = []
    for name, (content, _) in bad_files().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, str) and content.startswith("link:"):
            path.symlink_to(content.removeprefix("link:"))
        else:
            path.write_bytes(content)
        names.append(name)
    for name, text in SIDECARS.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, data in IGNORED.items():
        (folder / name).write_bytes(data)
    (folder / "slinga-mapp").symlink_to(".", target_is_directory=True)  # not followed: no endless walk
    if os.geteuid() != 0:  # root reads anything: the case cannot be made there
        locked = folder / "låst.txt"
        locked.write_text("hemligt", encoding="utf-8")
        locked.chmod(0)
        names.append("låst.txt")
    return names


EXPECTED_UNREADABLE = "cannot read"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    max_rss: int  # bytes
    seconds: float

    def messages(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("motesok: ")]


def run_index(folder: Path, data: Path, model_path: Path, work: Path, name: str) -> Run:
    """`motesok index FOLDER` in a subprocess; its own peak RSS from wait4()."""
    env = {**os.environ, "MOTESOK_DATA_DIR": str(data), "MOTESOK_EMBEDDING_MODEL": str(model_path),
           "PYTHONUNBUFFERED": "1"}
    env.pop("MOTESOK_MAX_FILE_BYTES", None)  # the default limit is what is tested
    out_path, err_path = work / f"{name}.out", work / f"{name}.err"
    started = time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "motesok.cli", "index", str(folder)], env=env,
                                cwd=PROJECT, stdout=out, stderr=err)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(proc.returncode, out_path.read_text(), err_path.read_text(), usage.ru_maxrss * 1024,
               time.perf_counter() - started)


def _doc_items(data: Path) -> dict[str, int]:
    """Items per document source, read straight from the database file."""
    with sqlite3.connect(data / DB_NAME) as conn:
        rows = conn.execute("SELECT d.source, COUNT(i.id) FROM documents d LEFT JOIN items i "
                            "ON i.document_id = d.id GROUP BY d.source").fetchall()
    return {Path(source).name: count for source, count in rows}


@dataclass
class Outcome:
    folder: Path
    data: Path
    first: Run
    first_items: dict[str, int]
    second: Run
    second_items: dict[str, int]
    good_words: dict[str, str]
    bad: list[str]
    new_good_words: dict[str, str]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory, model_path) -> Outcome:
    work = tmp_path_factory.mktemp("bad-corpus")
    folder, data = work / "arkiv", work / "data"
    folder.mkdir()
    good_words = write_good(folder)
    first = run_index(folder, data, model_path, work, "first")
    assert first.returncode == 0, first.stderr[-3000:]
    first_items = _doc_items(data)

    bad = write_bad(folder)
    # beside the bad files: one more good document, a copy of a first-run document under another
    # name, and two new files with the same content
    (folder / "ny.md").write_text("# Kommunfullmäktige\n\n## § 7 Motion om badhusbygget\n\n"
                                  "Beslut: att avslå motionen om badhuset.\n", encoding="utf-8")
    shutil.copy(folder / "cp1252.txt", folder / "kopia-av-cp1252.txt")
    twin = PROTOCOL.format(word="tvillingordet").encode("utf-8")
    (folder / "tvilling-a.txt").write_bytes(twin)
    (folder / "tvilling-b.txt").write_bytes(twin)
    second = run_index(folder, data, model_path, work, "second")
    print(f"\nfirst run {first.seconds:.1f} s, peak RSS {first.max_rss / 2**20:.0f} MiB; "
          f"second run {second.seconds:.1f} s, peak RSS {second.max_rss / 2**20:.0f} MiB; "
          f"{len(bad)} bad files")
    return Outcome(folder, data, first, first_items, second, _doc_items(data), good_words, bad,
                   {"ny.md": "badhusbygget", "tvilling-a.txt": "tvillingordet"})


@pytest.fixture(scope="module")
def store(outcome):
    store = SQLiteStore(outcome.data)
    yield store
    store.close()


def _found(store, analyzer, word: str) -> list[str]:
    """Names of the files whose items a keyword search for ``word`` finds."""
    hits = store.keyword_search(analyzer.query(word), Filters(), 20)
    return sorted({Path(item.source).name for item in store.get_items([h.item_id for h in hits])})


def test_at_least_thirty_bad_files(outcome):
    assert len(outcome.bad) >= 30, outcome.bad


def test_first_run_indexes_every_good_file(outcome):
    assert outcome.first.returncode == 0
    assert set(outcome.first_items) == set(outcome.good_words)
    assert all(count > 0 for count in outcome.first_items.values())
    assert not outcome.first.messages()


def test_exit_status_is_one_when_files_failed(outcome):
    assert outcome.second.returncode == 1, outcome.second.stderr[-3000:]
    summary = outcome.second.stdout
    assert f"{len(outcome.bad)} misslyckade" in summary, summary
    assert "2 nya" in summary and f"{len(outcome.good_words)} oförändrade" in summary, summary
    assert "2 dubbletter" in summary, summary


def test_one_clear_message_per_bad_file(outcome):
    messages = outcome.second.messages()
    expected = {name: words for name, (_, words) in bad_files().items()}
    expected.update({"låst.txt": EXPECTED_UNREADABLE})
    for name in outcome.bad:
        path = outcome.folder / name
        mine = [m for m in messages if m.startswith(f"motesok: {path}: ")]
        assert len(mine) == 1, (name, mine)
        reason = mine[0].removeprefix(f"motesok: {path}: ")
        assert expected[name].lower() in reason.lower(), (name, reason)
        assert "unexpected error" not in reason and "Traceback" not in reason
    failures = [m for m in messages if "same content as" not in m]
    assert len(failures) == len(outcome.bad), "a message for something that is not a bad file"
    assert "Traceback" not in outcome.second.stderr


def test_sidecar_problems_name_the_metadata_file(outcome):
    messages = "\n".join(outcome.second.messages())
    assert "trasig-meta.txt.meta.json" in messages and "fel-datum.meta.json" in messages


def test_duplicates_are_reported_and_indexed_once(outcome):
    messages = outcome.second.messages()
    copy = [m for m in messages if m.startswith(f"motesok: {outcome.folder / 'kopia-av-cp1252.txt'}: ")]
    assert len(copy) == 1 and f"same content as {outcome.folder / 'cp1252.txt'}" in copy[0]
    twins = [m for m in messages if "tvilling-" in m]
    assert len(twins) == 1 and "tvilling-b.txt: same content as" in twins[0] and "tvilling-a.txt" in twins[0]
    assert "kopia-av-cp1252.txt" not in outcome.second_items and "tvilling-b.txt" not in outcome.second_items


def test_nothing_indexed_before_is_lost(outcome, store, analyzer):
    before, after = outcome.first_items, outcome.second_items
    assert {name: after.get(name) for name in before} == before
    new = {name: count for name, count in after.items() if name not in before}
    assert set(new) == set(outcome.new_good_words) and all(new.values())
    assert store.stats().items == sum(before.values()) + sum(new.values())
    for name, word in outcome.good_words.items():
        assert name in _found(store, analyzer, word), (name, word)


def test_good_files_beside_bad_ones_are_indexed(outcome, store, analyzer):
    for name, word in outcome.new_good_words.items():
        assert name in _found(store, analyzer, word), (name, word)
    # nothing of a failed file made it into the index
    for word in ("metaordet", "datumordet", "listordet", "manifestordet", "budget"):
        assert not (set(_found(store, analyzer, word)) & set(outcome.bad)), word


def test_swedish_letters_survive_every_encoding(outcome, store, analyzer):
    for name in ("cp1252.txt", "utf16.txt", "utf16le-utan-bom.txt"):
        hits = store.keyword_search(analyzer.query("Åsarna"), Filters(), 20)
        items = [i for i in store.get_items([h.item_id for h in hits]) if Path(i.source).name == name]
        assert items, name
        text = items[0].title + "\n" + items[0].text
        assert "Vindkraftsparken vid Åsarna" in text and "Märta Öberg och Åke Ärlig" in text, (name, text)
        assert "\ufffd" not in text and "Ã" not in text


def test_scripts_and_broken_markup(outcome, store, analyzer):
    with sqlite3.connect(outcome.data / DB_NAME) as conn:
        texts = [row[0] for row in conn.execute("SELECT title || ' ' || text FROM items")]
    assert texts and not any("skriptordet" in t or "document.write" in t or "color:red" in t for t in texts)
    assert _found(store, analyzer, "skriptordet") == []
    page = [t for t in texts if "förskolebygget" in t]
    assert page and "Ny förskola i Älvängen" in page[0] and "cell utan slut" in page[0]


def test_big_file_is_refused_unread_with_bounded_memory(outcome):
    assert (outcome.folder / "stor.txt").stat().st_size == BIG_BYTES
    line = next(m for m in outcome.second.messages() if "stor.txt" in m)
    assert re.search(r"file too large \(47\.7 MiB; the limit is 20\.0 MiB, MOTESOK_MAX_FILE_BYTES\)", line), line
    # no more than the run without it (model, spaCy, a few small documents) plus a margin
    assert outcome.second.max_rss < outcome.first.max_rss + BIG_FILE_MEMORY_MARGIN, (
        f"peak RSS {outcome.second.max_rss / 2**20:.0f} MiB with the big file, "
        f"{outcome.first.max_rss / 2**20:.0f} MiB without")


def test_ignored_entries_give_no_message(outcome):
    messages = "\n".join(outcome.second.messages())
    for name in IGNORED:
        assert f"/{name}:" not in messages, name
    assert "slinga-mapp" not in messages
    assert not any(name in outcome.second_items for name in IGNORED)


def test_a_third_run_changes_nothing(outcome, model_path, tmp_path):
    """The bad files stay bad, the index stays as it is (and nothing is re-embedded)."""
    third = run_index(outcome.folder, outcome.data, model_path, tmp_path, "third")
    assert third.returncode == 1
    assert _doc_items(outcome.data) == outcome.second_items
    assert "0 nya, 0 ändrade" in third.stdout and f"{len(outcome.bad)} misslyckade" in third.stdout
