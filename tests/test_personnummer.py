"""Personal identity numbers (personnummer, samordningsnummer) are found, masked at index time and
never come back: not in the stored index, a search answer, a snippet, an item page or an export.

Every number here is generated (a random date and serial, the Luhn digit computed), never a real one.
The end-to-end test uses the word-hashing embedder (MOTESOK_EMBEDDING_MODEL=hashing): no model.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.ingest import PdfFront, parse_text
from indexer.personnummer import MASK, find_personnummer, is_personnummer, luhn_digit, mask_inputs, mask_personnummer
from motesok.cli import app


def _luhn(nine: str) -> int:
    """The check digit computed here independently of the module (doubling every other digit)."""
    digits = [int(c) * (2 - i % 2) for i, c in enumerate(nine)]
    return -sum(d // 10 + d % 10 for d in digits) % 10


def generated(rng: random.Random, *, coordination: bool = False, year_range=(1925, 2015)) -> tuple[str, str, str]:
    """A valid number as (century, yymmdd, serial with check digit); samordningsnummer add 60 to the day."""
    day0 = dt.date(year_range[0], 1, 1).toordinal()
    born = dt.date.fromordinal(rng.randrange(day0, dt.date(year_range[1], 12, 31).toordinal()))
    day = born.day + (60 if coordination else 0)
    yymmdd = f"{born.year % 100:02d}{born.month:02d}{day:02d}"
    serial = f"{rng.randrange(1000):03d}"
    return f"{born.year // 100}", yymmdd, serial + str(_luhn(yymmdd + serial))


def forms(number: tuple[str, str, str]) -> dict[str, str]:
    century, yymmdd, serial = number
    return {"ÅÅMMDD-XXXX": f"{yymmdd}-{serial}", "ÅÅMMDD+XXXX": f"{yymmdd}+{serial}",
            "ÅÅÅÅMMDD-XXXX": f"{century}{yymmdd}-{serial}", "ÅÅMMDDXXXX": f"{yymmdd}{serial}",
            "ÅÅÅÅMMDDXXXX": f"{century}{yymmdd}{serial}"}


def test_the_module_examples_hold():
    import doctest

    import indexer.personnummer

    assert doctest.testmod(indexer.personnummer).failed == 0


def test_the_luhn_digit_matches_an_independent_computation():
    rng = random.Random(1)
    for _ in range(500):
        nine = "".join(rng.choice("0123456789") for _ in range(9))
        assert luhn_digit(nine) == _luhn(nine)


FORMS = ["ÅÅMMDD-XXXX", "ÅÅMMDD+XXXX", "ÅÅÅÅMMDD-XXXX", "ÅÅMMDDXXXX", "ÅÅÅÅMMDDXXXX"]


@pytest.mark.parametrize("form", FORMS)
def test_every_written_form_is_found_and_masked(form):
    rng = random.Random(form)
    for _ in range(200):
        number = forms(generated(rng))[form]
        assert is_personnummer(number), number
        masked = mask_personnummer(f"Sökande Test Testsson ({number}) ansöker om bidrag.")
        assert masked == (f"Sökande Test Testsson ({MASK}) ansöker om bidrag.", 1)


def test_typographic_dashes_and_a_line_wrapped_after_the_hyphen_are_found():
    rng = random.Random(11)
    for dash in ("\u2010", "\u2011", "\u2013", "\u2212"):
        _, yymmdd, serial = generated(rng)
        assert mask_personnummer(f"nr {yymmdd}{dash}{serial}.") == (f"nr {MASK}.", 1)
    _, yymmdd, serial = generated(rng)
    wrapped = mask_personnummer(f"Sökande Test Testsson {yymmdd}-\n  {serial} ansöker")
    assert wrapped == ("Sökande Test Testsson ÅÅMMDD-\n  XXXX ansöker", 1)  # the line break is kept
    assert mask_personnummer(f"Sökande {yymmdd}\n{serial} ansöker").count == 0  # no hyphen: two numbers
    assert mask_personnummer(f"sid {yymmdd}-\n\f\n{serial}").count == 0  # not across a page break


def test_samordningsnummer_are_found():
    rng = random.Random(2)
    for _ in range(200):
        for number in forms(generated(rng, coordination=True)).values():
            assert mask_personnummer(f"samordningsnummer {number}").text == f"samordningsnummer {MASK}"


def test_the_mask_keeps_nothing_of_the_number():
    rng = random.Random(3)
    text = " ".join(f"{v}," for v in forms(generated(rng)).values())
    masked = mask_personnummer(text)
    assert masked.count == 5
    assert not re.search(r"\d", masked.text)
    assert mask_personnummer(masked.text) == (masked.text, 0)  # masking again changes nothing


def test_a_wrong_check_digit_is_left_alone():
    rng = random.Random(4)
    for _ in range(200):
        century, yymmdd, serial = generated(rng)
        wrong = serial[:3] + str((int(serial[3]) + rng.randrange(1, 10)) % 10)
        for number in forms((century, yymmdd, wrong)).values():
            assert not is_personnummer(number)
            assert mask_personnummer(f"nummer {number}.").count == 0


@pytest.mark.parametrize("yymmdd", ["851301", "850001", "850100", "850132", "850230", "850431", "850192",
                                    "850160", "991232"])
def test_impossible_dates_are_left_alone(yymmdd):
    for serial3 in ("123", "456", "789"):
        serial = serial3 + str(luhn_digit(yymmdd + serial3))  # a right check digit, a wrong date
        assert not is_personnummer(f"{yymmdd}-{serial}")
        assert mask_personnummer(f"{yymmdd}{serial} och 19{yymmdd}-{serial}").count == 0


def test_29_february_needs_a_leap_year_when_the_century_is_written():
    serial = "123" + str(luhn_digit("040229123"))
    assert is_personnummer(f"040229-{serial}") and is_personnummer(f"20040229-{serial}")
    serial = "123" + str(luhn_digit("030229123"))
    assert is_personnummer(f"030229-{serial}")  # without a century, 1903 or 2003 is unknown: allowed
    assert not is_personnummer(f"20030229-{serial}") and not is_personnummer(f"19000229-{serial}")


def test_digits_inside_longer_runs_are_left_alone():
    rng = random.Random(5)
    for _ in range(100):
        century, yymmdd, serial = generated(rng)
        ten = yymmdd + serial
        for text in (f"7{ten}", f"{ten}3", f"1{century}{ten}", f"{century}{ten}8", f"SE{ten}01",
                     f"ref-{ten}x", f"2023-{yymmdd}-{serial}", f"{yymmdd}-{serial}-12", f"{yymmdd}-{serial}/2",
                     f"1.{ten}", f"{ten}.5", f"12:{ten}"):
            assert mask_personnummer(text).count == 0, text


def test_case_numbers_phone_numbers_dates_and_amounts_are_left_alone():
    rng = random.Random(6)
    _, yymmdd, serial = generated(rng, year_range=(2000, 2009))
    texts = [
        "Dnr KS 2023/0412, KS 2024-000123, SBN 2019.1234, BUN 2021-12-345",  # diarienummer
        "org.nr 212000-1355 och 556036-0793",  # organisationsnummer: the "month" is 20 or more
        "Mötet 2024-03-12 kl. 13.00–16.30, 20240312, 12 mars 2024, 2024-03-12 1430",  # dates, times
        "Kostnaden 1 250 000 kronor, 12 500 000 kr, 1 234 567 890 kr, 1234567890 kr",  # amounts
        "ISBN 978-91-7331-123-4, ISBN 91-7331-123-X, ISBN 9789173311234",
        "Telefon 031-123 45 67, 070-123 45 67, +46 70 123 45 67, 0771-24 24 24",
        f"tel {yymmdd}{serial}, mobil: {yymmdd}-{serial}, Tfn. {yymmdd}{serial}",  # labelled phone numbers
        "Bankgiro 5050-1055, plusgiro 90 01 22-3",
    ]
    for text in texts:
        assert mask_personnummer(text) == (text, 0), text


def test_random_digit_strings_rarely_pass():
    """The check digit and date reject random ten-digit strings; about 0.7 % pass by chance."""
    rng = random.Random(7)
    passed = sum(is_personnummer(f"{rng.randrange(10**10):010d}") for _ in range(20000))
    assert passed < 20000 * 0.012


def test_mask_inputs_masks_the_file_metadata_and_counts_the_document():
    rng = random.Random(8)
    a, b, c = (forms(generated(rng))["ÅÅMMDD-XXXX"] for _ in range(3))
    front = PdfFront(first_page=f"Bygglov\nSökande {a}\n", created="2024-03-12", author=f"Handläggare {c}")
    assert find_personnummer(f"{a} och {b}") == [re.sub(r"\D", "", a), re.sub(r"\D", "", b)]
    text, title, masked_front, count = mask_inputs(f"Sökande {a}, granne {b}.", f"Bygglov {a}", front)
    assert (text, title) == (f"Sökande {MASK}, granne {MASK}.", f"Bygglov {MASK}")
    assert masked_front == PdfFront(f"Bygglov\nSökande {MASK}\n", "2024-03-12", f"Handläggare {MASK}")
    assert count == 2 + 1 + 1  # the text's two, the title's and the author's; the first page repeats the text
    assert mask_inputs("Inget nummer här.", None, None) == ("Inget nummer här.", None, None, 0)


def test_parsing_masks_titles_decisions_and_text_and_counts():
    rng = random.Random(9)
    a, b = (forms(generated(rng))["ÅÅÅÅMMDD-XXXX"] for _ in range(2))
    text = (f"Kommunstyrelsen\nProtokoll 2024-03-12\n\n§ 1 Bostadsanpassning för {a}\n\n"
            f"Ansökan från sökande {a}.\n\nBeslut\n\natt bevilja bidrag till {b}.\n")
    parsed = parse_text(text, "x.txt")
    dumped = json.dumps(parsed.to_dict(), ensure_ascii=False)
    assert a not in dumped and b not in dumped and MASK in dumped
    assert parsed.document.personnummer_masked == 3 and parsed.document.contained_personnummer
    assert MASK in parsed.items[0].title and MASK in parsed.items[0].decisions[0]
    plain = parse_text("§ 1 Val av justerare\n\nBeslut\n\natt utse Test Testsson.", "y.txt")
    assert not plain.document.contained_personnummer and plain.document.personnummer_masked == 0


def test_a_pdf_is_masked_in_its_text_running_header_and_metadata(tmp_path):
    import io

    from pypdf import PdfReader, PdfWriter

    from indexer.ingest import parse_file
    from tests.parse_helpers import make_pdf

    rng = random.Random(12)
    header, body, title, author = (forms(generated(rng))[f] for f in ("ÅÅMMDD-XXXX", "ÅÅÅÅMMDDXXXX",
                                                                       "ÅÅMMDD+XXXX", "ÅÅMMDDXXXX"))
    running = f"Beslut om bistånd, {header}"  # repeated on every page: dropped from the text layer
    pages = [[running, f"§ {n} Bistånd", "Beslut", f"Nämnden beviljar {what} till sökande {body}.",
              f"Sida {n} av 3"]
             for n, what in ((1, "bistånd"), (2, "hemtjänst"), (3, "färdtjänst"))]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(pages))))
    writer.add_metadata({"/Title": f"Beslut {title}", "/Author": f"Handläggare {author}"})
    path = tmp_path / "beslut.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    parsed = parse_file(path)
    dumped = json.dumps(parsed.to_dict(), ensure_ascii=False)
    for number in (header, body, title, author):
        for form in _digit_forms(number):
            assert form not in dumped, form
    assert [i.paragraph for i in parsed.items] == [1, 2, 3]
    assert all(f"sökande {MASK}" in i.text for i in parsed.items)
    # the body's three, the running header once (only the printed first page holds it), the title's
    # and the author's
    assert parsed.document.personnummer_masked == 3 + 1 + 1 + 1


# --------------------------------------------------------------------------- end to end


def _protocol(numbers: list[str]) -> str:
    a, b, c, d, e = numbers
    return f"""Kommunstyrelsen
Protokoll 2024-03-12

§ 1 Bostadsanpassning för {a}

Ansökan om bostadsanpassningsbidrag från sökande {a}, Storgatan 1. Sökandens make {b} har
intygat behovet av en ramp vid entrén.

Beslut

att bevilja bostadsanpassningsbidrag till {b} med 85 000 kronor.

§ 2 Föreningsbidrag till Testföreningen

Föreningen (org.nr 212000-1355) ansöker om föreningsbidrag. Kontaktperson {c}, samordningsnummer {d}.
Kassör {e}.

Beslut

att bevilja föreningsbidrag med 20 000 kronor.
"""


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    rng = random.Random(10)
    numbers = [forms(generated(rng))["ÅÅMMDD-XXXX"], forms(generated(rng))["ÅÅÅÅMMDDXXXX"],
               forms(generated(rng))["ÅÅMMDD+XXXX"], forms(generated(rng, coordination=True))["ÅÅMMDD-XXXX"],
               forms(generated(rng))["ÅÅMMDDXXXX"]]
    root = tmp_path_factory.mktemp("pnr")
    docs = root / "docs"
    docs.mkdir()
    (docs / "ks_2024-03-12_protokoll.txt").write_text(_protocol(numbers), encoding="utf-8")
    (docs / "ks_2024-04-09_protokoll.txt").write_text(
        "Kommunstyrelsen\nProtokoll 2024-04-09\n\n§ 3 Bostadsanpassning, uppföljning\n\n"
        "Redovisning av bostadsanpassningsbidrag 2023 (dnr KS 2024/0042).\n\nBeslut\n\natt lägga "
        "redovisningen till handlingarna.\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOTESOK_DATA_DIR", str(root / "data"))
        mp.setenv("MOTESOK_EMBEDDING_MODEL", "hashing")
        from fastapi.testclient import TestClient

        from motesok.config import get_settings
        from motesok.runtime import build_app

        get_settings.cache_clear()
        try:
            runner = CliRunner()
            index = runner.invoke(app, ["index", "--verbose", str(docs)])
            parse = runner.invoke(app, ["parse", str(docs / "ks_2024-03-12_protokoll.txt")])
            parse_json = runner.invoke(app, ["parse", "--json", str(docs / "ks_2024-03-12_protokoll.txt")])
            client = TestClient(build_app(get_settings()))
            answers = {}
            for query in ("bostadsanpassning", "föreningsbidrag", numbers[0], numbers[1], "ÅÅMMDD"):
                for mode in ("hybrid", "keyword", "semantic"):
                    answers[f"search {query} {mode}"] = client.get("/api/search", params={"q": query, "mode": mode})
            hits = answers["search bostadsanpassning hybrid"].json()["hits"] + \
                answers["search föreningsbidrag hybrid"].json()["hits"]
            for hit in hits:
                answers[f"item {hit['id']}"] = client.get(f"/api/items/{hit['id']}")
                answers[f"page {hit['id']}"] = client.get(f"/punkt/{hit['id']}")
                answers[f"document {hit['document_id']}"] = client.get(f"/api/documents/{hit['document_id']}")
            for query in ("bostadsanpassning", "föreningsbidrag"):
                answers[f"page search {query}"] = client.get("/", params={"q": query})
                for fmt in ("csv", "jsonl"):
                    answers[f"export {query} {fmt}"] = client.get("/api/export", params={"q": query, "format": fmt})
        finally:
            get_settings.cache_clear()
    return numbers, root / "data", index, parse, parse_json, answers, hits


def _digit_forms(number: str) -> set[str]:
    """The number as written and its ten and twelve digits run together."""
    digits = re.sub(r"\D", "", number)
    return {number, digits[-10:], digits}


def test_the_index_summary_and_log_count_the_masked_numbers(indexed):
    numbers, _, index, _, _, _, _ = indexed
    assert index.exit_code == 0, index.output
    assert "Personnummer maskerade: 7 i 1 dokument." in index.stdout  # a and b twice each, c, d, e
    logged = [json.loads(line) for line in index.stderr.splitlines() if line.startswith("{")]
    counts = {Path(e["source"]).name: e["personnummer"] for e in logged if e.get("event") == "indexed"}
    assert counts == {"ks_2024-03-12_protokoll.txt": 7, "ks_2024-04-09_protokoll.txt": 0}


def test_the_stored_index_holds_no_number(indexed):
    numbers, data, _, _, _, _, _ = indexed
    stored = [p for p in data.rglob("*") if p.is_file()]
    assert stored
    for path in stored:
        content = path.read_bytes()
        for number in numbers:
            for form in _digit_forms(number):
                assert form.encode() not in content, (path.name, form)


def test_parse_output_is_masked(indexed):
    numbers, _, _, parse, parse_json, _, _ = indexed
    assert parse.exit_code == 0 and parse_json.exit_code == 0
    assert f"Bostadsanpassning för {MASK}" in parse.output
    assert json.loads(parse_json.output)["document"]["personnummer_masked"] == 7
    for number in numbers:
        for form in _digit_forms(number):
            assert form not in parse.output and form not in parse_json.output


def test_no_answer_holds_a_number(indexed):
    numbers, _, _, _, _, answers, hits = indexed
    assert {h["title"] for h in hits} >= {f"Bostadsanpassning för {MASK}", "Föreningsbidrag till Testföreningen"}
    assert any(MASK in h["snippet"] or MASK in h["title"] for h in hits)
    assert any(key.startswith("item ") for key in answers) and any(key.startswith("export ") for key in answers)
    for key, response in answers.items():
        assert response.status_code == 200, key
        text = response.text
        if any(key.startswith(f"search {n} ") for n in numbers):
            body = response.json()
            if key.endswith(" keyword"):  # no word of the index is the number
                assert body["total"] == 0, key
            text = json.dumps({k: v for k, v in body.items() if k != "query"})  # the query is the asker's own
        for number in numbers:
            for form in _digit_forms(number):
                assert form not in text, (key, form)
    exported = answers["export bostadsanpassning jsonl"].text
    assert MASK in exported and "212000-1355" in answers["export föreningsbidrag jsonl"].text  # org.nr kept
