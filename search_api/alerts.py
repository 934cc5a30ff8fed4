"""Saved searches and their e-mail digests.

Saved searches and what each has already sent live in one SQLite file in the data directory
(``alerts.sqlite``), whatever the search backend. A digest holds the matches of a saved search
(the search's honest result set, ``feeds.newest_matches``) that are new or changed since the alert
was made and were never sent for it; one e-mail per recipient and run covers all their alerts.

Safe sending: the marks of a recipient's alerts are committed right after the server accepted
that recipient's e-mail, so a run killed between two recipients resends nothing and skips nothing
next time; a server that cannot be reached leaves every mark as it was. (The one window left is
between the server's acceptance and the commit — a local transaction — where a kill makes the next
run send that e-mail again: SMTP offers no exactly-once.)

Everything but ``AlertStore`` and ``send_digests`` is pure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import smtplib
import sqlite3
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from html import escape
from pathlib import Path
from urllib.parse import urlencode

from search_api.feeds import FeedEntry, FeedParams, describe, newest_matches
from search_api.query import understand

ALERTS_DB = "alerts.sqlite"
FREQUENCIES = ("daily", "weekly")
#: a digest is due this long after the last one: a little under a day or a week, so that a cron
#: job at the same hour every day is never a few seconds early and skipped for a whole period
DUE_AFTER = {"daily": timedelta(hours=20), "weekly": timedelta(days=6, hours=12)}
#: most matches an e-mail lists per alert; the rest are counted and linked (the search page has them)
MAX_LISTED = 50

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: an old unsubscribe link cannot hit a new alert
    email TEXT NOT NULL,
    params TEXT NOT NULL,                  -- the search (FeedParams as JSON, defaults left out)
    frequency TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    created_at TEXT NOT NULL,              -- UTC ISO 8601, as the stores' document times
    last_sent_at TEXT
);
CREATE TABLE IF NOT EXISTS sent (
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, item_id)
) WITHOUT ROWID;
"""

# local@domain.tld, no spaces or angle brackets; what a mail server accepts beyond that is its
# business, but a typo without @ or a pasted "Name <a@b>" is refused when the alert is added
_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\].]{2,}")


class AlertError(ValueError):
    """An alert cannot be added or found as asked (bad address, bad query, unknown id)."""


class SendError(RuntimeError):
    """The SMTP server could not be used; nothing was marked for the e-mails not sent."""


@dataclass(frozen=True)
class Alert:
    id: int
    email: str
    params: FeedParams
    frequency: str
    created_at: str
    last_sent_at: str | None = None

    @property
    def description(self) -> str:
        return describe(self.params)


def check_email(address: str) -> str:
    address = address.strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise AlertError(f"not an e-mail address: {address!r} (expected name@example.se)")
    return address


def _params_json(params: FeedParams) -> str:
    return params.model_dump_json(exclude_defaults=True)


class AlertStore:
    """The saved searches (``DATA_DIR/alerts.sqlite``)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.executescript(_SCHEMA)

    def add(self, email: str, params: FeedParams, frequency: str, now: str) -> Alert:
        if frequency not in FREQUENCIES:
            raise AlertError(f"frequency must be one of {', '.join(FREQUENCIES)}")
        cursor = self._conn.execute(
            "INSERT INTO alerts (email, params, frequency, created_at) VALUES (?,?,?,?)",
            (check_email(email), _params_json(params), frequency, now))
        assert cursor.lastrowid is not None  # an INSERT's row
        return Alert(cursor.lastrowid, email.strip(), params, frequency, now)

    def all(self) -> list[Alert]:
        rows = self._conn.execute(
            "SELECT id, email, params, frequency, created_at, last_sent_at FROM alerts ORDER BY id").fetchall()
        return [_alert(row) for row in rows]

    def get(self, alert_id: int) -> Alert | None:
        row = self._conn.execute("SELECT id, email, params, frequency, created_at, last_sent_at FROM alerts "
                                 "WHERE id = ?", (alert_id,)).fetchone()
        return _alert(row) if row else None

    def remove(self, alert_id: int) -> bool:
        return self._conn.execute("DELETE FROM alerts WHERE id = ?", (alert_id,)).rowcount > 0

    def sent_ids(self, alert_id: int) -> set[str]:
        return {r[0] for r in self._conn.execute("SELECT item_id FROM sent WHERE alert_id = ?", (alert_id,))}

    def mark_sent(self, sections: list[tuple[Alert, list[FeedEntry]]], now: str) -> None:
        """Record one e-mail's items as sent, for all its alerts at once (one transaction)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            for alert, entries in sections:
                self._conn.executemany("INSERT OR IGNORE INTO sent VALUES (?,?,?)",
                                       [(alert.id, e.id, now) for e in entries])
                self._conn.execute("UPDATE alerts SET last_sent_at = ? WHERE id = ?", (now, alert.id))
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._conn.close()


def _alert(row: tuple) -> Alert:
    alert_id, email, params, frequency, created_at, last_sent_at = row
    return Alert(alert_id, email, FeedParams.model_validate_json(params), frequency, created_at, last_sent_at)


# -- what to send (pure) ---------------------------------------------------------------------------

def is_due(alert: Alert, now: str) -> bool:
    if alert.last_sent_at is None:
        return True
    return datetime.fromisoformat(now) - datetime.fromisoformat(alert.last_sent_at) >= DUE_AFTER[alert.frequency]


def new_entries(alert: Alert, matches: list[FeedEntry], sent: set[str]) -> list[FeedEntry]:
    """The matches new or changed since the alert was made that it never sent (each item once)."""
    return [e for e in matches if e.id not in sent and (e.last_changed or e.first_indexed or "") > alert.created_at]


@dataclass(frozen=True)
class Digest:
    """One e-mail: a recipient's alerts, each with its new matches."""

    email: str
    sections: tuple[tuple[Alert, tuple[FeedEntry, ...]], ...]

    @property
    def count(self) -> int:
        return sum(len(entries) for _, entries in self.sections)


def plan_digests(found: list[tuple[Alert, list[FeedEntry]]]) -> list[Digest]:
    """Group alerts with news by recipient (recipients in a stable order; alerts without news left out)."""
    by_email: dict[str, list[tuple[Alert, tuple[FeedEntry, ...]]]] = {}
    for alert, entries in found:
        if entries:
            by_email.setdefault(alert.email.lower(), []).append((alert, tuple(entries)))
    return [Digest(sections[0][0].email, tuple(sections)) for _, sections in sorted(by_email.items())]


def sign(alert: Alert, key: bytes) -> str:
    """The unsubscribe token of an alert: its id and an HMAC-SHA256 over id, address and creation
    time (standard library ``hmac``: nothing to expire or serialise, so no dependency is needed)."""
    message = f"unsubscribe:{alert.id}:{alert.email}:{alert.created_at}".encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()[:20]
    return f"{alert.id}.{base64.urlsafe_b64encode(mac).decode('ascii').rstrip('=')}"


def token_alert_id(token: str) -> int | None:
    """The alert id a token names (not yet verified), or None when it is no token at all."""
    head, _, _ = token.partition(".")
    return int(head) if head.isdigit() and len(head) < 19 else None


def verify(token: str, alert: Alert, key: bytes) -> bool:
    return hmac.compare_digest(token.encode("utf-8"), sign(alert, key).encode("utf-8"))


def search_url(base_url: str, params: FeedParams) -> str:
    pairs = [(k, str(x)) for k, v in params.model_dump(exclude_defaults=True, mode="json").items()
             for x in (v if isinstance(v, list) else [v]) if k not in ("limit", "offset")]
    return f"{base_url}/?{urlencode(pairs)}" if params.q else f"{base_url}/feed?{urlencode(pairs)}"


def _subject(digest: Digest) -> str:
    names = ", ".join(f"”{a.params.q}”" if a.params.q else describe(a.params) for a, _ in digest.sections)
    count = digest.count
    return f"Mötessök: {count} {'ny träff' if count == 1 else 'nya träffar'} för {names}"


def compose(digest: Digest, *, sender: str, base_url: str, key: bytes) -> EmailMessage:
    """The e-mail of one digest: plain text and HTML, UTF-8, an unsubscribe link per alert."""
    text: list[str] = ["Nya träffar i Mötessök för dina bevakningar.", ""]
    html: list[str] = ["<p>Nya träffar i Mötessök för dina bevakningar.</p>"]
    for alert, entries in digest.sections:
        unsubscribe = f"{base_url}/avregistrera/{sign(alert, key)}"
        search = search_url(base_url, alert.params)
        heading = f"{alert.description}: {len(entries)} {'ny träff' if len(entries) == 1 else 'nya träffar'}"
        text += [heading, "=" * len(heading), ""]
        html.append(f"<h2>{escape(heading)}</h2><ol>")
        for entry in entries[:MAX_LISTED]:
            url = base_url + entry.path
            text.append(f"* {entry.title}")
            text.append(f"  {entry.place}")
            for decision in entry.decisions[:3]:
                text.append(f"  {entry.decision_label}: {decision}")
            text.append(f"  Träff på: {entry.why}")
            text += [f"  {url}", ""]
            decisions = "".join(f"<br>{escape(entry.decision_label)}: {escape(d)}" for d in entry.decisions[:3])
            html.append(f'<li><a href="{escape(url)}">{escape(entry.title)}</a><br>{escape(entry.place)}'
                        f"{decisions}<br><small>Träff på: {escape(entry.why)}</small></li>")
        html.append("</ol>")
        rest = len(entries) - MAX_LISTED
        if rest > 0:
            text += [f"… och {rest} till: {search}", ""]
            html.append(f'<p><a href="{escape(search)}">… och {rest} till</a></p>')
        text += [f"Hela sökningen: {search}", f"Avsluta bevakningen: {unsubscribe}", ""]
        html.append(f'<p><a href="{escape(search)}">Hela sökningen</a> · '
                    f'<a href="{escape(unsubscribe)}">Avsluta bevakningen</a></p>')
    text.append("Kontrollera alltid mot originalhandlingen innan du citerar.")
    html.append("<p><small>Kontrollera alltid mot originalhandlingen innan du citerar.</small></p>")

    message = EmailMessage()
    message["Subject"] = _subject(digest)
    message["From"] = formataddr(("Mötessök", sender))
    message["To"] = digest.email
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    if len(digest.sections) == 1:  # one alert: mail programs can offer their own unsubscribe button
        message["List-Unsubscribe"] = f"<{base_url}/avregistrera/{sign(digest.sections[0][0], key)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("\n".join(text), charset="utf-8")
    message.add_alternative("<!doctype html><html lang=\"sv\"><body>" + "\n".join(html) + "</body></html>",
                            subtype="html", charset="utf-8")
    return message


# -- sending (I/O) ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 30.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    try:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password or "")
        return smtp
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"the SMTP server {config.where} refused the login of {config.user!r} ({exc.smtp_code}); "
                        f"check MOTESOK_SMTP_USER and MOTESOK_SMTP_PASSWORD") from exc
    except (OSError, smtplib.SMTPException) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        raise SendError(f"cannot send e-mail: the SMTP server {config.where} cannot be used ({reason}); "
                        f"check MOTESOK_SMTP_HOST and MOTESOK_SMTP_PORT") from exc


def send_digests(digests: list[Digest], messages: Callable[[Digest], EmailMessage], config: SmtpConfig,
                 on_sent: Callable[[Digest], None]) -> list[str]:
    """Send each digest and call ``on_sent`` (which commits its marks) right after the server took it.
    A recipient the server refuses is reported and keeps its marks (the next run tries again); a
    server that cannot be reached or goes away raises ``SendError`` (the digests sent before it keep
    their marks, the rest are left for the next run). Returns one line per refused recipient."""
    if not digests:
        return []
    refused: list[str] = []
    smtp = _connect(config)
    try:
        for digest in digests:
            try:
                smtp.send_message(messages(digest))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                refused.append(f"{digest.email}: the SMTP server refused the e-mail ({_smtp_reason(exc)})")
                smtp.rset()
                continue
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError(f"cannot send e-mail: the SMTP server {config.where} failed while sending to "
                                f"{digest.email} ({_smtp_reason(exc)}); the rest is sent next run") from exc
            on_sent(digest)
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return refused


def _smtp_reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
                         for code, msg in exc.recipients.values())
    code, msg = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", None)
    if code:
        return f"{code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
    return str(exc) or type(exc).__name__


def query_has_words(params: FeedParams, analyzer) -> bool:
    """Whether the saved query leaves anything to search for once its question frame is taken off."""
    return params.q is None or bool(analyzer.query(understand(params.q).subject).terms())


@dataclass
class SendReport:
    alerts_due: int = 0
    emails: int = 0
    items: int = 0
    refused: list[str] | None = None


def send_due(alerts: AlertStore, service, *, key: bytes, base_url: str, sender: str, config: SmtpConfig,
             now: str, every: bool = False) -> SendReport:
    """One ``motesok alerts send``: the due alerts' (``every``: all alerts') new matches, one e-mail
    per recipient, each recipient's marks committed as soon as its e-mail is accepted."""
    due = [a for a in alerts.all() if every or is_due(a, now)]
    found = [(a, new_entries(a, newest_matches(service, a.params), alerts.sent_ids(a.id))) for a in due]
    digests = plan_digests(found)
    report = SendReport(alerts_due=len(due))

    def sent(digest: Digest) -> None:
        alerts.mark_sent([(a, list(e)) for a, e in digest.sections], now)
        report.emails += 1
        report.items += digest.count

    report.refused = send_digests(digests, lambda d: compose(d, sender=sender, base_url=base_url, key=key),
                                  config, sent)
    return report
