"""HTTPS destinations (reliability R22): a webhook or Slack sink whose receiver presents a
self-signed certificate fails with a clear TLS error that holds no secret, sends nothing over
that connection, and keeps the digest pending (same id); once the certificate is trusted, the
same run is delivered once. The receiver is the real local one, behind real TLS."""

from __future__ import annotations

import asyncio
import base64
import logging
import ssl
from datetime import UTC, datetime

import httpx
import pytest

from monitor.app import make_monitor
from monitor.config import settings_from_dict
from monitor.store import open_store
from monitor.types import Event
from tests.delivery_support import seed_stories
from tests.servers import WebhookReceiver
from tests.test_adversarial import self_signed_cert
from tests.test_cli import monitor, write_config

CANARY_PATH = "/services/T0/B0/SECRETCANARY1"
CANARY_SECRET = "whsec_" + base64.b64encode(b"SIGCANARY3-signing-key").decode()
CANARIES = ("SECRETCANARY1", CANARY_SECRET, "SIGCANARY3")
SINKS = ("archive", "team-slack")
FUNDING = Event(kind="funding", amount=40e9, currency="USD", status="completed")


@pytest.fixture
def tls_receiver(tmp_path):
    """The webhook receiver, over TLS with a throwaway self-signed certificate for 127.0.0.1."""
    cert_file, key_file = self_signed_cert(tmp_path)
    receiver = WebhookReceiver()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_file, key_file)
    receiver.httpd.socket = ctx.wrap_socket(receiver.httpd.socket, server_side=True)
    receiver.cert_file = cert_file
    yield receiver.start()
    receiver.stop()


def config_dict(receiver, db_url, sinks=SINKS):
    base = f"https://127.0.0.1:{receiver.port}"
    every = {"archive": {"type": "webhook", "url": base + "/hook" + CANARY_PATH, "secret": CANARY_SECRET,
                         "timeout_seconds": 5},
             "team-slack": {"type": "slack", "webhook_url": base + "/slack" + CANARY_PATH}}
    return {"database": {"url": db_url}, "server": {"listen": ""},
            "topics": [{"name": "openai-money", "preset": "openai-funding-revenue"}],
            "sinks": {name: every[name] for name in sinks},
            "digests": [{"name": "daily", "schedule": "0 8 * * *", "topics": ["openai-money"],
                         "sinks": list(sinks)}]}


def seed(db_url, now, sinks=SINKS):
    store = open_store(db_url)
    store.migrate()
    seed_stories(store, now, [("OpenAI raises $40B", FUNDING)], {"openai-money": [("daily", s) for s in sinks]})
    store.close()


def test_untrusted_certificate_is_a_clear_tls_error_and_the_run_is_delivered_once_trusted(
        tls_receiver, sqlite_url, clock, caplog):
    settings = settings_from_dict(config_dict(tls_receiver, sqlite_url), environ={})
    seed(sqlite_url, clock.now())

    async def scenario():
        async with make_monitor(settings, clock=clock, parse_workers=0) as m:  # the sinks' own HTTP client
            first = {o.sink: o for o in await m.send_digest("daily")}
        clock.advance(hours=3)
        trusting = httpx.AsyncHTTPTransport(verify=ssl.create_default_context(cafile=tls_receiver.cert_file))
        async with make_monitor(settings, clock=clock, parse_workers=0, transport=trusting) as m:
            again = {o.sink: o for o in await m.send_digest("daily", retries_only=True)}
            after = await m.send_digest("daily")
        return first, again, after

    with caplog.at_level(logging.DEBUG):
        first, again, after = asyncio.run(scenario())
    for name in SINKS:
        err = first[name].error
        assert str(err) == f"sink {name}: TLS certificate not trusted: self-signed certificate"
        assert not err.permanent  # retried with back-off, never downgraded
        assert again[name].error is None and again[name].run_id == first[name].run_id  # it stayed pending
    assert [o.skipped for o in after] == ["nothing pending"] * len(SINKS)
    # nothing went over the untrusted connection; once trusted, one message per sink
    assert sorted(p["path"].split("/")[1] for p in tls_receiver.posts) == ["hook", "slack"]
    hook = next(p for p in tls_receiver.posts if p["path"].startswith("/hook"))
    assert hook["headers"]["webhook-id"] == first["archive"].run_id
    assert not any(c in caplog.text for c in CANARIES)


def test_digest_send_to_an_untrusted_https_webhook_prints_the_tls_error_and_no_secret(tls_receiver, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    seed(db_url, datetime.now(UTC), sinks=("archive",))
    cfg = write_config(tmp_path / "c.toml", config_dict(tls_receiver, db_url, sinks=("archive",)))
    p = monitor("-vv", "--config", str(cfg), "digest", "send", "daily", check=False)
    assert p.returncode == 1
    assert p.stdout.strip() == ("archive: failed (1 stories stay pending, retried with back-off): "
                                "sink archive: TLS certificate not trusted: self-signed certificate")
    assert not any(c in p.stdout + p.stderr for c in CANARIES)
    assert tls_receiver.posts == []


def test_a_private_ca_is_trusted_per_sink_with_ca_file(tls_receiver, sqlite_url, clock, tmp_path):
    """``ca_file`` on a webhook or Slack sink: its certificate is verified against that bundle
    (the sinks' own client, no test transport); a sink whose ``ca_file`` cannot be read is
    unavailable with a clear reason and the others still deliver."""
    d = config_dict(tls_receiver, sqlite_url)
    d["sinks"]["archive"]["ca_file"] = tls_receiver.cert_file
    d["sinks"]["team-slack"]["ca_file"] = str(tmp_path / "missing.pem")
    settings = settings_from_dict(d, environ={})
    seed(sqlite_url, clock.now())

    async def scenario():
        async with make_monitor(settings, clock=clock, parse_workers=0) as m:
            return {o.sink: o for o in await m.send_digest("daily")}

    out = asyncio.run(scenario())
    assert out["archive"].error is None and out["archive"].run_id
    assert out["team-slack"].skipped.startswith("sink team-slack: ca_file ")
    assert "missing.pem" in out["team-slack"].skipped and "cannot be used: No such file or directory" \
        in out["team-slack"].skipped
    assert [p["path"].split("/")[1] for p in tls_receiver.posts] == ["hook"]


def test_sinks_test_honours_ca_file(tls_receiver, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'm.db'}"
    d = config_dict(tls_receiver, db_url, sinks=("archive",))
    d["sinks"]["archive"]["ca_file"] = tls_receiver.cert_file
    cfg = write_config(tmp_path / "c.toml", d)
    p = monitor("--config", str(cfg), "sinks", "test", "archive", check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "200" in p.stdout and not any(c in p.stdout + p.stderr for c in CANARIES)
    assert [p["path"].split("/")[1] for p in tls_receiver.posts] == ["hook"]
