"""Write access and exposure: the public API is read-only, binds to 127.0.0.1 by default, has CORS
off unless configured, and the token setting that would guard any write operation is strict.

Cheap: a stub search service (no model, no index); the routes under test never search.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.routing import Mount

from motesok.config import Settings
from motesok.runtime import build_app
from search_api.schemas import SearchResponse
from tests.conftest import all_routes

READ_ONLY = {"GET", "HEAD"}
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
API_URLS = ["/api/search?q=budget", "/api/export?q=budget", "/api/items/abc", "/api/documents/abc",
            "/api/health", "/api/stats", "/api/finns-inte", "/api", "/api/"]
PAGE_URLS = ["/", "/?q=budget", "/punkt/abc", "/static/style.css", "/docs", "/openapi.json"]


class StubService:
    def search(self, params):
        return SearchResponse(query=params.q, mode=params.mode, total=0, hits=[], facets={})

    def export_items(self, params, limit):
        return iter(())

    def item_with_context(self, item_id):
        return None

    def document(self, document_id):
        return None


def app(**settings):
    return build_app(Settings(**settings), StubService())


@pytest.fixture(scope="module")
def api():
    return TestClient(app(), raise_server_exceptions=False)


#: the one write: removing the one saved search a signed unsubscribe token names (test_alerts.py)
WRITE_ROUTES = {("/avregistrera/{token}", "POST")}


def test_every_route_only_reads():
    """No route of the app accepts a method that could change something, but the unsubscribe link's."""
    routes = list(all_routes(app().routes))
    assert {"/api/search", "/punkt/{item_id}", "/avregistrera/{token}"} <= {getattr(r, "path", None) for r in routes}
    for route in routes:
        if isinstance(route, APIRoute):
            assert route.methods <= READ_ONLY | {m for p, m in WRITE_ROUTES if p == route.path}, (route.path, route.methods)
        elif isinstance(route, Mount):
            assert route.path == "/static"  # files only: StaticFiles answers GET/HEAD and nothing else
        else:  # the docs and schema routes
            assert getattr(route, "methods", None) is None or set(route.methods) <= READ_ONLY, route.path


@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("url", API_URLS)
def test_writes_to_the_api_are_refused_as_json(api, method, url):
    response = api.request(method, url, json={"q": "x"}, headers={"Authorization": "Bearer x" * 4})
    assert response.status_code in (404, 405), (method, url, response.status_code)
    if url.rstrip("/") not in ("/api/finns-inte", "/api"):
        assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]


@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("url", PAGE_URLS)
def test_writes_to_the_pages_are_refused(api, method, url):
    response = api.request(method, url, content=b"q=x")
    assert response.status_code == 405, (method, url, response.status_code)


def test_a_configured_token_opens_no_write_route():
    """Even with MOTESOK_API_TOKEN set, and the token sent, there is nothing to write to."""
    token = "t" * 32
    client = TestClient(app(api_token=token), raise_server_exceptions=False)
    for method in WRITE_METHODS:
        for url in API_URLS:
            response = client.request(method, url, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code in (404, 405), (method, url)


def test_api_token_setting():
    assert Settings().api_token is None or len(Settings().api_token) >= 16
    assert Settings(api_token="x" * 16).api_token == "x" * 16
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(api_token="kort")


def test_default_host_is_loopback(monkeypatch):
    monkeypatch.delenv("MOTESOK_HOST", raising=False)
    assert Settings().host == "127.0.0.1"
    assert Settings.model_fields["host"].default == "127.0.0.1"


def test_serve_binds_to_the_configured_host(monkeypatch):
    """`motesok serve` without --host listens on the setting's address (127.0.0.1 by default)."""
    from typer.testing import CliRunner

    from motesok import cli
    from motesok.config import get_settings

    calls = []
    monkeypatch.delenv("MOTESOK_HOST", raising=False)
    monkeypatch.delenv("MOTESOK_PORT", raising=False)
    monkeypatch.setattr("motesok.runtime.build_app", lambda settings: "the app")
    monkeypatch.setattr("uvicorn.run", lambda application, **kwargs: calls.append((application, kwargs)))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["serve"])
        assert result.exit_code == 0, result.output
        monkeypatch.setenv("MOTESOK_HOST", "0.0.0.0")
        get_settings.cache_clear()
        result = CliRunner().invoke(cli.app, ["serve", "--port", "8123"])
        assert result.exit_code == 0, result.output
    finally:
        get_settings.cache_clear()
        import logging

        logging.getLogger("motesok").handlers[:] = []
        logging.getLogger("motesok").propagate = True
    assert [(c[1]["host"], c[1]["port"]) for c in calls] == [("127.0.0.1", 8000), ("0.0.0.0", 8123)]


def test_cors_is_off_by_default(api):
    origin = {"Origin": "https://evil.example"}
    response = api.get("/api/search?q=budget", headers=origin)
    assert response.status_code == 200
    assert not any(h.lower().startswith("access-control-") for h in response.headers)
    preflight = api.options("/api/search?q=budget", headers={**origin, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 405
    assert not any(h.lower().startswith("access-control-") for h in preflight.headers)


def test_cors_when_configured_allows_only_the_origins_and_get():
    client = TestClient(app(cors_origins=["https://kommun.example"]))
    allowed = client.get("/api/search?q=budget", headers={"Origin": "https://kommun.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://kommun.example"
    other = client.get("/api/search?q=budget", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options("/api/search", headers={"Origin": "https://kommun.example",
                                                       "Access-Control-Request-Method": "DELETE"})
    assert preflight.status_code == 400  # only GET is allowed across origins
    assert "DELETE" not in preflight.headers.get("access-control-allow-methods", "")
    assert "access-control-allow-credentials" not in allowed.headers


def test_cors_origins_from_the_environment(monkeypatch):
    monkeypatch.setenv("MOTESOK_CORS_ORIGINS", '["https://kommun.example"]')
    assert Settings().cors_origins == ["https://kommun.example"]
    monkeypatch.delenv("MOTESOK_CORS_ORIGINS")
    assert Settings().cors_origins == []
