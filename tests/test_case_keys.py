"""Case keys (issue 18): diarienummer formats met in corpus/ and tests/data/corpus-dev, own versus
mentioned numbers on real item texts, step kinds."""

from __future__ import annotations

import re

import pytest

from indexer.cases import (
    STEP_KINDS,
    STEP_LABELS,
    CaseNumber,
    case_key,
    case_label,
    item_case_keys,
    item_case_numbers,
    parse_case_number,
    series_less_aliases,
    slug,
    step_kind,
)
from indexer.records import Item

# (as written in the corpora, series, year, serial)
FORMATS = [
    ("KS 2018/124", "KS", 2018, 124),
    ("KS/2019/0001/0009", "KS", 2019, 1),  # trailing part: document number
    ("VO-2025-00072", "VO", 2025, 72),  # kungsbacka_vo_2025-03-20_kallelse
    ("VO-2025–00072", "VO", 2025, 72),  # en dash, kungsbacka_vo_2025-03-20_protokoll § 52
    ("2026.272 KS", "KS", 2026, 272),
    ("Dnr HSN/1071/2020", "HSN", 2020, 1071),  # corpus 002
    ("Dnr: HSN/1071/2020", "HSN", 2020, 1071),
    ("23HSN1", "HSN", 2023, 1),
    ("23HSN1782", "HSN", 2023, 1782),  # corpus 003 § 92
    ("RS/1234/2021", "RS", 2021, 1234),
    ("RS/2074/2017", "RS", 2017, 2074),  # corpus 001: both could be years, 2074 is not likely
    ("RS 1379/2015", "RS", 2015, 1379),  # corpus 000
    ("LS/42/2010", "LS", 2010, 42),  # corpus 001
    ("KS 2018/124-5", "KS", 2018, 124),
    ("SLK-2023-00027:58", "SLK", 2023, 27),  # goteborg_kf_2024-02-01 § 3
    ("SLK-2023-00027:-1", "SLK", 2023, 27),  # goteborg_kf_2024-02-01 § 12
    ("Bun/2015:608", "BUN", 2015, 608),  # jonkoping_bun_2016-01-26 § 4
    ("KS KF/2022:7", "KS-KF", 2022, 7),  # lomma_kf_2022-10-17 § 72
    ("KS/KF 2025:7", "KS-KF", 2025, 7),  # lomma_ks_2026-01-21 § 1
    ("SBF 2021-002727", "SBF", 2021, 2727),  # helsingborg_sbf_2023-10-10_plan
    ("KS 2022-389", "KS", 2022, 389),  # falkenberg_bun_2025-02-11_tjansteskrivelse
    ("BUN 2025/45", "BUN", 2025, 45),
    ("N164-0569/23", "N164", 2023, 569),  # goteborg_kf_handling_motion_utbildningsgaranti
    ("SLK 0416/23", "SLK", 2023, 416),
    ("SLK dnr 0416/23", "SLK", 2023, 416),
    ("0295/23", "", 2023, 295),  # goteborg_kf_handling_2023-204_fornlamningsvard
    ("CF 485/97", "CF", 1997, 485),  # corpus 004
    ("KF/2006.203", "KF", 2006, 203),  # hogsby_ks_2007-01-08
    ("KU/2007.9", "KU", 2007, 9),
    ("MH-2025-1292-4", "MH", 2025, 1292),  # kungsbacka_miljo_2025-04-24_yttrande
    ("2025/1292-3", "", 2025, 1292),
    ("AVTAL-2025-00243", "AVTAL", 2025, 243),
    ("KS-2020-00313", "KS", 2020, 313),
    ("2023/204", "", 2023, 204),
    ("Diarienummer: 2023-00254", "", 2023, 254),  # kungsbacka_ks-au_2025-03-04_kallelse
    ("2025–00297", "", 2025, 297),  # kungsbacka_miljo_2025-04-25_tjansteskrivelse
    ("Vårt dnr KS 2018/124", "KS", 2018, 124),
    ("Er ref 2023/204", "", 2023, 204),
    ("24773-2025", "", 2025, 24773),  # lomma_ks_2026-01-21 § 4 (Länsstyrelsen's)
    ("3.5.16-16309/2024", "", 2024, 16309),  # jonkoping_bun_2024-12-16 § 161: filing-plan code dropped
    ("3.5.1-02530_2023-9", "", 2023, 2530),  # lomma_sn_2023-06-20 § 43
    # forms of other registries (not in the corpora): no space, a filing-plan code after the number
    ("KS2023/123", "KS", 2023, 123),
    ("KS 2019/00123 - 2.4.1", "KS", 2019, 123),
    ("ÄN 2020/12", "ÄN", 2020, 12),
]


@pytest.mark.parametrize("raw,series,year,serial", FORMATS)
def test_every_format_met_parses(raw, series, year, serial):
    assert parse_case_number(raw) == CaseNumber(series=series, year=year, serial=serial, raw=raw)


@pytest.mark.parametrize("raw", [
    "SOU 2020:12", "SFS 2017:725", "SOU 2025:7", "HSLF-FS 2015:6", "Dir. 2023:12", "Prop. 2016/17:180",
    "2025-03-12", "KS 2025-03-12", "12 mars 2025", "org.nr 212000-1355", "212000-1355", "556677-2020",
    "0300-83 40 00", "08-123 45 67", "031-368 02 33", "2023-2024", "LÅ 2023-2024", "2019/20", "§ 44", "2024",
    "24773", "KNSLI/20014197", "19/119:1", "12/3", "", "Dnr", "2023/24", "2023/2024", "10:00-10:15", "434 81",
    "19850101-1234", "850101-1234", "31/12/2019", "1.1.7.1",
])
def test_non_case_strings_are_none(raw):
    assert parse_case_number(raw) is None
    assert case_key(raw, "Lomma kommun") is None


@pytest.mark.parametrize("a,b", [
    ("VO-2025-00072", "VO 2025/72"),
    ("VO-2025-00072", "Dnr VO-2025–00072"),
    ("Bun/2015:608", "BUN 2015/608"),
    ("KS/2019/0001/0009", "KS 2019/1"),
    ("KS 2018/124-5", "Diarienummer: KS 2018/124"),
    ("SLK-2023-00027:58", "SLK-2023-00027:51"),  # two documents of one matter
    ("KS KF/2022:7", "KS/KF 2022:7"),
    ("23HSN1782", "HSN 2023/1782"),
    ("RS/1234/2021", "RS 2021/1234"),
    ("SLK 0416/23", "SLK-2023-00416"),
])
def test_same_matter_written_two_ways_is_one_key(a, b):
    assert case_key(a, "Göteborgs Stad") == case_key(b, "Göteborgs Stad") is not None


def test_same_number_in_two_organisations_is_two_keys():
    assert case_key("KS 2023/204", "Lomma kommun") != case_key("KS 2023/204", "Kungsbacka kommun")
    assert case_key("KS 2023/204", None) == "okand:ks-2023-204"


def test_different_series_or_serial_are_different_keys():
    keys = {case_key(raw, "Jönköpings kommun") for raw in ("Bun/2015:12", "KS 2015/12", "Bun/2015:13", "Bun/2016:12")}
    assert len(keys) == 4


def test_key_form_is_url_safe():
    assert case_key("KS 2018/124", "Kungsbacka kommun") == "kungsbacka-kommun:ks-2018-124"
    assert case_key("2023/204", "Kungsbacka kommun") == "kungsbacka-kommun:2023-204"
    assert case_key("KS KF/2022:7", "Lomma kommun") == "lomma-kommun:ks-kf-2022-7"
    assert case_key("Bun/2015:608", "Jönköpings kommun") == "jonkopings-kommun:bun-2015-608"
    assert slug("Region Jämtland Härjedalen") == "region-jamtland-harjedalen"
    assert slug("Nämnden för Miljö & Hälsoskydd") == "namnden-for-miljo-halsoskydd"
    for raw, *_ in FORMATS:
        assert re.fullmatch(r"[a-z0-9:-]+", case_key(raw, "Ånge & Öckerö kommun") or "")


def test_case_label():
    assert case_label(parse_case_number("KS 2018/124")) == "KS 2018/124"
    assert case_label(parse_case_number("VO-2025-00072")) == "VO 2025/72"
    assert case_label(parse_case_number("KS KF/2022:7")) == "KS KF 2022/7"
    assert case_label(parse_case_number("0295/23")) == "2023/295"


def test_series_less_key_joins_the_one_series_of_that_number():
    keys = ["goteborgs-stad:2023-408", "goteborgs-stad:slk-2023-408", "jonkopings-kommun:2015-12",
            "jonkopings-kommun:bun-2015-12", "jonkopings-kommun:ks-2015-12", "lomma-kommun:2020-5"]
    assert series_less_aliases(keys) == {"goteborgs-stad:2023-408": "goteborgs-stad:slk-2023-408"}


# -- own versus mentioned, on real item texts ----------------------------------------------------
def _item(text: str, numbers: list[str], paragraph: int | None = None, title: str = "") -> Item:
    return Item(number=paragraph, paragraph=paragraph, title=title or text.split("\n")[0], text=text,
                case_numbers=numbers)


VO_53 = (  # kungsbacka_vo_2025-03-20_protokoll § 53: the heading's Dnr, then the incoming letters' numbers
    "§ 53                       Dnr VO-2025-00001\nRedovisning av inkomna skrivelser mars 2025\n\nBeslut\n"
    "Nämnden för Vård & Omsorg noterar redovisningen av inkomna skrivelser till\nprotokollet.\n\n"
    "Sammanfattning av ärendet\nUnder perioden 1 februari till 28 februari 2025 har följande skrivelser inkommit till\n"
    "Nämnden för Vård & Omsorg.\n\nDiarienummer VO-2025-00056. (Socialstyrelsen) Enkät - regionala\n"
    "samverkansstrukturer (RSS) - Uppföljningen av omställningen till en god och nära\nvård.\n"
    "Diarienummer VO-2025-00042. (Socialstyrelsen) Öppna jämförelser i socialtjänsten\n"
    "och kommunal hälso- och sjukvård 2025.\n\nDiarienummer VO-2025-00070. (Region Halland) Bidra till Region Hallands\n"
    "handlingsplan för patientsäkerhet 2026-2030.\n")


def test_heading_dnr_is_own_listed_letters_are_mentions():
    item = _item(VO_53, ["VO-2025-00001", "VO-2025-00056", "VO-2025-00042", "VO-2025-00070"], 53)
    assert item_case_numbers(item) == ["VO-2025-00001"]
    assert item_case_keys(item, "Kungsbacka kommun") == ["kungsbacka-kommun:vo-2025-1"]


def test_labelled_dnr_below_the_heading_is_own_later_references_are_not():
    # corpus 003 § 92 (the text between is long: the two lists come ~5800 characters down)
    text = ("§ 92 Reviderad verksamhetsplan 2024–2026, Hälsa- och sjukvårdsnämnden\n\nDiarienummer: 23HSN1782\n\n"
            "Ärendansvarig: Anders Sylvan\n\nHandläggare: Hanna Wahlund, Katarina Rask\n\nBeslut:\n\n"
            "Hälsa- och sjukvårdsutskottet föreslår att Hälsa- och sjukvårdsnämnden beslutar\n\n"
            "att anta reviderad verksamhetsplan 2024–2026 för hälsa- och sjukvårdsnämnden;\n\n" + "Text. " * 200 +
            "\n\n- Internkontrollplan 2024 områdenas riskanalyser ingår som underlag, 23HSN5195\n"
            "- Handlingsplan 2024–2026, 23HSN2705\n\nBeslutsunderlag\n")
    assert item_case_numbers(_item(text, ["23HSN1782", "23HSN5195", "23HSN2705"], 92)) == ["23HSN1782"]


def test_labelled_dnr_after_a_long_title_time_and_presenter_is_own():
    # kungsbacka_ks-au_2025-03-04_kallelse: a kallelse point; SOU 2025:7 in the title is no case number
    text = ("Svar på Klimat- och näringslivsdepartementets remiss av Kärnkraftsprövningsutredningens delbetänkande "
            "Ny kärnkraft i Sverige – effektivare tillståndsprövning och ändamålsenliga avgifter (SOU 2025:7)\n"
            "Diarienummer: 2025-00102\nFörslag: Förslag till beslut i kommunstyrelsen Kommunstyrelsen antar yttrande, "
            "daterat 2025-02- 05, och översänder det som sitt svar till Klimat- och näringslivsdepartementet.")
    assert item_case_numbers(_item(text, ["2025-00102"])) == ["2025-00102"]
    text = ("Uppföljning av intern kontroll 2024 för kommunstyrelsen\n10:00-10:15\nLotta Gradén\n"
            "Diarienummer: 2023-00254\nFörslag: Förslag till beslut i kommunstyrelsen Kommunstyrelsen godkänner")
    assert item_case_numbers(_item(text, ["2023-00254"])) == ["2023-00254"]


def test_protokollsutdrag_answering_a_remiss_owns_both_numbers():
    # goteborg_kf_handling_motion_utbildningsgaranti: the nämnd's number and the remitting office's
    text = ("Utdrag ur protokoll Sammanträdesdatum: 2023-08-29\n\n§222, N166-0392/23 Svar på motion av Simona "
            "Mohamsson (L) och Axel Darvik (L) om att införa utbildningsgaranti för placerade barn (SLK dnr 0416/23)\n\n"
            "Beslut 1. Socialnämnd Hisingen avstyrker motionen om att införa utbildningsgaranti för placerade barn")
    assert item_case_numbers(_item(text, ["0416/23", "N166-0392/23"])) == ["0416/23", "N166-0392/23"]


def test_references_in_running_text_are_mentions():
    # corpus 004: earlier decisions cited in the body, nothing in the head
    text = ("Den som begär ut en allmän handling har rätt att utan avgift få ta del av den på plats hos myndigheten "
            "eller att mot en fastställd avgift få en kopia av handlingen (TF 2 kap. 15-16 §§). För statliga "
            "myndigheter är avgifterna för kopior av allmänna handlingar fastställda i avgiftsförordningen "
            "(1992:191). För att en kommun eller region ska få ta ut en avgift för kopior måste det finnas en av "
            "fullmäktige fastställd taxa (se JO 1989/90 s. 392). I Region Jämtland Härjedalen finns ett "
            "fullmäktigebeslut om avgifter för kopior av allmänna handlingar från år 1997 (dnr CF 485/97). Eftersom "
            "beslutet är gammalt har det funnits anledning att se över det.\n\nUtöver fullmäktiges beslut från år "
            "1997 har regionstyrelsen antagit en Avgiftshandbok för Region Jämtland Härjedalen (dnr RS/610/2016).")
    assert item_case_numbers(_item(text, ["CF 485/97", "RS/610/2016"])) == []


def test_one_embedded_document_head_is_own_when_the_head_has_none():
    # kungsbacka_miljo_2025-04-24_yttrande: the next document's header ends this section
    text = ("Vindkraft\n\nNytt Material som bifogas som underlag, tillägg till översiktsplanen om vindkraft. "
            "Den är antagen\nav kommunfullmäktige 2012-04-10. " + "Text om planen. " * 30 +
            "\n\nBygg- och miljöförvaltningen   TJÄNSTESKRIVELSE\nKungsbacka kommun\n434 81 Kungsbacka\n\n"
            "Diarienummer\n\nMH-2025-1292-4\nÄrendetyp\n1.1.7.1\n\nYttrande över  Fördjupad  översiktsplan  för\n")
    assert item_case_numbers(_item(text, ["MH-2025-1292-4"])) == ["MH-2025-1292-4"]


def test_a_table_of_contents_owns_nothing():
    # jonkoping_bun_2023-01-02 § 1: the item holds the protocol's table of contents
    text = ("## § 1 Informationsärenden 4\n\nPresentation av nämndens ledamöter och ersättare samt av närvarande "
            "tjänstepersoner från förvaltningen\n\nPresentation av nämndens ansvars- och verksamhetsområde, lagar "
            "och förordningar\n\nInformation om utbildningar och viktiga datum\n\n"
            "|§|2|Val av fem ordinarie ledamöter i nämndens arbetsutskott||5|\n|||tillika lokalutskott|||\n"
            "|§|6|Representation i nämndens arbetsutskott tillika lokalut-||9|\n|||skott|||\n||||Bun/2022:971||\n"
            "|§|7|Barn- och utbildningsnämndens delegationsförteckning||10|\n||||Bun/2022:1005||\n"
            "|§|8|Närvarorätt vid nämndens sammanträden||11|\n||||Bun/2022:1004||\n")
    assert item_case_numbers(_item(text, ["Bun/2022:971", "Bun/2022:1005", "Bun/2022:1004"], 1)) == []


def test_the_protocol_preamble_owns_nothing():
    text = ("Protokolljusterare Göran Ottosson (SD)\n\n§ 39 Dnr VO-2025-00006\n\n§ 40 Dnr VO-2024-00357\n\n"
            "§ 41 Dnr VO-2025-00018\nUpphandling enligt Lag (2016:1145) om offentlig upphandling")
    item = _item(text, ["VO-2025-00006", "VO-2024-00357", "VO-2025-00018"], title="Inledning och närvarande")
    assert item_case_numbers(item) == []


def test_a_list_in_the_head_names_other_matters():
    # corpus 001: delegation decisions reported, each its own matter
    text = ("Beslut fattade av regiondirektör/ bitr. regiondirektör\n\n• Inga beslut att anmäla.\n\n"
            "Beslut fattade av ordförande/vice ordförande/ 2:e vice ordförande\n\n• Svar på remiss Konsultation i "
            "frågor som rör det samiska folket (RS/2074/2017).\n\nBeslut fattade av områdeschef\n\n"
            "• Löneöversyn 2017, område Kirurgi (RS/678/2017).\n• Löneöversyn 2017, 2017-2018, område Barn och "
            "Unga vuxna (RS/204/2017).\n")
    assert item_case_numbers(_item(text, ["RS/2074/2017", "RS/678/2017", "RS/204/2017"])) == []


def test_number_not_in_text_came_from_the_heading_and_invalid_ones_are_dropped():
    item = _item("Beslut om yttrande angående Handlingsplan för elektrifiering i Skåne dnr 24773-\n2025\n",
                 ["KS KF/2025:247", "24773"], 4)
    assert item_case_numbers(item) == ["KS KF/2025:247"]


def test_item_case_keys_dedupe_two_documents_of_one_matter():
    text = "§ 12 Ärendenummer SLK-2023-00027:-1 SLK-2023-00027\nVal av ersättare i förbundsfullmäktige"
    item = _item(text, ["SLK-2023-00027:-1", "SLK-2023-00027"], 12)
    assert item_case_keys(item, "Göteborgs Stad") == ["goteborgs-stad:slk-2023-27"]


# -- step kinds ------------------------------------------------------------------------------------
@pytest.mark.parametrize("doc_type,body,title,decision_kind,kind", [
    ("kallelse", "Nämnden för Vård & Omsorg", "Indexuppräkning av hemtjänstersättning 2025", "förslag", "kallelse"),
    ("protokoll", "Nämnden för Vård & Omsorg", "Indexuppräkning av hemtjänstersättning 2025", "beslut", "nämnd"),
    ("protokoll", "Kommunstyrelsens arbetsutskott", "Årsredovisning 2024", "förslag", "utskott"),
    ("protokoll", "Hälso- och sjukvårdsutskottet", "Internkontrollplan 2024", "förslag", "utskott"),
    ("protokoll", "Kommunstyrelsens presidium", "Remiss", "beslut", "utskott"),
    ("protokoll", "Kommunstyrelsen", "Yttrande över remiss", "beslut", "styrelse"),
    ("protokoll", "Regionstyrelsen", "Budget", "beslut", "styrelse"),
    ("protokoll", "Kommunfullmäktige", "Motion", "beslut", "fullmäktige"),
    ("protokoll", "Barn- och utbildningsnämnden", "Biblioteksplan", "beslut", "nämnd"),
    ("tjänsteskrivelse", "Bygg- och miljöförvaltningen", "Sammanfattning av ärendet", "förslag", "tjänsteskrivelse"),
    ("beslut", "Nämnden för Miljö & Hälsoskydd", "Antagande av taxa", "beslut", "protokollsutdrag"),
    ("handling", "Kommunfullmäktige", "Protokollsutdrag Sammanträdesdatum: 2023-09-21", "beslut", "protokollsutdrag"),
    ("handling", "Kommunfullmäktige", "Utdrag ur protokoll Sammanträdesdatum: 2023-08-29", "beslut", "protokollsutdrag"),
    ("handling", "Nämnden för Miljö & Hälsoskydd", "Yttrande över Fördjupad översiktsplan", None, "yttrande"),
    ("handling", None, "Remissvar Handlingsplan", None, "yttrande"),
    ("handling", None, "Remiss – Ny lag om kommunal räddningstjänst", None, "remiss"),
    ("handling", None, "Anmälan av delegationsbeslut", None, "anmälan"),
    ("handling", None, "Delegeringsbeslut mars 2025", None, "anmälan"),
    ("handling", None, "Tjänsteutlåtande", None, "tjänsteskrivelse"),
    # goteborg_kf_handling_*: each office's tjänsteutlåtande is headed by the office
    ("handling", "Kommunfullmäktige", "Stadsledningskontoret", None, "tjänsteskrivelse"),
    ("handling", "Kommunfullmäktige", "Socialförvaltningen Centrum", None, "tjänsteskrivelse"),
    ("handling", "Kommunfullmäktige", "Kommunstyrelsen", None, "handling"),
    ("handling", "Kommunfullmäktige", "Samverkan skola och socialtjänst", None, "handling"),
    ("möte", "Regionstyrelsen", "Budget 2020", "beslut", "styrelse"),
    ("möte", "Hälso- och sjukvårdsnämnden", "Verksamhetsplan", "förslag", "kallelse"),
    (None, None, None, None, "handling"),
])
def test_step_kind(doc_type, body, title, decision_kind, kind):
    assert step_kind(doc_type, body, title, decision_kind) == kind


def test_every_step_kind_has_a_label():
    assert set(STEP_LABELS) == set(STEP_KINDS)
    assert STEP_LABELS["kallelse"] == "Kallelse (förslag)"


def test_the_other_partys_reference_is_not_own():
    text = ("Yttrande över remiss om ny översiktsplan\nVårt dnr: KS 2024/310\nEr ref: Dnr 2024/1187\n\n"
            "Kommunstyrelsen lämnar följande yttrande.")
    item = _item(text, ["KS 2024/310", "2024/1187"])
    assert item_case_numbers(item) == ["KS 2024/310"]


def test_a_mention_broken_over_lines_is_still_found_as_a_mention():
    text = "§ 7 Meddelanden\nDnr KS 2024/1\n\n" + "Text. " * 100 + "\nProtokoll från pensionärsrådet, KS\nKF/2025:52\n"
    assert item_case_numbers(_item(text, ["KS 2024/1", "KS KF/2025:52"], 7)) == ["KS 2024/1"]
