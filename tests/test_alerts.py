"""Saved searches and e-mail digests against a real SMTP server (aiosmtpd) started by the test:
exactly the new matches arrive, a second send sends nothing, a run killed between two recipients
and a refused connection neither send twice nor skip nor move a mark, bad input is refused when
the alert is added, and the unsubscribe link works once (a forged token gets 403).

Generated protocols and the word-hashing embedder (MOTESOK_EMBEDDING_MODEL=hashing): no model.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.records import DocumentMeta
from motesok.cli import app
from tests.follow_corpus import write

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

BASE = "https://motesok.test"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """The test SMTP server's handler: keeps every message; can SIGKILL the sending process when
    it names a given recipient (after the previous recipient's e-mail was accepted)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.kill_at: str | None = None
        self.victim: subprocess.Popen | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.kill_at == address and self.victim is not None:
            os.kill(self.victim.pid, signal.SIGKILL)
            self.kill_at = None
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def mailbox():
    box = Mailbox()
    port = free_port()
    controller = aiosmtpd_controller.Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    yield box
    controller.stop()


class World:
    """A data folder, its documents and the settings the CLI reads."""

    def __init__(self, root: Path, smtp_port: int):
        self.root, self.docs, self.data = root, root / "docs", root / "data"
        self.env = {"MOTESOK_DATA_DIR": str(self.data), "MOTESOK_EMBEDDING_MODEL": "hashing",
                    "MOTESOK_PUBLIC_BASE_URL": BASE, "MOTESOK_SMTP_HOST": "127.0.0.1",
                    "MOTESOK_SMTP_PORT": str(smtp_port), "MOTESOK_SMTP_SENDER": "bevakning@motesok.test"}

    @contextmanager
    def settings(self, **changes: str):
        from motesok.config import get_settings

        with pytest.MonkeyPatch.context() as mp:
            for key, value in {**self.env, **changes}.items():
                mp.setenv(key, value)
            get_settings.cache_clear()
            try:
                yield get_settings()
            finally:
                get_settings.cache_clear()

    def cli(self, *args: str, **changes: str):
        with self.settings(**changes):
            return CliRunner().invoke(app, list(args))

    def index(self):
        result = self.cli("index", str(self.docs))
        assert result.exit_code == 0, result.output

    def search_ids(self, q: str, **filters) -> set[str]:
        from fastapi.testclient import TestClient

        from motesok.runtime import build_app

        with self.settings() as settings:
            client = TestClient(build_app(settings))
            return {h["id"] for h in client.get("/api/search", params={"q": q, "limit": 100, **filters}).json()["hits"]}

    def client(self):
        from fastapi.testclient import TestClient

        from motesok.runtime import build_app

        with self.settings() as settings:
            return TestClient(build_app(settings))

    def marks(self) -> tuple[int, list]:
        conn = sqlite3.connect(self.data / "alerts.sqlite")
        try:
            return (conn.execute("SELECT COUNT(*) FROM sent").fetchone()[0],
                    [r[0] for r in conn.execute("SELECT last_sent_at FROM alerts ORDER BY id")])
        finally:
            conn.close()


def document_id(world: World, name: str) -> str:
    return DocumentMeta(source=str((world.docs / name).resolve()), checksum="", format="txt").id


def linked_items(message) -> list[str]:
    return re.findall(re.escape(BASE) + r"/punkt/([0-9a-f]+-\d+)", message.get_body(("plain",)).get_content())


@pytest.fixture
def world(tmp_path, mailbox):
    """Two protocols indexed, then two recipients' alerts saved, then two new protocols indexed."""
    w = World(tmp_path, mailbox.port)
    write(w.docs, "ks_2024-02-01_protokoll.txt", "Kommunstyrelsen", "2024-02-01", [(1, "hemtjänst"), (2, "gata")])
    write(w.docs, "sn_2024-03-12_protokoll.txt", "Socialnämnden", "2024-03-12", [(4, "hemtjänst"), (5, "pfas")])
    w.index()
    for args in (["anna@example.se", "hemtjänst"], ["anna@example.se", "PFAS", "--body", "Socialnämnden"],
                 ["bo@example.se", "hemtjänst", "--weekly"], ["cecilia@example.se", "gatubelysning"]):
        added = w.cli("alerts", "add", *args)
        assert added.exit_code == 0, added.output
    nothing_yet = w.cli("alerts", "send", "--all")  # matches indexed before the alerts are not news
    assert nothing_yet.exit_code == 0 and "E-post skickade: 0" in nothing_yet.output, nothing_yet.output
    assert mailbox.messages == []
    write(w.docs, "ks_2024-05-01_protokoll.txt", "Kommunstyrelsen", "2024-05-01", [(7, "hemtjänst"), (8, "pfas")])
    write(w.docs, "sn_2024-05-02_protokoll.txt", "Socialnämnden", "2024-05-02", [(9, "pfas")])
    w.index()
    w.new_documents = {document_id(w, "ks_2024-05-01_protokoll.txt"), document_id(w, "sn_2024-05-02_protokoll.txt")}
    return w


def new_matches(world: World, q: str, **filters) -> set[str]:
    return {i for i in world.search_ids(q, **filters) if i.rsplit("-", 1)[0] in world.new_documents}


def test_digests_carry_exactly_the_new_matches_and_a_second_send_nothing(world, mailbox):
    sent = world.cli("alerts", "send")
    assert sent.exit_code == 0, sent.output
    assert "E-post skickade: 2" in sent.output
    assert sorted(m["To"] for m in mailbox.messages) == ["anna@example.se", "bo@example.se"]  # cecilia: nothing new

    anna = mailbox.to("anna@example.se")[0]
    hemtjanst, pfas = new_matches(world, "hemtjänst"), new_matches(world, "PFAS", body="Socialnämnden")
    assert hemtjanst and pfas and not hemtjanst & pfas
    assert sorted(linked_items(anna)) == sorted(hemtjanst | pfas)  # the KS PFAS item is filtered out
    assert sorted(linked_items(mailbox.to("bo@example.se")[0])) == sorted(hemtjanst)

    assert anna["Subject"] == "Mötessök: 2 nya träffar för ”hemtjänst”, ”PFAS”"
    assert "=?utf-8?" in anna.as_string().lower()  # the subject travels encoded (å ä ö)
    assert anna.get_body(("plain",)).get_content_charset() == "utf-8"
    html = anna.get_body(("html",)).get_content()
    assert "Träff på:" in html and "Avsluta bevakningen" in html and "att uppdra åt förvaltningen" in html
    text = anna.get_body(("plain",)).get_content()
    assert "Beslut: att godkänna uppföljningen av hemtjänsten" in text and "Träff på: orden" in text
    assert text.count(f"{BASE}/avregistrera/") == 2  # one link per alert
    assert "List-Unsubscribe" not in anna and mailbox.to("bo@example.se")[0]["List-Unsubscribe"].strip().startswith(f"<{BASE}/")

    marks = world.marks()
    again = world.cli("alerts", "send", "--all")
    assert again.exit_code == 0 and "E-post skickade: 0" in again.output, again.output
    assert len(mailbox.messages) == 2 and world.marks()[0] == marks[0] == len(hemtjanst) * 2 + len(pfas)


def test_a_run_killed_between_two_recipients_sends_nothing_twice_and_skips_nothing(world, mailbox):
    mailbox.kill_at = "bo@example.se"  # anna's e-mail goes first (recipients in order), then the kill
    env = {**os.environ, **world.env}
    mailbox.victim = subprocess.Popen([sys.executable, "-m", "motesok.cli", "alerts", "send"], cwd=ROOT, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = mailbox.victim.communicate(timeout=300)[0].decode()
    assert mailbox.victim.returncode == -signal.SIGKILL, output
    assert [m["To"] for m in mailbox.messages] == ["anna@example.se"]

    rerun = world.cli("alerts", "send")
    assert rerun.exit_code == 0 and "E-post skickade: 1" in rerun.output, rerun.output
    assert [m["To"] for m in mailbox.messages] == ["anna@example.se", "bo@example.se"]
    assert sorted(linked_items(mailbox.messages[1])) == sorted(new_matches(world, "hemtjänst"))
    assert world.cli("alerts", "send", "--all").output.count("E-post skickade: 0") == 1
    assert len(mailbox.messages) == 2


def test_a_refused_connection_moves_no_mark_and_fails_with_one_line(world, mailbox):
    before = world.marks()
    closed = free_port()
    failed = world.cli("alerts", "send", MOTESOK_SMTP_PORT=str(closed))
    assert failed.exit_code == 1
    lines = [line for line in failed.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("motesok: cannot send e-mail") and f"127.0.0.1:{closed}" in lines[0]
    assert world.marks() == before == (0, [None, None, None, None])
    assert mailbox.messages == []
    sent = world.cli("alerts", "send")  # the server is back: everything goes, once
    assert sent.exit_code == 0 and "E-post skickade: 2" in sent.output, sent.output


def test_bad_address_or_query_is_refused_when_added(world):
    listed = world.cli("alerts", "list").output
    for args, reason in ((["inte-en-adress", "hemtjänst"], "not an e-mail address"),
                         (["Anna <anna@example.se>", "hemtjänst"], "not an e-mail address"),
                         (["anna@example.se", "   "], "empty"),
                         (["anna@example.se", "?! …"], "no words to search for"),
                         (["anna@example.se", "x" * 501], "invalid search"),
                         (["anna@example.se", "hemtjänst", "--daily", "--weekly"], "not both")):
        refused = world.cli("alerts", "add", *args)
        assert refused.exit_code == 2 and reason in refused.output, (args, refused.output)
    assert world.cli("alerts", "list").output == listed and listed.count("@example.se") == 4
    assert world.cli("alerts", "remove", "99").exit_code == 1


def test_the_unsubscribe_link_works_once_and_a_forged_token_gets_403(world, mailbox):
    assert world.cli("alerts", "send").exit_code == 0
    link = re.search(re.escape(BASE) + r"(/avregistrera/\S+)", mailbox.to("bo@example.se")[0].get_body(("plain",)).get_content())
    path = link.group(1)
    client = world.client()
    page = client.get(path)
    assert page.status_code == 200 and "Avsluta bevakningen?" in page.text and 'method="post"' in page.text
    assert "bo@example.se" in world.cli("alerts", "list").output  # asking removes nothing
    alert_id, signature = path.rsplit("/", 1)[1].split(".")
    forged = [f"/avregistrera/{alert_id}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}",
              f"/avregistrera/1.{signature}",  # bo's signature on anna's alert
              f"/avregistrera/{alert_id}", "/avregistrera/x.y"]
    for url in forged:
        assert client.post(url).status_code == 403, url
        assert client.get(url).status_code == 403, url
    assert world.cli("alerts", "list").output.count("@example.se") == 4
    removed = client.post(path)
    assert removed.status_code == 200 and "Bevakningen är avslutad" in removed.text
    assert "bo@example.se" not in world.cli("alerts", "list").output
    assert world.cli("alerts", "list").output.count("@example.se") == 3
    assert client.post(path).status_code == 403  # once only
    assert client.get(path).status_code == 403


def test_digests_are_due_daily_or_weekly():
    from search_api.alerts import Alert, is_due, sign, verify
    from search_api.feeds import FeedParams

    daily = Alert(1, "a@example.se", FeedParams(q="x"), "daily", "2026-01-01T00:00:00.000000+00:00",
                  "2026-01-05T07:00:05.000000+00:00")
    assert not is_due(daily, "2026-01-05T20:00:00.000000+00:00")
    assert is_due(daily, "2026-01-06T07:00:00.000000+00:00")  # next morning's cron, a few seconds early
    weekly = Alert(2, "a@example.se", FeedParams(q="x"), "weekly", daily.created_at, daily.last_sent_at)
    assert not is_due(weekly, "2026-01-10T07:00:00.000000+00:00") and is_due(weekly, "2026-01-12T07:00:00.000000+00:00")
    assert verify(sign(daily, b"k1"), daily, b"k1") and not verify(sign(daily, b"k1"), daily, b"k2")
