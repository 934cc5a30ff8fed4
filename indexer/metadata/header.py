"""The first lines of a document as its header: cleaned, without navigation and source markers."""

from __future__ import annotations

import re

from indexer.segment.common import clean_inline


def header_lines(text: str, count: int = 30) -> list[str]:
    out = []
    for line in text.split("\n"):
        s = re.sub(r"^#{1,6}\s+", "", clean_inline(line).strip())
        if not s or s.startswith("SOURCE: ") or s.lower() == "hoppa över navigering":
            continue
        out.append(s)
        if len(out) >= count:
            break
    return out
