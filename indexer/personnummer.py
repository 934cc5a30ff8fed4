"""Swedish personal identity numbers (personnummer, samordningsnummer): find them and mask them.

Protocols sometimes carry them, and the Swedish data protection authority's guidance on
municipal protocols online is that they must not be published. Every text is masked at index
time, before it is segmented, so that nothing derived from it (titles, decisions, terms,
passages, snippets, exports, API answers) can carry one.

A match is 10 or 12 digits written ``ÅÅMMDD-XXXX``, ``ÅÅMMDD+XXXX``, ``ÅÅÅÅMMDD-XXXX``,
``ÅÅMMDDXXXX`` or ``ÅÅÅÅMMDDXXXX`` (the hyphen may be a typographic dash, and a line may wrap
after it) that

* stands alone: no letter or digit touches it, nor a digit joined by ``-./:``, so digits
  inside longer numbers, diarienummer or identifiers are left alone;
* holds a date that exists (a samordningsnummer adds 60 to the day; 12 digits: century
  18, 19 or 20; without a century 29 February is allowed, the century being unknown);
* ends in the right Luhn check digit over the 10-digit form.

The check digit rejects nine of ten random digit strings and the date rejects most of the rest
(organisationsnummer have a "month" of 20 or more), which is why phone numbers, amounts, ISBNs
and dates are left alone. A number right after a phone label (``tel``, ``mobil``, ...) is a
phone number, not a personnummer.

Every match becomes :data:`MASK` (``ÅÅMMDD-XXXX``): the same for every form, so the mask keeps
nothing of the number, not even its century, separator (``+`` tells age over 100) or length.

>>> mask_personnummer("Sökande: Test Testsson, 20991231-1231.")  # born in 2099: nobody's number
Masked(text='Sökande: Test Testsson, ÅÅMMDD-XXXX.', count=1)
>>> mask_personnummer("Dnr KS 2023-991231-1231, tel 9912311231, 20991231-1232").count
0
"""

from __future__ import annotations

import calendar
import re
from dataclasses import fields, is_dataclass, replace
from typing import TYPE_CHECKING, NamedTuple, TypeVar

if TYPE_CHECKING:  # the checker's name for "any dataclass instance" (typeshed only)
    from _typeshed import DataclassInstance

#: What a personal identity number is replaced with.
MASK = "ÅÅMMDD-XXXX"

_DASHES = "\\-\u2010\u2011\u2013\u2212"  # hyphen-minus, hyphen, non-breaking hyphen, en dash, minus sign
_CANDIDATE = re.compile(
    rf"(?<!\w)(?<!\d[{_DASHES}./:])"  # not the tail of a longer number or code
    r"(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})"
    rf"(?P<sep>(?:[{_DASHES}+](?:[ \t]*\n[ \t]*)?)?)"  # a separator may end a line the number wraps
    r"(?P<serial>\d{4})"
    rf"(?!\w)(?![{_DASHES}./:]\d)"  # nor its head
)
# a label right before the number says it is a phone or fax number (general Swedish labels)
_PHONE_LABEL = re.compile(r"(?:\b(?:tel|telefon|telefonnr|tfn|mobil|mobilnr|mobiltelefon|fax|växel|sms)"
                          r"\.?\s*(?:nr\.?|nummer)?\s*[:.]?\s*)$", re.IGNORECASE)


class Masked(NamedTuple):
    text: str
    # how many numbers were masked; the name shadows tuple.count on purpose: it is the API (doctest, tests)
    count: int  # type: ignore[assignment]


def luhn_digit(nine: str) -> int:
    """The check digit for the first nine digits of the 10-digit form (weights 2, 1, 2, ...)."""
    total = 0
    for i, ch in enumerate(nine):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _plausible_date(century: str | None, yy: str, mm: str, dd: str) -> bool:
    month, day = int(mm), int(dd)
    if day > 60:  # samordningsnummer: the day of birth plus 60
        day -= 60
    if not 1 <= month <= 12 or day < 1:
        return False
    if century is None:  # the century is unknown: allow 29 February
        return day <= (29 if month == 2 else calendar.monthrange(2001, month)[1])
    if century not in ("18", "19", "20"):
        return False
    return day <= calendar.monthrange(int(century + yy), month)[1]


def is_personnummer(candidate: str) -> bool:
    """Whether ``candidate`` as a whole is a personnummer or samordningsnummer (any written form)."""
    m = _CANDIDATE.fullmatch(candidate.strip())
    return m is not None and _valid(m)


def _valid(m: re.Match[str]) -> bool:
    if m["century"] and m["sep"].startswith("+"):
        return False  # "+" (age over 100) belongs to the 10-digit form only
    if not _plausible_date(m["century"], m["yy"], m["mm"], m["dd"]):
        return False
    ten = m["yy"] + m["mm"] + m["dd"] + m["serial"]
    return luhn_digit(ten[:9]) == int(ten[9])


def _counts(m: re.Match[str], text: str) -> bool:
    return _valid(m) and not _PHONE_LABEL.search(text, max(0, m.start() - 30), m.start())


def find_personnummer(text: str) -> list[str]:
    """The personal identity numbers in ``text``, each in its 10-digit form, in order."""
    return [m["yy"] + m["mm"] + m["dd"] + m["serial"] for m in _CANDIDATE.finditer(text) if _counts(m, text)]


def mask_personnummer(text: str) -> Masked:
    """``text`` with every personnummer and samordningsnummer replaced by :data:`MASK`."""
    count = 0

    def replace(m: re.Match[str]) -> str:
        nonlocal count
        if not _counts(m, text):
            return m[0]
        count += 1
        wrap = m["sep"][1:]  # keep a line break inside the number: lines (and pages) stay as they were
        return MASK[:7] + wrap + MASK[7:] if wrap else MASK

    masked = _CANDIDATE.sub(replace, text)
    return Masked(masked, count)


def mask_optional(text: str | None) -> tuple[str | None, int]:
    """:func:`mask_personnummer` for a value that may be missing (a title hint, a PDF field)."""
    if not text:
        return text, 0
    masked = mask_personnummer(text)
    return masked.text, masked.count


_Front = TypeVar("_Front", bound="DataclassInstance")


def mask_inputs(text: str, title_hint: str | None, front: _Front | None) -> tuple[str, str | None, _Front | None, int]:
    """Mask everything a document's records are derived from: its text, the title from its file
    metadata, and each text field of ``front`` (a dataclass such as the PDF's printed first page
    and Author field). Returns them with the number of personal identity numbers in the document:
    those of the text and of the metadata fields, and those of the printed first page that the
    text lacks (it repeats the text's first page, but also holds the running header)."""
    in_text = find_personnummer(text)
    count = len(in_text)
    title_hint, in_title = mask_optional(title_hint)
    count += in_title
    if front is not None and is_dataclass(front):
        changes: dict[str, str | None] = {}
        for f in fields(front):
            value = getattr(front, f.name)
            if not isinstance(value, str):
                continue
            if f.name == "first_page":
                count += len(set(find_personnummer(value)) - set(in_text))
                changes[f.name] = mask_personnummer(value).text
            else:
                changes[f.name], found = mask_optional(value)
                count += found
        front = replace(front, **changes)
    return mask_personnummer(text).text, title_hint, front, count


__all__ = ["MASK", "Masked", "find_personnummer", "is_personnummer", "luhn_digit", "mask_inputs", "mask_optional",
           "mask_personnummer"]
