"""Cases (ärenden) assembled from the items that carry a case key: pure functions, no store.

A case is not a stored record: the store only knows which items carry which key
(``Store.case_item_ids``), and a case is built from those items whenever it is asked for. So a
re-indexed or removed document changes its cases exactly, with nothing to keep in sync.

Steps: one per agenda item of a meeting record (protokoll, kallelse, meeting page,
protokollsutdrag), one per document for other documents (a tjänsteskrivelse, yttrande or plan
carries the number in several sections but is one step of the matter). Order: date, then on one
date the way a matter travels (tjänsteskrivelse, kallelse, utskott, nämnd or styrelse,
fullmäktige). The status is the latest ``beslut``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from indexer.cases import STEP_LABELS, case_key, case_label, parse_case_number, step_kind
from indexer.store.base import StoredItem
from search_api.public import source_name
from search_api.schemas import CaseRecord, CaseStatus, CaseStep, CaseSummary, HitCase, StepRef

#: document types whose items are steps each; every other document is one step
MEETING_DOC_TYPES = frozenset({"protokoll", "kallelse", "möte", "beslut", "anteckningar"})

#: on one date, the order in which a matter passes through (lower first); kinds not named go with
#: the documents that prepare a decision
STEP_ORDER = {"tjänsteskrivelse": 0, "remiss": 0, "yttrande": 0, "handling": 0, "kallelse": 1, "utskott": 2,
              "nämnd": 3, "styrelse": 3, "anmälan": 3, "protokollsutdrag": 4, "fullmäktige": 5}

NO_DECISION = "Inget beslut i arkivet"


def case_url(case_id: str) -> str:
    return f"/arende/{case_id}"


def item_url(item_id: str) -> str:
    return f"/punkt/{item_id}"


def raw_numbers(item: StoredItem, key: str, aliases: dict[str, str] | None = None) -> list[str]:
    """The item's case numbers, as written, that are this key (directly or by a series-less alias)."""
    aliases = aliases or {}
    return [raw for raw in item.case_numbers
            if (found := case_key(raw, item.organisation)) is not None and aliases.get(found, found) == key]


def key_label(key: str, items: Iterable[StoredItem] = ()) -> str:
    """The case number in one form (``VO 2025/72``), from the first item writing it; else from the key."""
    for item in items:
        for raw in raw_numbers(item, key):
            number = parse_case_number(raw)
            if number is not None:
                return case_label(number)
    bare = key.split(":", 1)[-1]
    series, _, rest = bare.rpartition("-")
    series, _, year = series.rpartition("-")
    return f"{series.upper() + ' ' if series else ''}{year}/{rest}" if year else bare


def _step(item: StoredItem, document_level: bool, title: str | None = None) -> CaseStep:
    kind = step_kind(item.doc_type, item.body, title or item.title, item.decision_kind)
    return CaseStep(
        kind=kind, kind_label=STEP_LABELS.get(kind, kind), date=item.date, organisation=item.organisation,
        body=item.body, doc_type=item.doc_type, paragraph=None if document_level else item.paragraph,
        paragraph_label=None if document_level else (item.paragraph_label or _str(item.paragraph)),
        title=title or item.title, item_id=item.id, document_id=item.document_id,
        source=source_name(item.source), url=item_url(item.id),
        decisions=list(item.decisions), decision_kind=item.decision_kind,
        page_start=item.page_start, page_end=item.page_end, document_level=document_level,
    )


def _str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _order(step: CaseStep) -> tuple:
    return (step.date is None, step.date or "", STEP_ORDER.get(step.kind, 0), step.document_id, step.item_id)


def case_steps(items: Sequence[StoredItem], document_titles: dict[str, str | None] | None = None) -> list[CaseStep]:
    """The steps of the items carrying one key (see the module docstring); ``document_titles``:
    the title of each document that is one step (its first item's title where missing)."""
    titles = document_titles or {}
    steps: list[CaseStep] = []
    seen_documents: set[str] = set()
    for item in items:
        if (item.doc_type or "") in MEETING_DOC_TYPES:
            steps.append(_step(item, False))
        elif item.document_id not in seen_documents:
            seen_documents.add(item.document_id)
            steps.append(_step(item, True, titles.get(item.document_id)))
    return sorted(steps, key=_order)


def case_status(steps: Sequence[CaseStep]) -> CaseStatus:
    """The latest ``beslut`` among the steps (in step order), or "Inget beslut i arkivet"."""
    for step in reversed(steps):
        if step.decision_kind == "beslut" and step.decisions:
            return CaseStatus(decided=True, label="Beslut", decisions=list(step.decisions), body=step.body,
                              date=step.date, paragraph_label=step.paragraph_label, item_id=step.item_id,
                              url=step.url)
    return CaseStatus(decided=False, label=NO_DECISION)


def build_case(key: str, items: Sequence[StoredItem], document_titles: dict[str, str | None] | None = None,
               aliases: dict[str, str] | None = None) -> CaseRecord | None:
    """The case of ``key`` from the items carrying it (any order); None without items. ``aliases``:
    series-less keys that are this case (``indexer.cases.series_less_aliases``)."""
    if not items:
        return None
    steps = case_steps(items, document_titles)
    labels: list[str] = []
    for item in items:
        for raw in raw_numbers(item, key, aliases):
            if raw not in labels:
                labels.append(raw)
    dates = [s.date for s in steps if s.date]
    return CaseRecord(
        id=key, label=key_label(key, items), labels=labels, organisation=items[0].organisation,
        subject=steps[0].title, status=case_status(steps), first_date=min(dates) if dates else None,
        last_date=max(dates) if dates else None, steps=steps, url=case_url(key),
    )


def summarise(case: CaseRecord) -> CaseSummary:
    return CaseSummary(id=case.id, label=case.label, url=case.url, organisation=case.organisation,
                       subject=case.subject, steps=len(case.steps), first_date=case.first_date,
                       last_date=case.last_date, status=case.status)


def step_ref(step: CaseStep) -> StepRef:
    return StepRef(id=step.item_id, url=step.url, title=step.title, body=step.body, date=step.date,
                   paragraph_label=step.paragraph_label, kind=step.kind, kind_label=step.kind_label)


def item_ref(item: StoredItem) -> StepRef:
    kind = step_kind(item.doc_type, item.body, item.title, item.decision_kind)
    return StepRef(id=item.id, url=item_url(item.id), title=item.title, body=item.body, date=item.date,
                   paragraph_label=item.paragraph_label or _str(item.paragraph), kind=kind,
                   kind_label=STEP_LABELS.get(kind, kind))


def group_by_case(ranked_ids: Sequence[str], keys_of: dict[str, list[str]]) -> list[list[str]]:
    """Ranked item ids grouped by case, in rank order: an item joins the group of the first
    better-ranked item that shares a case key with it; items without a key stand alone. The
    first id of each group is its best-ranked item."""
    groups: list[list[str]] = []
    group_of_key: dict[str, int] = {}
    for item_id in ranked_ids:
        keys = keys_of.get(item_id, [])
        joined = next((group_of_key[k] for k in keys if k in group_of_key), None)
        if joined is None:
            joined = len(groups)
            groups.append([])
        groups[joined].append(item_id)
        for k in keys:
            group_of_key.setdefault(k, joined)
    return groups


def hit_case(key: str, head: StoredItem, others: Sequence[StoredItem]) -> HitCase:
    """What a grouped hit says of its case: the key, its label, and the other matching steps."""
    return HitCase(id=key, label=key_label(key, [head, *others]), url=case_url(key), more_steps=len(others),
                   steps=[item_ref(o) for o in others])


#: how far into an extract its meeting date and § are printed (its heading lines)
EXTRACT_HEAD_CHARS = 300


def extract_target(citing: StoredItem, siblings: Sequence[StoredItem], date: str | None,
                   paragraph: int | str | None) -> StoredItem | None:
    """The protocol extract (``Protokollsutdrag``, ``Utdrag ur protokoll``) among ``siblings`` (the
    citing item's document) whose head prints the cited § and, when cited, the date: the one
    item a bundle of handlingar files for a reference to another body's meeting. None unless
    exactly one extract fits."""
    if paragraph is None:
        return None
    section = re.compile(rf"§\s*{re.escape(str(paragraph).strip())}(?![0-9])")
    found = []
    for item in siblings:
        if item.id == citing.id or step_kind(None, None, item.title, None) != "protokollsutdrag":
            continue
        head = f"{item.title}\n{item.text[:EXTRACT_HEAD_CHARS]}"
        if section.search(head) and (date is None or date in head):
            found.append(item)
    return found[0] if len(found) == 1 else None
