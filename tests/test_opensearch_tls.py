"""Certificate checking against a local TLS server (issue 20, defect 1).

The test makes two CAs with the ``openssl`` command: one signs the server's certificate (issued for
``localhost`` only), the other signs nothing of the server's. A tiny ``http.server`` wrapped
in ``ssl`` answers ``GET /`` like an OpenSearch node and everything else with 404 (no index yet).
The store is built by ``OpenSearchStore.from_settings`` exactly as the application builds it.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from indexer.store.base import StoreError
from motesok.config import Settings

pytest.importorskip("opensearchpy")
from indexer.store.opensearch import OpenSearchStore  # noqa: E402
from indexer.store.opensearch_requests import client_options  # noqa: E402

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is needed to make test certificates")

INFO = {"name": "node-1", "cluster_name": "tls-test", "version": {"distribution": "opensearch", "number": "2.19.1"},
        "tagline": "The OpenSearch Project: https://opensearch.org/"}


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, capture_output=True)


def _make_ca(directory: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
             "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=directory)


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    """good-ca.pem signs server.pem (for localhost only); wrong-ca.pem is an unrelated CA."""
    d = tmp_path_factory.mktemp("tls")
    _make_ca(d, "good-ca")
    _make_ca(d, "wrong-ca")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
             "-out", "server.csr", cwd=d)
    (d / "san.ext").write_text("subjectAltName=DNS:localhost\n", encoding="ascii")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "good-ca.pem", "-CAkey", "good-ca.key",
             "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem", cwd=d)
    return d


class _Handler(BaseHTTPRequestHandler):
    def _answer(self, status: int, body: dict | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        if self.path.split("?")[0] == "/":
            self._answer(200, INFO)
        else:
            self._answer(404, {"error": {"type": "index_not_found_exception", "reason": "no such index"},
                               "status": 404})

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(200 if self.path.split("?")[0] == "/" else 404, None)

    def log_message(self, *args) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def tls_server(certs):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs / "server.pem", certs / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _settings(port: int, host: str = "localhost", **update) -> Settings:
    return Settings().model_copy(update={"backend": "opensearch", "opensearch_url": f"https://{host}:{port}",
                                         "opensearch_index": "motesok-tls", **update})


def test_client_options_never_pass_a_boolean_hostname_check():
    options = client_options("https://localhost:9200", user="admin", password="pw", ca_certs="/ca.pem")
    assert "ssl_assert_hostname" not in options
    assert options["verify_certs"] is True and options["ca_certs"] == "/ca.pem"
    assert options["http_auth"] == ("admin", "pw")
    unverified = client_options("https://localhost:9200", verify_certs=False, ca_certs="/ca.pem")
    assert unverified["verify_certs"] is False and "ca_certs" not in unverified


def test_the_right_ca_is_accepted(tls_server, certs):
    store = OpenSearchStore.from_settings(_settings(tls_server, opensearch_ca_certs=certs / "good-ca.pem"))
    try:
        assert store.index_name is None  # connected, looked up the alias, found none
    finally:
        store.close()


def test_a_wrong_ca_is_refused_with_a_certificate_message(tls_server, certs):
    with pytest.raises(StoreError) as raised:
        OpenSearchStore.from_settings(_settings(tls_server, opensearch_ca_certs=certs / "wrong-ca.pem"))
    message = str(raised.value)
    assert "certificate verify failed" in message
    assert "MOTESOK_OPENSEARCH_CA_CERTS" in message and "Is the cluster running" not in message


def test_the_host_name_is_checked(tls_server, certs):
    # the right CA, but the certificate names localhost, not the address 127.0.0.1
    with pytest.raises(StoreError, match="certificate"):
        OpenSearchStore.from_settings(_settings(tls_server, host="127.0.0.1", opensearch_ca_certs=certs / "good-ca.pem"))


def test_no_verification_accepts_any_certificate(tls_server):
    store = OpenSearchStore.from_settings(_settings(tls_server, opensearch_verify_certs=False))
    store.close()


def test_a_missing_ca_file_is_named(tls_server, tmp_path):
    with pytest.raises(StoreError, match="MOTESOK_OPENSEARCH_CA_CERTS names .*gone.pem"):
        OpenSearchStore.from_settings(_settings(tls_server, opensearch_ca_certs=tmp_path / "gone.pem"))


def test_an_empty_ca_setting_means_none(monkeypatch):
    # docker-compose passes an unset ${MOTESOK_OPENSEARCH_CA_CERTS:-} as an empty string
    monkeypatch.setenv("MOTESOK_OPENSEARCH_CA_CERTS", "")
    assert Settings().opensearch_ca_certs is None
    monkeypatch.setenv("MOTESOK_OPENSEARCH_CA_CERTS", "/etc/ssl/ca.pem")
    assert str(Settings().opensearch_ca_certs) == "/etc/ssl/ca.pem"
