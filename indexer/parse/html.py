"""HTML pages to text in the layout of the meeting-portal text.

``<li>`` becomes a ``•`` bullet indented one space per list depth, with the rest of the item's
text one space deeper (so a top-level agenda item reads `` • text`` and its nested list
``  • text``, exactly like the portal pages in the sample corpus); ``<ol>`` items get their
number instead (``1. text``); ``<h1>``–``<h6>`` become Markdown headings; table rows become
``| a | b |`` rows with ``<br>`` inside cells. Scripts, styles, navigation and other page chrome
are dropped.
"""

from __future__ import annotations

import logging
import re

from bs4 import BeautifulSoup, Comment, Doctype, NavigableString, ProcessingInstruction, Tag

from indexer.parse import ParseError, RawText

_DROP = {"script", "style", "nav", "noscript", "template", "iframe", "svg", "head", "button",
         "select", "option", "input", "form", "canvas", "object", "embed", "map"}
_BLOCK = {"p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote",
          "figure", "figcaption", "address", "dl", "dt", "dd", "fieldset", "details", "summary",
          "center", "body", "html"}
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_CHROME = re.compile(r"cookie|skip-?link|breadcrumb|share|social", re.I)

log = logging.getLogger("motesok.parse.html")


class _Renderer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.buf: list[str] = []
        # One entry per open list item: [marker still to print or None, depth]
        self.items: list[list] = []

    # -- output helpers --------------------------------------------------------------------------
    def text(self, s: str) -> None:
        s = re.sub(r"\s+", " ", s)
        if s.strip() or (self.buf and s == " "):
            self.buf.append(s)

    def flush(self) -> None:
        line = "".join(self.buf).strip()
        self.buf = []
        if not line:
            return
        if self.items:
            current = self.items[-1]
            depth = current[1]
            if current[0] is not None:
                line = " " * depth + current[0] + line
                current[0] = None
            else:
                line = " " * (depth + 1) + line
        self.lines.append(line)

    def blank(self) -> None:
        self.flush()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    # -- traversal -------------------------------------------------------------------------------
    def walk(self, node) -> None:
        for child in list(node.children):
            if isinstance(child, (Comment, Doctype, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                self.text(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            self.element(child)

    def element(self, tag: Tag) -> None:
        name = (tag.name or "").lower()
        if name in _DROP:
            return
        attrs = " ".join([str(tag.get("id") or ""), " ".join(tag.get("class") or [])])
        if attrs.strip() and _CHROME.search(attrs) and name not in {"body", "html", "main"}:
            return
        if tag.get("hidden") is not None or tag.get("aria-hidden") == "true":
            return
        if name == "br":
            self.flush()
        elif name in _HEADINGS:
            self.blank()
            heading = re.sub(r"\s+", " ", tag.get_text(" ")).strip()
            if heading:
                if self.items:
                    self.text(heading)
                    self.flush()
                else:
                    self.lines.append("#" * _HEADINGS[name] + " " + heading)
            self.blank()
        elif name in {"ul", "ol", "menu"}:
            self.flush()
            depth = (self.items[-1][1] if self.items else 0) + 1
            number = 0
            for li in tag.find_all("li", recursive=False):
                number += 1
                marker = f"{number}. " if name == "ol" else "• "
                self.items.append([marker, depth])
                self.walk(li)
                self.flush()
                if self.items[-1][0] is not None:  # an empty item still shows its marker
                    self.lines.append(" " * depth + self.items[-1][0].rstrip())
                self.items.pop()
            # text directly inside the list but outside <li> (invalid HTML, but it happens)
            for child in tag.children:
                if isinstance(child, NavigableString) and str(child).strip():
                    self.text(str(child))
            self.flush()
            if not self.items:
                self.blank()
        elif name == "li":  # a stray <li> outside a list
            self.flush()
            self.items.append(["• ", (self.items[-1][1] if self.items else 0) + 1])
            self.walk(tag)
            self.flush()
            self.items.pop()
        elif name == "table":
            self.table(tag)
        elif name == "pre":
            self.blank()
            for line in tag.get_text().split("\n"):
                self.lines.append(line.rstrip())
            self.blank()
        elif name == "hr":
            self.blank()
        elif name in _BLOCK or name in {"tr", "td", "th", "tbody", "thead", "tfoot"}:
            if name in {"p", "div", "section", "article", "blockquote", "address", "figure", "dl"}:
                if self.items:
                    self.flush()
                else:
                    self.blank()
            else:
                self.flush()
            self.walk(tag)
            if self.items:
                self.flush()
            else:
                self.blank() if name in {"p", "div", "section", "article", "blockquote"} else self.flush()
        else:  # inline element
            self.walk(tag)

    def table(self, table: Tag) -> None:
        self.blank()
        rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
        for i, tr in enumerate(rows):
            cells = []
            for cell in tr.find_all(["td", "th"], recursive=False):
                for br in cell.find_all("br"):
                    br.replace_with("\n")
                parts = [re.sub(r"\s+", " ", p).strip() for p in cell.get_text("\n").split("\n")]
                cells.append("<br>".join(p for p in parts if p))
            if any(cells):
                self.lines.append("| " + " | ".join(cells) + " |")
                if i == 0:
                    self.lines.append("| " + " | ".join("---" for _ in cells) + " |")
        self.blank()


def html_to_text(html: str) -> RawText:
    try:
        soup = BeautifulSoup(html, "lxml")
    except Exception as exc:  # lxml is very forgiving; this is a last resort
        raise ParseError(f"cannot parse HTML: {exc}") from exc
    title = None
    if soup.title and soup.title.get_text(strip=True):
        title = re.sub(r"\s+", " ", soup.title.get_text(" ")).strip()
    renderer = _Renderer()
    root = soup.body or soup
    try:
        renderer.walk(root)
        renderer.flush()
        text = "\n".join(renderer.lines).strip("\n")
    except RecursionError:
        # Elements nested deeper than the renderer's recursion can follow (hundreds of levels:
        # generated or broken pages). Keep the words, one line per text node, without the layout.
        log.debug("HTML nested too deeply for its layout; read as plain text")
        text = _flat_text(root)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return RawText(text, title_hint=title)


def _flat_text(root: Tag) -> str:
    """The page's text without structure, iteratively (no recursion), skipping dropped elements."""
    lines = []
    for node in root.descendants:
        if not isinstance(node, NavigableString) or isinstance(node, (Comment, Doctype, ProcessingInstruction)):
            continue
        line = re.sub(r"\s+", " ", str(node)).strip()
        if line and not any((parent.name or "").lower() in _DROP for parent in node.parents):
            lines.append(line)
    return "\n".join(lines)
