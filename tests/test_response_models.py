"""Every JSON route declares its response model, and the item and document models carry every
field the store gives (a field added to StoredItem or DocumentMeta must be added to the model,
or the API would drop it silently)."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from indexer.records import DocumentMeta
from indexer.store.base import StoredItem
from search_api.app import AppConfig, create_app
from search_api.schemas import PublicDocument, PublicItem

#: routes that stream or answer other media types (CSV/JSON Lines, Atom, the original file)
NOT_JSON = {"/api/export", "/feed", "/documents/{document_id}/original"}


def test_public_item_and_document_mirror_the_stored_records_in_order():
    assert list(PublicItem.model_fields) == [f.name for f in fields(StoredItem)] + ["original"]
    document = ["id", *(f.name for f in fields(DocumentMeta) if f.name != "evidence"), "original"]
    assert list(PublicDocument.model_fields) == document


def test_every_json_route_has_a_response_model(tmp_path: Path):
    config = AppConfig(version="test", alerts_path=tmp_path / "alerts.db", alert_key=lambda: b"key")
    spec = create_app(config, service=None).openapi()  # type: ignore[arg-type]  # the schema needs no service
    json_routes = {path for path in spec["paths"] if path not in NOT_JSON}
    assert {"/api/search", "/api/items/{item_id}", "/api/documents/{document_id}", "/api/stats",
            "/api/health", "/api/cases", "/api/cases/{case_id}"} <= json_routes
    for path in json_routes:
        answer = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in answer, (path, answer)
