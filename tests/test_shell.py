"""The shell (motesok/): every command applies the settings that concern it, and the archive's
counts come from one place (``SearchService.stats``) rendered by the CLI, the API and the page.

A small SQLite store indexed with the word-hashing embedder (no model): unit tier.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from motesok import cli, runtime
from motesok.config import Settings, get_settings

PROTOCOL = """{body}
PROTOKOLL
Sammanträdesdatum {date}

§ 1 Hemtjänst i område 1

Hemtjänsten utökas med nattpatrull.

Beslut
{body} beslutar att godkänna förslaget.

§ 2 Gatubelysning

Ny gatubelysning längs vägen.
"""
MEETINGS = [("Kommunstyrelsen", "2023-03-01"), ("Socialnämnden", "2024-09-10"), ("Socialnämnden", "2022-11-20")]


def invoke(args: list[str], env: dict[str, str]):
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli.app, args, env=env)
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """(env, settings) of an indexed archive of three protocols."""
    docs = tmp_path_factory.mktemp("shell-docs")
    for k, (body, date) in enumerate(MEETINGS):
        (docs / f"p{k}_{date}_protokoll.txt").write_text(PROTOCOL.format(body=body, date=date), encoding="utf-8")
    data = tmp_path_factory.mktemp("shell-data")
    env = {"MOTESOK_DATA_DIR": str(data), "MOTESOK_EMBEDDING_MODEL": "hashing"}
    result = invoke(["index", str(docs)], env)
    assert result.exit_code == 0, result.output
    return env, Settings(data_dir=data, embedding_model="hashing")


def test_stats_are_one_model_rendered_by_cli_api_and_page(archive):
    env, settings = archive
    app = runtime.build_app(settings)  # the service as `motesok serve` builds it (hashing: no model)
    service = app.state.service
    stats = service.stats()
    assert stats.documents == 3 and stats.body == {"Kommunstyrelsen": 2, "Socialnämnden": 4}, stats
    assert set(stats.year) == {"2022", "2023", "2024"}

    client = TestClient(app)
    assert client.get("/api/stats").json() == stats.model_dump()
    health = client.get("/api/health").json()
    assert health == {"status": "ok", "store": True, "model_loaded": True, "model": service.embedder.name,
                      "documents": stats.documents, "items": stats.items}
    page = client.get("/").text
    for body in stats.body:
        assert body in page

    result = invoke(["stats"], env)
    assert result.exit_code == 0, result.output
    assert f"Dokument: {stats.documents}  Punkter: {stats.items}" in result.output
    for year, count in stats.year.items():
        assert f"{count:>6}  {year}" in result.output
    newest = stats.newest_date_by_body["Socialnämnden"]
    assert f"{stats.body['Socialnämnden']:>6}  Socialnämnden  (senaste möte {newest})" in result.output


def test_health_reports_a_failing_store_without_counts(archive):
    _, settings = archive
    service = runtime.build_app(settings).state.service

    class Broken:
        def stats(self):
            raise OSError("disk gone")

    service.store = Broken()  # type: ignore[assignment]
    response = TestClient(runtime.build_app(settings, service)).get("/api/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "store": False, "model_loaded": True,
                               "model": service.embedder.name, "error": "OSError"}


def test_parse_and_index_honour_the_file_size_limit(archive, tmp_path):
    env, _ = archive
    doc = tmp_path / "kort_protokoll.txt"
    doc.write_text(PROTOCOL.format(body="Kommunstyrelsen", date="2023-03-01"), encoding="utf-8")
    size = doc.stat().st_size

    assert invoke(["parse", str(doc)], env).exit_code == 0
    refused = invoke(["parse", str(doc)], {**env, "MOTESOK_MAX_FILE_BYTES": str(size - 1)})
    assert refused.exit_code == 1 and "MOTESOK_MAX_FILE_BYTES" in refused.output

    indexed = invoke(["index", str(doc)], {**env, "MOTESOK_MAX_FILE_BYTES": str(size - 1)})
    assert indexed.exit_code == 1 and "MOTESOK_MAX_FILE_BYTES" in indexed.output


def test_export_analysis_writes_the_configured_synonyms(tmp_path):
    synonyms = tmp_path / "synonyms.txt"
    synonyms.write_text("gbn, gatu- och belysningsnämnden\n", encoding="utf-8")
    out = tmp_path / "analysis"
    result = invoke(["export-analysis", str(out)], {"MOTESOK_SYNONYMS_FILE": str(synonyms)})
    assert result.exit_code == 0, result.output
    written = (out / "synonyms.txt").read_text(encoding="utf-8")
    assert "gbn, gatu- och belysningsnämnden" in written
    assert "hsn" not in written  # the packaged list is not the one configured
