"""Reliability R1 with real processes: ``monitor digest send`` is SIGKILLed while the destination
holds its answer (the message has arrived, no answer yet: "sent, then crashed before recording").
The dead process's lease holds the story back; once it has expired, the next send delivers the
same message again, with the same identity (``webhook-id`` and payload ``id``; e-mail
``Message-ID``), so the receiver can drop the duplicate; a third send delivers nothing."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from tests.delivery_support import SmtpHandler, SmtpServer
from tests.helpers import config_dict, serve_fixtures
from tests.servers import _Server
from tests.test_cli import monitor, write_config

ROOT = Path(__file__).parent.parent
HOLD_SECONDS = 60     # the longest a held answer waits for the test (it is killed long before)
SENT = re.compile(r"^(\S+): sent (\d+) stories in 1 message\(s\), digest id (\w+)$", re.M)


class HoldingReceiver:
    """A webhook receiver that records each POST as soon as it has arrived, then holds the answer
    until ``release`` is set (at most HOLD_SECONDS) and answers 200."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.arrived = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.posts.append({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                outer.arrived.set()
                outer.release.wait(HOLD_SECONDS)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> HoldingReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.httpd.stop()


class HoldingSmtpHandler(SmtpHandler):
    """Records the message data as soon as it has arrived, then holds the reply to DATA until
    ``release`` is set (at most HOLD_SECONDS)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope.original_content or envelope.content)
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, HOLD_SECONDS)
        return "250 2.0.0 Message accepted for delivery"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}


def _expire_leases(db_url: str) -> int:
    """Ten minutes pass for the dead process's lease: its end is moved into the past, in the
    database where it lives (a CLI process reads the wall clock; nothing else is touched).
    Returns the number of unsent runs whose lease ended."""
    from sqlalchemy import create_engine, update

    from monitor.store import tables as t

    runs = t.digest_runs.c
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            return conn.execute(update(t.digest_runs).where(runs.sent_at.is_(None), runs.lease_until.is_not(None))
                                .values(lease_until=datetime.now(UTC) - timedelta(seconds=1))).rowcount
    finally:
        engine.dispose()


def _crash_then_resend(cfg: Path, db_url: str, sink: str, target: Any) -> str:
    """poll; a send SIGKILLed once its message has arrived; a send while the dead lease holds
    (nothing); a send after it (the re-send, answered at once); a third send (nothing). Returns
    the digest id the re-send printed."""
    assert "0 failed" in monitor("--config", str(cfg), "poll").stdout
    send = ["--config", str(cfg), "digest", "send", "daily"]
    proc = subprocess.Popen([sys.executable, "-m", "monitor", *send], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert target.arrived.wait(60), "the digest never reached the receiver"
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the answer is held: sent, not recorded
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL, (out, err)

    held = monitor(*send).stdout
    assert f"{sink}: nothing sent: " in held and "held by another send until" in held, held

    assert _expire_leases(db_url) == 1
    target.release.set()
    resent = monitor(*send).stdout
    m = SENT.search(resent)
    assert m and m.group(1) == sink and int(m.group(2)) >= 1, resent

    assert monitor(*send).stdout.strip() == f"{sink}: nothing pending"
    return m.group(3)


def test_webhook_killed_while_the_answer_is_held_is_resent_once_with_the_same_webhook_id(
        tmp_path, db_url, feed_server):
    with HoldingReceiver() as receiver:
        d = config_dict(serve_fixtures(feed_server), receiver, db_url)
        d["sinks"] = {"archive": {**d["sinks"]["archive"], "timeout_seconds": 30}}  # it is killed well before
        d["digests"][0]["sinks"] = ["archive"]
        run_id = _crash_then_resend(write_config(tmp_path / "c.toml", d), db_url, "archive", receiver)

        assert len(receiver.posts) == 2  # nothing lost, the one duplicate recognisable:
        first, second = receiver.posts
        assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"] == run_id
        assert json.loads(first["body"])["id"] == json.loads(second["body"])["id"] == run_id
        assert first["body"] == second["body"] and json.loads(first["body"])["stories"]


def test_email_killed_while_the_data_reply_is_held_is_resent_once_with_the_same_message_id(
        tmp_path, db_url, feed_server):
    smtp = SmtpServer()
    smtp.handler = smtp.controller.handler = HoldingSmtpHandler()
    with smtp:
        d = config_dict(serve_fixtures(feed_server), None, db_url)
        d["sinks"] = {"mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
                               "from": "monitor@example.org", "to": ["team@example.org"], "timeout_seconds": 30}}
        d["digests"][0]["sinks"] = ["mail"]
        try:
            run_id = _crash_then_resend(write_config(tmp_path / "c.toml", d), db_url, "mail", smtp.handler)
        finally:
            smtp.handler.release.set()

    assert len(smtp.handler.messages) == 2
    first, second = (email.message_from_bytes(m, policy=email.policy.default) for m in smtp.handler.messages)
    assert first["Message-ID"] == second["Message-ID"] == f"<digest-{run_id}@example.org>"
    assert smtp.handler.messages[0] == smtp.handler.messages[1]  # the stored message, Date included

