"""The benchmark's query set: a few hundred varied Swedish queries, some with filters.

Three kinds, mixed: hand-written questions and subjects of the kind staff and journalists ask
(written for this benchmark, not taken from the evaluation set), the development queries of
``tests/data/dev_queries.jsonl``, and short queries cut from real item titles of the store
(one to three content words), so that the set covers the store's own vocabulary. About a
third carry a filter (a body, a year or a date range) drawn from the store's own values.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WRITTEN = [
    "ambulanshelikopter", "vad beslutades om ambulansflyg", "budget 2025", "årsredovisning",
    "delårsrapport augusti", "investeringsplan fastigheter", "tandvård för äldre", "vårdplatser",
    "väntetider till specialistvård", "psykiatri för barn och unga", "ungdomsmottagning",
    "primärvård vårdcentral", "hyrpersonal sjuksköterskor", "kompetensförsörjning", "arbetsmiljö",
    "sjukfrånvaro bland medarbetare", "patientsäkerhetsberättelse", "avvikelser i vården",
    "läkemedelskostnader", "digitala vårdmöten", "e-hälsa och digitalisering", "kollektivtrafik",
    "färdtjänst taxa", "skolskjuts", "förskola lokaler", "grundskola resultat", "gymnasieskola",
    "äldreomsorg hemtjänst", "särskilt boende", "LSS boende", "ekonomiskt bistånd", "försörjningsstöd",
    "bostadsbyggande detaljplan", "översiktsplan", "miljötillsyn taxa", "avfall och återvinning",
    "vatten och avlopp", "dricksvatten PFAS", "klimatanpassning", "energieffektivisering",
    "solceller på tak", "upphandling av städtjänster", "avtal med leverantör", "bolagsordning",
    "ägardirektiv för bolag", "revisionsrapport", "granskning av intern kontroll", "motion om",
    "interpellation till ordföranden", "medborgarförslag", "val av ledamöter", "fyllnadsval ersättare",
    "entledigande från uppdrag", "arvoden för förtroendevalda", "reglemente för nämnden",
    "delegationsordning", "attestreglemente", "policy mot korruption", "folkhälsa",
    "alkohol och tobak", "våld i nära relationer", "integration och nyanlända", "civilsamhället bidrag",
    "kulturbidrag", "idrottshall", "simhall renovering", "bibliotek öppettider", "turism och besöksnäring",
    "näringslivsstrategi", "bredband på landsbygden", "vägar och gator underhåll", "trafiksäkerhet",
    "cykelvägar", "parkeringsavgifter", "spårvagn", "hamnen", "krisberedskap", "räddningstjänst",
    "pandemin och vaccination", "smittskydd", "sepsis", "cancervård", "förlossningsvården",
    "rehabilitering", "hjälpmedel", "habilitering för barn", "missbruk och beroende",
    "samverkan med kommunerna", "nära vård", "regional utvecklingsstrategi", "landsbygdsutveckling",
    "EU-projekt", "forskning och utbildning", "läkarutbildning", "sjukhusbyggnad", "lokalförsörjningsplan",
    "internhyra", "skattesats", "utdebitering", "lån och borgen", "finansiell rapport",
    "mål och budget 2024-2026", "uppföljning av verksamhetsplan", "internkontrollplan",
    "beslut om att anta", "återremiss", "yrkande avslag", "reservation mot beslutet",
    "slakteriet aktier", "försäljning av fastighet", "markanvisning", "exploateringsavtal",
    "tillgänglighet för personer med funktionsnedsättning", "barnkonventionen", "jämställdhet",
    "mänskliga rättigheter", "informationssäkerhet", "dataskydd GDPR", "arkivreglemente",
    "sammanträdesplan 2025", "protokollsjustering", "ärenden till fullmäktige",
]


@dataclass
class BenchQuery:
    q: str
    params: dict = field(default_factory=dict)  # extra query-string parameters (filters)


_WORD = re.compile(r"[A-Za-zÅÄÖåäöÉé][\wåäöÅÄÖ-]{3,}")
_SKIP = {"beslut", "ärende", "ärenden", "information", "anmälan", "sammanträde", "protokoll", "justering"}


def title_queries(data_dir: Path, n: int, rng: random.Random) -> list[str]:
    conn = sqlite3.connect(f"file:{data_dir / 'motesok.sqlite3'}?mode=ro", uri=True)
    titles = sorted({t for (t,) in conn.execute("SELECT DISTINCT title FROM items")})
    conn.close()
    out = []
    while titles and len(out) < n:
        words = [w for w in _WORD.findall(rng.choice(titles)) if w.lower() not in _SKIP]
        if words:
            k = rng.randint(1, min(3, len(words)))
            start = rng.randint(0, len(words) - k)
            out.append(" ".join(words[start:start + k]).lower())
    return out


def filter_values(data_dir: Path) -> tuple[list[str], list[int]]:
    conn = sqlite3.connect(f"file:{data_dir / 'motesok.sqlite3'}?mode=ro", uri=True)
    bodies = [b for (b,) in conn.execute("SELECT DISTINCT body FROM items WHERE body IS NOT NULL ORDER BY body")]
    years = [y for (y,) in conn.execute("SELECT DISTINCT year FROM items WHERE year IS NOT NULL ORDER BY year")]
    conn.close()
    return bodies, years


def query_set(data_dir: Path, n: int = 300, seed: int = 11) -> list[BenchQuery]:
    """``n`` queries (mixed kinds, shuffled), a third of them filtered, deterministic for a seed."""
    rng = random.Random(seed)
    dev = [json.loads(line)["query"] for line in (ROOT / "tests" / "data" / "dev_queries.jsonl").open(encoding="utf-8")
           if line.strip()]
    texts = WRITTEN + dev
    texts += title_queries(data_dir, max(0, n - len(texts)), rng)
    rng.shuffle(texts)
    bodies, years = filter_values(data_dir)
    out = []
    for i, q in enumerate(texts[:n]):
        params: dict = {}
        kind = i % 6
        if kind == 1 and bodies:
            params["body"] = rng.choice(bodies)
        elif kind == 3 and years:
            params["year"] = rng.choice(years)
        elif kind == 5 and years:
            start = rng.choice(years)
            params["date_from"], params["date_to"] = f"{start}-01-01", f"{start + 2}-12-31"
        out.append(BenchQuery(q, params))
    return out
