"""Small generated protocols for the feed and e-mail digest tests (no real records, no model: the
tests run with MOTESOK_EMBEDDING_MODEL=hashing)."""

from __future__ import annotations

from pathlib import Path

SUBJECTS = {
    "hemtjänst": ("Hemtjänst i egen regi", "Uppföljning av hemtjänsten i kommunens egen regi och brukarnas nöjdhet.",
                  "att godkänna uppföljningen av hemtjänsten."),
    "pfas": ("PFAS i dricksvattnet", "Provtagning visar halter av PFAS i dricksvattnet från vattenverket.",
             "att uppdra åt förvaltningen att utreda rening av PFAS."),
    "gata": ("Gatubelysning på Storgatan", "Byte av armaturer för gatubelysningen längs Storgatan.",
             "att anta anbudet för gatubelysning."),
}


def protocol(body: str, date: str, paragraphs: list[tuple[int, str]]) -> str:
    """A protocol of ``body`` with one § per ``(number, subject key)``."""
    parts = [f"{body}\nProtokoll {date}\n"]
    for number, key in paragraphs:
        title, text, decision = SUBJECTS[key]
        parts.append(f"§ {number} {title}\n\n{text}\n\nBeslut\n\n{decision}\n")
    return "\n".join(parts)


def write(folder: Path, name: str, body: str, date: str, paragraphs: list[tuple[int, str]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(protocol(body, date, paragraphs), encoding="utf-8")
    return path
