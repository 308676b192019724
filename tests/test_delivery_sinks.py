"""Sinks against real local servers: SMTP over STARTTLS and implicit TLS with a trustme CA,
Apprise posting to the local receiver, ``monitor sinks test``, Slack pacing, and canary secrets
that must never leave the sinks."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from monitor import cli
from monitor.app import make_monitor
from monitor.config import settings_from_dict
from monitor.digest.render import SLACK_MAX_MESSAGE_TEXT, render_slack
from monitor.errors import DeliveryError
from monitor.server import render_metrics
from monitor.sinks.email import EmailSink
from monitor.sinks.slack import SlackSink
from monitor.sinks.webhook import WebhookSink
from monitor.types import Digest, DigestStory, Event, Source
from tests.delivery_support import SmtpServer, seed_stories
from tests.test_sinks import make_digest

NOW = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca():
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path):
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def mail_sink(port, security, ca_file=None, **kw):
    return EmailSink("mail", host="127.0.0.1", port=port, security=security, sender="monitor@example.org",
                     to=["team@example.org"], ca_file=ca_file, timeout=5, **kw)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_smtp_tls_with_a_verified_certificate_and_auth(ca, ca_file, security):
    with SmtpServer(tls="starttls" if security == "starttls" else "implicit", ca=ca, auth=("bot", "pw")) as smtp:
        sink = mail_sink(smtp.port, security, ca_file, username="bot", password="pw")
        answer = asyncio.run(sink.send_part(sink.render(make_digest(), NOW)[0], digest_id="d", part_no=0, now=NOW))
        assert answer.startswith("SMTP 250")
        assert smtp.handler.logins == [(b"bot", b"pw")] and len(smtp.handler.messages) == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_smtp_untrusted_certificate_fails_before_any_auth(ca, security):
    with SmtpServer(tls="starttls" if security == "starttls" else "implicit", ca=ca, auth=("bot", "pw")) as smtp:
        sink = mail_sink(smtp.port, security, None, username="bot", password="pw")  # system CAs only
        with pytest.raises(DeliveryError) as e:
            asyncio.run(sink.send(make_digest(), NOW))
        assert "TLS" in str(e.value) and not e.value.permanent
        assert smtp.handler.logins == [] and smtp.handler.messages == []


def test_starttls_required_but_not_offered_never_falls_back_to_cleartext():
    with SmtpServer(auth=("bot", "pw"), offer_starttls=False) as smtp:
        sink = mail_sink(smtp.port, "starttls", username="bot", password="pw")
        with pytest.raises(DeliveryError) as e:
            asyncio.run(sink.send(make_digest(), NOW))
        assert e.value.permanent and "STARTTLS" in str(e.value)
        assert smtp.handler.logins == []


def test_email_carries_list_unsubscribe():
    with SmtpServer() as smtp:
        sink = mail_sink(smtp.port, "none", list_unsubscribe="mailto:unsub@example.org")
        asyncio.run(sink.send(make_digest(), NOW))
        raw = smtp.handler.messages[0]
    assert email.message_from_bytes(raw, policy=email.policy.default)["List-Unsubscribe"] == "<mailto:unsub@example.org>"


def test_smtp_535_refused_auth_is_permanent():
    with SmtpServer(auth=("bot", "pw"), offer_starttls=False) as smtp:
        sink = mail_sink(smtp.port, "none", username="bot", password="wrong")
        with pytest.raises(DeliveryError) as e:
            asyncio.run(sink.send(make_digest(), NOW))
        assert set(smtp.handler.logins) == {(b"bot", b"wrong")} and smtp.handler.messages == []  # smtplib tries
        # each mechanism the server offers (PLAIN, LOGIN) before giving up
    assert e.value.permanent and "authentication refused (SMTP 535)" in str(e.value)


@pytest.mark.parametrize(("reply", "permanent"), [("451 4.3.0 Local error, try later", False),
                                                  ("554 5.6.0 Message rejected", True)])
def test_smtp_refusal_at_data_is_classified_by_its_code(reply, permanent):
    with SmtpServer() as smtp:
        smtp.handler.data_codes.append(reply)
        sink = mail_sink(smtp.port, "none")
        with pytest.raises(DeliveryError) as e:
            asyncio.run(sink.send(make_digest(), NOW))
        assert e.value.permanent is permanent and f"DATA SMTP {reply}" in str(e.value)
        assert asyncio.run(sink.send(make_digest(), NOW)) == 1 and len(smtp.handler.messages) == 1


def test_smtp_partial_recipient_refusal_delivers_to_the_others_and_logs_the_refused_one(caplog):
    with SmtpServer() as smtp:
        smtp.handler.rcpt_codes.append("550 5.1.1 No such user")  # the first recipient
        sink = EmailSink("mail", host="127.0.0.1", port=smtp.port, security="none", sender="monitor@example.org",
                         to=["gone@example.org", "team@example.org"], timeout=5)
        with caplog.at_level(logging.ERROR):
            answer = asyncio.run(sink.send_part(sink.render(make_digest(), NOW)[0], digest_id="d", part_no=0, now=NOW))
        assert answer.startswith("SMTP 250") and len(smtp.handler.messages) == 1
    refused = [r.getMessage() for r in caplog.records if "recipient refused" in r.getMessage()]
    assert len(refused) == 1 and "gone@example.org" in refused[0] and "No such user" in refused[0]


@pytest.mark.parametrize("kind", ["webhook", "slack"])
def test_a_redirect_is_permanent_and_never_followed(receiver, kind):
    receiver.responses.append((302, {"Location": receiver.url("/elsewhere")}, b""))

    async def go():
        async with httpx.AsyncClient(follow_redirects=True) as c:  # even a client that would follow
            sink = (WebhookSink("a", receiver.url("/hook"), c) if kind == "webhook"
                    else SlackSink("a", receiver.url("/hook"), c))
            await sink.send(make_digest(), NOW)

    with pytest.raises(DeliveryError) as e:
        asyncio.run(go())
    assert e.value.permanent and "HTTP 302" in str(e.value)
    assert [p["path"] for p in receiver.posts] == ["/hook"]


def test_slack_block_text_is_capped_per_message_not_only_per_block():
    sources = tuple(Source(title="t", url=f"https://news.example/{'p' * 150}/{j}", source=f"Outlet {j}",
                           published=NOW, lang="en") for j in range(40))
    stories = tuple(DigestStory(id=i, title=f"OpenAI story {i} " + "x" * 400, url=f"https://a.example/{i}",
                                topic="openai-money", event=Event(kind="funding"), sources=sources, first_seen=NOW)
                    for i in range(12))
    messages = render_slack(Digest(id="d", name="daily", created_at=NOW, stories=stories))
    assert len(messages) >= 4
    for m in messages:
        text = sum(len(b["text"]["text"]) for b in m["blocks"] if "text" in b)
        text += sum(len(e["text"]) for b in m["blocks"] for e in b.get("elements", ()))
        assert text <= SLACK_MAX_MESSAGE_TEXT


def test_slack_paces_posts_to_one_per_second():
    waits: list[float] = []
    clock = [100.0]

    async def fake_sleep(seconds):
        waits.append(seconds)
        clock[0] += seconds

    def handler(request):
        clock[0] += 0.1
        return httpx.Response(200, text="ok")

    async def go():
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as c:
            sink = SlackSink("s", "https://hooks.slack.example/services/T/B/X", c, sleep=fake_sleep,
                             monotonic=lambda: clock[0])
            assert await sink.send(make_digest(60), NOW) >= 3

    asyncio.run(go())
    assert waits and all(abs(w - 1.0) < 1e-6 for w in waits)  # 1 s after the previous answer


def test_apprise_sink_posts_to_a_local_endpoint_and_retries_only_the_failed_service(receiver, sqlite_url, clock):
    pytest.importorskip("apprise")
    urls = [f"json://127.0.0.1:{receiver.port}/apprise/one", f"json://127.0.0.1:{receiver.port}/apprise/two"]
    s = settings_from_dict({
        "database": {"url": sqlite_url}, "server": {"listen": ""},
        "topics": [{"name": "openai-money", "preset": "openai-funding-revenue"}],
        "sinks": {"chat": {"type": "apprise", "urls": urls}},
        "digests": [{"name": "daily", "schedule": "0 8 * * *", "sinks": ["chat"]}]}, environ={})
    from monitor.store import open_store

    store = open_store(s.database_url)
    store.migrate()
    seed_stories(store, clock.now(), [("@everyone OpenAI raises $40B", Event(kind="funding"))],
                 {"openai-money": [("daily", "chat")]})
    store.close()
    receiver.responses += [(200, {}, b"ok"), (500, {}, b"busy")]

    async def scenario():
        async with make_monitor(s, clock=clock, parse_workers=0) as m:
            first = (await m.send_digest("daily"))[0]
            assert first.error and first.messages == 1
            clock.advance(hours=3)
            assert (await m.send_digest("daily", retries_only=True))[0].error is None

    asyncio.run(scenario())
    assert [p["path"] for p in receiver.posts] == ["/apprise/one", "/apprise/two", "/apprise/two"]
    body = json.loads(receiver.posts[0]["body"])
    assert "OpenAI raises $40B" in body["message"] and "@everyone" not in body["message"]


def write_config(tmp_path, receiver, path="/slack/T0/B0/SECRETCANARY1"):
    c = tmp_path / "config.toml"
    c.write_text(f'''
[database]
url = "sqlite:///{tmp_path / 'm.db'}"
[server]
listen = ""
[[topics]]
name = "openai-money"
preset = "openai-funding-revenue"
[sinks.team-slack]
type = "slack"
webhook_url = "{receiver.url(path)}"
''')
    return c


def test_sinks_test_prints_the_exact_answer(tmp_path, receiver, capsys):
    c = write_config(tmp_path, receiver)
    assert cli.main(["--config", str(c), "sinks", "test", "team-slack"]) == 0
    out = capsys.readouterr().out
    assert "team-slack: HTTP 200 'ok'" in out and "SECRETCANARY1" not in out
    receiver.responses.append((404, {}, b"no_service"))
    assert cli.main(["--config", str(c), "sinks", "test", "team-slack"]) == 1
    out = capsys.readouterr().out
    assert "HTTP 404 'no_service'" in out and "SECRETCANARY1" not in out
    assert len(receiver.posts) == 2 and "test message" in json.loads(receiver.posts[0]["body"])["text"]


CANARIES = ("SECRETCANARY1", "PWCANARY2", "SIGCANARY3", "APPRISECANARY4")


def test_canary_secrets_never_leave_the_sinks(feed_server, receiver, tmp_path, clock, caplog, capfd):
    import base64

    feed = feed_server.add("/en.xml", (Path(__file__).parent / "data" / "feeds" / "openai_en.xml").read_bytes())
    secret = "whsec_" + base64.b64encode(b"SIGCANARY3-0123456789abcdef").decode()
    db = tmp_path / "m.db"
    with SmtpServer(auth=("bot", "PWCANARY2"), offer_starttls=False) as smtp:
        smtp.handler.rcpt_codes.append("550 5.1.1 refused")
        s = settings_from_dict({
            "database": {"url": f"sqlite:///{db}"}, "server": {"listen": ""},
            "polling": {"max_age_days": 100_000}, "feeds": [{"url": feed}],
            "topics": [{"name": "openai-money", "preset": "openai-funding-revenue"}],
            "sinks": {
                "slack": {"type": "slack", "webhook_url": receiver.url("/services/T0/B0/SECRETCANARY1")},
                "hook": {"type": "webhook", "url": receiver.url("/hook/SECRETCANARY1b"), "secret": secret},
                "mail": {"type": "email", "host": "127.0.0.1", "port": smtp.port, "security": "none",
                         "username": "bot", "password": "PWCANARY2", "from": "m@example.org",
                         "to": ["t@example.org"]},
                "chat": {"type": "apprise", "urls": [f"json://127.0.0.1:{receiver.port}/x/APPRISECANARY4"]}},
            "digests": [{"name": "daily", "schedule": "0 8 * * *", "sinks": ["slack", "hook", "mail", "chat"]}],
            "delivery": {"alert_sink": "slack", "undelivered_alert_minutes": 1}}, environ={})
        receiver.responses += [(404, {}, b"no_service"), (500, {}, b"rollup_error"), (500, {}, b"x")]

        async def scenario():
            async with make_monitor(s, clock=clock, parse_workers=0) as m:
                await m.poll()
                await m.send_digest("daily")
                clock.advance(hours=3)
                await m.send_digest("daily", retries_only=True)
                return render_metrics(m.deps.metrics, {})

        with caplog.at_level(logging.DEBUG):
            metrics = asyncio.run(scenario())
    assert receiver.posts and smtp.handler.logins  # the sinks were really used
    out, err = capfd.readouterr()
    logs = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("m.db"))
    for canary in CANARIES:
        assert canary not in logs, canary
        assert canary not in out + err, canary
        assert canary.encode() not in data, canary
        assert canary not in metrics, canary
    assert secret not in logs and secret.encode() not in data


FEED_CANARIES = ("FEEDPWCANARY5", "FEEDTOKENCANARY6", "FEEDTOKENCANARY7")


def test_canary_secrets_never_leave_through_the_cli(feed_server, receiver, tmp_path, db_url):
    """The same promise through real ``monitor`` processes, on SQLite and PostgreSQL, with feed URLs
    that carry a password and query tokens (one feed works, one fails and lands in ``poll``'s summary).
    The feeds table keeps each feed's URL whole (the poller needs it); no other column, no log line
    and no output may show it. ``feeds list`` and ``feeds export`` print full URLs by contract and are
    not run here."""
    import os
    import subprocess
    import sys

    import sqlalchemy as sa

    body = (Path(__file__).parent / "data" / "feeds" / "openai_en.xml").read_bytes()
    feed_server.add("/en.xml?key=FEEDTOKENCANARY6", body)
    feed_server.add("/down.xml?token=FEEDTOKENCANARY7&page=2", b"oops", status=500)
    base = f"http://reader:FEEDPWCANARY5@127.0.0.1:{feed_server.port}"
    c = tmp_path / "c.toml"
    c.write_text(f'''[database]
url = "{db_url}"
[polling]
max_age_days = 100000
[server]
listen = ""
[[feeds]]
url = "{base}/en.xml?key=FEEDTOKENCANARY6"
[[feeds]]
url = "{base}/down.xml?token=FEEDTOKENCANARY7&page=2"
[[topics]]
name = "openai-money"
preset = "openai-funding-revenue"
[sinks.slack]
type = "slack"
webhook_url = "${{SLACK_URL}}"
[sinks.hook]
type = "webhook"
url = "${{HOOK_URL}}"
[[digests]]
name = "daily"
schedule = "0 8 * * *"
sinks = ["slack", "hook"]
''')
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env |= {"SLACK_URL": receiver.url("/services/T0/B0/SECRETCANARY1"), "HOOK_URL": receiver.url("/h/SECRETCANARY1b")}
    outputs = []
    for args in (["-vv", "poll"], ["-vv", "--log-format", "json", "poll", "--all"],
                 ["-vv", "digest", "preview", "daily", "--format", "json"], ["-vv", "digest", "send", "daily"]):
        p = subprocess.run([sys.executable, "-m", "monitor", "--config", str(c), *args], capture_output=True,
                           text=True, timeout=120, env=env, cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        outputs.append(p.stdout + p.stderr)
    assert f"failed: http://127.0.0.1:{feed_server.port}/down.xml?token=…&page=…: " in outputs[0]
    assert len(receiver.posts) >= 2   # both sinks were used
    engine = sa.create_engine(db_url)
    meta = sa.MetaData()
    meta.reflect(engine)
    stored = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                stored += [str(v) for k, v in row.items() if (table.name, k) != ("feeds", "url")]
        assert sum("FEEDPWCANARY5" in u for u in conn.execute(sa.text("SELECT url FROM feeds")).scalars()) == 2
    engine.dispose()
    stored_text = "\n".join(stored)
    for canary in (*CANARIES, *FEED_CANARIES):
        for out in outputs:
            assert canary not in out, (canary, out)
        assert canary not in stored_text, canary


def test_docs_delivery_verification_snippet_accepts_a_real_request_once(receiver):
    import re

    from monitor.sinks.webhook import WebhookSink
    from monitor.types import Digest

    text = (Path(__file__).parent.parent / "docs" / "delivery.md").read_text()
    ns: dict = {}
    exec(re.search(r"```python\n(.*?)```", text, re.S).group(1), ns)  # noqa: S102 - our own docs
    secret = "whsec_" + __import__("base64").b64encode(b"d" * 32).decode()

    async def go():
        async with httpx.AsyncClient() as c:
            sink = WebhookSink("a", receiver.url(), c, secret=secret)
            digest = Digest(id="d1", name="daily", created_at=datetime.now(UTC), stories=())
            for _ in range(2):  # a re-send after a crash: same id
                await sink.send(digest, datetime.now(UTC))

    asyncio.run(go())
    first, second = receiver.posts
    assert ns["accept"](secret, first["headers"], first["body"])
    assert not ns["accept"](secret, second["headers"], second["body"])  # duplicate dropped
    assert ns["verify"](secret, second["headers"], second["body"])
    assert not ns["verify"](secret, first["headers"], first["body"] + b" ")
