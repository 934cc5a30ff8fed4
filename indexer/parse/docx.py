"""Word documents via python-docx: paragraphs and tables in document order.

Heading styles (``Heading N``/``Rubrik N``, ``Title``) become Markdown headings, numbered list
paragraphs get their computed number (``3. text``), bulleted ones a ``•`` bullet indented by
list level, and tables become ``| a | b |`` rows with ``<br>`` for line breaks inside a cell —
the same layout the segmenters read in text files.
"""

from __future__ import annotations

import io
import re
import zipfile

from indexer.parse import ParseError, RawText
from indexer.parse.sniff import what_it_is

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING = re.compile(r"^(?:heading|rubrik|überschrift|otsikko)\s*(\d)", re.I)


def read_docx(data: bytes) -> RawText:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        what = what_it_is(data)
        if what and what.startswith("an HTML page"):
            what = what.replace("an HTML page", "an HTML page named .docx", 1) + (
                "; the site probably returned a web page (an error page?) instead of the document")
        raise ParseError(f"not a valid .docx file (not a ZIP archive{': ' + what if what else ''})") from exc
    except Exception as exc:
        raise ParseError(f"not a valid .docx file ({type(exc).__name__}: {exc})") from exc
    with archive:
        names = set(archive.namelist())
        if "word/document.xml" not in names:
            raise ParseError("not a Word document: the ZIP archive has no word/document.xml "
                             "(another kind of ZIP file renamed to .docx?)")
        try:
            bad = archive.testzip()
        except Exception as exc:
            raise ParseError(f"corrupt .docx archive ({type(exc).__name__}: {exc})") from exc
        if bad:
            raise ParseError(f"corrupt .docx archive (damaged member {bad})")
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:
        raise ParseError(f"corrupt or unsupported .docx file ({type(exc).__name__}: {exc})") from exc
    try:
        lines = _render(document)
    except Exception as exc:
        raise ParseError(f"cannot read the .docx content ({type(exc).__name__}: {exc})") from exc
    title = None
    try:
        if document.core_properties.title and document.core_properties.title.strip():
            title = document.core_properties.title.strip()
    except Exception:
        title = None
    text = "\n".join(lines).strip("\n")
    return RawText(re.sub(r"\n{3,}", "\n\n", text), title_hint=title)


class _Numbering:
    """Resolves list formats and running numbers of numbered paragraphs."""

    def __init__(self, document) -> None:
        self.formats: dict[tuple[str, int], str] = {}
        self.counters: dict[tuple[str, int], int] = {}
        try:
            root = document.part.numbering_part.element
        except Exception:
            return
        abstract = {}
        for an in root.iter(f"{_W}abstractNum"):
            aid = an.get(f"{_W}abstractNumId")
            levels = {}
            for lvl in an.iter(f"{_W}lvl"):
                fmt = lvl.find(f"{_W}numFmt")
                levels[int(lvl.get(f"{_W}ilvl", "0"))] = fmt.get(f"{_W}val") if fmt is not None else "decimal"
            abstract[aid] = levels
        for num in root.iter(f"{_W}num"):
            nid = num.get(f"{_W}numId")
            ref = num.find(f"{_W}abstractNumId")
            if ref is None:
                continue
            for ilvl, fmt in abstract.get(ref.get(f"{_W}val"), {}).items():
                self.formats[(nid, ilvl)] = fmt

    def marker(self, num_id: str, ilvl: int, default: str = "bullet") -> str:
        fmt = self.formats.get((num_id, ilvl), default)
        if fmt in {"bullet", "none", ""}:
            return "• "
        key = (num_id, ilvl)
        self.counters[key] = self.counters.get(key, 0) + 1
        for other in list(self.counters):  # a higher level restarts the deeper ones
            if other[0] == num_id and other[1] > ilvl:
                del self.counters[other]
        n = self.counters[key]
        if fmt in {"lowerLetter", "upperLetter"} and n <= 26:
            letter = chr(ord("a") + n - 1)
            return (letter if fmt == "lowerLetter" else letter.upper()) + ". "
        return f"{n}. "


def _paragraph_line(paragraph, numbering: _Numbering) -> str | None:
    text = re.sub(r"[ \t]+", " ", paragraph.text.replace("\u000b", "\n")).strip()
    if not text:
        return None
    style = ""
    try:
        style = paragraph.style.name or ""
    except Exception:
        style = ""
    match = _HEADING.match(style)
    if match:  # one level below the document title ("Title" style is "#")
        return "#" * min(int(match.group(1)) + 1, 6) + " " + text.replace("\n", " ")
    if style.lower() in {"title", "rubrik"}:
        return "# " + text.replace("\n", " ")
    num_pr = paragraph._p.find(f"{_W}pPr/{_W}numPr")
    if num_pr is None:
        try:
            num_pr = paragraph.style.element.find(f"{_W}pPr/{_W}numPr")
        except Exception:
            num_pr = None
    if num_pr is not None:
        num_id_el = num_pr.find(f"{_W}numId")
        ilvl_el = num_pr.find(f"{_W}ilvl")
        num_id = num_id_el.get(f"{_W}val") if num_id_el is not None else "0"
        ilvl = int(ilvl_el.get(f"{_W}val")) if ilvl_el is not None else 0
        if num_id != "0":
            marker = numbering.marker(num_id, ilvl)
            return " " * ilvl + marker + text.replace("\n", " ")
    lowered = style.lower()
    if "list bullet" in lowered or "punktlista" in lowered:
        return "• " + text.replace("\n", " ")
    if "list number" in lowered or "numrerad lista" in lowered:
        return numbering.marker("style:" + lowered, 0, default="decimal") + text.replace("\n", " ")
    return text


def _table_lines(table, numbering: _Numbering) -> list[str]:
    lines = []
    for i, row in enumerate(table.rows):
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # merged cells are repeated by python-docx
                continue
            seen.add(id(cell._tc))
            parts = []
            for p in cell.paragraphs:
                t = re.sub(r"\s+", " ", p.text).strip()
                if t:
                    parts.append(t)
            for inner in cell.tables:
                for line in _table_lines(inner, numbering):
                    parts.append(line.strip("| "))
            cells.append("<br>".join(parts).replace("|", "/"))
        if any(cells):
            lines.append("| " + " | ".join(cells) + " |")
            if i == 0:
                lines.append("| " + " | ".join("---" for _ in cells) + " |")
    return lines


def _render(document) -> list[str]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    numbering = _Numbering(document)
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            line = _paragraph_line(block, numbering)
            if line is None:
                continue
            if line.startswith("#"):
                lines.extend(["", line, ""])
            else:
                lines.append(line)
                if not re.match(r"^\s*(?:•|\d+\.|[a-zA-Z]\.)\s", line):
                    lines.append("")
        elif isinstance(block, Table):
            lines.append("")
            lines.extend(_table_lines(block, numbering))
            lines.append("")
    return lines
