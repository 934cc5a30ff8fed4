"""The ``motesok`` command line. Each command is a thin wrapper over a library function."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from indexer.ingest import IngestError, discover, parse_file
from indexer.store.base import StoreError, utc_now
from motesok import logs, runtime
from motesok.config import Settings, get_settings, secret_key
from search_api.alerts import (
    ALERTS_DB,
    AlertError,
    AlertStore,
    SendError,
    SmtpConfig,
    check_email,
    query_has_words,
    send_due,
)
from search_api.feeds import FeedParams
from search_api.schemas import SearchParams

app = typer.Typer(
    help="Mötessök: index and search Swedish public meeting records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

Mode = typer.Option("--mode", "-m", help="hybrid, keyword or semantic.")


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"motesok: {message}", err=True)
    raise typer.Exit(code)


def _startup_errors():
    """What opening the store or loading the query engine raises for a bad configuration."""
    return StoreError, runtime.QueryEngineError


@app.command()
def parse(
    path: Annotated[Path, typer.Argument(help="A document file (.txt, .md, .html, .pdf, .docx).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the parsed document as JSON.")] = False,
) -> None:
    """Parse and segment one document and print its metadata and agenda items."""
    try:
        settings = get_settings()
        parsed = parse_file(path, settings.max_file_bytes, ocr=runtime.ocr_options(settings))
    except IngestError as exc:
        _fail(str(exc), 1)
    if as_json:
        typer.echo(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2))
        return
    d = parsed.document
    typer.echo(f"{d.source}\n  {d.organisation or '?'} · {d.body or '?'} · {d.date or d.year or '?'} · {d.doc_type}")
    if d.evidence:
        typer.echo("  grund (evidence): " + "; ".join(f"{k}: {v}" for k, v in d.evidence.items()))
    if d.inferred:
        typer.echo(f"  härlett (inferred): {', '.join(d.inferred)}")
    if d.ocr:
        typer.echo(f"  OCR: texten är inläst från sidbilder (medelsäkerhet {d.ocr_confidence} %)")
    for item in parsed.items:
        label = f"§ {item.paragraph}" if item.paragraph is not None else (str(item.number) if item.number else "-")
        typer.echo(f"{label:>6}  {item.title}{'  [härledd rubrik]' if item.title_derived else ''}")
        for decision in item.decisions:
            typer.echo(f"        {_decision_label(item.decision_kind)}: {decision}")


@app.command()
def index(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders to index (folders recursively).")],
    prune: Annotated[bool, typer.Option("--prune", help="Remove indexed documents whose source file is gone.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Re-index even documents whose checksum is unchanged.")] = False,
    rebuild: Annotated[bool, typer.Option(
        "--rebuild",
        help="Build the index anew from PATHS (OpenSearch: into a new index, swapped in at the end).")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log one line per document.")] = False,
) -> None:
    """Index documents incrementally into the configured store.

    Exit status: 0 when every file was indexed or unchanged, 1 when any file failed
    (the others are still indexed), 2 on a usage or store error.

    With --rebuild every file is indexed again and afterwards the index holds exactly the
    documents of this run. On OpenSearch they go into a new versioned index and the alias is
    moved to it at the end; a failed or killed rebuild leaves the previous index in place.
    """
    # (rich's progress bar: only this command draws one)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    settings = get_settings()
    logs.configure("INFO" if verbose else "WARNING")
    missing = [p for p in paths if not p.exists()]
    if missing:
        _fail(f"no such file or folder: {', '.join(map(str, missing))}")
    if rebuild and prune:
        _fail("--rebuild already removes every document not found under PATHS; leave out --prune")
    try:
        indexer = runtime.build_indexer(settings)
    except _startup_errors() as exc:
        _fail(str(exc))
    total = len(discover(paths))
    with Progress(TextColumn("Indexerar"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  TextColumn("{task.description}"), transient=True, disable=not sys.stderr.isatty(),
                  console=None) as bar:
        task = bar.add_task("", total=total)

        def step(path: Path) -> None:
            bar.update(task, advance=1, description=path.name)

        try:
            summary = indexer.run(paths, prune=prune, force=force, rebuild=rebuild, progress=step)
        except _startup_errors() as exc:  # e.g. the cluster went away, or the alias swap failed
            _fail(str(exc))
    for message in summary.messages:
        typer.echo(f"motesok: {message}", err=True)
    typer.echo(
        f"Dokument: {summary.new} nya, {summary.changed} ändrade, {summary.unchanged} oförändrade, "
        f"{summary.failed} misslyckade"
        + (f", {summary.duplicates} dubbletter" if summary.duplicates else "")
        + (f", {summary.removed} borttagna" if summary.removed else "")
        + f". Punkter: {summary.items} ({summary.passages} passager). Tid: {summary.seconds:.1f} s."
    )
    if summary.personnummer:
        typer.echo(f"Personnummer maskerade: {summary.personnummer} i {summary.personnummer_documents} dokument.")
    indexer.store.close()
    raise typer.Exit(0 if summary.ok else 1)


def _search_params(query: str, mode: str, body, year, organisation, topic, doc_type, limit, offset, sort):
    try:
        return SearchParams(q=query, mode=mode, body=body or [], year=year or [], organisation=organisation or [],
                            topic=topic or [], doc_type=doc_type or [], limit=limit, offset=offset, sort=sort)
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for, e.g. 'ambulanshelikopter'.")],
    mode: Annotated[str, Mode] = "hybrid",
    body: Annotated[list[str] | None, typer.Option("--body", help="Filter on body (repeatable).")] = None,
    year: Annotated[list[int] | None, typer.Option("--year", help="Filter on year (repeatable).")] = None,
    organisation: Annotated[list[str] | None, typer.Option("--organisation", help="Filter on organisation.")] = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Filter on topic.")] = None,
    doc_type: Annotated[list[str] | None, typer.Option("--doc-type", help="Filter on document type.")] = None,
    limit: Annotated[int, typer.Option(help="Hits to show (1–100).")] = 10,
    offset: Annotated[int, typer.Option(help="Hits to skip.")] = 0,
    sort: Annotated[str, typer.Option(help="relevance or date.")] = "relevance",
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's search response as JSON.")] = False,
) -> None:
    """Search the index: the agenda items that best match the query."""
    params = _search_params(query, mode, body, year, organisation, topic, doc_type, limit, offset, sort)
    try:
        service = runtime.build_search_service(get_settings())
    except _startup_errors() as exc:
        _fail(str(exc))
    response = service.search(params)
    if as_json:
        typer.echo(response.model_dump_json(indent=2))
        return
    typer.echo(f"{response.total} träffar för \"{query}\" ({response.mode})")
    if response.answer is not None:
        a = response.answer
        paragraph = f"§ {a.paragraph}" if a.paragraph is not None else None
        where = " · ".join(str(x) for x in (a.body, a.date, paragraph) if x)
        typer.echo(f"\nBeslut: {a.title}\n   {where}  ({a.url})")
        for decision in a.decisions:
            typer.echo(f"   {decision}")
    for rank, hit in enumerate(response.hits, start=params.offset + 1):
        paragraph = f"§ {hit.paragraph}" if hit.paragraph else None
        where = " · ".join(str(x) for x in (hit.body, hit.date or hit.year, paragraph) if x)
        typer.echo(f"\n{rank}. {hit.title}\n   {where}")
        snippet = html.unescape(re.sub(r"</?mark>", "*", hit.snippet))
        typer.echo(f"   {snippet}")
        for decision in hit.decisions[:2]:
            typer.echo(f"   {_decision_label(hit.decision_kind)}: {decision}")
        if hit.case is not None:
            more = f" · {hit.case.more_steps} fler steg i samma ärende" if hit.case.more_steps else ""
            typer.echo(f"   Ärende {hit.case.label}{more} ({hit.case.url})")


def _decision_label(kind: str | None) -> str:
    """The page's words for a decision kind: a proposal is never printed as a decision."""
    return {"beslut": "Beslut", "förslag": "Förslag till beslut"}.get(kind or "", "Beslut eller förslag")


@app.command()
def case(
    number: Annotated[str, typer.Argument(help="A case number (diarienummer), e.g. 'KS 2023/204' or 'VO-2025-00072'.")],
    organisation: Annotated[str | None, typer.Option("--organisation", help="The organisation, as indexed.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's case records as JSON.")] = False,
) -> None:
    """Follow a case (ärende): every indexed step with its number, in date order, and its status."""
    try:
        service = runtime.build_search_service(get_settings(), with_model=False)
    except _startup_errors() as exc:
        _fail(str(exc))
    found = [c for key in service.cases_for_number(number, organisation) if (c := service.case(key)) is not None]
    missing = getattr(service.store, "items_without_case_keys", lambda: 0)()
    if missing:
        typer.echo(f"motesok: {missing} punkter indexerades före ärendena; kör 'motesok index --rebuild' "
                   f"så att alla ärenden kommer med", err=True)
    if not found:
        where = f" i {organisation}" if organisation else ""
        _fail(f"inget ärende med diarienummer {number!r}{where} i indexet", code=1)
    if as_json:
        typer.echo(json.dumps([c.model_dump() for c in found], ensure_ascii=False, indent=2))
        return
    for record in found:
        typer.echo(f"Ärende {record.label} · {record.organisation or 'okänd organisation'}")
        typer.echo(f"{record.subject}")
        status = record.status
        if status.decided:
            where = " · ".join(x for x in (status.body, status.date, f"§ {status.paragraph_label}"
                                                                     if status.paragraph_label else None) if x)
            typer.echo(f"Status: Beslut ({where})")
            for decision in status.decisions:
                typer.echo(f"   {decision}")
        else:
            typer.echo(f"Status: {status.label}")
        for step in record.steps:
            where = " · ".join(x for x in (step.date or "odaterad", step.body,
                                           f"§ {step.paragraph_label}" if step.paragraph_label else None) if x)
            typer.echo(f"\n  {step.kind_label}: {step.title}\n     {where}  ({step.url})")
            for decision in step.decisions[:3]:
                typer.echo(f"     {_decision_label(step.decision_kind)}: {decision}")
        typer.echo("")


@app.command()
def stats() -> None:
    """Print counts per organisation, body and year."""
    try:
        found = runtime.build_search_service(get_settings(), with_model=False).stats()
    except _startup_errors() as exc:
        _fail(str(exc))
    typer.echo(f"Dokument: {found.documents}  Punkter: {found.items}")
    for title, counts in (("Organisation", found.organisation), ("Organ", found.body), ("År", found.year)):
        typer.echo(f"\n{title}:")
        for value, count in counts.items():
            newest = found.newest_date_by_body.get(value) if title == "Organ" else None
            typer.echo(f"  {count:>6}  {value}" + (f"  (senaste möte {newest})" if newest else ""))


@app.command("eval")
def evaluate_cmd(
    queries: Annotated[Path, typer.Argument(help="Query file (JSON Lines, format of shared/eval/dev_queries.jsonl).")],
    mode: Annotated[list[str] | None, typer.Option(
        "--mode", "-m", help="Mode(s) to score (repeatable; default hybrid).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Score a query file: success@1, success@5 and MRR@10, overall and per kind; for a file of
    full judgments (every relevant item listed), result-set recall, precision and median total."""
    from search_api.evaluation import evaluate, evaluate_sets, is_full_judgments, load_queries

    modes = mode or ["hybrid"]
    try:
        qs = load_queries(queries)
    except (OSError, ValueError) as exc:
        _fail(str(exc))
    try:
        service = runtime.build_search_service(get_settings())
    except _startup_errors() as exc:
        _fail(str(exc))
    score = evaluate_sets if is_full_judgments(qs) else evaluate
    reports = [score(service, qs, m) for m in modes]
    if as_json:
        typer.echo(json.dumps([r.to_dict() for r in reports], ensure_ascii=False, indent=2))
        return
    for report in reports:
        for line in report.lines():
            typer.echo(line)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default from MOTESOK_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from MOTESOK_PORT, 8000).")] = None,
) -> None:
    """Serve the search API and web page."""
    import uvicorn  # the server: only this command runs one

    settings = get_settings()
    logs.configure(settings.log_level)
    runtime.limit_blas_threads()
    try:
        application = runtime.build_app(settings)
    except _startup_errors() as exc:
        _fail(str(exc))
    uvicorn.run(application, host=host or settings.host, port=port or settings.port, log_level="warning",
                access_log=False)


@app.command("export-analysis")
def export_analysis(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the OpenSearch analysis files to.")],
) -> None:
    """Write the analyzer's word parts, stop words and synonyms as files OpenSearch's filters read."""
    from models.opensearch_resources import export_opensearch_resources  # loads spaCy's Swedish data

    # the synonyms the search applies (MOTESOK_SYNONYMS_FILE), not the packaged list
    analyzer = runtime.load_analyzer(get_settings())
    for name, path in export_opensearch_resources(out_dir, analyzer).items():
        typer.echo(f"{name}: {path}")


# -- saved searches and e-mail digests (search_api/alerts.py) ---------------------------------------

alerts_app = typer.Typer(help="Saved searches: e-mail digests of their new matches.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


def _alert_store(settings: Settings) -> AlertStore:
    try:
        return AlertStore(settings.data_dir / ALERTS_DB)
    except (OSError, sqlite3.Error) as exc:  # an unwritable data dir, a damaged file
        _fail(f"cannot open the saved searches in {settings.data_dir / ALERTS_DB}: {exc}")


@alerts_app.command("add")
def alerts_add(
    email: Annotated[str, typer.Argument(help="Recipient's e-mail address.")],
    query: Annotated[str, typer.Argument(help="The search, as typed in the search box.")],
    body: Annotated[list[str] | None, typer.Option("--body", help="Only this body (repeatable).")] = None,
    organisation: Annotated[list[str] | None, typer.Option(
        "--organisation", help="Only this organisation (repeatable).")] = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Only this topic (repeatable).")] = None,
    doc_type: Annotated[list[str] | None, typer.Option(
        "--doc-type", help="Only this document type (repeatable).")] = None,
    mode: Annotated[str, Mode] = "hybrid",
    daily: Annotated[bool, typer.Option("--daily", help="At most one digest a day (the default).")] = False,
    weekly: Annotated[bool, typer.Option("--weekly", help="At most one digest a week.")] = False,
) -> None:
    """Save a search: `alerts send` e-mails EMAIL its new matches."""
    if daily and weekly:
        _fail("choose --daily or --weekly, not both")
    if not query.strip():
        _fail("the query is empty")
    try:
        check_email(email)
        params = FeedParams(q=query, mode=mode, body=body or [], organisation=organisation or [],
                            topic=topic or [], doc_type=doc_type or [])
    except AlertError as exc:
        _fail(str(exc))
    except ValidationError as exc:
        _fail("invalid search: " + "; ".join(f"{'.'.join(map(str, e['loc'])) or 'q'}: {e['msg']}"
                                            for e in exc.errors()))
    settings = get_settings()
    if not query_has_words(params, runtime.load_analyzer(settings)):
        _fail(f"the query {query!r} has no words to search for")
    store = _alert_store(settings)
    alert = store.add(email, params, "weekly" if weekly else "daily", utc_now())
    store.close()
    often = "varje vecka" if weekly else "varje dag"
    typer.echo(f"Bevakning {alert.id}: {alert.description} → {alert.email} ({often}).")


@alerts_app.command("list")
def alerts_list() -> None:
    """List the saved searches."""
    store = _alert_store(get_settings())
    alerts = store.all()
    store.close()
    if not alerts:
        typer.echo("Inga bevakningar.")
    for alert in alerts:
        typer.echo(f"{alert.id:>4}  {alert.email}  {alert.frequency}  {alert.description}  "
                   f"(sedan {alert.created_at[:16]}, senast skickad {(alert.last_sent_at or '–')[:16]})")


@alerts_app.command("remove")
def alerts_remove(alert_id: Annotated[int, typer.Argument(help="The id `alerts list` shows.")]) -> None:
    """Remove a saved search."""
    store = _alert_store(get_settings())
    removed = store.remove(alert_id)
    store.close()
    if not removed:
        _fail(f"no saved search with id {alert_id}", 1)
    typer.echo(f"Bevakning {alert_id} borttagen.")


@alerts_app.command("send")
def alerts_send(
    every: Annotated[bool, typer.Option("--all", help="Send every alert's news now, due or not.")] = False,
) -> None:
    """E-mail each due saved search's new matches (for cron or a systemd timer).

    Exit status: 0 when every digest was sent (or there was nothing to send), 1 when the SMTP
    server could not be used or refused a recipient (their matches are sent next run), 2 on a
    configuration or store error."""
    settings = get_settings()
    if not settings.public_base_url:
        _fail("MOTESOK_PUBLIC_BASE_URL is not set: e-mails need the site's address for their links")
    store = _alert_store(settings)
    try:
        service = runtime.build_search_service(settings)
    except _startup_errors() as exc:
        _fail(str(exc))
    config = SmtpConfig(host=settings.smtp_host, port=settings.smtp_port, starttls=settings.smtp_starttls,
                        user=settings.smtp_user, password=settings.smtp_password, timeout=settings.smtp_timeout)
    try:
        report = send_due(store, service, key=secret_key(settings), base_url=settings.public_base_url.rstrip("/"),
                          sender=settings.smtp_sender, config=config, now=utc_now(), every=every)
    except SendError as exc:
        _fail(str(exc), 1)
    finally:
        store.close()
    for line in report.refused or []:
        typer.echo(f"motesok: {line}", err=True)
    typer.echo(f"Bevakningar att skicka: {report.alerts_due}. E-post skickade: {report.emails} "
               f"({report.items} träffar).")
    raise typer.Exit(1 if report.refused else 0)


if __name__ == "__main__":
    app()
