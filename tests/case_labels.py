"""Hand-labelled cases (ärenden) and references, and the scorer that measures the case feature.

The labels live in ``tests/data/cases/cases.json`` (how they were made: that folder's README). They
were written by reading the documents, not from the system's output, so the figures mean something.

Contract with the system under test, and nothing more:

- a predicted step is a dict with ``source`` (path of the document, relative to the repository root
  or absolute), ``paragraph`` (int or None), optionally ``paragraph_label`` ("3 b"), ``title`` and
  ``document_level`` (True when the step is a whole document rather than one of its items);
- ``predict(case) -> list[dict]`` returns the system's steps for a labelled case (the caller looks
  the case up by its first case number and organisation);
- ``resolve(reference) -> dict | None`` returns the system's target (``source``, ``paragraph``,
  optionally ``title``) of a labelled reference, or None when it leaves the text unlinked.

Matching: a labelled ``paragraph`` step matches a predicted item of the same source with the same §
(letter suffix included: "3 b"); a ``title`` step (an agenda point without §) matches when the
predicted title starts with the label's title (case and white space ignored); a ``document`` step
matches any predicted step of that source. Several predicted steps matching one labelled step count
once (a whole-document step may come back as several items of that document).

``python -m tests.case_labels`` prints the figures once the system has a case API.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CASES_FILE = REPO_ROOT / "tests" / "data" / "cases" / "cases.json"

#: Issue 18's targets.
STEP_RECALL_TARGET = 0.95
STEP_PRECISION_TARGET = 0.95
REFERENCE_TARGET = 0.90

NOT_INDEXED = ("none of the labelled documents is indexed in the configured store; index them from this "
               "checkout first: motesok index corpus tests/data/corpus-dev")


@dataclass(frozen=True)
class Step:
    """One labelled step: exactly one of ``paragraph``, ``title`` or ``document`` says which part of ``source``."""

    source: str
    paragraph: str | None = None  # the § as printed, normalised ("44", "3b")
    title: str | None = None  # a prefix of an agenda point's title (kallelse points have no §)
    document: bool = False
    why: str | None = None  # for not-steps: why the item is not a step of the case

    def describe(self) -> str:
        where = "hela dokumentet" if self.document else (f"§ {self.paragraph}" if self.paragraph else f"'{self.title}'")
        return f"{self.source} {where}"


@dataclass(frozen=True)
class Case:
    id: str
    organisation: str
    case_numbers: tuple[str, ...]
    subject: str
    steps: tuple[Step, ...]
    not_steps: tuple[Step, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Reference:
    source: str
    text: str  # the reference as written, e.g. "Stadsmiljönämndens handlingar 2023-09-21 § 211"
    item: Step  # the item whose text holds the reference
    target: Step | None  # None: the cited item is not in the corpora (the text must stay unlinked)


@dataclass
class CaseFailure:
    case_id: str
    missed: list[Step] = field(default_factory=list)
    extra: list[dict] = field(default_factory=list)  # predicted steps matching no labelled step
    not_steps_hit: list[Step] = field(default_factory=list)  # labelled not-steps among the extra ones


@dataclass
class CaseScores:
    recall: float
    precision: float
    labelled_steps: int
    found_steps: int
    extra_steps: int
    failures: list[CaseFailure]

    @property
    def meets_targets(self) -> bool:
        return self.recall >= STEP_RECALL_TARGET and self.precision >= STEP_PRECISION_TARGET


def _fold(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip().casefold()


def _paragraph(value) -> str | None:
    """'3 b', '3b', 3 -> '3b', '3b', '3': the § with its letter, no space."""
    if value is None or value == "":
        return None
    return re.sub(r"\s+", "", str(value)).casefold()


def normalise_source(source: str) -> str:
    """A predicted source as the labels write it: relative to the repository root, '/' separated."""
    path = Path(source)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(REPO_ROOT)
        except ValueError:
            return path.as_posix()
    return path.as_posix().removeprefix("./")


def _step(raw: dict, why: bool = False) -> Step:
    kinds = [k for k in ("paragraph", "title", "document") if raw.get(k) not in (None, False, "")]
    if len(kinds) != 1:
        raise ValueError(f"a step needs exactly one of paragraph, title, document: {raw}")
    return Step(source=raw["source"], paragraph=_paragraph(raw.get("paragraph")), title=raw.get("title"),
                document=bool(raw.get("document")), why=raw.get("why") if why else None)


def load_cases(path: Path | str = CASES_FILE) -> tuple[list[Case], list[Reference]]:
    """Read the fixture: the labelled cases and the labelled references."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    cases = [Case(id=c["id"], organisation=c["organisation"], case_numbers=tuple(c["case_numbers"]),
                  subject=c["subject"], steps=tuple(_step(s) for s in c["steps"]),
                  not_steps=tuple(_step(s, why=True) for s in c.get("not_steps", [])), note=c.get("note", ""))
             for c in data["cases"]]
    references = []
    for r in data["references"]:
        item = {k: v for k, v in r.items() if k in ("source", "paragraph", "title", "document")}
        target = r.get("target")
        references.append(Reference(source=r["source"], text=r["text"], item=_step(item),
                                    target=_step(target) if target else None))
    return cases, references


def step_of(item: dict) -> tuple:
    """A predicted step in label form: ``(source, paragraph, folded title, document_level)``."""
    paragraph = _paragraph(item.get("paragraph_label") or item.get("paragraph"))
    return (normalise_source(item["source"]), paragraph, _fold(item.get("title")), bool(item.get("document_level")))


def same_source(label_source: str, predicted_source: str) -> bool:
    """Whether a predicted source is the labelled file: the same path, or a path ending of it (a
    system may give the file name only; the labelled file names are unique across the corpora)."""
    if label_source == predicted_source:
        return True
    label_parts, predicted_parts = Path(label_source).parts, Path(predicted_source).parts
    shorter, longer = sorted((label_parts, predicted_parts), key=len)
    return bool(shorter) and longer[-len(shorter):] == shorter


def matches(label: Step, predicted: tuple) -> bool:
    """Whether a predicted step (from :func:`step_of`) is the labelled step."""
    source, paragraph, title, document_level = predicted
    if not same_source(label.source, source):
        return False
    if label.document:
        return True
    if document_level:  # a whole document is not one of its items
        return False
    if label.paragraph is not None:
        return paragraph == label.paragraph
    return title.startswith(_fold(label.title))


def score_case(case: Case, predicted: Iterable[dict]) -> tuple[int, int, CaseFailure]:
    """(labelled steps found, extra predicted steps, failure record) for one case."""
    preds = list(dict.fromkeys(step_of(p) for p in predicted))
    raw = {step_of(p): p for p in predicted}
    found = [s for s in case.steps if any(matches(s, p) for p in preds)]
    extra = [p for p in preds if not any(matches(s, p) for s in case.steps)]
    failure = CaseFailure(case.id, missed=[s for s in case.steps if s not in found],
                          extra=[raw.get(p, {}) for p in extra],
                          not_steps_hit=[n for n in case.not_steps if any(matches(n, p) for p in extra)])
    return len(found), len(extra), failure


def score_cases(cases: Iterable[Case], predict: Callable[[Case], list[dict]]) -> CaseScores:
    """Micro step recall and precision over all cases, with each failing case's missed and extra steps.

    Precision counts each labelled step found once, however many predicted steps matched it, against
    the predicted steps that match none.
    """
    labelled = found = extra = 0
    failures = []
    for case in cases:
        case_found, case_extra, failure = score_case(case, predict(case) or [])
        labelled += len(case.steps)
        found += case_found
        extra += case_extra
        if failure.missed or failure.extra:
            failures.append(failure)
    recall = found / labelled if labelled else 0.0
    precision = found / (found + extra) if found + extra else 0.0
    return CaseScores(recall, precision, labelled, found, extra, failures)


def score_references(references: Iterable[Reference],
                     resolve: Callable[[Reference], dict | None]) -> tuple[float, list[tuple[Reference, dict | None]]]:
    """The share of in-corpus references resolved to their item, and every wrong answer.

    A failure is an in-corpus reference left unlinked or linked elsewhere, or a reference whose
    target is not in the corpora that was linked anyway (it must stay plain text).
    """
    in_corpus = resolved = 0
    failures = []
    for ref in references:
        answer = resolve(ref)
        if ref.target is None:
            if answer:
                failures.append((ref, answer))
            continue
        in_corpus += 1
        if answer and matches(ref.target, step_of({"title": "", **answer})):
            resolved += 1
        else:
            failures.append((ref, answer))
    return (resolved / in_corpus if in_corpus else 0.0), failures


def _get(obj, key: str):
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _steps_from_answer(answer) -> list[dict]:
    """The steps of whatever the service's ``case()`` returns, as predicted-step dicts."""
    if answer is None:
        return []
    return [{"source": _get(step, "source") or "", "paragraph": _get(step, "paragraph"),
             "paragraph_label": _get(step, "paragraph_label"), "title": _get(step, "title") or "",
             "document_level": bool(_get(step, "document_level"))}
            for step in _get(answer, "steps") or []]


def _labelled_document(store, source: str):
    """The stored document of a labelled source, indexed from this checkout (None: not indexed)."""
    from indexer.records import DocumentMeta

    return store.get_document(DocumentMeta(str((REPO_ROOT / source).resolve()), "", "").id)


def _labelled_item(store, step: Step):
    """The stored item a labelled step names, read from the configured store (None: not indexed)."""
    document = _labelled_document(store, step.source)
    if document is None:
        return None
    for item in document[1]:
        if matches(step, step_of({"source": step.source, "paragraph": item.paragraph,
                                  "paragraph_label": item.paragraph_label, "title": item.title})):
            return item
    return None


def report(service, cases: list[Case], references: list[Reference]) -> list[str]:
    """The figures and failures of a search service (``cases_for_number``, ``case``, ``references``
    and its ``store``) on the labelled cases and references, as lines to print."""
    sources = sorted({s.source for c in cases for s in c.steps})
    missing = [s for s in sources if _labelled_document(service.store, s) is None]
    if len(missing) == len(sources):
        return [NOT_INDEXED]
    lines = []
    if missing:
        lines.append(f"not indexed ({len(missing)} of {len(sources)} labelled documents; their steps count as "
                     "missed): " + ", ".join(missing))

    def predict(case: Case) -> list[dict]:
        keys = service.cases_for_number(case.case_numbers[0], organisation=case.organisation)
        return _steps_from_answer(service.case(keys[0])) if keys else []

    def resolve(ref: Reference) -> dict | None:
        item = _labelled_item(service.store, ref.item)
        if item is None:
            return None
        wanted = _fold(ref.text)
        for found in service.references(item):
            text = _fold(found.get("text"))
            if found.get("target") and text and (text in wanted or wanted in text):
                target = service.store.get_items([found["target"]])
                if target:
                    return {"source": target[0].source, "paragraph": target[0].paragraph,
                            "paragraph_label": target[0].paragraph_label, "title": target[0].title}
        return None

    scores = score_cases(cases, predict)
    lines.append(f"cases {len(cases)}, labelled steps {scores.labelled_steps}: step recall {scores.recall:.3f} "
                 f"(target {STEP_RECALL_TARGET}), precision {scores.precision:.3f} (target {STEP_PRECISION_TARGET})")
    for failure in scores.failures:
        lines.append(f"  {failure.case_id}")
        lines += [f"    missed: {step.describe()}" for step in failure.missed]
        lines += [f"    extra:  {pred.get('source')} § {pred.get('paragraph')} {(pred.get('title') or '')[:60]!r}"
                  for pred in failure.extra]
        lines += [f"    (labelled not-step: {step.describe()}: {step.why})" for step in failure.not_steps_hit]
    share, ref_failures = score_references(references, resolve)
    in_corpus = sum(1 for r in references if r.target is not None)
    lines.append(f"in-corpus references resolved {share:.3f} of {in_corpus} (target {REFERENCE_TARGET}); "
                 f"wrong answers {len(ref_failures)} of {len(references)}")
    lines += [f"  {ref.source}: {ref.text!r} -> {answer}" for ref, answer in ref_failures]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Score the configured store (the corpora indexed into it from this checkout:
    ``motesok index corpus tests/data/corpus-dev``)."""
    from search_api.service import SearchService

    if not hasattr(SearchService, "case"):
        print("case feature not available (search_api.service.SearchService has no case method)")
        return 0
    from motesok.config import get_settings
    from motesok.runtime import build_search_service

    cases, references = load_cases()
    lines = report(build_search_service(get_settings()), cases, references)
    print("\n".join(lines))
    return 1 if len(lines) == 1 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
